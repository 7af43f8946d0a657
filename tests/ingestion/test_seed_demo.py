"""manage.py seed_demo: writes the demo catalog once, marks it as demo, leaves everything else alone."""
import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from ingestion.demo import demo_catalog_generate
from ingestion.models import Album, Artist, Genre, Playlist, PlaylistTrack, Track, TrackArtist
from tests.factories import ArtistFactory, GenreFactory, PlaylistFactory, TrackFactory

pytestmark = pytest.mark.django_db
TODAY = "2026-11-01"


def seed(*args: str) -> dict:
    out = io.StringIO()
    call_command(
        "seed_demo", "--scale=0.1", f"--today={TODAY}", "--json", "--no-previews", *args,
        stdout=out, stderr=io.StringIO(),
    )
    return json.loads(out.getvalue())


def demo_state() -> dict:
    """Every demo row with what a re-run must not change."""
    return {
        "artists": list(Artist.objects.filter(is_demo=True).order_by("pk").values_list("pk", "name", "updated_at")),
        "albums": list(Album.objects.filter(is_demo=True).order_by("pk").values_list("pk", "updated_at")),
        "tracks": list(Track.objects.filter(is_demo=True).order_by("pk").values_list("pk", "name", "updated_at")),
        "playlists": list(
            Playlist.objects.filter(source="demo").order_by("pk").values_list("pk", "external_id", "updated_at")
        ),
        "entries": list(PlaylistTrack.objects.filter(playlist__source="demo").order_by("pk").values_list("pk")),
    }


def test_seed_creates_the_counts_it_reports():
    summary = seed()
    assert summary["status"] == "created"
    assert summary["release_dates_relative_to"] == TODAY
    assert (summary["tracks"], summary["artists"], summary["genres"], summary["playlists"]) == (300, 30, 25, 100)
    assert Track.objects.count() == summary["tracks"]
    assert Artist.objects.count() == summary["artists"]
    assert Album.objects.count() == summary["albums"]
    assert Genre.objects.count() == summary["genres"]
    assert Playlist.objects.count() == summary["playlists"]
    assert PlaylistTrack.objects.count() == summary["entries"]


def test_text_summary_names_the_counts():
    out = io.StringIO()
    call_command("seed_demo", "--scale=0.1", "--no-previews", stdout=out, stderr=io.StringIO())
    assert out.getvalue().startswith("Demo catalog: 300 tracks, 30 artists, 25 genres, 100 playlists (")


def test_everything_demo_is_flagged_and_has_no_spotify_id():
    seed()
    for model in (Artist, Album, Track):
        assert not model.objects.filter(is_demo=False).exists()
        assert not model.objects.filter(spotify_id__isnull=False).exists()
    assert set(Playlist.objects.values_list("source", flat=True)) == {"demo"}
    assert all("Demo data" in d for d in Playlist.objects.values_list("description", flat=True))
    assert all(t.spotify_uri == "" for t in Track.objects.all())


def test_seeded_rows_match_the_generated_catalog():
    seed()
    catalog = demo_catalog_generate(scale=0.1, today=dt.date.fromisoformat(TODAY))
    assert sorted(Track.objects.values_list("name", flat=True)) == sorted(t.name for t in catalog.tracks)
    missing = sum(t.features is None for t in catalog.tracks)
    assert Track.objects.filter(features_source=Track.FeatureSource.MISSING, energy__isnull=True).count() == missing
    assert TrackArtist.objects.count() == sum(len(t.artists) for t in catalog.tracks)
    playlist = Playlist.objects.get(external_id="demo-0001")
    positions = list(playlist.entries.order_by("position").values_list("position", flat=True))
    assert positions == list(range(len(catalog.playlists[0].tracks)))
    assert max(Album.objects.values_list("release_date", flat=True)) <= dt.date.fromisoformat(TODAY)


def test_running_twice_changes_nothing():
    seed()
    before = demo_state()
    summary = seed()
    assert summary["status"] == "present"
    assert demo_state() == before


def test_text_output_says_it_is_already_present():
    seed()
    out = io.StringIO()
    call_command("seed_demo", "--scale=0.1", "--no-previews", stdout=out, stderr=io.StringIO())
    assert "Demo catalog already present" in out.getvalue()


def test_reset_rebuilds_the_demo_rows():
    seed()
    before = demo_state()
    summary = seed("--reset")
    after = demo_state()
    assert summary["status"] == "created"
    assert summary["deleted"]["ingestion.Track"] == 300
    assert [name for _, name, _ in after["tracks"]] == [name for _, name, _ in before["tracks"]]
    assert not {pk for pk, _, _ in after["tracks"]} & {pk for pk, _, _ in before["tracks"]}
    assert Track.objects.count() == 300


def test_another_scale_without_reset_is_refused_and_changes_nothing():
    seed()
    before = demo_state()
    with pytest.raises(CommandError, match="--reset"):
        call_command("seed_demo", "--scale=0.2", stdout=io.StringIO(), stderr=io.StringIO())
    assert demo_state() == before


def test_non_demo_rows_are_untouched_by_seed_and_reset():
    real_track = TrackFactory(artists=[ArtistFactory(genres=["k-pop"])])
    playlist = PlaylistFactory(tracks=[real_track])
    snapshot = [(m.pk, m.updated_at) for m in (real_track, real_track.album, real_track.album.artist, playlist)]
    seed()
    seed("--reset")
    reloaded = [Track.objects.get(pk=real_track.pk), Album.objects.get(pk=real_track.album.pk)]
    reloaded += [Artist.objects.get(pk=real_track.album.artist.pk), Playlist.objects.get(pk=playlist.pk)]
    assert [(m.pk, m.updated_at) for m in reloaded] == snapshot
    assert list(playlist.entries.values_list("track_id", flat=True)) == [real_track.pk]
    assert not Track.objects.get(pk=real_track.pk).is_demo


def test_existing_genres_are_reused_by_name():
    kpop = GenreFactory(name="k-pop")
    seed()
    assert Genre.objects.get(name="k-pop").pk == kpop.pk
    assert Genre.objects.count() == 25
    assert Artist.objects.filter(is_demo=True, genres=kpop).exists()


def test_a_real_artist_keeps_its_name_when_a_demo_artist_would_share_it():
    catalog = demo_catalog_generate(scale=0.1, today=dt.date.fromisoformat(TODAY))
    name = catalog.artists[0].name
    real = ArtistFactory(spotify_id=None, name=name)
    seed()
    assert Artist.objects.get(pk=real.pk).is_demo is False
    assert Artist.objects.filter(is_demo=True, name=f"{name} (demo)").exists()
    assert seed()["status"] == "present"


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("--scale=0", "--scale.*above 0"), ("--scale=big", "--scale.*number"), ("--today=soon", "--today"),
        ("--workers=0", "--workers.*1 or more"),
    ],
)
def test_bad_options_are_clear_errors(arg, message):
    with pytest.raises(CommandError, match=message):
        call_command("seed_demo", arg, stdout=io.StringIO(), stderr=io.StringIO())
    assert not Track.objects.exists()
