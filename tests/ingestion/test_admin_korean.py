"""A Korean curator reads the admin in Korean: our models' names, field labels, help texts, columns, filters,
fieldsets, actions and messages all come from the catalog (locale/ko), and English pages read as before.

Django's own chrome is translated by Django; what is checked here is everything our code names. A field, column,
filter or fieldset added later without a translation fails these tests."""
from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.db.models import Field, Model
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.text import capfirst

from filters.models import SuggestedTrack, TasteProfile
from ingestion.forms import IMPORT_FORMAT_CHOICES
from ingestion.models import AudioUpload, CrawlRun, ImportRejection, ImportRun, Track
from recommendations.models import DatasetState, ModelVersion, OfflineEvaluation, TrackAudioAnalysis
from tests.factories import AlbumFactory, ArtistFactory, GenreFactory, PlaylistFactory, TrackFactory
from tests.test_i18n import translated_entries

OUR_APPS = ("accounts", "filters", "ingestion", "recommendations")
KOREAN = {"accept-language": "ko-KR,ko;q=0.9,en;q=0.5"}  # as a Korean browser sends it (tests/test_i18n.py)
ENGLISH = {"accept-language": "en-US,en;q=0.9"}

# Words that read the same in a Korean admin: names, units, formats and identifiers a curator types or sees in
# code (setting names, file columns), and the site's own English name.
NOT_TRANSLATED = {
    "Spotify", "ISRC", "URL", "ID", "id", "BPM", "dB", "ms", "MPD", "pid", "CSV", "JSON", "Celery", "beat", "Deezer",
    "iTunes", "Song2Vec", "R-precision", "NDCG", "k-means", "ALS", "LightGBM", "MAE", "CV", "sha256", "host",
    "seed_demo", "file", "preview", "kind", "values", "Today's", "Song", "Million", "Playlist", "Dataset",
}


def our_models() -> list[type[Model]]:
    return [model for model in apps.get_models() if model._meta.app_label in OUR_APPS]


def registered_models() -> list[type[Model]]:
    return [model for model in admin.site._registry if model._meta.app_label in OUR_APPS]


def labelled_fields(model: type[Model]) -> list[Field]:
    """The fields a form or a column names: every concrete and many-to-many field but the automatic id."""
    fields = [*model._meta.concrete_fields, *model._meta.many_to_many]
    return [field for field in fields if not field.auto_created]


def catalog_msgids() -> set[str]:
    return {entry["msgid"] for entry in translated_entries()}


def in_english(text) -> str:
    with translation.override("en"):
        return str(text)


def in_korean(text) -> str:
    with translation.override("ko"):
        return str(text)


def is_translated(text, msgids: set[str]) -> bool:
    """Marked for translation, and Korean differs from English or the catalog says it reads the same ("ISRC")."""
    return isinstance(text, Promise) and (in_korean(text) != in_english(text) or in_english(text) in msgids)


def label(model: type[Model]) -> str:
    return model._meta.label


# --- (a) every name our models give is translated ---


@pytest.mark.parametrize("model", our_models(), ids=label)
def test_every_field_label_and_help_text_is_translated(model):
    msgids = catalog_msgids()
    untranslated = [
        f"{field.name}: {text!r}"
        for field in labelled_fields(model)
        for text in (field.verbose_name, field.help_text)
        if text and not is_translated(text, msgids)
    ]

    assert untranslated == [], f"{label(model)}: give these verbose_name=_(...) / help_text=_(...) and a msgstr"


@pytest.mark.parametrize("model", our_models(), ids=label)
def test_every_model_name_and_choice_is_translated(model):
    msgids = catalog_msgids()
    names = [model._meta.verbose_name, model._meta.verbose_name_plural]
    choices = [choice for field in labelled_fields(model) for _value, choice in (field.flatchoices or [])]
    untranslated = [repr(text) for text in [*names, *choices] if not is_translated(text, msgids)]

    assert untranslated == []


def test_the_apps_have_korean_names():
    names = {app: in_korean(apps.get_app_config(app).verbose_name) for app in OUR_APPS}

    assert names == {"accounts": "계정", "filters": "취향", "ingestion": "카탈로그", "recommendations": "추천"}


def test_english_labels_read_as_django_would_derive_them():
    """English pages do not change: a field's label is still its name with spaces."""
    track = Track._meta
    assert [in_english(track.get_field(name).verbose_name) for name in ("spotify_id", "preview_url", "name")] == [
        "spotify id", "preview url", "name",
    ]
    assert (in_english(ImportRun._meta.verbose_name_plural), in_english(CrawlRun._meta.verbose_name_plural)) == (
        "import runs", "crawl runs",
    )
    assert (in_korean(track.get_field("preview_url").verbose_name), in_korean(track.verbose_name_plural)) == (
        "미리듣기 URL", "곡",
    )


# --- (b) every admin page of our models reads in Korean ---


@pytest.fixture
def one_of_each(django_user_model) -> dict[type[Model], Model]:
    """A row of every model our admin registers, named in Korean so that no data value reads as English."""
    now = timezone.now()
    genre = GenreFactory(name="케이팝")
    artist = ArtistFactory(name="방탄소년단", genres=[genre], popularity=90, is_demo=True)
    album = AlbumFactory(name="유 네버 워크 얼론", artist=artist)
    track = TrackFactory(name="봄날", album=album, artists=[artist], popularity=80, isrc="KRA381700123")
    playlist = PlaylistFactory(name="드라이브", tracks=[track])
    listener = django_user_model.objects.create_user("청취자", password="pw")
    taste = TasteProfile.objects.create(user=listener, mood="bright", speed="fast", emotion="excited")
    taste.favourite_tracks.set([track])
    run = ImportRun.objects.create(
        kind="catalog", format="seed-json", paths=["노래.json"], status=ImportRun.Status.COMPLETED_WITH_REJECTIONS,
        started_at=now, finished_at=now, created=3, rejected=1, details={"곡": {"새로": 3}},
    )  # fmt: skip
    ImportRejection.objects.create(run=run, file="노래.json", line=2, reason="잘못된 줄")
    crawl = CrawlRun.objects.create(
        kind=CrawlRun.Kind.PLAYLISTS, started=now, finished=now, status=CrawlRun.Status.PARTIAL,
        counts={"requests": 4, "retries": 1, "tracks": {"created": 2, "updated": 1}}, gaps={"곡": ["하나"]},
        errors=["가져오지 못함"],
    )  # fmt: skip
    upload = AudioUpload.objects.create(
        status=AudioUpload.Status.SUCCEEDED, queued_at=now, files_total=1, files_done=1, matched=1,
        report=[{"file": "봄날.mp3", "outcome": "matched", "tracks": [track.pk], "how": "isrc"}],
    )  # fmt: skip
    version = ModelVersion.objects.create(
        engine=ModelVersion.Engine.CONTENT, version=1, data_hash="0" * 64, status=ModelVersion.Status.READY,
        is_active=True, metrics={"tracks": 1, "fit_seconds": 0.5, "artifact_bytes": 1000, "genre_vocabulary": 1},
        params={"가중치": 1}, finished_at=now,
    )  # fmt: skip
    analysis = TrackAudioAnalysis.objects.create(
        track=track, audio_kind="file", audio_name="봄날.mp3", analysis_version=1, measured={"템포": 120},
        outcome=TrackAudioAnalysis.Outcome.MEASURED,
    )  # fmt: skip
    state = DatasetState.objects.create(pk=DatasetState.SINGLETON_PK, last_rebuild_started_at=now - dt.timedelta(1))
    evaluation = OfflineEvaluation.objects.create(
        playlists_path="플레이리스트.json", song2vec_r_precision=0.1, popularity_r_precision=0.05,
        report={"protocol": {"test_playlists": 10},
                "methods": {"song2vec": {"categories": {"제목": {"r_precision": 0.1, "ndcg": 0.2, "clicks": 3}}}}},
    )  # fmt: skip
    rows = {
        Track: track, type(artist): artist, type(album): album, type(genre): genre, type(playlist): playlist,
        ImportRun: run, CrawlRun: crawl, AudioUpload: upload, TasteProfile: taste,
        SuggestedTrack: SuggestedTrack.objects.create(track=track), ModelVersion: version,
        TrackAudioAnalysis: analysis, DatasetState: state, OfflineEvaluation: evaluation,
    }  # fmt: skip
    assert set(rows) == set(registered_models()), "a newly registered model needs a row here"
    return rows


LABEL_PATTERNS = [
    re.compile(pattern, re.S)
    for pattern in (
        r"<title>(.*?)</title>", r"<h1[^>]*>(.*?)</h1>", r"<h2[^>]*>(.*?)</h2>", r"<h3[^>]*>(.*?)</h3>",
        r"<label[^>]*>(.*?)</label>", r"<caption[^>]*>(.*?)</caption>", r"<thead>(.*?)</thead>",
        r'<div class="help"[^>]*>(.*?)</div>', r'<div class="description"[^>]*>(.*?)</div>',
        r"<select[^>]*>(.*?)</select>", r'<nav id="changelist-filter"[^>]*>(.*?)</nav>',
        r'<div class="breadcrumbs">(.*?)</div>', r'<div id="site-name">(.*?)</div>',
        r'<ul class="messagelist[^"]*">(.*?)</ul>', r'<input type="submit"[^>]*value="([^"]*)"',
        r'<a [^>]*class="[^"]*(?:addlink|viewlink|historylink)[^"]*"[^>]*>(.*?)</a>',
    )
]  # fmt: skip


def label_text(page: str, data_values: list[str]) -> str:
    """The page's labels (titles, headings, field labels, column headers, help, filters, choices, buttons) as
    text, without the data values shown in them (an object's name in its page's heading)."""
    parts = [match for pattern in LABEL_PATTERNS for match in pattern.findall(page)]
    text = html.unescape(re.sub(r"<[^>]+>", " ", " ".join(parts)))
    for value in sorted(data_values, key=len, reverse=True):
        text = text.replace(value, " ")
    return text


def english_words(text: str) -> set[str]:
    return {word for word in re.findall(r"[A-Za-z][A-Za-z0-9'_-]*[A-Za-z0-9]", text) if word not in NOT_TRANSLATED}


def admin_pages(rows: dict[type[Model], Model]) -> list[tuple[type[Model], str, str]]:
    pages = []
    for model, row in rows.items():
        info = (model._meta.app_label, model._meta.model_name)
        pages.append((model, "changelist", reverse("admin:{}_{}_changelist".format(*info))))
        pages.append((model, "change", reverse("admin:{}_{}_change".format(*info), args=[row.pk])))
    return pages


def test_every_admin_page_of_our_models_reads_in_korean(admin_client, one_of_each):
    data_values = [in_korean(row) for row in one_of_each.values()]
    problems = []
    for model, kind, url in admin_pages(one_of_each):
        response = admin_client.get(url, headers=KOREAN)
        assert response.status_code == 200, url
        page = response.content.decode()
        name = model._meta.verbose_name_plural if kind == "changelist" else model._meta.verbose_name
        if in_korean(name) not in page:
            problems.append(f"{url}: no {in_korean(name)!r}")
        labels = label_text(page, data_values)
        field_names = {capfirst(in_english(field.verbose_name)) for field in labelled_fields(model)}
        left_in_english = {
            name for name in field_names if name not in NOT_TRANSLATED and re.search(rf"\b{re.escape(name)}\b", labels)
        }
        if left_in_english or english_words(labels):
            problems.append(f"{url}: {sorted(left_in_english)} {sorted(english_words(labels))}")

    assert problems == [], "\n".join(problems)


def test_the_admin_home_and_app_pages_list_our_models_in_korean(admin_client):
    app_pages = [reverse("admin:app_list", args=[app]) for app in ("filters", "ingestion", "recommendations")]
    for url in ["/admin/", *app_pages]:
        page = admin_client.get(url, headers=KOREAN).content.decode()
        model_names = " ".join(re.findall(r'<th scope="row"[^>]*>(.*?)</th>', page, re.S))

        assert english_words(label_text(page, []) + re.sub(r"<[^>]+>", " ", model_names)) == set(), url
    home = admin_client.get("/admin/", headers=KOREAN).content.decode()
    assert all(name in home for name in ("카탈로그", "가져오기 실행", "수집 실행", "아티스트", "모델 버전", "추천곡"))


def test_the_upload_pages_read_in_korean(admin_client):
    # The import formats are listed by their file names and columns (seed-json, track_name...), which stay as is.
    file_specs = [str(name) for name, _label in IMPORT_FORMAT_CHOICES]
    file_specs += ["SpotifyFeatures.csv", "track_dataset.json", "track_data.csv", "spotify-api-2021", "artist.csv",
                   "album.csv", "track.csv", "audio.csv", "artist_name", "track_name", "track_id", "album_name",
                   "genre", "playlists"]  # fmt: skip
    imports = admin_client.get(reverse("admin:ingestion_importrun_upload"), headers=KOREAN).content.decode()
    audio = admin_client.get(reverse("admin:ingestion_audioupload_upload"), headers=KOREAN).content.decode()

    assert english_words(label_text(imports, file_specs)) == set()
    # ... and so do the audio formats, sizes and the CSV's columns the audio page names.
    audio_specs = ["MP3, FLAC, Ogg, WAV, AIFF", "zip", "track-123.mp3", ".mp3",
                   "file, track_id, spotify_id, isrc, artist, title"]
    assert english_words(re.sub(r"\b\d+(\.\d+)?\s?[KMG]B\b", "", label_text(audio, audio_specs))) == set()
    assert "자동으로 알아내기" in imports and "카탈로그 (곡, 아티스트, 앨범)" in imports


def test_an_english_curator_still_reads_english(admin_client, one_of_each):
    track = one_of_each[Track]

    changelist = admin_client.get(reverse("admin:ingestion_track_changelist"), headers=ENGLISH).content.decode()
    change = admin_client.get(reverse("admin:ingestion_track_change", args=[track.pk]), headers=ENGLISH)

    assert "Select track to change" in changelist and ">Artists<" in changelist
    assert "Hide from recommendations" in changelist and "By release year" in changelist
    assert "Spotify id:" in change.content.decode() and "Preview url:" in change.content.decode()


# --- (c) what an action says ---


def test_a_hide_action_says_so_in_korean(admin_client):
    tracks = [TrackFactory(name="봄날"), TrackFactory(name="피 땀 눈물")]

    response = admin_client.post(
        reverse("admin:ingestion_track_changelist"),
        {"action": "hide_from_recommendations", "_selected_action": [track.pk for track in tracks]},
        headers=KOREAN, follow=True,
    )  # fmt: skip

    page = response.content.decode()
    assert "곡 2개를 추천에서 숨겼습니다." in page and "hidden from recommendations" not in page
    assert Track.objects.filter(is_hidden=True).count() == 2


def test_the_same_action_in_english_reads_as_before(admin_client):
    track = TrackFactory()

    response = admin_client.post(
        reverse("admin:ingestion_track_changelist"),
        {"action": "hide_from_recommendations", "_selected_action": [track.pk]}, headers=ENGLISH, follow=True,
    )  # fmt: skip

    assert "1 track hidden from recommendations." in response.content.decode()


def test_a_crawl_of_no_spotify_playlist_says_why_in_korean(admin_client):
    playlist = PlaylistFactory(name="드라이브")

    response = admin_client.post(
        reverse("admin:ingestion_playlist_changelist"),
        {"action": "crawl_from_spotify", "_selected_action": [playlist.pk]}, headers=KOREAN, follow=True,
    )  # fmt: skip

    assert "Spotify 플레이리스트가 아닌 1개는 건너뛰었습니다." in response.content.decode()


def test_the_sites_language_switcher_sets_the_admins_language_too(admin_client):
    admin_client.post("/i18n/setlang/", {"language": "ko", "next": "/admin/"})

    page = admin_client.get(reverse("admin:ingestion_track_changelist"), headers=ENGLISH).content.decode()

    assert "추천에서 숨기기" in page and "Hide from recommendations" not in page


def test_activating_a_failed_version_says_why_in_korean(admin_client):
    failed = ModelVersion.objects.create(engine="content", version=1, data_hash="x", status="failed")

    response = admin_client.post(
        reverse("admin:recommendations_modelversion_changelist"),
        {"action": "activate_version", "_selected_action": [failed.pk]}, headers=KOREAN, follow=True,
    )  # fmt: skip

    assert "Content v1은(는) 실패 상태입니다. 준비된 버전만 활성화할 수 있습니다." in response.content.decode()
