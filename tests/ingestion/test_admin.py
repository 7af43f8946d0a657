"""The curation admin as a curator uses it: find tracks, filter, hide, fix features, read playlists, import files."""
import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ingestion.admin.common import INLINE_MAX_ROWS
from ingestion.models import ImportRejection, ImportRun, Track
from tests.factories import (
    AlbumFactory,
    ArtistFactory,
    GenreFactory,
    PlaylistFactory,
    TrackFactory,
    fake_spotify_id,
)

pytestmark = pytest.mark.django_db

TRACKS_URL = reverse("admin:ingestion_track_changelist")
UPLOAD_URL = reverse("admin:ingestion_importrun_upload")


def listed_names(response) -> list[str]:
    return [track.name for track in response.context["cl"].result_list]


def track_form_data(track: Track, **changes) -> dict:
    """What the track's change form posts when the curator changes only `changes`."""
    data = {
        "name": track.name, "spotify_id": track.spotify_id or "", "album": track.album_id or "",
        "duration_ms": track.duration_ms or "", "popularity": track.popularity or "",
        "explicit": {None: "unknown", True: "true", False: "false"}[track.explicit],
        "features_source": track.features_source,
        **{field: "" if getattr(track, field) is None else getattr(track, field) for field in (
            "danceability", "energy", "valence", "acousticness", "instrumentalness", "speechiness", "liveness",
            "tempo", "loudness", "key", "mode", "time_signature",
        )},
    }
    if track.is_hidden:
        data["is_hidden"] = "on"
    credits = list(track.credits.order_by("position"))
    data.update({
        "credits-TOTAL_FORMS": len(credits), "credits-INITIAL_FORMS": len(credits),
        "credits-MIN_NUM_FORMS": 0, "credits-MAX_NUM_FORMS": 1000,
    })
    for i, credit in enumerate(credits):
        data.update({
            f"credits-{i}-id": credit.pk, f"credits-{i}-track": track.pk,
            f"credits-{i}-position": credit.position, f"credits-{i}-artist": credit.artist_id,
        })
    data.update(changes)
    return data


def change_url(track: Track) -> str:
    return reverse("admin:ingestion_track_change", args=[track.pk])


# --- finding tracks ---


def test_search_by_artist_name_finds_the_track(admin_client):
    TrackFactory(name="Hype Boy", artists=[ArtistFactory(name="NewJeans")])
    TrackFactory(name="Dynamite", artists=[ArtistFactory(name="BTS")])

    response = admin_client.get(TRACKS_URL, {"q": "newjeans"})

    assert listed_names(response) == ["Hype Boy"]


def test_search_by_album_name_finds_the_track(admin_client):
    TrackFactory(name="Ditto", album=AlbumFactory(name="OMG"))
    TrackFactory(name="Other")

    assert listed_names(admin_client.get(TRACKS_URL, {"q": "omg"})) == ["Ditto"]


def test_genre_filter_lists_each_matching_track_once(admin_client):
    kpop_a = ArtistFactory(genres=["k-pop"])
    kpop_b = ArtistFactory(genres=["k-pop", "dance pop"])
    TrackFactory(name="Duet", artists=[kpop_a, kpop_b])  # both artists carry the genre
    TrackFactory(name="Solo", artists=[kpop_b])
    TrackFactory(name="Jazz", artists=[ArtistFactory(genres=["jazz"])])

    response = admin_client.get(TRACKS_URL, {"genre": "k-pop"})

    assert sorted(listed_names(response)) == ["Duet", "Solo"]
    assert b">jazz</a>" in response.content  # the filter lists the genres that exist


def test_release_year_filter_lists_years_newest_first_and_filters(admin_client):
    TrackFactory(name="Old", album=AlbumFactory(release_date=dt.date(1985, 1, 1), release_date_precision="year"))
    TrackFactory(name="New", album=AlbumFactory(release_date=dt.date(2024, 3, 1)))

    response = admin_client.get(TRACKS_URL, {"year": "1985"})

    assert listed_names(response) == ["Old"]
    content = response.content.decode()
    assert content.index("?year=2024") < content.index("?year=1985")


def test_changelist_shows_artists_in_credit_order_release_date_and_demo_marker(admin_client):
    main, featured = ArtistFactory(name="Zico"), ArtistFactory(name="Crush")
    album = AlbumFactory(release_date=dt.date(2023, 7, 1), release_date_precision="month")
    TrackFactory(name="Demo song", artists=[main, featured], album=album, is_demo=True)

    content = admin_client.get(TRACKS_URL).content.decode()

    assert "Zico, Crush" in content
    assert "2023-07" in content
    assert "DEMO" in content


def test_track_changelist_query_count_does_not_grow_with_rows(admin_client, django_assert_max_num_queries):
    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(TRACKS_URL).status_code == 200
        return len(captured)

    genre = GenreFactory(name="k-pop")
    TrackFactory(artists=[ArtistFactory(genres=[genre]), ArtistFactory()])
    admin_client.get(TRACKS_URL)  # warm caches (content types, session)
    with django_assert_max_num_queries(12):
        with_one = queries_for_page()
    for _ in range(29):
        TrackFactory(artists=[ArtistFactory(genres=[genre]), ArtistFactory()])

    assert queries_for_page() == with_one


# --- hiding and editing ---


def test_bulk_hide_hides_the_selected_tracks_and_says_how_many(admin_client):
    chosen = [TrackFactory(), TrackFactory()]
    untouched = TrackFactory()

    response = admin_client.post(
        TRACKS_URL,
        {"action": "hide_from_recommendations", "_selected_action": [t.pk for t in chosen]},
        follow=True,
    )

    assert Track.objects.filter(is_hidden=True).count() == 2
    assert not Track.objects.get(pk=untouched.pk).is_hidden
    assert "2 tracks hidden from recommendations." in response.content.decode()


def test_bulk_show_brings_hidden_tracks_back(admin_client):
    hidden = TrackFactory(is_hidden=True)

    response = admin_client.post(
        TRACKS_URL, {"action": "show_in_recommendations", "_selected_action": [hidden.pk]}, follow=True
    )

    assert not Track.objects.get(pk=hidden.pk).is_hidden
    assert "1 track shown in recommendations." in response.content.decode()


def test_feature_out_of_range_shows_the_range_and_changes_nothing(admin_client):
    track = TrackFactory(valence=0.5)

    response = admin_client.post(change_url(track), track_form_data(track, valence=1.5))

    assert response.status_code == 200
    assert "valence must be between 0 and 1." in response.content.decode()
    assert Track.objects.get(pk=track.pk).valence == 0.5


def test_clearing_core_features_of_an_imported_track_is_an_error_not_a_crash(admin_client):
    track = TrackFactory(features_source=Track.FeatureSource.IMPORTED)

    response = admin_client.post(change_url(track), track_form_data(track, danceability="", energy="", valence=""))

    assert response.status_code == 200
    assert "need danceability, energy and valence" in response.content.decode()
    assert Track.objects.get(pk=track.pk).danceability == 0.5


def test_features_with_source_missing_is_an_error(admin_client):
    track = TrackFactory()

    response = admin_client.post(change_url(track), track_form_data(track, features_source="missing"))

    assert "cannot be “missing”" in response.content.decode()
    assert Track.objects.get(pk=track.pk).features_source == Track.FeatureSource.IMPORTED


def test_a_curators_change_is_saved_and_moves_updated_at(admin_client):
    long_ago = timezone.now() - dt.timedelta(days=30)
    track = TrackFactory(first_seen=long_ago, updated_at=long_ago)

    response = admin_client.post(change_url(track), track_form_data(track, valence=0.9, is_hidden="on"))

    assert response.status_code == 302
    track.refresh_from_db()
    assert (track.valence, track.is_hidden) == (0.9, True)
    assert track.updated_at > long_ago
    assert track.first_seen == long_ago


def test_saving_without_a_change_keeps_updated_at(admin_client):
    long_ago = timezone.now() - dt.timedelta(days=30)
    track = TrackFactory(first_seen=long_ago, updated_at=long_ago)

    admin_client.post(change_url(track), track_form_data(track))

    track.refresh_from_db()
    assert track.updated_at == long_ago


# --- the rest of the catalog ---


def test_playlist_change_page_lists_its_tracks_in_position_order(admin_client):
    first, second, third = TrackFactory(name="Zulu"), TrackFactory(name="Alpha"), TrackFactory(name="Mike")
    playlist = PlaylistFactory(tracks=[first, second, third, first])

    response = admin_client.get(reverse("admin:ingestion_playlist_change", args=[playlist.pk]))

    content = response.content.decode()
    positions = [content.index(f">{name}</a>") for name in ("Zulu", "Alpha", "Mike")]
    assert positions == sorted(positions)
    assert content.count(">Zulu</a>") == 2
    assert "<select" not in content.split('id="entries-group"')[1]  # no <select> of the whole catalog


def test_renaming_a_playlist_keeps_its_tracks_and_moves_updated_at(admin_client):
    long_ago = timezone.now() - dt.timedelta(days=3)
    playlist = PlaylistFactory(tracks=[TrackFactory(), TrackFactory()], first_seen=long_ago, updated_at=long_ago)
    entries = list(playlist.entries.order_by("position"))
    data = {
        "name": "Renamed", "source": playlist.source, "external_id": playlist.external_id, "description": "",
        "followers": "", "entries-TOTAL_FORMS": 2, "entries-INITIAL_FORMS": 2,
        "entries-MIN_NUM_FORMS": 0, "entries-MAX_NUM_FORMS": 1000,
        **{f"entries-{i}-id": entry.pk for i, entry in enumerate(entries)},
    }

    response = admin_client.post(reverse("admin:ingestion_playlist_change", args=[playlist.pk]), data)

    assert response.status_code == 302
    playlist.refresh_from_db()
    assert playlist.name == "Renamed"
    assert playlist.updated_at > long_ago
    assert list(playlist.entries.order_by("position")) == entries


def test_adding_a_track_by_hand_sets_its_timestamps(admin_client):
    response = admin_client.post(reverse("admin:ingestion_track_add"), {
        "name": "Hand made", "explicit": "unknown", "features_source": "missing",
        "credits-TOTAL_FORMS": 1, "credits-INITIAL_FORMS": 0, "credits-MIN_NUM_FORMS": 0,
        "credits-MAX_NUM_FORMS": 1000, "credits-0-position": 0, "credits-0-artist": ArtistFactory().pk,
    })

    assert response.status_code == 302
    track = Track.objects.get(name="Hand made")
    assert track.first_seen == track.updated_at
    assert track.artists.count() == 1


def test_playlist_list_shows_entry_counts(admin_client):
    PlaylistFactory(name="Road trip", tracks=[TrackFactory(), TrackFactory(), TrackFactory()])
    PlaylistFactory(name="Empty")

    response = admin_client.get(reverse("admin:ingestion_playlist_changelist"))

    counts = {playlist.name: playlist.entry_count for playlist in response.context["cl"].result_list}
    assert counts == {"Road trip": 3, "Empty": 0}


def test_genre_list_counts_artists(admin_client):
    ArtistFactory(genres=["k-pop"])
    ArtistFactory(genres=["k-pop", "jazz"])

    response = admin_client.get(reverse("admin:ingestion_genre_changelist"))

    counts = {genre.name: genre.artist_count for genre in response.context["cl"].result_list}
    assert counts == {"jazz": 1, "k-pop": 2}


@pytest.mark.parametrize("model", ["artist", "album", "genre", "playlist", "importrun"])
def test_other_admin_lists_open(admin_client, model):
    TrackFactory(artists=[ArtistFactory(genres=["k-pop"])])
    assert admin_client.get(reverse(f"admin:ingestion_{model}_changelist"), {"q": "a"}).status_code == 200


# --- imports ---


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def seed_row(n: int, **overrides) -> dict:
    row = {
        "artist_name": f"Artist {n}", "track_name": f"Song {n}", "album_name": f"Album {n}",
        "artist_genre": ["k-pop"], "artist_popularity": 80, "track_popularity": 70, "artist_followers": 1000,
        "danceability": 0.5, "energy": 0.6, "key": 5, "loudness": -5.1, "speechiness": 0.05, "acousticness": 0.1,
        "instrumentalness": 0.0, "liveness": 0.1, "valence": 0.7, "tempo": 120.0, "duration_ms": 200000,
        "time_signature": 4, "uri": f"spotify:track:{fake_spotify_id(n)}", "release_date": "2022-05-20",
        "album_image": "https://i.scdn.co/image/x", "id": fake_spotify_id(n),
    }
    return {**row, **overrides}


def seed_json_upload(rows: list[dict], name: str = "tracks.json") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, json.dumps(rows, indent=1).encode(), content_type="application/json")


def test_import_list_offers_upload_but_no_add_form(admin_client):
    content = admin_client.get(reverse("admin:ingestion_importrun_changelist")).content.decode()

    assert UPLOAD_URL in content
    assert admin_client.get(reverse("admin:ingestion_importrun_add")).status_code == 403


def test_uploading_a_seed_json_file_imports_its_tracks(admin_client, admin_user, django_capture_on_commit_callbacks):
    upload = seed_json_upload([seed_row(1), seed_row(2)])

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(UPLOAD_URL, {"file": upload, "kind": "catalog", "format": ""})

    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:ingestion_importrun_change", args=[run.pk])
    assert run.status == ImportRun.Status.SUCCEEDED
    assert (run.created, run.rejected, run.requested_by) == (2, 0, admin_user)
    assert set(Track.objects.values_list("name", flat=True)) == {"Song 1", "Song 2"}
    page = admin_client.get(response.url).content.decode()
    assert "tracks.json" in page


def test_a_rejected_row_is_shown_on_the_run_page_as_file_line_reason(admin_client, django_capture_on_commit_callbacks):
    upload = seed_json_upload([seed_row(1), seed_row(2, valence=1.5)], name="bad.json")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(UPLOAD_URL, {"file": upload, "kind": "catalog", "format": "seed-json"})

    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.COMPLETED_WITH_REJECTIONS
    assert run.rejected == 1
    rejection = run.rejections.get()
    page = admin_client.get(response.url).content.decode()
    assert f"{rejection.file}:{rejection.line}: {rejection.reason}" in page
    assert "valence" in rejection.reason
    assert Track.objects.get().name == "Song 1"


def test_upload_over_the_size_limit_is_refused_with_a_clear_error(admin_client, settings):
    settings.IMPORT_UPLOAD_MAX_BYTES = 100

    response = admin_client.post(
        UPLOAD_URL, {"file": seed_json_upload([seed_row(1), seed_row(2)]), "kind": "catalog", "format": ""}
    )

    assert response.status_code == 200
    assert "uploads are limited to 100" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_upload_page_needs_the_add_permission(client, django_user_model):
    staff = django_user_model.objects.create_user("curator", password="pw", is_staff=True)
    client.force_login(staff)

    assert client.get(UPLOAD_URL).status_code == 403


def test_run_page_lists_rejections_as_file_line_reason_and_caps_them(admin_client, admin_user):
    run = ImportRun.objects.create(
        kind="catalog", format="seed-csv", paths=["tracks.csv"], status=ImportRun.Status.COMPLETED_WITH_REJECTIONS,
        created=3, rejected=INLINE_MAX_ROWS + 5, requested_by=admin_user,
        details={"tracks": {"created": 3, "updated": 0, "unchanged": 0}},
    )
    ImportRejection.objects.bulk_create(
        ImportRejection(run=run, file="tracks.csv", line=n, reason=f"valence {n} is not a number")
        for n in range(2, INLINE_MAX_ROWS + 7)
    )

    content = admin_client.get(reverse("admin:ingestion_importrun_change", args=[run.pk])).content.decode()

    assert "tracks.csv:2: valence 2 is not a number" in content
    assert f"tracks.csv:{INLINE_MAX_ROWS + 1}: valence" in content
    assert f"tracks.csv:{INLINE_MAX_ROWS + 2}: valence" not in content  # capped
    assert "tracks: created 3, updated 0, unchanged 0" in content
    assert 'name="_save"' not in content  # read-only


def test_import_list_shows_the_runs_summary(admin_client):
    ImportRun.objects.create(kind="playlists", format="mpd", paths=["mpd.slice.0-999.json"], created=7, rejected=2)

    content = admin_client.get(reverse("admin:ingestion_importrun_changelist")).content.decode()

    assert "mpd.slice.0-999.json" in content
    assert "playlists" in content


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_the_upload_is_imported_before_the_curator_sees_the_run(admin_client):
    # No outer test transaction here: on_commit fires as in production, and the eager task runs in the request.
    response = admin_client.post(
        UPLOAD_URL, {"file": seed_json_upload([seed_row(1), seed_row(2)]), "kind": "catalog"}, follow=True
    )

    assert "succeeded: 2 created, 0 updated, 0 unchanged, 0 rows rejected." in response.content.decode()
    assert Track.objects.count() == 2


def test_format_of_the_other_kind_is_refused_before_upload(admin_client):
    response = admin_client.post(
        UPLOAD_URL, {"file": seed_json_upload([seed_row(1)]), "kind": "playlists", "format": "seed-json"}
    )

    assert "seed-json files hold catalog, not playlists" in response.content.decode()
    assert not ImportRun.objects.exists()
