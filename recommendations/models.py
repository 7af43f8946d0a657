"""Model versions: one row per trained artifact of a recommendation engine.

A version is `building` while it is fitted and uploaded, then `ready`, or `failed` with the error; an old ready
version is `retired` (its files removed) once enough newer ones exist to roll back to. At most one
version per engine is active (a partial unique index), and only a ready one may be (a check constraint), so
a build that dies half-way can never be what the site serves. The artifact's files live in default storage
under `storage_path` (see `recommendations.artifacts`); training is in `recommendations.services`.
"""
from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class ModelVersion(models.Model):
    class Engine(models.TextChoices):
        CONTENT = "content", "content-based"
        CLUSTERS = "clusters", "clusters (k-means)"
        SONG2VEC = "song2vec", "Song2Vec (situations)"

    class Status(models.TextChoices):
        BUILDING = "building", "building"
        READY = "ready", "ready"
        FAILED = "failed", "failed"
        RETIRED = "retired", "retired (files removed)"

    engine = models.CharField(max_length=20, choices=Engine.choices)
    version = models.PositiveIntegerField(help_text="Increases by one per engine with every build.")
    data_hash = models.CharField(
        max_length=64, help_text="sha256 of the catalog snapshot and parameters it was fitted on."
    )
    params = models.JSONField(default=dict, blank=True, help_text="The parameters the engine was fitted with.")
    metrics = models.JSONField(default=dict, blank=True)
    storage_path = models.CharField(max_length=300, blank=True, help_text="The artifact's folder in file storage.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.BUILDING)
    is_active = models.BooleanField(default=False, help_text="The version every process serves.")
    builder = models.CharField(max_length=300, blank=True, help_text="host:pid of the process that built it.")
    catalog_read_at = models.DateTimeField(null=True, blank=True, help_text="When the catalog was read for it.")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
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
