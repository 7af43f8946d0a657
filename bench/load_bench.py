"""Load benchmark: 50 logged-in listeners against gunicorn + PostgreSQL + Redis on this machine (loopback only).

    # with the README's production variables pointing at a scratch PostgreSQL database and Redis numbers:
    .venv/bin/python manage.py seed_demo && .venv/bin/python manage.py train_recommenders
    .venv/bin/python bench/load_bench.py [--listeners 50] [--seconds 60] [--today-seconds 30] [--port 8111]

Makes `--listeners` listeners (bench-N, a finished taste, today's list computed, an API token, a session), starts
gunicorn with gunicorn.conf.py (its per-core defaults unless GUNICORN_* say otherwise), and runs two closed-loop
phases, each listener waiting for its answer before the next request:
1. today's songs only, `--today-seconds` (the issue's target: >= 200 requests/s at p99 <= 100 ms, 0 errors);
2. the mix, `--seconds`: today's songs 40%, the API 20%, situation page 15%, search-as-you-type 15%, reactions 10%.
Prints requests/s, p50/p99 and errors per kind, the web processes' total RSS before and after, and the load
generator's own CPU time: it is one asyncio process (httpx) on the same two cores as the server, so it takes CPU
the server would otherwise have; the numbers are a floor for this machine. Per-IP limits are off for the run
(all listeners share 127.0.0.1); per-account limits stay as configured. Every request has a 10 s timeout, and
each phase stops at its deadline.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recommender_site.settings")

MIX = (("today", 40), ("api", 20), ("situation", 15), ("search", 15), ("react", 10))
SITUATIONS = ("코딩할 때 듣기 좋은 음악", "music for a rainy drive", "workout", "study focus", "잠들기 전")
SEARCHES = ("so", "son", "song", "ro", "roc", "ja", "jaz", "hip", "k-p", "드라")


def make_listeners(count: int) -> list[dict]:
    """Listeners with a finished taste, today's list ready, a session cookie and an API token (safe to re-run)."""
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.test import Client
    from django.utils import timezone

    from accounts.services import api_token_create
    from filters.models import TasteProfile
    from ingestion.models import Track
    from recommendations.services.today import today_compute, today_request

    moods, speeds, emotions = ("bright", "dark"), ("slow", "fast"), ("depressed", "normal", "excited")
    track_ids = list(Track.objects.filter(is_hidden=False).values_list("pk", flat=True)[:500])
    listeners = []
    for n in range(count):
        user, _ = User.objects.get_or_create(username=f"bench-{n}")
        TasteProfile.objects.update_or_create(
            user=user,
            defaults={"mood": moods[n % 2], "speed": speeds[n // 2 % 2], "emotion": emotions[n % 3],
                      "completed_at": timezone.now()},
        )
        today_list = today_request(user=user)
        if today_list.status != "ready":
            today_compute(today_list_id=today_list.pk)
        user.api_tokens.all().delete()
        client = Client()
        client.force_login(user)
        listeners.append({
            "session": client.cookies["sessionid"].value,
            "token": api_token_create(user=user, name="load bench"),
            "tracks": track_ids,
        })  # fmt: skip
    return listeners


def web_rss_mb(master_pid: int) -> float:
    pids = [master_pid]
    try:
        for task in Path(f"/proc/{master_pid}/task").iterdir():
            pids += [int(pid) for pid in (task / "children").read_text().split()]
    except FileNotFoundError:
        return 0.0
    total_kb = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            continue
        total_kb += int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1])
    return total_kb / 1024


async def listener_loop(client, listener: dict, kinds: list[str], deadline: float, results: dict, rng) -> None:
    base = {"Cookie": f"sessionid={listener['session']}; csrftoken=benchcsrftoken0123456789abcdef01",
            "X-Forwarded-Proto": "https"}  # fmt: skip
    while time.monotonic() < deadline:
        kind = rng.choice(kinds)
        headers = dict(base)
        if kind == "today":
            request = client.build_request("GET", "/today/", headers=headers)
        elif kind == "situation":
            request = client.build_request("GET", "/situation/", params={"q": rng.choice(SITUATIONS)}, headers=headers)
        elif kind == "search":
            headers["Accept"] = "application/json"
            request = client.build_request("GET", "/taste/search/", params={"q": rng.choice(SEARCHES)}, headers=headers)
        elif kind == "api":
            request = client.build_request(
                "GET", "/api/v1/recommendations/content", params={"k": 20, "mood": "bright"},
                headers={"Authorization": f"Bearer {listener['token']}", "X-Forwarded-Proto": "https"},
            )
        else:
            track = rng.choice(listener["tracks"])
            headers |= {"X-CSRFToken": "benchcsrftoken0123456789abcdef01", "Accept": "application/json",
                        "Referer": f"https://{client.base_url.netloc.decode()}/today/"}
            request = client.build_request(
                "POST", f"/tracks/{track}/react/", data={"kind": rng.choice(("like", "clear"))}, headers=headers
            )
        started = time.perf_counter()
        try:
            response = await client.send(request)
            ok = response.status_code == 200
            status = response.status_code
        except Exception as error:  # a timeout or a refused connection is an error of the run
            ok, status = False, type(error).__name__
        results[kind].append(((time.perf_counter() - started) * 1000, ok, status))


async def run_phase(port: int, listeners: list[dict], kinds: list[str], seconds: float) -> tuple[dict, float]:
    import httpx

    results: dict[str, list] = defaultdict(list)
    limits = httpx.Limits(max_connections=len(listeners), max_keepalive_connections=len(listeners))
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10, limits=limits) as client:
        deadline = time.monotonic() + seconds
        started = time.monotonic()
        await asyncio.gather(*(
            listener_loop(client, listener, kinds, deadline, results, random.Random(n))
            for n, listener in enumerate(listeners)
        ))  # fmt: skip
        return results, time.monotonic() - started


def report(title: str, results: dict, elapsed: float) -> None:
    print(f"\n{title} ({elapsed:.1f} s)")
    print(f"{'kind':<10} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}  statuses")
    everything = []
    for kind, rows in sorted(results.items()):
        everything += rows
        _print_row(kind, rows, elapsed)
    _print_row("all", everything, elapsed)


def _print_row(kind: str, rows: list, elapsed: float) -> None:
    times = sorted(row[0] for row in rows)
    errors = [row[2] for row in rows if not row[1]]
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))] if times else 0
    statuses = ", ".join(f"{s}×{errors.count(s)}" for s in sorted(set(map(str, errors)))) if errors else ""
    print(f"{kind:<10} {len(rows):>9} {len(rows) / elapsed:>8.1f} {statistics.median(times) if times else 0:>8.1f} "
          f"{p99:>8.1f} {len(errors):>7}  {statuses}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listeners", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--today-seconds", type=float, default=30)
    parser.add_argument("--port", type=int, default=8111)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        print("Set DATABASE_URL (PostgreSQL) and REDIS_URL, as in the README's production variables.")
        return 2
    listeners = make_listeners(args.listeners)
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)  # a log line per request would cost the generator's CPU
    env = os.environ | {"GUNICORN_BIND": f"127.0.0.1:{args.port}", "API_RATE_LIMIT_PER_IP": "off",
                        "SEARCH_RATE_LIMIT_PER_IP": "off", "DJANGO_LOG_LEVEL": "WARNING"}  # fmt: skip
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"], cwd=ROOT, env=env)
    try:
        time.sleep(6)
        warm, _ = asyncio.run(run_phase(args.port, listeners, ["today", "api", "situation", "search"], 5))
        print(f"warm-up: {sum(len(rows) for rows in warm.values())} requests; workers loaded the models")
        rss_before = web_rss_mb(server.pid)
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        results, elapsed = asyncio.run(run_phase(args.port, listeners, ["today"], args.today_seconds))
        report(f"Phase 1: {args.listeners} listeners, today's songs only", results, elapsed)
        kinds = [kind for kind, weight in MIX for _ in range(weight)]
        results, elapsed = asyncio.run(run_phase(args.port, listeners, kinds, args.seconds))
        report(f"Phase 2: {args.listeners} listeners, the mix", results, elapsed)
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        rss_after = web_rss_mb(server.pid)
        client_cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
        print(f"\nweb processes' RSS: {rss_before:.0f} MB before, {rss_after:.0f} MB after "
              f"({rss_after - rss_before:+.0f} MB); load generator CPU: {client_cpu:.1f} s over "
              f"{args.today_seconds + args.seconds:.0f} s")  # fmt: skip
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
