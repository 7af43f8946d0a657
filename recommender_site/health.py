"""/health/ for load balancers and operators: 200 when this process can reach everything it needs, else 503.

Checks the database, the cache, the Celery broker and file storage, each with its time; and lists the active
model versions with their age (not a failure when missing: the site still answers, and says what to run).
"""
from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone

logger = logging.getLogger(__name__)
BROKER_TIMEOUT_SECONDS = 2


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _cache() -> str:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=10)
    if cache.get(key) != "ok":
        raise RuntimeError("a value written to the cache did not come back")
    cache.delete(key)
    return settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]


def _broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "none: tasks run in-process"
    from celery_app import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS)
        return conn.transport.driver_type


def _storage() -> str:
    if isinstance(default_storage, FileSystemStorage):
        root = default_storage.location
        if not (os.path.isdir(root) and os.access(root, os.W_OK)):
            raise RuntimeError("the media folder is missing or not writable")
        return "local files"
    default_storage.exists("health/probe")  # a HEAD request: reaches the bucket with these credentials
    return type(default_storage).__name__


CHECKS: dict[str, Callable[[], str]] = {
    "database": _database,
    "cache": _cache,
    "broker": _broker,
    "storage": _storage,
}


def _run(check: Callable[[], str]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        detail, ok = check(), True
    except Exception as error:  # any failure is reported, not raised: this is what the probe is for
        detail, ok = f"{type(error).__name__}: {str(error)[:200]}", False
    return {"ok": ok, "detail": detail, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _models(database_ok: bool) -> list[dict[str, Any]]:
    if not database_ok:
        return []
    from recommendations.models import ModelVersion

    now = timezone.now()
    return [
        {
            "engine": version.engine,
            "version": version.version,
            "activated": (version.finished_at or version.created_at).isoformat(),
            "age_seconds": int((now - (version.finished_at or version.created_at)).total_seconds()),
        }
        for version in ModelVersion.objects.filter(is_active=True).order_by("engine")
    ]


def health_report() -> dict[str, Any]:
    checks = {name: _run(check) for name, check in CHECKS.items()}
    healthy = all(check["ok"] for check in checks.values())
    try:
        models = _models(checks["database"]["ok"])
    except Exception as error:
        healthy = False
        checks["models"] = {"ok": False, "detail": f"{type(error).__name__}: {str(error)[:200]}", "ms": 0}
        models = []
    if not healthy:
        logger.warning("health check failed: %s", {name: c["detail"] for name, c in checks.items() if not c["ok"]})
    return {"status": "ok" if healthy else "unavailable", "checks": checks, "models": models}


def health_response() -> JsonResponse:
    report = health_report()
    response = JsonResponse(report, status=200 if report["status"] == "ok" else 503)
    response["Cache-Control"] = "no-store"
    return response
