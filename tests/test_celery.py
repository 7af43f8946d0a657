"""The Celery app: configured from Django settings, finds every app's tasks.py, and runs tasks in-process
when no broker is configured (the laptop and test default)."""
import importlib.util
import os
import subprocess
import sys
import uuid

import pytest
from django.apps import apps
from django.conf import settings

from recommender_site import celery_app


@celery_app.task(name="tests.test_celery.process_id_task")
def process_id_task() -> int:
    return os.getpid()


@celery_app.task(name="tests.test_celery.failing_task")
def failing_task() -> None:
    raise ValueError("the task failed")


def apps_with_tasks_module() -> list[str]:
    return [config.name for config in apps.get_app_configs() if importlib.util.find_spec(f"{config.name}.tasks")]


def test_app_is_configured_from_django_settings():
    assert celery_app.main == "recommender_site"
    assert celery_app.conf.task_always_eager is settings.CELERY_TASK_ALWAYS_EAGER is True
    assert celery_app.conf.task_acks_late is True


def test_autodiscovery_registers_the_tasks_of_installed_apps():
    app_names = apps_with_tasks_module()
    if not app_names:
        pytest.skip("no installed app has a tasks.py yet")
    # A fresh process, as a worker starts: nothing has imported the tasks modules except autodiscovery.
    code = (
        "import django; django.setup(); from recommender_site import celery_app; "
        "celery_app.loader.import_default_modules(); print('\\n'.join(sorted(celery_app.tasks)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    registered = result.stdout.split()

    for app_name in app_names:
        assert any(name.startswith(f"{app_name}.tasks.") for name in registered), f"no task found in {app_name}"
    if "ingestion" in app_names:
        assert "ingestion.tasks.run_import_task" in registered

def test_eager_task_runs_in_this_process():
    result = process_id_task.delay()

    assert result.get(timeout=10) == os.getpid()


def test_eager_task_errors_reach_the_caller():
    with pytest.raises(ValueError, match="the task failed"):
        failing_task.delay()


@pytest.mark.skipif(not os.environ.get("TEST_CELERY_BROKER_URL"), reason="TEST_CELERY_BROKER_URL is not set")
def test_broker_round_trips_a_message():
    from kombu import Connection

    with Connection(os.environ["TEST_CELERY_BROKER_URL"], connect_timeout=5) as connection:
        queue = connection.SimpleQueue(f"ci-check-{uuid.uuid4().hex}")
        try:
            queue.put({"track": "오늘의 노래"})
            message = queue.get(timeout=10)
            message.ack()
        finally:
            queue.queue.delete()  # no binding keys left behind in the broker
            queue.close()
    assert message.payload == {"track": "오늘의 노래"}



def project_tasks() -> list[str]:
    celery_app.loader.import_default_modules()
    return sorted(name for name in celery_app.tasks if name.split(".")[0] in {c.name for c in apps.get_app_configs()})


def queue_of(task_name: str) -> str:
    return celery_app.amqp.router.route({}, task_name)["queue"].name


def test_crawls_training_and_listener_work_go_to_their_own_queues():
    base = settings.CELERY_TASK_DEFAULT_QUEUE

    assert queue_of("ingestion.tasks.crawl_playlists_task") == f"{base}.crawl"
    assert queue_of("ingestion.tasks.resume_deferred_crawls_task") == f"{base}.crawl"
    assert queue_of("recommendations.tasks.rebuild_if_dirty_task") == f"{base}.train"
    assert queue_of("recommendations.tasks.train_recommenders_task") == f"{base}.train"
    assert queue_of("recommendations.tasks.compute_today_task") == f"{base}.listener"
    assert queue_of("ingestion.tasks.run_import_task") == base


def test_every_project_task_has_a_route_and_soft_and_hard_time_limits():
    tasks = project_tasks()
    assert "ingestion.tasks.resume_deferred_crawls_task" in tasks

    for name in tasks:
        task = celery_app.tasks[name]
        assert name in settings.CELERY_TASK_ROUTES, f"{name} has no queue"
        assert 0 < task.soft_time_limit < task.time_limit, name
    assert celery_app.tasks["recommendations.tasks.compute_today_task"].time_limit <= 120  # a page is waiting
    assert celery_app.tasks["recommendations.tasks.rebuild_nightly_task"].time_limit >= 3600


def test_the_workers_run_prod_starts_consume_every_queue_exactly_once():
    from recommender_site.management.commands.run_prod import worker_commands

    commands = worker_commands(concurrency={"worker": 2, "worker-batch": 2})
    consumed = [q for command in commands.values() for q in command[command.index("--queues") + 1].split(",")]

    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert sorted(consumed) == sorted(set(consumed)) == sorted(routed | {settings.CELERY_TASK_DEFAULT_QUEUE})
    batch = commands["worker-batch"][commands["worker-batch"].index("--queues") + 1].split(",")
    assert queue_of("recommendations.tasks.compute_today_task") not in batch  # no rebuild ahead of a listener


def test_redis_never_delivers_a_running_task_twice_and_a_lost_worker_means_a_retry():
    longest = max(task.time_limit for task in map(celery_app.tasks.get, project_tasks()))

    assert celery_app.conf.broker_transport_options["visibility_timeout"] > longest
    assert celery_app.conf.task_reject_on_worker_lost is True and celery_app.conf.task_acks_late is True


def test_beat_looks_for_deferred_crawls_to_resume():
    entry = settings.CELERY_BEAT_SCHEDULE["resume-deferred-crawls"]

    assert entry["task"] == "ingestion.tasks.resume_deferred_crawls_task"
    assert entry["schedule"] == settings.CRAWL_RESUME_CHECK_SECONDS
    assert entry["options"]["expires"] >= 60


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"CELERY_CRAWL_SOFT_TIME_LIMIT": "900", "CELERY_CRAWL_TIME_LIMIT": "600"}, "CELERY_CRAWL_SOFT_TIME_LIMIT"),
        ({"CELERY_VISIBILITY_TIMEOUT": "600"}, "CELERY_VISIBILITY_TIMEOUT"),
        ({"CELERY_LISTENER_TIME_LIMIT": "soon"}, "CELERY_LISTENER_TIME_LIMIT"),
    ],
)
def test_bad_time_limits_stop_the_process_with_their_name(tmp_path, environment, message):
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=settings.BASE_DIR, capture_output=True,
        text=True, timeout=120,
        env={"PATH": os.environ.get("PATH", ""), "DJANGO_SETTINGS_MODULE": "recommender_site.settings",
             "APP_VAR_DIR": str(tmp_path), **environment},
    )  # fmt: skip

    assert result.returncode != 0 and message in result.stderr
