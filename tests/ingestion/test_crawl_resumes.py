"""Deferred crawls wait in the database and beat resumes each exactly once, even when claims race or a worker dies.

Against the fake Spotify: a long Retry-After defers a run; `resume_deferred_crawls_task` (what beat sends) resumes
the runs whose time has come, and the catalog ends as an uninterrupted crawl leaves it.
"""
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from ingestion.models import CrawlRun, Playlist, PlaylistTrack, Track
from ingestion.services.crawls import crawl_new_releases, crawl_playlists
from ingestion.services.crawls.resumes import crawl_run_resume, crawl_run_resume_claim, crawl_run_resume_due
from ingestion.tasks import resume_deferred_crawls_task
from tests.fake_spotify import FakeSpotify, Fault, Faults, small_catalog
from tests.fake_spotify.helpers import Killed, catalog_snapshot, client_killed_after, connect, recording_client

PLAYLISTS = list(small_catalog().playlists)


@pytest.fixture
def fake(settings):
    with FakeSpotify(small_catalog(), page_limit=7) as server:
        connect(settings, server)
        yield server


@pytest.fixture
def uninterrupted(fake) -> dict:
    """The catalog an uninterrupted crawl of the playlists leaves; the database is emptied again afterwards."""
    crawl_playlists(playlist_ids=PLAYLISTS, client=recording_client())
    expected = catalog_snapshot()
    for model in (PlaylistTrack, Playlist, Track, CrawlRun):
        model.objects.all().delete()
    return expected


def deferred_run(fake: FakeSpotify, *, due: bool = True) -> CrawlRun:
    """A playlist crawl deferred by a two-hour Retry-After; `due`: as if those two hours had passed."""
    fake.requests.clear()  # faults count the requests from here
    fake.faults = Faults([Fault("rate_limit", on={3}, retry_after=7200)])
    run = crawl_playlists(playlist_ids=PLAYLISTS, client=recording_client())
    fake.faults = Faults()
    assert run.status == CrawlRun.Status.DEFERRED and run.resume_at == run.deferred_until
    if due:
        CrawlRun.objects.filter(pk=run.pk).update(resume_at=timezone.now() - timedelta(seconds=1))
        run.refresh_from_db()
    return run


def assert_no_duplicates() -> None:
    entries = PlaylistTrack.objects.values_list("playlist_id", "position")
    assert len(entries) == len(set(entries))
    ids = Track.objects.values_list("spotify_id", flat=True)
    assert len(ids) == len(set(ids))


@pytest.mark.django_db
def test_beat_resumes_a_due_run_once_and_the_catalog_ends_complete(fake, uninterrupted):
    deferred = deferred_run(fake)

    status = resume_deferred_crawls_task.delay().get()
    again = resume_deferred_crawls_task.delay().get()

    deferred.refresh_from_db()
    resumed = deferred.resumed_by
    assert status == f"resumed as crawl run {resumed.pk}: succeeded"
    assert again == "no deferred crawl is due"
    assert resumed.parameters["resumes"] == deferred.pk
    assert deferred.resume_at is None and deferred.status == CrawlRun.Status.DEFERRED  # its history stays
    assert CrawlRun.objects.count() == 2
    assert catalog_snapshot() == uninterrupted
    assert_no_duplicates()


@pytest.mark.django_db
def test_a_run_whose_time_has_not_come_keeps_waiting(fake):
    deferred = deferred_run(fake, due=False)

    assert resume_deferred_crawls_task.delay().get() == "no deferred crawl is due"

    deferred.refresh_from_db()
    assert deferred.resume_at == deferred.deferred_until and deferred.resumed_by is None


@pytest.mark.django_db
def test_a_claimed_run_cannot_be_claimed_again_until_its_lease_runs_out(fake, settings):
    settings.CRAWL_RESUME_LEASE_SECONDS = 600
    deferred = deferred_run(fake)

    first = crawl_run_resume_claim()
    second = crawl_run_resume_claim()
    after_the_lease = crawl_run_resume_claim(now=timezone.now() + timedelta(seconds=601))

    assert first.pk == deferred.pk and second is None
    assert after_the_lease.pk == deferred.pk


@pytest.mark.django_db
def test_a_resume_whose_worker_died_is_taken_up_after_the_lease_and_finishes(fake, uninterrupted, settings):
    settings.CRAWL_RESUME_LEASE_SECONDS = 600
    deferred = deferred_run(fake)
    claimed = crawl_run_resume_claim()
    with pytest.raises(Killed):  # the worker dies mid-crawl: nothing of the crawl code runs any more
        crawl_run_resume(run=claimed, client=client_killed_after(4))
    died = CrawlRun.objects.get(parameters__resumes=deferred.pk)
    assert died.status == CrawlRun.Status.RUNNING
    assert crawl_run_resume_claim() is None  # still leased: a live resume is never doubled

    again = crawl_run_resume_claim(now=timezone.now() + timedelta(seconds=601))
    resumed = crawl_run_resume(run=again, client=recording_client())

    died.refresh_from_db()
    deferred.refresh_from_db()
    assert died.status == CrawlRun.Status.FAILED and "abandoned" in died.errors[-1]
    assert resumed.status == CrawlRun.Status.SUCCEEDED, resumed.errors
    assert deferred.resumed_by_id == resumed.pk and deferred.resume_at is None
    assert catalog_snapshot() == uninterrupted
    assert_no_duplicates()


@pytest.mark.django_db
def test_the_same_resume_task_delivered_again_takes_its_run_back_at_once(fake, uninterrupted):
    deferred = deferred_run(fake)
    claimed = crawl_run_resume_claim(task_id="task-1")
    with pytest.raises(Killed):
        crawl_run_resume(run=claimed, task_id="task-1", client=client_killed_after(4))

    assert crawl_run_resume_due(task_id="task-2") is None  # another task: leased
    resumed = crawl_run_resume_due(task_id="task-1", client=recording_client())

    deferred.refresh_from_db()
    assert resumed.status == CrawlRun.Status.SUCCEEDED and deferred.resumed_by_id == resumed.pk
    assert CrawlRun.objects.filter(status=CrawlRun.Status.RUNNING).count() == 0
    assert catalog_snapshot() == uninterrupted


@pytest.mark.django_db
def test_a_crawl_task_delivered_again_abandons_the_run_its_dead_worker_left(fake, uninterrupted):
    with pytest.raises(Killed):
        crawl_playlists(playlist_ids=PLAYLISTS, client=client_killed_after(5), task_id="crawl-1")

    again = crawl_playlists(playlist_ids=PLAYLISTS, client=recording_client(), task_id="crawl-1")

    first = CrawlRun.objects.exclude(pk=again.pk).get()
    assert first.status == CrawlRun.Status.FAILED and "abandoned" in first.errors[-1]
    assert again.status == CrawlRun.Status.SUCCEEDED
    assert catalog_snapshot() == uninterrupted
    assert_no_duplicates()


@pytest.mark.django_db
def test_a_resumed_run_deferred_again_waits_for_its_own_time(fake):
    deferred = deferred_run(fake)
    fake.requests.clear()
    fake.faults = Faults([Fault("rate_limit", on={2}, retry_after=7200)])

    resumed = crawl_run_resume_due(client=recording_client())

    deferred.refresh_from_db()
    assert resumed.status == CrawlRun.Status.DEFERRED and resumed.resume_at is not None
    assert deferred.resume_at is None  # handed over: the new run carries the gaps and the waiting
    assert set(resumed.gaps["playlists"]) == set(PLAYLISTS)


@pytest.mark.django_db
def test_a_deferred_new_release_crawl_resumes_with_its_limit(fake):
    fake.faults = Faults([Fault("rate_limit", on={2}, retry_after=3600)])
    deferred = crawl_new_releases(limit=2, client=recording_client())
    fake.faults = Faults()
    CrawlRun.objects.filter(pk=deferred.pk).update(resume_at=timezone.now())

    resumed = crawl_run_resume_due(client=recording_client())

    assert resumed.kind == CrawlRun.Kind.NEW_RELEASES and resumed.parameters == {"limit": 2, "resumes": deferred.pk}
    assert resumed.status == CrawlRun.Status.SUCCEEDED, resumed.errors
    assert Track.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_at_once_resume_one_run_once(fake):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent claims from two connections (SQLite's test database is one)")
    deferred = deferred_run(fake)
    barrier = threading.Barrier(4)
    claims: list[int | None] = []

    def claim() -> None:
        try:
            barrier.wait(timeout=10)
            run = crawl_run_resume_claim()
            claims.append(run.pk if run else None)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(claims, key=str) == sorted([deferred.pk, None, None, None], key=str)
