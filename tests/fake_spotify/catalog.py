"""What the fake Spotify holds, and how it renders it as Spotify's JSON objects.

`small_catalog()` is the in-code fixture the tests crawl; `catalog_from_spotify_api_csv()` loads the
spotify-api-2021 crawl (../shared) for the benchmark.
"""
from __future__ import annotations

import ast
import csv
from dataclasses import dataclass, field
from pathlib import Path

from tests.factories import fake_spotify_id


@dataclass
class FakeCatalog:
    artists: dict[str, dict] = field(default_factory=dict)  # id -> name, genres, popularity, followers, image
    albums: dict[str, dict] = field(default_factory=dict)  # id -> name, artist_ids, release_date, image
    tracks: dict[str, dict] = field(default_factory=dict)  # id -> name, artist_ids, album_id, duration_ms, ...
    features: dict[str, dict] = field(default_factory=dict)  # track id -> audio features (absent: null)
    playlists: dict[str, dict] = field(default_factory=dict)  # id -> name, description, followers, track_ids
    new_releases: list[str] = field(default_factory=list)  # album ids, newest first

    def album_track_ids(self, album_id: str) -> list[str]:
        return [t for t, track in self.tracks.items() if track["album_id"] == album_id]


class Renderer:
    """Spotify's object shapes. `restricted` drops what development-mode apps no longer get."""

    def __init__(self, catalog: FakeCatalog, base_url: str, *, restricted: bool):
        self.catalog = catalog
        self.base_url = base_url
        self.restricted = restricted

    def artist(self, artist_id: str, *, full: bool) -> dict:
        artist = self.catalog.artists[artist_id]
        obj = {
            "id": artist_id,
            "name": artist["name"],
            "type": "artist",
            "uri": f"spotify:artist:{artist_id}",
            "href": f"{self.base_url}artists/{artist_id}",
            "external_urls": {"spotify": f"https://open.spotify.com/artist/{artist_id}"},
        }
        if full:
            obj["genres"] = list(artist.get("genres", []))
            obj["images"] = [{"url": artist["image"], "height": 640, "width": 640}] if artist.get("image") else []
            if not self.restricted:
                obj["popularity"] = artist.get("popularity")
                obj["followers"] = {"href": None, "total": artist.get("followers")}
        return obj

    def album(self, album_id: str, *, full: bool) -> dict:
        album = self.catalog.albums[album_id]
        track_ids = self.catalog.album_track_ids(album_id)
        obj = {
            "id": album_id,
            "name": album["name"],
            "type": "album",
            "album_type": "album",
            "uri": f"spotify:album:{album_id}",
            "href": f"{self.base_url}albums/{album_id}",
            "artists": [self.artist(a, full=False) for a in album["artist_ids"]],
            "total_tracks": len(track_ids),
            "images": [{"url": album["image"], "height": 640, "width": 640}] if album.get("image") else [],
        }
        if album.get("release_date"):
            obj["release_date"] = album["release_date"]
            obj["release_date_precision"] = {4: "year", 7: "month"}.get(len(album["release_date"]), "day")
        if full:
            obj["genres"] = []
            obj["label"] = "Fake Records"
            if not self.restricted:
                obj["popularity"] = album.get("popularity", 50)
        return obj

    def track(self, track_id: str, *, full: bool) -> dict:
        track = self.catalog.tracks[track_id]
        obj = {
            "id": track_id,
            "name": track["name"],
            "type": "track",
            "uri": f"spotify:track:{track_id}",
            "href": f"{self.base_url}tracks/{track_id}",
            "artists": [self.artist(a, full=False) for a in track["artist_ids"]],
            "duration_ms": track["duration_ms"],
            "explicit": track.get("explicit", False),
            "track_number": track.get("track_number", 1),
            "is_local": False,
        }
        if full:
            obj["album"] = self.album(track["album_id"], full=False)
            if not self.restricted:
                obj["popularity"] = track.get("popularity")
        return obj

    def features(self, track_id: str) -> dict | None:
        found = self.catalog.features.get(track_id)
        if found is None:
            return None
        return {"id": track_id, "type": "audio_features", "uri": f"spotify:track:{track_id}", **found}

    def page(self, items: list, *, url: str, offset: int, limit: int, total: int, extra: str = "") -> dict:
        """A paging object whose `next` points back at this server."""
        following = offset + limit
        return {
            "href": f"{url}?offset={offset}&limit={limit}{extra}",
            "items": items,
            "limit": limit,
            "offset": offset,
            "total": total,
            "next": f"{url}?offset={following}&limit={limit}{extra}" if following < total else None,
            "previous": f"{url}?offset={max(0, offset - limit)}&limit={limit}{extra}" if offset else None,
        }


# ---------------------------------------------------------------------------------------------------------
# The in-code fixture
# ---------------------------------------------------------------------------------------------------------

_GENRES = [["k-pop", "dance pop"], ["k-pop"], ["korean r&b"], [], ["indie rock", "korean indie"], ["k-pop", "k-rap"]]


def sid(kind_offset: int, n: int) -> str:
    return fake_spotify_id(kind_offset + n)


def small_catalog() -> FakeCatalog:
    """6 artists, 6 albums (4 of them new releases), 30 tracks, 2 playlists; one track has no audio features,
    one artist has no genres and no image, one album has no release date."""
    catalog = FakeCatalog()
    artist_ids = [sid(7_000_000, n) for n in range(6)]
    for n, artist_id in enumerate(artist_ids):
        catalog.artists[artist_id] = {
            "name": f"Fake Artist {n}",
            "genres": _GENRES[n],
            "popularity": 40 + n,
            "followers": 1000 * (n + 1),
            "image": "" if n == 3 else f"https://i.example.com/artist{n}.jpg",
        }
    for n in range(6):
        album_id = sid(8_000_000, n)
        catalog.albums[album_id] = {
            "name": f"Fake Album {n}",
            "artist_ids": [artist_ids[n]],
            "release_date": "" if n == 5 else (f"2026-03-0{n + 1}" if n < 4 else "2019-05"),
            "image": f"https://i.example.com/album{n}.jpg",
        }
    for n in range(30):
        album_n = n % 6
        track_id = sid(9_000_000, n)
        credited = [artist_ids[album_n]] + ([artist_ids[(album_n + 1) % 6]] if n % 7 == 0 else [])
        catalog.tracks[track_id] = {
            "name": f"Fake Track {n}",
            "artist_ids": credited,
            "album_id": sid(8_000_000, album_n),
            "duration_ms": 180_000 + n * 1000,
            "explicit": n % 5 == 0,
            "popularity": 30 + n,
            "track_number": n // 6 + 1,
        }
        if n != 29:
            catalog.features[track_id] = {
                "danceability": round(0.3 + n / 100, 3),
                "energy": round(0.4 + n / 120, 3),
                "valence": round(0.2 + n / 90, 3),
                "tempo": 90.0 + n,
                "key": n % 12,
                "mode": n % 2,
                "loudness": -8.0 + n / 10,
                "speechiness": 0.05,
                "acousticness": 0.3,
                "instrumentalness": 0.0,
                "liveness": 0.1,
                "time_signature": 4,
            }
    track_ids = list(catalog.tracks)
    catalog.playlists[sid(6_000_000, 0)] = {
        "name": "Fake Morning Mix",
        "description": "Songs for a <b>bright</b> morning",
        "followers": 12,
        "track_ids": track_ids[:20] + [track_ids[3]],  # a repeated track
    }
    catalog.playlists[sid(6_000_000, 1)] = {
        "name": "Fake Rainy Drive",
        "description": "",
        "followers": 3,
        "track_ids": track_ids[18:30],
    }
    catalog.new_releases = [sid(8_000_000, n) for n in (3, 2, 1, 0)]
    return catalog


# ---------------------------------------------------------------------------------------------------------
# The spotify-api-2021 crawl, for the benchmark
# ---------------------------------------------------------------------------------------------------------

_FEATURE_COLUMNS = ("danceability", "energy", "loudness", "speechiness", "acousticness", "instrumentalness",
                    "liveness", "valence", "tempo", "key", "mode", "time_signature")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def catalog_from_spotify_api_csv(directory: Path, *, playlists: int = 40, playlist_length: int = 150) -> FakeCatalog:
    """The four CSVs as a fake Spotify; playlists are slices of the tracks, new releases the newest albums."""
    catalog = FakeCatalog()
    for row in _rows(directory / "artist.csv"):
        try:
            genres = ast.literal_eval(row["artist_genre"]) if row["artist_genre"].strip() else []
        except (ValueError, SyntaxError):
            genres = []
        catalog.artists[row["artist_id"]] = {
            "name": row["artist_name"],
            "genres": genres,
            "popularity": int(float(row["artist_popularity"] or 0)),
            "followers": int(float(row["artist_followers"] or 0)),
            "image": row.get("artist_image", ""),
        }
    for row in _rows(directory / "album.csv"):
        if row["album_artist_id"] in catalog.artists:
            catalog.albums[row["album_id"]] = {
                "name": row["album_name"],
                "artist_ids": [row["album_artist_id"]],
                "release_date": row["album_release_date"],
                "image": row.get("album_image", ""),
            }
    durations: dict[str, int] = {}
    for row in _rows(directory / "audio.csv"):
        durations[row["track_id"]] = int(float(row["track_duration"] or 1))
        catalog.features[row["track_id"]] = {
            name: (int(float(row[name])) if name in ("key", "mode", "time_signature") else float(row[name]))
            for name in _FEATURE_COLUMNS
        }
    for row in _rows(directory / "track.csv"):
        if row["track_album_id"] not in catalog.albums or row["track_artist_id"] not in catalog.artists:
            continue
        catalog.tracks[row["track_id"]] = {
            "name": row["track_name"],
            "artist_ids": [row["track_artist_id"]],
            "album_id": row["track_album_id"],
            "duration_ms": durations.get(row["track_id"], 200_000),
            "explicit": row.get("track_explicit", "").lower() == "true",
            "popularity": int(float(row.get("track_popularity") or 0)),
            "track_number": int(float(row.get("track_number") or 1)),
        }
    track_ids = list(catalog.tracks)
    for n in range(playlists):
        start = (n * 997) % max(1, len(track_ids) - playlist_length)
        catalog.playlists[fake_spotify_id(6_500_000 + n)] = {
            "name": f"Bench playlist {n}",
            "description": "",
            "followers": n,
            "track_ids": track_ids[start : start + playlist_length],
        }
    catalog.new_releases = sorted(catalog.albums, key=lambda a: catalog.albums[a]["release_date"], reverse=True)
    return catalog
