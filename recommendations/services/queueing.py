"""Queueing the recommenders' work that curators start from the admin, so the page answers at once.

With a broker, a task goes to the workers after the commit. Without one (a laptop, `run_demo`), Celery runs tasks
eagerly, inside the request that queued them: a retrain held the admin page for seconds. There, with
TASKS_IN_BACKGROUND_WITHOUT_BROKER on (the default), the task runs on a thread of this process after the commit
instead; its outcome is recorded where a worker's would be (the model versions, the dataset state).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from celery import Task
from django.conf import settings
from django.db import connections, transaction

logger = logging.getLogger(__name__)

_threads: set[threading.Thread] = set()
_threads_guard = threading.Lock()


def task_queue(task: Task, *args: object) -> None:
    """Send `task(*args)` after the commit: to the broker, or without one to a background thread (see above)."""
    transaction.on_commit(lambda: _send(task, args), robust=True)


def tasks_in_background_wait(timeout: float | None = None) -> bool:
    """Wait for the background threads started so far; True when all have finished (tests, shutdown)."""
    with _threads_guard:
        running = list(_threads)
    for thread in running:
        thread.join(timeout)
    return not any(thread.is_alive() for thread in running)


def _send(task: Task, args: tuple) -> None:
    if not (settings.CELERY_TASK_ALWAYS_EAGER and settings.TASKS_IN_BACKGROUND_WITHOUT_BROKER):
        task.delay(*args)
        return
    thread = threading.Thread(target=_run_here, args=(task.apply, args, task.name), daemon=True)
    thread.name = f"task {task.name}"
    with _threads_guard:
        _threads.add(thread)
    thread.start()


def _run_here(apply: Callable, args: tuple, name: str) -> None:
    try:
        result = apply(args=args)
        logger.info("background task %s: %s", name, result.result)
    except Exception:  # recorded by the task itself (a failed version); the thread only must not die loudly
        logger.exception("background task %s failed", name)
    finally:
        connections.close_all()  # this thread's own connections
        with _threads_guard:
            _threads.discard(threading.current_thread())
