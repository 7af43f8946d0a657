"""Forms of the curation admin: track edits checked against the catalog's rules, import and audio uploads.

The database refuses out-of-range features and a features_source that contradicts the values (check
constraints); these forms catch the same mistakes first, with a message per field instead of a 500.
"""
from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.text import format_lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ingestion.audio.tags import normalized_isrc
from ingestion.importers.formats import FORMATS
from ingestion.models import FEATURE_FIELDS, FEATURE_RANGES, Album, Artist, Track

# The features every source but "missing" carries; the check constraint `track_features_source_matches_values`.
CORE_FEATURES: tuple[str, ...] = ("danceability", "energy", "valence")

# The importers describe their formats in English for the commands; the upload form words them for curators.
FORMAT_LABELS = {
    "mpd": _("Million Playlist Dataset slice: JSON object with a “playlists” list"),
    "seed-json": _("seed dataset track_dataset.json: JSON array of track objects"),
    "spotify-api-csv": _("spotify-api-2021 crawl: a directory with artist.csv, album.csv, track.csv, audio.csv"),
    "kaggle-csv": _("Kaggle SpotifyFeatures.csv: genre,artist_name,track_name,track_id,…"),
    "seed-csv": _("seed dataset track_data.csv: ,id,artist_name,track_name,album_name,…"),
}
# Formats the importers understand; "" lets the importer tell the format from the file's content.
IMPORT_FORMAT_CHOICES = [
    ("", _("Detect automatically")),
    *((name, format_lazy("{}: {}", name, FORMAT_LABELS.get(name, info.description))) for name, info in FORMATS.items()),
]
# A crawl in this format is a directory of four CSV files, which a single upload cannot hold.
DIRECTORY_FORMATS = ("spotify-api-csv",)
IMPORT_KIND_CHOICES = [("catalog", _("Catalog (tracks, artists, albums)")), ("playlists", _("Playlists"))]


def _number(value: float) -> str:
    """1.0 -> "1", -60.0 -> "-60", 0.5 -> "0.5": ranges read the way a curator would write them."""
    return f"{value:g}"


class TrackAdminForm(forms.ModelForm):
    isrc = forms.CharField(
        label="ISRC", max_length=20, required=False, help_text=Track._meta.get_field("isrc").help_text
    )  # longer than the column: "US-RC1-76-07839" is written with dashes, stored without

    class Meta:
        model = Track
        fields = (
            "name", "spotify_id", "album", "duration_ms", "explicit", "popularity", "isrc", "is_hidden", "is_demo",
            "features_source", *FEATURE_FIELDS,
        )

    def clean(self) -> dict:
        cleaned_data = super().clean()
        for field, (low, high) in FEATURE_RANGES.items():
            value = cleaned_data.get(field)
            if value is not None and not low <= value <= high:
                self.add_error(field, gettext("%(field)s must be between %(low)s and %(high)s.") % {
                    "field": Track._meta.get_field(field).verbose_name, "low": _number(low), "high": _number(high)})
        self._check_features_source(cleaned_data)
        return cleaned_data

    def clean_popularity(self) -> int | None:
        return _check_popularity(self.cleaned_data.get("popularity"))

    def clean_isrc(self) -> str:
        raw = self.cleaned_data.get("isrc", "")
        isrc = normalized_isrc(raw)
        if raw.strip() and not isrc:
            raise forms.ValidationError(
                _("An ISRC is 12 characters: 2 letters, 3 letters or digits, 7 digits (like USRC17607839).")
            )
        return isrc

    def _check_features_source(self, cleaned_data: dict) -> None:
        source = cleaned_data.get("features_source")
        if source is None:
            return
        # A field with an error was filled in (badly): it counts as present, its own error says what is wrong.
        present = [field for field in CORE_FEATURES if cleaned_data.get(field) is not None or field in self.errors]
        if source == Track.FeatureSource.MISSING and present:
            text = ngettext(
                "The source cannot be “missing” while %(fields)s has a value: choose where the features came from, "
                "or clear them all.",
                "The source cannot be “missing” while %(fields)s have values: choose where the features came from, "
                "or clear them all.",
                len(present),
            )
            self.add_error("features_source", text % {"fields": _field_names(present)})
        elif source != Track.FeatureSource.MISSING and len(present) < len(CORE_FEATURES):
            absent = [field for field in CORE_FEATURES if field not in present]
            text = ngettext(
                "Features from “%(source)s” need danceability, energy and valence (%(fields)s is empty): fill them "
                "in, or set the source to “missing” and clear them all.",
                "Features from “%(source)s” need danceability, energy and valence (%(fields)s are empty): fill them "
                "in, or set the source to “missing” and clear them all.",
                len(absent),
            )
            self.add_error("features_source", text % {
                "source": Track.FeatureSource(source).label, "fields": _field_names(absent)})


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"), help_text=_("A catalog file (JSON or CSV) or a Million Playlist Dataset slice.")
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=IMPORT_KIND_CHOICES, initial="catalog")
    format = forms.ChoiceField(label=_("Format"), choices=IMPORT_FORMAT_CHOICES, required=False, initial="")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        limit = filesizeformat(settings.IMPORT_UPLOAD_MAX_BYTES)
        self.fields["file"].help_text = "{} {}".format(
            self.fields["file"].help_text, gettext("At most %(limit)s.") % {"limit": limit}
        )

    def clean(self) -> dict:
        cleaned_data = super().clean()
        format_name, kind = cleaned_data.get("format"), cleaned_data.get("kind")
        if format_name in DIRECTORY_FORMATS:
            self.add_error("format", gettext(
                "A %(format)s crawl is a directory of several CSV files and cannot be uploaded as one file: "
                "import it on the server with manage.py import_catalog DIRECTORY."
            ) % {"format": format_name})
        elif format_name and kind and FORMATS[format_name].kind != kind:
            self.add_error("format", gettext(
                "%(format)s files hold %(holds)s, not %(kind)s: choose the other kind, or another format."
            ) % {"format": format_name, "holds": FORMATS[format_name].kind, "kind": kind})
        return cleaned_data

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        limit = settings.IMPORT_UPLOAD_MAX_BYTES
        if uploaded.size > limit:
            raise forms.ValidationError(gettext(
                "This file is %(size)s; uploads are limited to %(limit)s. Import a bigger file on the server with "
                "manage.py import_catalog PATH (or raise IMPORT_UPLOAD_MAX_BYTES)."
            ) % {"size": filesizeformat(uploaded.size), "limit": filesizeformat(limit)})
        return uploaded


class ArtistAdminForm(forms.ModelForm):
    image_url = forms.URLField(
        label=Artist._meta.get_field("image_url").verbose_name, max_length=500, required=False, assume_scheme="https"
    )

    class Meta:
        model = Artist
        fields = ("name", "spotify_id", "genres", "popularity", "followers", "image_url", "is_demo")

    def clean_popularity(self) -> int | None:
        return _check_popularity(self.cleaned_data.get("popularity"))


class AlbumAdminForm(forms.ModelForm):
    image_url = forms.URLField(
        label=Album._meta.get_field("image_url").verbose_name, max_length=500, required=False, assume_scheme="https"
    )

    class Meta:
        model = Album
        fields = ("name", "spotify_id", "artist", "release_date", "release_date_precision", "image_url", "is_demo")

    def clean(self) -> dict:
        cleaned_data = super().clean()
        has_date = cleaned_data.get("release_date") is not None
        precision = cleaned_data.get("release_date_precision")
        if has_date and not precision:
            self.add_error(
                "release_date_precision", gettext("Say how precise the release date is (day, month or year).")
            )
        elif precision and not has_date and "release_date" not in self.errors:
            self.add_error(
                "release_date_precision", gettext("Leave the precision empty when the release date is unknown.")
            )
        return cleaned_data


def _field_names(fields: list[str]) -> str:
    """The features' names in the curator's language: "danceability, energy"."""
    return ", ".join(str(Track._meta.get_field(field).verbose_name) for field in fields)


def _check_popularity(value: int | None) -> int | None:
    if value is not None and not 0 <= value <= 100:
        raise forms.ValidationError(gettext("popularity must be between 0 and 100."))
    return value


class MultipleAudioInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe): cleans to a list of uploaded files."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleAudioInput(attrs={"accept": "audio/*,.zip,.csv"}))
        kwargs.setdefault("allow_empty_file", True)  # an empty file is one rejected line of the report, not a refusal
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None) -> list:
        single = super().clean
        items = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if not items and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [single(item, initial) for item in items]


class AudioUploadForm(forms.Form):
    """Only what the upload holds and how to treat it: each file is checked on its own by the upload service, so
    one bad file never refuses the batch."""

    files = MultipleFileField(label=_("Audio files"))
    create_missing = forms.BooleanField(
        label=_("Create tracks"), required=False,
        help_text=_("A file that matches no track becomes a new track by the artist and title in its tags or its "
                    "name (“Artist - Title.mp3”): an independent artist's song."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = _(
            "MP3, FLAC, Ogg, WAV or AIFF files, or zip archives of them, at most %(limit)s each and %(count)s in "
            "all. Each is matched to a track by the track id (track-123.mp3), Spotify id or ISRC in its name, by "
            "its ISRC tag, or by artist and title (tags, or a name like “Artist - Title.mp3”); a CSV beside them "
            "with columns file, track_id, spotify_id, isrc, artist, title says it for files whose names do not."
        ) % {"limit": filesizeformat(settings.AUDIO_UPLOAD_MAX_BYTES), "count": settings.AUDIO_UPLOAD_MAX_FILES}
