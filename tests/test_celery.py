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

