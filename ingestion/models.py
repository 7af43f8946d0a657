"""The catalog: artists, albums, tracks with audio features, playlists, and the import runs that fill it.

Natural keys: Spotify ids where known (22 characters). Items a source names without an id (MPD
artists, the seed dataset's albums) are keyed by name (artists) or name + artist (albums) instead.
Any descriptive field may be unknown (NULL): sources differ in what they carry, and Spotify itself
stopped returning popularity, followers and audio features to many apps.
"""
from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def _between(field: str, low: float, high: float) -> Q:
    """A check that allows NULL (unknown) or a value within [low, high]."""
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": low, f"{field}__lte": high})


class Genre(models.Model):
    name = models.CharField(verbose_name=_("name"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("genre")
        verbose_name_plural = _("genres")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Artist(models.Model):
    spotify_id = models.CharField(verbose_name=_("spotify id"), max_length=22, unique=True, null=True, blank=True)
    name = models.CharField(verbose_name=_("name"), max_length=400)
    genres = models.ManyToManyField(Genre, verbose_name=_("genres"), blank=True, related_name="artists")
    popularity = models.PositiveSmallIntegerField(verbose_name=_("popularity"), null=True, blank=True)
    followers = models.PositiveBigIntegerField(verbose_name=_("followers"), null=True, blank=True)
    image_url = models.URLField(verbose_name=_("image url"), max_length=500, blank=True)
    is_demo = models.BooleanField(
        verbose_name=_("is demo"), default=False, help_text=_("Synthetic demo data made by seed_demo.")
    )
    first_seen = models.DateTimeField(verbose_name=_("first seen"))
    updated_at = models.DateTimeField(verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("artist")
        verbose_name_plural = _("artists")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=_between("popularity", 0, 100), name="artist_popularity_0_100"),
            # Sources without ids (MPD, Kaggle) name artists only: one row per name among those
            # (synthetic demo artists aside, so they can never take a real artist's place).
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(spotify_id__isnull=True, is_demo=False),
                name="artist_name_unique_without_id",
            ),
        ]
        indexes = [
            models.Index(fields=["name"], name="artist_name"),  # name-only matching in imports
            models.Index(Lower("name"), name="artist_name_lower"),  # case-insensitive search
        ]

    def __str__(self) -> str:
        return self.name


class Album(models.Model):
    class ReleaseDatePrecision(models.TextChoices):
        DAY = "day", _("day")
        MONTH = "month", _("month")
        YEAR = "year", _("year")

    spotify_id = models.CharField(verbose_name=_("spotify id"), max_length=22, unique=True, null=True, blank=True)
    name = models.CharField(verbose_name=_("name"), max_length=400)
    # The album's main artist; it tells apart id-less albums of the same name.
    artist = models.ForeignKey(
        Artist, verbose_name=_("artist"), null=True, blank=True, on_delete=models.SET_NULL, related_name="albums"
    )
    # Stored as a date: `1985` with precision `year` is kept as 1985-01-01.
    release_date = models.DateField(verbose_name=_("release date"), null=True, blank=True)
    release_date_precision = models.CharField(
        verbose_name=_("release date precision"), max_length=5, choices=ReleaseDatePrecision.choices, blank=True
    )
    image_url = models.URLField(verbose_name=_("image url"), max_length=500, blank=True)
    is_demo = models.BooleanField(verbose_name=_("is demo"), default=False)
    first_seen = models.DateTimeField(verbose_name=_("first seen"))
    updated_at = models.DateTimeField(verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("album")
        verbose_name_plural = _("albums")
        ordering = ["-release_date", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "artist"],
                condition=Q(spotify_id__isnull=True, is_demo=False),
                name="album_name_artist_unique_without_id",
            ),
            models.CheckConstraint(
                condition=Q(release_date__isnull=True, release_date_precision="")
                | Q(release_date__isnull=False) & ~Q(release_date_precision=""),
                name="album_release_date_has_precision",
            ),
        ]
        indexes = [models.Index(fields=["release_date"], name="album_release_date")]

    def __str__(self) -> str:
        return self.name

    @property
    def release_date_display(self) -> str:
        if self.release_date is None:
            return ""
        if self.release_date_precision == self.ReleaseDatePrecision.YEAR:
            return f"{self.release_date.year}"
        if self.release_date_precision == self.ReleaseDatePrecision.MONTH:
            return self.release_date.strftime("%Y-%m")
        return self.release_date.isoformat()


# Audio feature fields with their allowed ranges; shared by constraints, validation and the importers.
FEATURE_RANGES: dict[str, tuple[float, float]] = {
    "danceability": (0.0, 1.0),
    "energy": (0.0, 1.0),
    "key": (-1, 11),
    "loudness": (-60.0, 5.0),
    "mode": (0, 1),
    "speechiness": (0.0, 1.0),
    "acousticness": (0.0, 1.0),
    "instrumentalness": (0.0, 1.0),
    "liveness": (0.0, 1.0),
    "valence": (0.0, 1.0),
    "tempo": (1.0, 300.0),
    "time_signature": (3, 7),
}
FEATURE_FIELDS: tuple[str, ...] = tuple(FEATURE_RANGES)


def ordered_credits(lookup: str = "credits") -> models.Prefetch:
    """Tracks' artists in credit order, in one query for a whole page of them; `lookup` reaches the tracks through
    a relation ("track__credits" from playlist entries or a listener's list)."""
    return models.Prefetch(lookup, queryset=TrackArtist.objects.select_related("artist").order_by("position"))


class TrackQuerySet(models.QuerySet):
    def with_credits(self) -> TrackQuerySet:
        """The tracks with their artists in credit order (`track.credits.all()`), one more query for any number."""
        return self.prefetch_related(ordered_credits())


class Track(models.Model):
    class FeatureSource(models.TextChoices):
        SPOTIFY = "spotify", _("from Spotify")
        IMPORTED = "imported", _("imported from a file")
        ESTIMATED = "estimated", _("estimated from similar tracks")
        ANALYSED = "analysed", _("measured from the audio")
        MISSING = "missing", _("missing")

    spotify_id = models.CharField(verbose_name=_("spotify id"), max_length=22, unique=True, null=True, blank=True)
    name = models.CharField(verbose_name=pgettext_lazy("track", "name"), max_length=500)
    album = models.ForeignKey(
        Album, verbose_name=_("album"), null=True, blank=True, on_delete=models.SET_NULL, related_name="tracks"
    )
    artists = models.ManyToManyField(Artist, verbose_name=_("artists"), through="TrackArtist", related_name="tracks")
    duration_ms = models.PositiveIntegerField(verbose_name=_("duration ms"), null=True, blank=True)
    explicit = models.BooleanField(verbose_name=_("explicit"), null=True, blank=True)
    popularity = models.PositiveSmallIntegerField(verbose_name=_("popularity"), null=True, blank=True)
    isrc = models.CharField(
        verbose_name=_("isrc"), max_length=12, blank=True,
        help_text=_("International Standard Recording Code, where a source gives one."),
    )
    preview_url = models.URLField(
        verbose_name=_("preview url"), max_length=500, blank=True,
        help_text=_("A short audio preview (about 30 s) from any source."),
    )
    audio_file = models.FileField(
        verbose_name=_("audio file"), upload_to="audio/", max_length=300, blank=True,
        help_text=_("Audio a curator uploaded, or a demo track's synthesized preview, in media storage."),
    )

    danceability = models.FloatField(verbose_name=pgettext_lazy("audio feature", "danceability"), null=True, blank=True)
    energy = models.FloatField(verbose_name=pgettext_lazy("audio feature", "energy"), null=True, blank=True)
    key = models.SmallIntegerField(
        verbose_name=pgettext_lazy("audio feature", "key"), null=True, blank=True,
        help_text=_("Pitch class 0=C … 11=B; -1 = not detected."),
    )
    loudness = models.FloatField(
        verbose_name=pgettext_lazy("audio feature", "loudness"), null=True, blank=True, help_text=_("dB")
    )
    mode = models.SmallIntegerField(
        verbose_name=pgettext_lazy("audio feature", "mode"), null=True, blank=True, help_text=_("1 = major, 0 = minor.")
    )
    speechiness = models.FloatField(verbose_name=pgettext_lazy("audio feature", "speechiness"), null=True, blank=True)
    acousticness = models.FloatField(verbose_name=pgettext_lazy("audio feature", "acousticness"), null=True, blank=True)
    instrumentalness = models.FloatField(
        verbose_name=pgettext_lazy("audio feature", "instrumentalness"), null=True, blank=True
    )
    liveness = models.FloatField(verbose_name=pgettext_lazy("audio feature", "liveness"), null=True, blank=True)
    valence = models.FloatField(verbose_name=pgettext_lazy("audio feature", "valence"), null=True, blank=True)
    tempo = models.FloatField(
        verbose_name=pgettext_lazy("audio feature", "tempo"), null=True, blank=True, help_text=_("BPM")
    )
    time_signature = models.SmallIntegerField(
        verbose_name=pgettext_lazy("audio feature", "time signature"), null=True, blank=True,
        help_text=_("Beats per bar, 3…7."),
    )
    features_source = models.CharField(
        verbose_name=_("features source"), max_length=9, choices=FeatureSource.choices, default=FeatureSource.MISSING
    )

    is_hidden = models.BooleanField(
        verbose_name=_("is hidden"), default=False, help_text=_("Hidden tracks are never recommended.")
    )
    is_demo = models.BooleanField(verbose_name=_("is demo"), default=False)
    first_seen = models.DateTimeField(verbose_name=_("first seen"))
    updated_at = models.DateTimeField(verbose_name=_("updated at"))

    objects = TrackQuerySet.as_manager()

    class Meta:
        verbose_name = _("track")
        verbose_name_plural = _("tracks")
        ordering = ["name"]
        constraints = [
            *(
                models.CheckConstraint(condition=_between(field, low, high), name=f"track_{field}_range")
                for field, (low, high) in FEATURE_RANGES.items()
            ),
            models.CheckConstraint(condition=_between("popularity", 0, 100), name="track_popularity_0_100"),
            models.CheckConstraint(
                condition=Q(duration_ms__isnull=True) | Q(duration_ms__gt=0), name="track_duration_positive"
            ),
            # "missing" means no feature at all; any other source means the core features are there.
            models.CheckConstraint(
                condition=Q(
                    features_source="missing", danceability__isnull=True, energy__isnull=True, valence__isnull=True
                )
                | ~Q(features_source="missing")
                & Q(danceability__isnull=False, energy__isnull=False, valence__isnull=False),
                name="track_features_source_matches_values",
            ),
        ]
        indexes = [
            models.Index(fields=["name"], name="track_name"),  # the admin's default ordering
            models.Index(Lower("name"), name="track_name_lower"),
            models.Index(fields=["features_source"], name="track_features_source"),
            models.Index(fields=["is_hidden"], name="track_is_hidden"),
            models.Index(fields=["isrc"], name="track_isrc"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_features(self) -> bool:
        return self.features_source != self.FeatureSource.MISSING

    @property
    def spotify_uri(self) -> str:
        return f"spotify:track:{self.spotify_id}" if self.spotify_id else ""


class TrackArtist(models.Model):
    """A track's artists in credit order (position 0 is the main artist)."""

    track = models.ForeignKey(Track, verbose_name=_("track"), on_delete=models.CASCADE, related_name="credits")
    artist = models.ForeignKey(Artist, verbose_name=_("artist"), on_delete=models.CASCADE, related_name="credits")
    position = models.PositiveSmallIntegerField(verbose_name=_("position"))

    class Meta:
        verbose_name = _("track artist")
        verbose_name_plural = _("track artists")
        ordering = ["track", "position"]
        constraints = [
            models.UniqueConstraint(fields=["track", "position"], name="track_artist_position_unique"),
            models.UniqueConstraint(fields=["track", "artist"], name="track_artist_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.position}: artist {self.artist_id} on track {self.track_id}"


class Playlist(models.Model):
    class Source(models.TextChoices):
        MPD = "mpd", _("Million Playlist Dataset")
        SPOTIFY = "spotify", _("Spotify")
        DEMO = "demo", _("demo data")

    source = models.CharField(verbose_name=_("source"), max_length=10, choices=Source.choices)
    external_id = models.CharField(
        verbose_name=_("external id"), max_length=100,
        help_text=_("The playlist's id in its source (MPD pid, Spotify id)."),
    )
    name = models.CharField(verbose_name=_("name"), max_length=300)
    description = models.TextField(verbose_name=_("description"), blank=True)
    followers = models.PositiveIntegerField(verbose_name=_("followers"), null=True, blank=True)
    tracks = models.ManyToManyField(Track, verbose_name=_("tracks"), through="PlaylistTrack", related_name="playlists")
    first_seen = models.DateTimeField(verbose_name=_("first seen"))
    updated_at = models.DateTimeField(verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("playlist")
        verbose_name_plural = _("playlists")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="playlist_source_external_id_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_demo(self) -> bool:
        return self.source == self.Source.DEMO


class PlaylistTrack(models.Model):
    """One entry of a playlist; the same track may appear twice at different positions."""

    playlist = models.ForeignKey(Playlist, verbose_name=_("playlist"), on_delete=models.CASCADE, related_name="entries")
    track = models.ForeignKey(Track, verbose_name=_("track"), on_delete=models.CASCADE, related_name="playlist_entries")
    position = models.PositiveIntegerField(verbose_name=_("position"))

    class Meta:
        verbose_name = _("playlist track")
        verbose_name_plural = _("playlist tracks")
        ordering = ["playlist", "position"]
        constraints = [
            models.UniqueConstraint(fields=["playlist", "position"], name="playlist_track_position_unique"),
        ]
        indexes = [models.Index(fields=["track"], name="playlist_track_track")]

    def __str__(self) -> str:
        return f"{self.position}: track {self.track_id} in playlist {self.playlist_id}"


class ImportRun(models.Model):
    """One run of an importer over one or more files, with its summary."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        COMPLETED_WITH_REJECTIONS = "rejections", _("completed with rejected rows")
        FAILED = "failed", _("failed")

    kind = models.CharField(
        verbose_name=_("kind"), max_length=10, choices=[("catalog", _("catalog")), ("playlists", _("playlists"))]
    )
    format = models.CharField(
        verbose_name=_("format"), max_length=30, blank=True, help_text=_("Detected or chosen file format.")
    )
    paths = models.JSONField(verbose_name=_("paths"), default=list, help_text=_("The files read (names as given)."))
    uploaded_file = models.FileField(verbose_name=_("uploaded file"), upload_to="imports/%Y/%m/", blank=True)
    status = models.CharField(verbose_name=_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    started_at = models.DateTimeField(verbose_name=_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(verbose_name=_("finished at"), null=True, blank=True)
    created = models.PositiveIntegerField(verbose_name=_("created"), default=0)
    updated = models.PositiveIntegerField(verbose_name=_("updated"), default=0)
    unchanged = models.PositiveIntegerField(verbose_name=_("unchanged"), default=0)
    rejected = models.PositiveIntegerField(verbose_name=_("rejected"), default=0)
    details = models.JSONField(
        verbose_name=_("details"), default=dict, blank=True, help_text=_("Counts per kind of row (tracks, artists, …).")
    )
    error = models.TextField(
        verbose_name=_("error"), blank=True, help_text=_("Why the run failed as a whole, if it did.")
    )
    requested_by = models.ForeignKey(
        "auth.User", verbose_name=_("requested by"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        ordering = ["-id"]
        indexes = [models.Index(fields=["status"], name="import_run_status")]

    def __str__(self) -> str:
        return _("%(kind)s import #%(id)s (%(status)s)") % {
            "kind": self.get_kind_display(), "id": self.pk, "status": self.get_status_display()}


class ImportRejection(models.Model):
    """A row an import refused, as `file:line: reason` (line 0: the whole file, shown as `file: reason`). At most
    IMPORT_MAX_STORED_REJECTIONS per run are kept."""

    run = models.ForeignKey(ImportRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="rejections")
    file = models.CharField(verbose_name=_("file"), max_length=500)
    line = models.PositiveIntegerField(verbose_name=_("line"))
    reason = models.TextField(verbose_name=_("reason"))

    class Meta:
        verbose_name = _("import rejection")
        verbose_name_plural = _("import rejections")
        ordering = ["run", "id"]

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}" if self.line else f"{self.file}: {self.reason}"


class CrawlRun(models.Model):
    """One crawl of Spotify (playlists or the daily new releases), with what it did and what it could not do.

    `gaps` lists what to fetch again (ids by kind); the next run of the same kind takes them over first.
    """

    class Kind(models.TextChoices):
        PLAYLISTS = "playlists", _("playlists")
        NEW_RELEASES = "new_releases", _("new releases")

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        PARTIAL = "partial", _("partial (gaps left for the next run)")
        DEFERRED = "deferred", _("deferred (rate limited)")
        FAILED = "failed", _("failed")

    kind = models.CharField(verbose_name=_("kind"), max_length=12, choices=Kind.choices)
    parameters = models.JSONField(
        verbose_name=_("parameters"), default=dict, blank=True, help_text=_("What was asked: playlist ids, limit.")
    )
    started = models.DateTimeField(verbose_name=_("started"))
    finished = models.DateTimeField(verbose_name=_("finished"), null=True, blank=True)
    status = models.CharField(verbose_name=_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    counts = models.JSONField(
        verbose_name=_("counts"), default=dict, blank=True,
        help_text=_("created/updated/unchanged per kind of row, requests, retries."),
    )
    errors = models.JSONField(
        verbose_name=_("errors"), default=list, blank=True, help_text=_("What could not be fetched or stored, and why.")
    )
    gaps = models.JSONField(
        verbose_name=_("gaps"), default=dict, blank=True, help_text=_("Ids to fetch again, by kind; the next run does.")
    )
    deferred_until = models.DateTimeField(verbose_name=_("deferred until"), null=True, blank=True)
    # The deferral lives here, not in a broker ETA (Redis would deliver an ETA past its visibility timeout twice):
    # beat resumes a deferred run once `resume_at` has come; a claimed resume pushes it on by a lease, so a resume
    # whose worker died is taken up again, and clears it when the resuming run ends.
    resume_at = models.DateTimeField(
        verbose_name=_("resume at"), null=True, blank=True, help_text=_("When beat resumes this deferred run.")
    )
    resumed_by = models.OneToOneField(
        "self", verbose_name=_("resumed by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="resumes",
        help_text=_("The run that took this deferred run's work over."),
    )  # fmt: skip
    task_id = models.CharField(
        verbose_name=_("task id"), max_length=50, blank=True, default="",
        help_text=_("The Celery task that ran it; a redelivery takes it over."),
    )

    class Meta:
        verbose_name = _("crawl run")
        verbose_name_plural = _("crawl runs")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="deferred") | Q(deferred_until__isnull=False),
                name="crawl_run_deferred_has_until",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "-id"], name="crawl_run_kind_latest"),
            models.Index(fields=["resume_at"], condition=Q(resume_at__isnull=False), name="crawl_run_resumes_due"),
            models.Index(fields=["task_id"], condition=~Q(task_id=""), name="crawl_run_by_task"),
        ]

    def __str__(self) -> str:
        return _("%(kind)s crawl #%(id)s (%(status)s)") % {
            "kind": self.get_kind_display(), "id": self.pk, "status": self.get_status_display()}


class CatalogState(models.Model):
    """The catalog's change counter: one row (pk 1), bumped with a conditional UPDATE by every change.

    Whoever builds on the catalog remembers the count it last read and compares (the recommenders' rebuilds do,
    see `recommendations.models.DatasetState`), so the catalog never needs to know who reads it. Written only by
    `ingestion.services.changes.catalog_changed`.
    """

    SINGLETON_PK = 1

    change_count = models.PositiveBigIntegerField(
        verbose_name=_("change count"), default=0, help_text=_("Catalog changes recorded so far.")
    )
    last_change_at = models.DateTimeField(verbose_name=_("last change at"), null=True, blank=True)
    last_change_reason = models.CharField(verbose_name=_("last change reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("catalog state")
        verbose_name_plural = _("catalog state")

    def __str__(self) -> str:
        return _("%(count)s changes") % {"count": self.change_count}


class AudioUpload(models.Model):
    """One batch of audio files a curator uploaded in the admin, and what became of each file.

    The files wait in media storage (`staged`: name as uploaded + storage name) until the upload task reads them;
    `report` then holds one entry per audio file: {"file", "outcome": matched | created | unchanged | rejected,
    "tracks": [ids], "reason": code, "params": {...}} (see `ingestion.services.audio_uploads.REASONS`).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        COMPLETED_WITH_REJECTIONS = "rejections", _("completed with rejected files")
        FAILED = "failed", _("failed")

    status = models.CharField(verbose_name=_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    create_missing = models.BooleanField(
        verbose_name=_("create missing"), default=False,
        help_text=_("Files that match no track become new tracks (artist and title from tags or name)."),
    )
    staged = models.JSONField(
        verbose_name=_("staged"), default=list, blank=True, help_text=_("Uploaded files waiting to be read.")
    )
    files_total = models.PositiveIntegerField(verbose_name=_("files total"), default=0)
    files_done = models.PositiveIntegerField(verbose_name=_("files done"), default=0)
    matched = models.PositiveIntegerField(verbose_name=_("matched"), default=0)
    created = models.PositiveIntegerField(verbose_name=_("created"), default=0)
    unchanged = models.PositiveIntegerField(verbose_name=_("unchanged"), default=0)
    rejected = models.PositiveIntegerField(verbose_name=_("rejected"), default=0)
    report = models.JSONField(verbose_name=_("report"), default=list, blank=True)
    error = models.TextField(
        verbose_name=_("error"), blank=True, help_text=_("Why the upload failed as a whole, if it did.")
    )
    requested_by = models.ForeignKey(
        "auth.User", verbose_name=_("requested by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    queued_at = models.DateTimeField(verbose_name=_("queued at"))
    started_at = models.DateTimeField(verbose_name=_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(verbose_name=_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("audio upload")
        verbose_name_plural = _("audio uploads")
        ordering = ["-id"]
        indexes = [models.Index(fields=["status"], name="audio_upload_status")]

    def __str__(self) -> str:
        return _("audio upload #%(id)s (%(status)s)") % {"id": self.pk, "status": self.get_status_display()}

    @property
    def is_finished(self) -> bool:
        return self.status not in (self.Status.QUEUED, self.Status.RUNNING)
