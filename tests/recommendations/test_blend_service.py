"""Collaborative filtering, terms and the learned blend as the product trains and serves them (services)."""
from __future__ import annotations

import random

import pytest
from django.contrib.auth.models import User

from ingestion.models import Playlist, Track
from recommendations.models import ModelVersion, TrackReaction
from recommendations.services import training_blend
from recommendations.services.blending import recommend_blend
from recommendations.services.picks import playlist_picks_recommend
from recommendations.services.recommending import recommend_cf, recommend_situation
from recommendations.services.training import recommender_train
from tests.factories import ArtistFactory, PlaylistFactory, TrackFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("model_storage")]

THEMES = ("rainy day", "workout", "study focus", "party")
GROUP_SIZE = 12  # tracks per theme in the small catalog


@pytest.fixture
def themed():
    """Four themes of 12 tracks (one artist each); 8 playlists per theme named after it, each holding 8 of its
    theme's tracks and nothing else. Returns {theme: [tracks]}."""
    rng = random.Random(3)
    groups = {}
    for theme in THEMES:
        artist = ArtistFactory(name=f"{theme.title()} Band", genres=[theme.split()[0]])
        groups[theme] = [
            TrackFactory(name=f"{theme} {i}", artists=[artist], energy=i / GROUP_SIZE, valence=1 - i / GROUP_SIZE)
            for i in range(GROUP_SIZE)
        ]
        for n in range(8):
            PlaylistFactory(name=f"{theme} {n}", tracks=rng.sample(groups[theme], 8))
    return groups


def train(*engines: str) -> dict[str, ModelVersion]:
    return {engine: recommender_train(engine=engine) for engine in engines}


def ids(tracks) -> set[int]:
    return {track.pk for track in tracks}


def test_an_unseen_playlist_is_folded_in_and_gets_its_themes_songs(themed):
    train("cf")
    unseen = themed["workout"][:3]  # no playlist holds exactly these: the model never saw this row

    found = recommend_cf(seed_track_ids=ids(unseen), k=3)

    assert found is not None and len(found.tracks) == 3
    assert {item.track.pk for item in found.tracks} <= ids(themed["workout"][3:])
    assert all(item.signal == "cf" and item.reason for item in found.tracks)


def test_cf_knows_nothing_of_a_track_no_row_holds(themed):
    train("cf")
    loner = TrackFactory(name="Loner")  # in the catalog after training: the model never saw it

    assert recommend_cf(seed_track_ids=[loner.pk], k=5) is None


def test_listeners_likes_and_favourites_are_rows_and_their_dislikes_negatives(themed):
    fan = User.objects.create_user("fan")
    TrackReaction.objects.create(user=fan, track=themed["party"][0], kind="like")
    TrackReaction.objects.create(user=fan, track=themed["party"][1], kind="dislike")

    version = train("cf")["cf"]

    assert version.metrics["listeners"] == 1
    assert version.metrics["entries"] == 8 * 8 * len(THEMES) + 2  # every playlist entry, the like, the dislike
    TrackReaction.objects.create(user=fan, track=themed["party"][2], kind="like")
    assert recommender_train(engine="cf").version == 2  # a new like is new training data


def test_dislikes_never_come_back_from_cf_the_blend_the_situation_or_the_picks(themed):
    train("song2vec", "cf", "terms", "blend")
    listener = User.objects.create_user("listener")
    seeds = themed["rainy day"][:3]
    first = recommend_blend(title="rainy day", seed_track_ids=ids(seeds), k=5, user=listener).tracks[0].track
    TrackReaction.objects.create(user=listener, track=first, kind="dislike")

    answers = [
        recommend_cf(seed_track_ids=ids(seeds), k=40, user=listener).tracks,
        recommend_blend(title="rainy day", seed_track_ids=ids(seeds), k=40, user=listener).tracks,
        recommend_situation(text="rainy day", k=40, user=listener).tracks,
        playlist_picks_recommend(user=listener, track_ids=list(ids(seeds)), title="rainy day", k=40).answer.tracks,
    ]

    assert all(len(answer) >= 5 for answer in answers)
    assert all(first.pk not in {item.track.pk for item in answer} for answer in answers)


def test_too_few_playlists_give_the_fixed_blend_and_the_version_says_so(themed):
    version = train("song2vec", "cf", "terms", "blend")["blend"]

    assert version.metrics["ranker"] == "fixed"
    assert "fixed weights" in version.metrics["ranker_message"]
    answer = recommend_blend(title="study focus", k=5)
    assert not answer.learned and "fixed weights" in answer.blend_message
    assert len(answer.tracks) == 5 and ids(item.track for item in answer.tracks) <= ids(themed["study focus"])
    assert all(item.signal in {"cooccurrence", "song2vec", "cf", "terms", "popularity"} for item in answer.tracks)
    assert all(item.reason for item in answer.tracks)


def test_the_situation_page_answers_from_the_blend_once_trained_and_from_song2vec_before(themed):
    train("song2vec")
    before = recommend_situation(text="workout", k=5)
    train("cf", "terms", "blend")

    after = recommend_situation(text="workout", k=5)

    assert before.engine == "song2vec" and after.engine == "blend"
    assert ids(item.track for item in after.tracks) <= ids(themed["workout"])
    assert after.playlists and after.playlists[0].startswith("workout")


def test_playlist_picks_fall_back_to_clusters_without_a_blend(themed):
    train("clusters")

    picks = playlist_picks_recommend(user=User.objects.create_user("x"), track_ids=list(ids(themed["party"][:4])))

    assert picks.answer.engine == "clusters" and picks.clusters is not None and picks.answer.tracks


@pytest.fixture
def many_playlists():
    """170 playlists of 30 tracks drawn from four 40-track themes: enough for the ranker to learn from."""
    rng = random.Random(5)
    groups = []
    for theme in THEMES:
        artist = ArtistFactory(name=f"{theme.title()} Band", genres=[theme.split()[0]])
        groups.append((theme, [TrackFactory(name=f"{theme} {i}", artists=[artist]) for i in range(40)]))
    for n in range(170):
        theme, tracks = groups[n % len(groups)]
        PlaylistFactory(name=f"{theme} {n}", tracks=rng.sample(tracks, 30))


def test_the_ranker_learns_only_from_playlists_its_generators_never_saw_and_serves(many_playlists, monkeypatch):
    fitted_on: list[list[str]] = []
    real_fit = training_blend.blend_generators_fit

    def recording_fit(base, data, **options):
        fitted_on.append([name for name, _ in base])
        return real_fit(base, data, **options)

    monkeypatch.setattr(training_blend, "blend_generators_fit", recording_fit)

    version = train("song2vec", "cf", "terms", "blend")["blend"]

    assert version.metrics["ranker"] == "learned"
    ranker_pks = version.metrics["ranker_playlist_pks"]
    ranker_names = set(Playlist.objects.filter(pk__in=ranker_pks).values_list("name", flat=True))
    assert len(ranker_names) == version.metrics["ranker_playlists"] == 42  # a quarter of 170, at most
    assert len(fitted_on) == 1 and not ranker_names & set(fitted_on[0])
    assert len(fitted_on[0]) == version.metrics["base_playlists"] == 170 - 42
    assert version.metrics["requests"] > 0 and version.metrics["hits"] > 0
    seeds = list(Track.objects.filter(name__startswith="workout").order_by("pk").values_list("pk", flat=True)[:5])

    answer = recommend_blend(title="workout", seed_track_ids=seeds, k=10)

    assert answer.learned and len(answer.tracks) == 10
    assert all(item.track.name.startswith("workout") and item.track.pk not in seeds for item in answer.tracks)
    assert all(item.signal and item.reason for item in answer.tracks)
