"""Catalog snapshots: the catalog in the original project's JSON format, in storage (local or S3), and
read back by import_catalog as the same catalog."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from ingestion.importers.formats import detect_format
from ingestion.models import Album, Artist, Genre, Track
from ingestion.services.imports import import_paths
from ingestion.services.snapshots import SNAPSHOT_NAME, catalog_snapshot_write, snapshot_export
from tests.factories import AlbumFactory, ArtistFactory, TrackFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def small_catalog() -> list[Track]:
    """Three tracks: full features, a year-only album with a Korean name, and no features at all."""
    iu = ArtistFactory(name="아이유", genres=["k-pop", "k-ballad"], popularity=80, followers=9_000_000)
    kate = ArtistFactory(name="Kate Bush", genres=["art pop"])
    hounds = AlbumFactory(
        name="Hounds Of Love", artist=kate, release_date=dt.date(1985, 1, 1), release_date_precision="year",
        image_url="https://i.scdn.co/image/ab67616d0000b273",
    )  # fmt: skip
    return [
        TrackFactory(name="밤편지", artists=[iu], album=AlbumFactory(name="팔레트", artist=iu), popularity=70,
                     key=5, mode=1, loudness=-7.5, time_signature=4, instrumentalness=0.0, liveness=0.1,
                     speechiness=0.03),  # fmt: skip
        TrackFactory(name="Running Up That Hill", artists=[kate, iu], album=hounds),
        TrackFactory(name="Unmeasured", artists=[kate], album=None, features_source="missing", danceability=None,
                     energy=None, valence=None, tempo=None, acousticness=None, duration_ms=None),  # fmt: skip
    ]


def catalog_rows() -> list[tuple]:
    """The catalog as the format can hold it, independent of primary keys."""
    return sorted(
        (
            track.spotify_id, track.name, track.popularity, track.duration_ms, track.features_source,
            track.danceability, track.energy, track.valence, track.tempo, track.key, track.mode,
            track.album.name if track.album else None,
            track.album.release_date_display if track.album else None,
            track.album.image_url if track.album else None,
            track.credits.get(position=0).artist.name,
            sorted(track.credits.get(position=0).artist.genres.values_list("name", flat=True)),
        )
        for track in Track.objects.select_related("album")
    )  # fmt: skip


def test_snapshot_is_a_seed_json_file_under_snapshots(media, small_catalog):
    name = snapshot_export(reason="test")

    assert name.startswith("snapshots/") and SNAPSHOT_NAME.fullmatch(name.removeprefix("snapshots/"))
    path = media / name
    assert detect_format(path) == "seed-json"
    objects = json.loads(path.read_text(encoding="utf-8"))
    first = next(row for row in objects if row["track_name"] == "밤편지")
    assert first["artist_name"] == "아이유" and first["artist_genre"] == ["k-ballad", "k-pop"]
    assert first["uri"] == f"spotify:track:{first['id']}" and first["album_name"] == "팔레트"


def test_snapshot_imports_back_as_the_same_catalog(media, small_catalog):
    before = catalog_rows()
    path = media / snapshot_export(reason="test")
    Track.objects.all().delete(), Album.objects.all().delete(), Artist.objects.all().delete()
    Genre.objects.all().delete()

    run = import_paths(kind="catalog", paths=[str(path)])

    assert run.rejected == 0 and run.created == 3
    assert catalog_rows() == before


def test_reimporting_a_snapshot_of_seed_data_changes_nothing(media, tmp_path):
    """Data that came from the original format (albums without ids, one artist per track) round-trips exactly."""
    seed = tmp_path / "track_dataset.json"
    seed.write_text(json.dumps([
        {"artist_name": "아이유", "track_name": "밤편지", "album_name": "팔레트", "artist_genre": ["k-pop"],
         "danceability": 0.5, "energy": 0.3, "valence": 0.2, "release_date": "2017-04-21", "id": "0" * 21 + "1"},
        {"artist_name": "Kate Bush", "track_name": "Running Up That Hill", "album_name": "Hounds Of Love",
         "artist_genre": [], "release_date": "1985", "id": "0" * 21 + "2"},
    ], ensure_ascii=False), encoding="utf-8")  # fmt: skip
    import_paths(kind="catalog", paths=[str(seed)])

    run = import_paths(kind="catalog", paths=[str(media / snapshot_export(reason="test"))])

    assert (run.created, run.updated, run.unchanged, run.rejected) == (0, 0, 2, 0)
    assert run.details["albums"]["created"] == 0 and run.details["artists"]["created"] == 0


def test_snapshot_leaves_out_what_the_format_cannot_hold(media, small_catalog):
    TrackFactory(name="no id", spotify_id=None)
    TrackFactory(name="no artist", artists=[], album=None)
    TrackFactory(name="guessed", features_source="estimated", energy=0.9)

    snapshot = catalog_snapshot_write(reason="test")

    objects = {row["track_name"]: row for row in json.loads((media / snapshot.name).read_text(encoding="utf-8"))}
    assert (snapshot.tracks, snapshot.skipped) == (4, 2)
    assert "no id" not in objects and "no artist" not in objects
    assert "energy" not in objects["guessed"]  # an estimate re-imported would pass for a measurement


def test_empty_catalog_makes_an_empty_array(media):
    snapshot = catalog_snapshot_write(reason="test")

    assert json.loads((media / snapshot.name).read_text()) == [] and snapshot.tracks == 0


def test_only_the_newest_snapshots_are_kept(media, settings, small_catalog):
    settings.SNAPSHOTS_KEPT = 2
    for old in ("catalog-20240101-000000.json", "catalog-20250101-000000.json"):
        default_storage.save(f"snapshots/{old}", ContentFile(b"[]"))
    default_storage.save("snapshots/notes.txt", ContentFile(b"kept: not a snapshot"))

    name = snapshot_export(reason="test")

    assert sorted(default_storage.listdir("snapshots")[1]) == sorted(
        ["catalog-20250101-000000.json", name.removeprefix("snapshots/"), "notes.txt"]
    )


def test_two_snapshots_in_the_same_second_do_not_overwrite_each_other(media, small_catalog, monkeypatch):
    fixed = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.UTC)
    monkeypatch.setattr("ingestion.services.snapshots.timezone.now", lambda: fixed)

    first, second = snapshot_export(reason="a"), snapshot_export(reason="b")

    assert first == "snapshots/catalog-20261123-060000.json" and second != first
    assert json.loads((media / first).read_text()) == json.loads((media / second).read_text())
    assert not [path for path in (media / "snapshots").iterdir() if path.name.endswith(".partial")]


def test_export_snapshot_command_prints_a_summary(media, small_catalog, capsys):
    call_command("export_snapshot", "--json")

    summary = json.loads(capsys.readouterr().out)
    assert summary["tracks"] == 3 and (media / summary["name"]).is_file()


# --- S3, through django-storages, against moto's S3 server on 127.0.0.1 ---


@pytest.fixture
def s3_bucket(settings, monkeypatch):
    """Default storage is S3 (django-storages) on a local moto server with an empty bucket."""
    server_module = pytest.importorskip("moto.server", reason="moto[server] is not installed")
    import boto3

    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask a metadata service for credentials
    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}
    boto3.client("s3", endpoint_url=endpoint, **credentials).create_bucket(Bucket="todaysong-snapshots")
    settings.AWS_STORAGE_BUCKET_NAME = "todaysong-snapshots"
    settings.AWS_S3_ENDPOINT_URL = endpoint
    settings.AWS_S3_REGION_NAME = "us-east-1"
    settings.AWS_ACCESS_KEY_ID, settings.AWS_SECRET_ACCESS_KEY = "testing", "testing"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage"}}
    yield boto3.client("s3", endpoint_url=endpoint, **credentials)
    server.stop()


def test_snapshot_is_uploaded_to_the_s3_bucket(s3_bucket, small_catalog, settings):
    settings.SNAPSHOTS_KEPT = 1
    snapshot_export(reason="crawl 1")
    Track.objects.filter(name="Unmeasured").delete()

    name = snapshot_export(reason="crawl 2")

    keys = [item["Key"] for item in s3_bucket.list_objects_v2(Bucket="todaysong-snapshots")["Contents"]]
    assert keys == [name]  # the older one was pruned
    body = s3_bucket.get_object(Bucket="todaysong-snapshots", Key=name)["Body"].read()
    assert sorted(row["track_name"] for row in json.loads(body)) == ["Running Up That Hill", "밤편지"]
