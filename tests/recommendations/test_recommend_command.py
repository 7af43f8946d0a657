"""manage.py recommend: quick checks of the active models from a terminal, as a table or JSON."""
from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from ingestion.models import Playlist, Track
from recommendations.artifacts import ENGINES, EngineSpec
from recommendations.models import ModelVersion
from recommendations.services.training import recommender_train
from tests.factories import PlaylistFactory, TrackFactory
from tests.recommendations.test_services import build_small_catalog

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("model_storage")]

MISSING_SONG2VEC = EngineSpec("song2vec", "recommendations.engines.not_there", "Song2VecEngine", uses_playlists=True)


@pytest.fixture
def catalog() -> dict[str, Track]:
    tracks = build_small_catalog()
    recommender_train(engine="content")
    recommender_train(engine="clusters")
    return tracks


def recommend(*args: str) -> str:
    out = StringIO()
    call_command("recommend", *args, stdout=out)
    return out.getvalue()


def test_content_table_shows_rank_title_artists_date_and_reason(catalog):
    output = recommend("content", "--favourite", catalog["hype_boy"].spotify_id, "-k", "3")

    lines = output.splitlines()
    assert lines[0] == f"content v1 · favourites: #{catalog['hype_boy'].pk} Hype Boy by NewJeans"
    assert lines[1].split() == ["#", "title", "—", "artists", "released", "reason"]
    assert lines[2].split()[:4] == ["1", "Ditto", "—", "NewJeans"]
    assert "2023-07-21" in lines[2] and "same genres as “Hype Boy” by NewJeans" in lines[2]
    assert len(lines) == 5 and "Hidden Twin" not in output


def test_content_json_for_scripts(catalog):
    output = recommend("content", "--favourite", str(catalog["hype_boy"].pk), "--mood", "bright", "--json", "-k", "2")

    data = json.loads(output)
    assert (data["engine"], data["version"]) == ("content", 1)
    assert data["request"] == {"favourites": [f"#{catalog['hype_boy'].pk} Hype Boy by NewJeans"], "mood": "bright"}
    first = data["recommendations"][0]
    assert first["rank"] == 1 and first["title"] == "Ditto" and first["artists"] == ["NewJeans"]
    assert first["spotify_id"] == catalog["ditto"].spotify_id and first["release_date"] == "2023-07-21"
    assert isinstance(first["score"], float) and first["reason"]


def test_favourite_by_exact_title_ignoring_case(catalog):
    output = recommend("content", "--favourite", "hype boy", "-k", "1")

    assert "favourites: #" in output and "Ditto" in output


def test_same_seed_same_list(catalog):
    assert recommend("content", "--seed", "7", "--json") == recommend("content", "--seed", "7", "--json")


def test_ambiguous_title_lists_the_candidates(catalog):
    TrackFactory(name="Hype Boy")

    with pytest.raises(CommandError, match=r"2 tracks are titled 'Hype Boy': #\d+ Hype Boy by NewJeans, #\d+ Hype Boy"):
        recommend("content", "--favourite", "Hype Boy")


def test_unknown_track_is_a_clear_error(catalog):
    with pytest.raises(CommandError, match="No track with Spotify id 0000000000000000000000"):
        recommend("content", "--favourite", "0000000000000000000000")


def test_clusters_for_a_playlist_leave_out_its_tracks(catalog):
    playlist = PlaylistFactory(name="Loud", tracks=[catalog["rock_1"], catalog["rock_2"]])

    output = recommend("clusters", "--playlist", str(playlist.pk), "-k", "5")

    assert f"playlist: #{playlist.pk} Loud (mpd {playlist.external_id}); playlist_tracks: 2" in output
    assert "playlist by cluster:" in output and "100%" in output
    assert "Riff" not in output and "Amp" not in output and "  1  " in output


def test_clusters_for_a_playlist_named_by_source_and_external_id(catalog):
    PlaylistFactory(source=Playlist.Source.SPOTIFY, external_id="37i9dQZF1DXcBWIGoYBM5M", tracks=[catalog["jazz_1"]])

    data = json.loads(recommend("clusters", "--playlist", "spotify:37i9dQZF1DXcBWIGoYBM5M", "--json"))

    assert data["request"]["playlist_tracks"] == 1 and sum(data["shares"]) == pytest.approx(1.0)
    assert "Blue" not in [item["title"] for item in data["recommendations"]]


def test_clusters_for_a_list_of_tracks(catalog):
    data = json.loads(recommend("clusters", "--tracks", str(catalog["jazz_1"].pk), "Smoke", "--json"))

    titles = [item["title"] for item in data["recommendations"]]
    assert titles and "Blue" not in titles and "Smoke" not in titles


def test_unknown_playlist_is_a_clear_error(catalog):
    with pytest.raises(CommandError, match="No playlist 'mpd:999'"):
        recommend("clusters", "--playlist", "mpd:999")


def test_untrained_engine_says_what_to_run(catalog):
    ModelVersion.objects.filter(engine="clusters").update(is_active=False)

    with pytest.raises(CommandError, match="run `manage.py train_recommenders --engine clusters`"):
        recommend("clusters", "--tracks", str(catalog["jazz_1"].pk))


def test_k_must_be_positive(catalog):
    with pytest.raises(CommandError, match="-k must be at least 1"):
        recommend("content", "-k", "0")


def test_situation_lists_songs_from_matching_playlists(catalog):
    PlaylistFactory(name="rainy day", tracks=[catalog["jazz_1"], catalog["jazz_2"]])
    PlaylistFactory(name="gym", tracks=[catalog["rock_1"], catalog["rock_2"]])
    recommender_train(engine="song2vec")

    output = recommend("situation", "비", "오는", "날", "-k", "2")

    lines = output.splitlines()
    assert lines[0] == "song2vec v1 · text: 비 오는 날" and lines[1] == "understood: rain"
    assert {lines[3].split()[1], lines[4].split()[1]} == {"Blue", "Smoke"} and "“rainy day”" in lines[3]


def test_situation_json_says_when_nothing_matched(catalog):
    PlaylistFactory(name="gym", tracks=[catalog["rock_1"], catalog["rock_2"]])
    recommender_train(engine="song2vec")

    data = json.loads(recommend("situation", "zzzz", "--json", "-k", "1"))

    assert data["fallback"] is True and "No playlist name matches" in data["message"]
    assert data["playlists"] == [] and len(data["recommendations"]) == 1


def test_situation_without_song2vec_installed_says_so(catalog, monkeypatch):
    monkeypatch.setitem(ENGINES, "song2vec", MISSING_SONG2VEC)

    with pytest.raises(CommandError, match="engine 'song2vec' is not installed; available: content, clusters"):
        recommend("situation", "rainy", "drive")
