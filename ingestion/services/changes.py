"""The catalog's change counter: imports, crawls and curators' edits each record their change here, once.

Readers of the catalog (the recommenders' rebuilds) keep the count they last built from and compare it with
`catalog_state().change_count`; nothing here knows them. One UPDATE per change, cheap and safe from any process
or inside any transaction: a rolled-back change rolls its count back too.
"""
from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ingestion.models import CatalogState

REASON_MAX_LENGTH = 200


def catalog_changed(*, reason: str, export_snapshot: bool = False) -> None:
    """Record one catalog change: bump the change count, keep when and why (`reason`, for the admin).

    With `export_snapshot`, the whole catalog is also exported as a snapshot once the transaction commits, as
    its own task so a storage failure never fails the change (crawls do this, as the original project did after
    every crawl; imports do not: their files are the snapshot). Safe to call repeatedly: more calls only raise
    the count, and one rebuild covers them all.
    """
    changes = {
        "change_count": F("change_count") + 1,
        "last_change_at": timezone.now(),
        "last_change_reason": reason[:REASON_MAX_LENGTH],
    }
    if not CatalogState.objects.filter(pk=CatalogState.SINGLETON_PK).update(**changes):
        catalog_state()  # the singleton row is created on first use
        CatalogState.objects.filter(pk=CatalogState.SINGLETON_PK).update(**changes)
    if export_snapshot:
        from ingestion.tasks import export_snapshot_task  # tasks import the services

        transaction.on_commit(lambda: export_snapshot_task.delay(reason=reason))


def catalog_state() -> CatalogState:
    """The singleton row (no change recorded yet: created with a count of 0)."""
    try:
        with transaction.atomic():  # a savepoint: a concurrent creator's row makes our insert fail, not the caller
            state, _ = CatalogState.objects.get_or_create(pk=CatalogState.SINGLETON_PK)
    except IntegrityError:
        state = CatalogState.objects.get(pk=CatalogState.SINGLETON_PK)
    return state
