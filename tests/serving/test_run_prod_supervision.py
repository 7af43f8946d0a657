"""run_prod's supervision: a worker that stops by itself (as Celery does when Redis goes away mid-task) is started
again while the site stays up; one that keeps stopping, or the web server stopping, ends the whole stack."""
from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from django.core.management.base import CommandError

from recommender_site.management.commands import run_prod


def appending(path: Path, *, exit_code: int, sleep: float = 0.0) -> list[str]:
    """A process that notes each start in `path`, waits `sleep` seconds, and exits with `exit_code`."""
    code = f"import time; open({str(path)!r}, 'a').write('x'); time.sleep({sleep}); raise SystemExit({exit_code})"
    return [sys.executable, "-c", code]


def test_a_worker_that_stops_by_itself_is_started_again_until_it_keeps_stopping(tmp_path, monkeypatch):
    monkeypatch.setattr(run_prod, "RESTARTS_PER_WINDOW", 2)
    web, worker = tmp_path / "web-starts", tmp_path / "worker-starts"
    out = io.StringIO()
    commands = {"web": appending(web, exit_code=0, sleep=120), "worker": appending(worker, exit_code=1)}

    with pytest.raises(CommandError, match="worker stopped with an error"):
        run_prod.supervise(commands, out, poll_seconds=0.05)

    assert len(worker.read_text()) == 3  # the first start and two restarts
    assert out.getvalue().count("worker stopped by itself (exit 1); starting it again") == 2
    assert "stopped by itself: {'worker': 1}; stopping the others" in out.getvalue()
    assert web.read_text() == "x"


def test_the_web_server_stopping_stops_everything_without_a_restart(tmp_path):
    web, worker = tmp_path / "web-starts", tmp_path / "worker-starts"
    out = io.StringIO()
    commands = {"web": appending(web, exit_code=0), "worker": appending(worker, exit_code=0, sleep=120)}

    assert run_prod.supervise(commands, out, poll_seconds=0.05) == 0

    assert web.read_text() == "x"
    assert "stopped by itself: {'web': 0}" in out.getvalue()
