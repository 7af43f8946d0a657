"""Moving the catalog change counter from the recommenders to the catalog (recommendations 0005) keeps a deployed
site's state: a clean dataset is not rebuilt because of the move, and a dirty one is still rebuilt."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from recommendations.services.rebuilds import dataset_state

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("recommendations", "0004_offline_evaluation"), ("ingestion", "0003_track_audio_isrc_analysed")]
AFTER = [("recommendations", "0005_change_count_moves_to_the_catalog")]


@pytest.fixture(autouse=True)
def latest_schema_afterwards():
    """Back to every app's latest migration after each test: later tests need the columns added since 0005."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def migrate(targets: list[tuple[str, str]]):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def state_before_the_move(**fields) -> None:
    apps = migrate(BEFORE)
    apps.get_model("recommendations", "DatasetState").objects.create(pk=1, **fields)
    migrate(AFTER)


def test_a_clean_dataset_stays_clean():
    changed_at = timezone.now() - dt.timedelta(hours=2)
    state_before_the_move(
        change_count=7, rebuilt_change_count=7, dirty_since=None, last_change_at=changed_at,
        last_change_reason="admin: 1 track hidden",
    )  # fmt: skip

    state = dataset_state()

    assert not state.is_dirty and state.change_count == 7
    assert state.last_change_at == changed_at and state.last_change_reason == "admin: 1 track hidden"


def test_a_dirty_dataset_stays_dirty_since_the_same_time():
    dirty_since = timezone.now() - dt.timedelta(minutes=5)
    state_before_the_move(
        change_count=9, rebuilt_change_count=7, dirty_since=dirty_since, last_change_at=timezone.now(),
        last_change_reason="import run 3 (catalog)",
    )  # fmt: skip

    state = dataset_state()

    assert state.is_dirty and state.dirty_since == dirty_since
    assert state.change_count == 9 and state.rebuilt_change_count == 7


def test_a_clean_dataset_whose_counts_differ_is_not_rebuilt_for_the_move():
    # Counts that differ on a clean row (a rebuild that saw changes arrive, then a clean-up by hand): clean wins.
    state_before_the_move(change_count=12, rebuilt_change_count=10, dirty_since=None)

    assert not dataset_state().is_dirty


def test_a_site_that_never_recorded_a_change_starts_clean():
    migrate(BEFORE)
    migrate(AFTER)

    state = dataset_state()

    assert not state.is_dirty and state.change_count == 0
