"""Lists a person would keep: the rules every assembled list follows, whatever engines filled it.

- New releases first (released within NEW_RELEASE_DAYS, not after the list's day).
- Nothing the listener already has comes back as new: not a favourite or liked track, nor the same song under
  another id (same title and main artist: a single and its album version).
- At most MAX_PER_ARTIST songs by any one artist.
- Reasons that differ and say something specific: a song from the liked-songs clusters names the liked song it
  sounds most like; a new release says when it came out; when two reasons would still read alike, the second
  names the favourite or liked song closest to it in sound instead, with the features that are closest.

Reads only (the tracks are loaded by the caller); `today` stores what this returns.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ingestion.models import Track
from recommendations.engines import Reason, ReasonKind

NEW_RELEASE_DAYS = 90  # released this recently (and not after the day itself) counts as new
MAX_PER_ARTIST = 2
FEW_NEW_RELEASES = 5  # below this many new songs on a list, the page says why
# Features compared to find the taste track a song sounds most like; tempo scaled to about 0-1.
SOUND_FEATURES: dict[str, float] = {
    "danceability": 1.0, "energy": 1.0, "valence": 1.0, "acousticness": 1.0, "tempo": 1 / 150,
}  # fmt: skip
# Reason parts that only say something about a favourite's sound (replaced when a closer taste track is named).
SOUND_PARTS = (ReasonKind.SIMILAR_FEATURES, ReasonKind.SOUNDS_LIKE, ReasonKind.RESEMBLES_LIKED)


@dataclass(frozen=True)
class Taste:
    """What the listener already has: favourites and liked songs (tracks with credits loaded)."""

    favourites: Sequence[Track]
    liked: Sequence[Track]

    @property
    def track_ids(self) -> set[int]:
        return {track.pk for track in (*self.favourites, *self.liked)}

    @property
    def song_keys(self) -> set[tuple[str, int | None]]:
        return {song_key(track) for track in (*self.favourites, *self.liked)}


def is_new_release(track: Track, day: dt.date) -> bool:
    released = track.album.release_date if track.album else None
    return released is not None and day - dt.timedelta(days=NEW_RELEASE_DAYS) <= released <= day


def song_key(track: Track) -> tuple[str, int | None]:
    """Title (case and spacing ignored) and main artist: the same song under two catalog ids shares it."""
    credits = list(track.credits.all())
    return " ".join(track.name.casefold().split()), credits[0].artist_id if credits else None


def artist_ids(track: Track) -> list[int]:
    return [credit.artist_id for credit in track.credits.all()]


def keepable(picks: Iterable[tuple[str, object]], *, taste: Taste, size: int) -> list:
    """(engine, RecommendedTrack) picks in order, without what the listener has, without a song twice and with
    at most MAX_PER_ARTIST per artist; the first `size` that pass."""
    have_ids, have_keys = taste.track_ids, taste.song_keys
    seen_ids: set[int] = set()
    seen_keys: set[tuple[str, int | None]] = set()
    per_artist: Counter[int] = Counter()
    kept = []
    for engine, item in picks:
        track = item.track
        key = song_key(track)
        artists = artist_ids(track)
        if track.pk in have_ids or track.pk in seen_ids or key in have_keys or key in seen_keys:
            continue
        if any(per_artist[artist] >= MAX_PER_ARTIST for artist in artists):
            continue
        seen_ids.add(track.pk)
        seen_keys.add(key)
        per_artist.update(set(artists))
        kept.append((engine, item))
        if len(kept) == size:
            break
    return kept


def new_releases_first(picks: Sequence[tuple[str, object]], *, day: dt.date) -> list:
    """Stable: the new releases in their order, then the rest in theirs."""
    return sorted(picks, key=lambda pick: not is_new_release(pick[1].track, day))


def with_specific_reasons(picks: Sequence[tuple[str, object]], *, taste: Taste, day: dt.date) -> list:
    """The picks with reasons that say something of their own (see the module docstring)."""
    said: Counter[str] = Counter()
    result = []
    for engine, item in picks:
        parts = tuple(item.reason)
        if engine == "clusters" and (closest := _closest(item.track, taste.liked)):
            parts = (Reason(ReasonKind.RESEMBLES_LIKED, {"favourite": track_label(closest[0])}), *parts)
        if engine != "clusters" and is_new_release(item.track, day) and item.track.album:
            parts = (*parts, Reason(ReasonKind.RELEASED, {"date": item.track.album.release_date.isoformat()}))
        pool = taste.liked if engine == "clusters" else [*taste.favourites, *taste.liked]
        if said[_signature(parts)] and (closest := _closest(item.track, pool)):
            parts = _naming_closest(parts, closest, liked=closest[0] in taste.liked)
        said[_signature(parts)] += 1
        result.append((engine, dataclasses.replace(item, reason=parts)))
    return result


def track_label(track: Track) -> dict[str, str]:
    """How a reason names a track, as the engines do: {"title", "artist"} (main artist, "" if none)."""
    credits = list(track.credits.all())
    return {"title": track.name, "artist": credits[0].artist.name if credits else ""}


def _signature(parts: Sequence[Reason]) -> str:
    return json.dumps([part.to_json() for part in parts], sort_keys=True, ensure_ascii=False)


def _closest(track: Track, candidates: Sequence[Track]) -> tuple[Track, list[str]] | None:
    """The candidate nearest in sound (over the features both have), with the two features that are closest."""
    best: tuple[float, Track, list[str]] | None = None
    for other in candidates:
        gaps = {
            name: abs(getattr(track, name) - getattr(other, name)) * scale
            for name, scale in SOUND_FEATURES.items()
            if getattr(track, name) is not None and getattr(other, name) is not None
        }
        if len(gaps) < 2 or other.pk == track.pk:
            continue
        distance = sum(gap * gap for gap in gaps.values()) / len(gaps)
        if best is None or distance < best[0]:
            best = (distance, other, sorted(gaps, key=lambda name: (gaps[name], name))[:2])
    return (best[1], best[2]) if best else None


def _naming_closest(parts: Sequence[Reason], closest: tuple[Track, list[str]], *, liked: bool) -> tuple:
    """Parts where the favourite's sound is said by the taste track closest in sound instead."""
    track, features = closest
    if liked:
        specific = Reason(ReasonKind.RESEMBLES_LIKED, {"favourite": track_label(track), "features": features})
    else:
        specific = Reason(ReasonKind.SOUNDS_LIKE, {"favourite": track_label(track), "features": features})
    kept = [part for part in parts if part.kind not in SOUND_PARTS]
    return (specific, *kept)
