"""Model versions: one row per trained artifact of a recommendation engine.

A version is `building` while it is fitted and uploaded, then `ready`, or `failed` with the error; an old ready
version is `retired` (its files removed) once enough newer ones exist to roll back to. At most one
version per engine is active (a partial unique index), and only a ready one may be (a check constraint), so
a build that dies half-way can never be what the site serves. The artifact's files live in default storage
under `storage_path` (see `recommendations.artifacts`); training is in `recommendations.services`.
"""
from __future__ import annotations

from datetime import datetime
from functools import cached_property

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ingestion.models import CatalogState


class ModelVersion(models.Model):
    class Engine(models.TextChoices):
        CONTENT = "content", _("content-based")
        CLUSTERS = "clusters", _("clusters (k-means)")
        SONG2VEC = "song2vec", _("Song2Vec (situations)")
        CF = "cf", _("collaborative filtering (ALS)")
        TERMS = "terms", _("terms (playlist names and genres)")
        BLEND = "blend", _("learned blend (LightGBM)")
        AUDIO = "audio", _("audio model (sound → features)")

    class Status(models.TextChoices):
        BUILDING = "building", _("building")
        READY = "ready", _("ready")
        FAILED = "failed", _("failed")
        RETIRED = "retired", _("retired (files removed)")

    engine = models.CharField(verbose_name=_("engine"), max_length=20, choices=Engine.choices)
    version = models.PositiveIntegerField(
        verbose_name=_("version"), help_text=_("Increases by one per engine with every build.")
    )
    data_hash = models.CharField(
        verbose_name=_("data hash"), max_length=64,
        help_text=_("sha256 of the catalog snapshot and parameters it was fitted on."),
    )
    params = models.JSONField(
        verbose_name=_("params"), default=dict, blank=True, help_text=_("The parameters the engine was fitted with.")
    )
    metrics = models.JSONField(verbose_name=_("metrics"), default=dict, blank=True)
    storage_path = models.CharField(
        verbose_name=_("storage path"), max_length=300, blank=True,
        help_text=_("The artifact's folder in file storage."),
    )
    status = models.CharField(verbose_name=_("status"), max_length=8, choices=Status.choices, default=Status.BUILDING)
    is_active = models.BooleanField(
        verbose_name=_("is active"), default=False, help_text=_("The version every process serves.")
    )
    builder = models.CharField(
        verbose_name=_("builder"), max_length=300, blank=True, help_text=_("host:pid of the process that built it.")
    )
    catalog_read_at = models.DateTimeField(
        verbose_name=_("catalog read at"), null=True, blank=True, help_text=_("When the catalog was read for it.")
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(verbose_name=_("finished at"), null=True, blank=True)
    error = models.TextField(verbose_name=_("error"), blank=True)

    class Meta:
        verbose_name = _("model version")
        verbose_name_plural = _("model versions")
        ordering = ["engine", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["engine", "version"], name="model_version_engine_version_unique"),
            # Also the index behind every process's "which version is active?" check.
            models.UniqueConstraint(
                fields=["engine"], condition=Q(is_active=True), name="model_version_one_active_per_engine"
            ),
            models.CheckConstraint(
                condition=Q(is_active=False) | Q(status="ready"), name="model_version_only_ready_is_active"
            ),
        ]
        indexes = [
            # Training looks for unfinished builds of an engine; the admin filters by status.
            models.Index(fields=["engine", "status"], name="model_version_engine_status"),
        ]

    def __str__(self) -> str:
        return f"{self.engine} v{self.version}"

    @property
    def short_hash(self) -> str:
        return self.data_hash[:8]

    @property
    def track_count(self) -> int | None:
        return self.metrics.get("tracks")


class DatasetState(models.Model):
    """The catalog as the rebuilds see it: one row (pk 1) holding the catalog change count the last successful
    rebuild started from, and the rebuilds' record. Written with conditional UPDATEs.

    The catalog counts its own changes (`ingestion.models.CatalogState`); the dataset is dirty while that count is
    past `rebuilt_change_count`, so a change arriving during a rebuild keeps it dirty for the next one. See
    `recommendations.services.rebuilds`.
    """

    SINGLETON_PK = 1

    rebuilt_change_count = models.PositiveBigIntegerField(
        verbose_name=_("rebuilt change count"), default=0,
        help_text=_("The catalog change count the last successful rebuild started from."),
    )
    dirty_noted_at = models.DateTimeField(
        verbose_name=_("dirty noted at"), null=True, blank=True,
        help_text=_("When the first change no rebuild has seen was made (or, for changes made during the last "
                    "rebuild, when it read the catalog); empty until a rebuild check or this page notes it."),
    )  # fmt: skip
    last_rebuild_started_at = models.DateTimeField(verbose_name=_("last rebuild started at"), null=True, blank=True)
    last_rebuild_finished_at = models.DateTimeField(verbose_name=_("last rebuild finished at"), null=True, blank=True)
    last_rebuild_kind = models.CharField(verbose_name=_("last rebuild kind"), max_length=20, blank=True)
    last_rebuild_summary = models.TextField(verbose_name=_("last rebuild summary"), blank=True)

    class Meta:
        verbose_name = _("dataset state")
        verbose_name_plural = _("dataset state")

    def __str__(self) -> str:
        if self.dirty_since:
            return _("dirty since %(when)s") % {"when": f"{self.dirty_since:%Y-%m-%d %H:%M:%S}"}
        return str(_("clean"))

    @cached_property
    def catalog(self) -> CatalogState:
        """The catalog's change counter, read once per instance."""
        return CatalogState.objects.filter(pk=CatalogState.SINGLETON_PK).first() or CatalogState()

    @property
    def change_count(self) -> int:
        return self.catalog.change_count

    @property
    def last_change_at(self) -> datetime | None:
        return self.catalog.last_change_at

    @property
    def last_change_reason(self) -> str:
        return self.catalog.last_change_reason

    @property
    def is_dirty(self) -> bool:
        return self.catalog.change_count > self.rebuilt_change_count

    @property
    def dirty_since(self) -> datetime | None:
        """The first change no rebuild has seen yet (None when clean); the latest change until one was noted."""
        if not self.is_dirty:
            return None
        return self.dirty_noted_at or self.catalog.last_change_at


class RebuildLease(models.Model):
    """A lock that survives a crash: held until `expires_at`, which the holder pushes forward while it works.

    Claimed by `UPDATE ... WHERE expires_at IS NULL OR expires_at < now`; a holder that dies simply stops
    renewing, and the next claimant takes the lease once it has expired.
    """

    name = models.CharField(verbose_name=_("name"), max_length=40, primary_key=True)
    holder = models.CharField(
        verbose_name=_("holder"), max_length=300, blank=True, help_text=_("host:pid and task of the current holder.")
    )
    token = models.CharField(
        verbose_name=_("token"), max_length=32, blank=True, help_text=_("Proves the holder's renewals and release.")
    )
    acquired_at = models.DateTimeField(verbose_name=_("acquired at"), null=True, blank=True)
    expires_at = models.DateTimeField(verbose_name=_("expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("rebuild lease")
        verbose_name_plural = _("rebuild leases")

    def __str__(self) -> str:
        return f"{self.name}: {self.holder or 'free'}"

    def is_held(self, *, now=None) -> bool:
        return self.expires_at is not None and self.expires_at > (now or timezone.now())


# --- today's songs (the listener's daily list, and their likes and dislikes) ---


class TodayList(models.Model):
    """One listener's list for one day; `reroll` 0 is the day's first, each reroll adds a new row.

    Computed by `recommendations.services.today.today_compute`, which claims a pending list with a
    conditional UPDATE; the page polls `status` and `progress` while it works.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        RUNNING = "running", _("running")
        READY = "ready", _("ready")
        FAILED = "failed", _("failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="today_lists"
    )
    day = models.DateField(verbose_name=_("day"))
    reroll = models.PositiveSmallIntegerField(verbose_name=_("reroll"), default=0)
    status = models.CharField(verbose_name=_("status"), max_length=7, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(
        verbose_name=_("progress"), default=0, help_text=_("0-100, for the loading screen.")
    )
    error = models.TextField(
        verbose_name=_("error"), blank=True, help_text=_("Why the list failed, for the listener (translatable text).")
    )
    created = models.DateTimeField(verbose_name=pgettext_lazy("time", "created"), default=timezone.now)
    started = models.DateTimeField(
        verbose_name=_("started"), null=True, blank=True, help_text=_("When a worker claimed it.")
    )
    finished = models.DateTimeField(verbose_name=_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("today list")
        verbose_name_plural = _("today lists")
        ordering = ["-day", "-reroll"]
        constraints = [
            models.UniqueConstraint(fields=["user", "day", "reroll"], name="today_list_user_day_reroll_unique"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="today_list_progress_0_100"),
        ]

    def __str__(self) -> str:
        return f"user {self.user_id} {self.day} #{self.reroll} ({self.status})"

    @property
    def is_done(self) -> bool:
        return self.status in (self.Status.READY, self.Status.FAILED)


class TodayEntry(models.Model):
    today_list = models.ForeignKey(
        TodayList, verbose_name=_("today list"), on_delete=models.CASCADE, related_name="entries"
    )
    position = models.PositiveSmallIntegerField(verbose_name=_("position"))
    track = models.ForeignKey("ingestion.Track", verbose_name=_("track"), on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(verbose_name=_("score"))
    reason = models.CharField(
        verbose_name=_("reason"), max_length=500, blank=True,
        help_text=_("Lists made before reasons had kinds: their English text, shown as is."),
    )
    reason_data = models.JSONField(
        verbose_name=_("reason data"), default=list, blank=True,
        help_text=_('The reason\'s parts, [{"kind", "values"}], worded when shown.'),
    )
    engine = models.CharField(verbose_name=_("engine"), max_length=20)

    class Meta:
        verbose_name = _("today entry")
        verbose_name_plural = _("today entries")
        ordering = ["today_list", "position"]
        constraints = [
            models.UniqueConstraint(fields=["today_list", "position"], name="today_entry_position_unique"),
            models.UniqueConstraint(fields=["today_list", "track"], name="today_entry_track_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.today_list_id}#{self.position}: track {self.track_id}"


class TrackReaction(models.Model):
    """A listener's like or dislike of a track: liked tracks are their playlist, disliked ones never come back."""

    class Kind(models.TextChoices):
        LIKE = "like", _("like")
        DISLIKE = "dislike", _("dislike")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="track_reactions"
    )
    track = models.ForeignKey(
        "ingestion.Track", verbose_name=_("track"), on_delete=models.CASCADE, related_name="reactions"
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=7, choices=Kind.choices)
    created = models.DateTimeField(verbose_name=pgettext_lazy("time", "created"), default=timezone.now)

    class Meta:
        verbose_name = _("track reaction")
        verbose_name_plural = _("track reactions")
        constraints = [
            models.UniqueConstraint(fields=["user", "track"], name="track_reaction_user_track_unique"),
            models.CheckConstraint(condition=Q(kind__in=["like", "dislike"]), name="track_reaction_kind_valid"),
        ]
        indexes = [models.Index(fields=["user", "kind"], name="track_reaction_user_kind")]

    def __str__(self) -> str:
        return f"user {self.user_id} {self.kind}s track {self.track_id}"


class SpotifySavedTrack(models.Model):
    """A catalog track the listener saved on Spotify, as last read from their library (`services.saved_tracks`).

    Kept like a like for collaborative filtering (a row per listener) and left out of their lists as a song they
    already have; forgotten when they disconnect Spotify.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="spotify_saved_tracks",
        verbose_name=_("listener"),
    )  # fmt: skip
    track = models.ForeignKey(
        "ingestion.Track", on_delete=models.CASCADE, related_name="spotify_saves", verbose_name=_("track")
    )
    read_at = models.DateTimeField(default=timezone.now, verbose_name=_("read from Spotify at"))

    class Meta:
        verbose_name = _("track saved on Spotify")
        verbose_name_plural = _("tracks saved on Spotify")
        constraints = [
            models.UniqueConstraint(fields=["user", "track"], name="spotify_saved_track_user_track_unique"),
        ]

    def __str__(self) -> str:
        return f"user {self.user_id} saved track {self.track_id} on Spotify"


class OfflineEvaluation(models.Model):
    """One `manage.py evaluate --record` run: the protocol and every method's scores, for curators to compare."""

    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    playlists_path = models.CharField(
        verbose_name=_("playlists path"), max_length=1000, help_text=_("The MPD files evaluated on, as given.")
    )
    report = models.JSONField(
        verbose_name=_("report"), help_text=_("Protocol, training times and per-category scores of each method.")
    )
    song2vec_r_precision = models.FloatField(
        verbose_name=_("song2vec r precision"), null=True, blank=True, help_text=_("Song2Vec, all categories.")
    )
    popularity_r_precision = models.FloatField(
        verbose_name=_("popularity r precision"), null=True, blank=True, help_text=_("The baseline, all categories.")
    )

    class Meta:
        verbose_name = _("offline evaluation")
        verbose_name_plural = _("offline evaluations")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"evaluation {self.pk} on {self.playlists_path}"


class TrackAudioAnalysis(models.Model):
    """What the audio model measured of a track's audio (issue 12), kept so a new audio model version can estimate
    its features again without decoding the audio a second time, and so the same audio is never analysed twice.

    Written by `recommendations.services.audio`; `audio_name` is the file or URL analysed, so a new upload or
    preview makes a new analysis. A file that could not be analysed keeps its `error`, and is not tried again
    until its audio changes.
    """

    class Outcome(models.TextChoices):
        ANALYSED = "analysed", _("features stored as analysed")
        MEASURED = "measured", _("only tempo, key, mode, loudness stored (no learned audio model)")
        KEPT = "kept", _("real features kept (never overwritten)")
        FAILED = "failed", _("the audio could not be analysed")

    track = models.OneToOneField(
        "ingestion.Track", verbose_name=_("track"), on_delete=models.CASCADE, related_name="audio_analysis"
    )
    audio_kind = models.CharField(
        verbose_name=_("audio kind"), max_length=10,
        help_text=_("file (the track's audio file) or preview (looked up)."),
    )
    audio_name = models.CharField(
        verbose_name=_("audio name"), max_length=600, help_text=_("The storage name or URL of the audio analysed.")
    )
    analysis_version = models.PositiveSmallIntegerField(verbose_name=_("analysis version"))
    measured = models.JSONField(
        verbose_name=_("measured"), default=dict, blank=True, help_text=_("Tempo, key, mode, loudness, duration, ...")
    )
    descriptors = models.JSONField(
        verbose_name=_("descriptors"), default=dict, blank=True, help_text=_("The descriptor vector, by name.")
    )
    model_version = models.ForeignKey(
        ModelVersion, verbose_name=_("model version"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The audio model version whose estimate was stored (empty: none was trained)."),
    )
    outcome = models.CharField(verbose_name=_("outcome"), max_length=8, choices=Outcome.choices)
    error = models.TextField(verbose_name=_("error"), blank=True)
    analysed_at = models.DateTimeField(verbose_name=_("analysed at"), default=timezone.now)

    class Meta:
        verbose_name = _("track audio analysis")
        verbose_name_plural = _("track audio analyses")

    def __str__(self) -> str:
        return f"audio analysis of track {self.track_id} ({self.outcome})"
