"""Load benchmark: 50 logged-in listeners against gunicorn + PostgreSQL + Redis on this machine (loopback only).

    # with the README's production variables pointing at a scratch PostgreSQL database and Redis numbers:
    .venv/bin/python manage.py seed_demo && .venv/bin/python manage.py train_recommenders
    .venv/bin/python bench/load_bench.py [--listeners 50] [--seconds 60] [--today-seconds 30] [--rate 200]
                                         [--endpoint-seconds 10] [--port 8111]

Makes `--listeners` listeners (bench-N, a finished taste, today's list computed, an API token, a session), starts
gunicorn with gunicorn.conf.py (its per-core defaults unless GUNICORN_* say otherwise), and runs these phases,
each bounded by its deadline (every request also has a 10 s timeout):
1. today's songs, closed loop for `--today-seconds`: each listener sends its next request as soon as the answer
   arrives, so requests/s is the most the server managed and latency is what 50 waiting listeners see at that rate;
2. today's songs at a fixed rate (`--rate` requests/s in all, each listener on its own even schedule) for
   `--today-seconds`: the issue's target (>= 200 requests/s at p99 <= 100 ms, 0 errors). Latency counts from the
   moment a request was due, so a server that falls behind is not flattered by requests sent late;
3. the mix, closed loop for `--seconds`: today's songs 40%, the API 20%, situation page 15%, search-as-you-type
   15%, reactions 10%;
4. each kind alone, closed loop for `--endpoint-seconds`, with the web processes' RSS before and after it.
Prints requests/s, p50/p99 and errors per kind, the web processes' total RSS (master and workers) before and after
each phase, the machine's load average, the web processes' CPU time per request (a measure that other work on a
shared machine changes far less than requests/s), and the load generator's own CPU time.

The load generator is one asyncio process speaking HTTP/1.1 over raw keep-alive sockets (one connection per
listener, reopened when the server closes it), not an HTTP library: at a few hundred requests/s an httpx client
took about a core of this 2-core machine away from the server it was measuring; this one takes a few percent (its
CPU time is printed). Per-IP limits are off for the run (all listeners share 127.0.0.1); per-account limits stay
as configured.
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
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recommender_site.settings")

MIX = (("today", 40), ("api", 20), ("situation", 15), ("search", 15), ("react", 10))
SITUATIONS = ("코딩할 때 듣기 좋은 음악", "music for a rainy drive", "workout", "study focus", "잠들기 전")
SEARCHES = ("so", "son", "song", "ro", "roc", "ja", "jaz", "hip", "k-p", "드라")
CSRF = "benchcsrftoken0123456789abcdef01"
TIMEOUT = 10.0


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
        )  # fmt: skip
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


def web_pids(master_pid: int) -> list[int]:
    pids = [master_pid]
    try:
        for task in Path(f"/proc/{master_pid}/task").iterdir():
            pids += [int(pid) for pid in (task / "children").read_text().split()]
    except FileNotFoundError:
        return []
    return pids


def web_cpu_seconds(master_pid: int) -> float:
    """User + system CPU time of gunicorn's master and workers so far (PostgreSQL's and Redis's are not in it)."""
    ticks = 0
    for pid in web_pids(master_pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def web_rss_mb(master_pid: int) -> float:
    pids = web_pids(master_pid)
    total_kb = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            continue
        total_kb += int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1])
    return total_kb / 1024


class Connection:
    """One keep-alive HTTP/1.1 connection to the server; reopened when the server closes it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, target: str, headers: dict[str, str], body: bytes = b"") -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        lines = [f"{method} {target} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body:
            lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
            status, length, chunked, close = _parse_head(head)
            if chunked:
                await self._read_chunked()
            elif length is not None:
                await self.reader.readexactly(length)
            else:
                await self.reader.read()  # no length: the body ends with the connection
                close = True
        except BaseException:
            self.close()
            raise
        if close:
            self.close()
        return status

    async def _read_chunked(self) -> None:
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await self.reader.readexactly(size + 2)
            if size == 0:
                return

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def _parse_head(head: bytes) -> tuple[int, int | None, bool, bool]:
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, chunked, close = None, False, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value:
            chunked = True
        elif name == "connection" and value == "close":
            close = True
    return status, length, chunked, close


def build_request(kind: str, listener: dict, rng: random.Random, port: int) -> tuple[str, str, dict, bytes]:
    cookies = {"Cookie": f"sessionid={listener['session']}; csrftoken={CSRF}", "X-Forwarded-Proto": "https"}
    if kind == "today":
        return "GET", "/today/", cookies, b""
    if kind == "situation":
        return "GET", "/situation/?" + urlencode({"q": rng.choice(SITUATIONS)}), cookies, b""
    if kind == "search":
        query = urlencode({"q": rng.choice(SEARCHES)})
        return "GET", f"/taste/search/?{query}", cookies | {"Accept": "application/json"}, b""
    if kind == "api":
        headers = {"Authorization": f"Bearer {listener['token']}", "X-Forwarded-Proto": "https"}
        return "GET", "/api/v1/recommendations/content?k=20&mood=bright", headers, b""
    track = rng.choice(listener["tracks"])
    headers = cookies | {"X-CSRFToken": CSRF, "Accept": "application/json", "Referer": f"https://127.0.0.1:{port}/today/"}
    return "POST", f"/tracks/{track}/react/", headers, urlencode({"kind": rng.choice(("like", "clear"))}).encode()


async def listener_loop(port: int, listener: dict, kinds: list[str], deadline: float, results: dict,
                        rng: random.Random, interval: float | None) -> None:
    """Closed loop (interval None), or one request every `interval` seconds from a random phase (fixed rate)."""
    connection = Connection(port)
    due = time.perf_counter() + (rng.random() * interval if interval else 0)
    try:
        while True:
            if interval:
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            if time.monotonic() >= deadline:
                return
            kind = rng.choice(kinds)
            started = due if interval else time.perf_counter()
            try:
                status = await asyncio.wait_for(connection.request(*build_request(kind, listener, rng, port)), TIMEOUT)
                ok = status == 200
            except Exception as error:  # a timeout or a refused connection is an error of the run
                ok, status = False, type(error).__name__
                connection.close()
            results[kind].append(((time.perf_counter() - started) * 1000, ok, status))
            if interval:
                due += interval
    finally:
        connection.close()


async def warm_up(port: int, listeners: list[dict], seconds: float = 180) -> int:
    """Every listener asks for each kind once (bounded by `seconds`): the models are loaded in each worker and
    each listener's rendered page is in the cache, as on a site that has been up for a while."""
    async def one(listener: dict, rng: random.Random) -> int:
        connection, answered = Connection(port), 0
        try:
            for kind in ("today", "api", "situation", "search"):
                try:
                    await asyncio.wait_for(connection.request(*build_request(kind, listener, rng, port)), seconds)
                    answered += 1
                except Exception:
                    connection.close()
        finally:
            connection.close()
        return answered

    done = await asyncio.wait_for(
        asyncio.gather(*(one(listener, random.Random(n)) for n, listener in enumerate(listeners))), seconds
    )
    return sum(done)


async def run_phase(port: int, listeners: list[dict], kinds: list[str], seconds: float,
                    rate: float | None = None) -> tuple[dict, float]:
    results: dict[str, list] = defaultdict(list)
    interval = len(listeners) / rate if rate else None
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    await asyncio.gather(*(
        listener_loop(port, listener, kinds, deadline, results, random.Random(n), interval)
        for n, listener in enumerate(listeners)
    ))  # fmt: skip
    return results, time.monotonic() - started


def report(title: str, results: dict, elapsed: float, web_cpu: float) -> None:
    requests = sum(len(rows) for rows in results.values())
    print(f"\n{title} ({elapsed:.1f} s; load average {_load()}; web CPU {1000 * web_cpu / max(requests, 1):.1f} ms "
          f"per request, {100 * web_cpu / elapsed:.0f}% of one core)")
    print(f"{'kind':<10} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}  statuses")
    everything = []
    for kind, rows in sorted(results.items()):
        everything += rows
        _print_row(kind, rows, elapsed)
    if len(results) > 1:
        _print_row("all", everything, elapsed)


def _print_row(kind: str, rows: list, elapsed: float) -> None:
    times = sorted(row[0] for row in rows)
    errors = [row[2] for row in rows if not row[1]]
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))] if times else 0
    statuses = ", ".join(f"{s}×{errors.count(s)}" for s in sorted(set(map(str, errors)))) if errors else ""
    print(f"{kind:<10} {len(rows):>9} {len(rows) / elapsed:>8.1f} {statistics.median(times) if times else 0:>8.1f} "
          f"{p99:>8.1f} {len(errors):>7}  {statuses}")  # fmt: skip


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listeners", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60, help="the mix (phase 3)")
    parser.add_argument("--today-seconds", type=float, default=30, help="each of the today-only phases (1 and 2)")
    parser.add_argument("--rate", type=float, default=200, help="requests/s of the fixed-rate phase (2)")
    parser.add_argument("--endpoint-seconds", type=float, default=10, help="each kind alone (phase 4); 0 skips")
    parser.add_argument("--port", type=int, default=8111)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        print("Set DATABASE_URL (PostgreSQL) and REDIS_URL, as in the README's production variables.")
        return 2
    listeners = make_listeners(args.listeners)
    env = os.environ | {"GUNICORN_BIND": f"127.0.0.1:{args.port}", "API_RATE_LIMIT_PER_IP": "off",
                        "SEARCH_RATE_LIMIT_PER_IP": "off", "DJANGO_LOG_LEVEL": "WARNING"}  # fmt: skip
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"], cwd=ROOT, env=env)
    try:
        time.sleep(6)
        started = time.monotonic()
        warmed = asyncio.run(warm_up(args.port, listeners))
        print(f"warm-up: {warmed} requests in {time.monotonic() - started:.1f} s (every listener asked for each kind "
              "once; every worker loaded the models and each listener's page was rendered once)")
        cpu_before, rss_first = _cpu_seconds(), web_rss_mb(server.pid)
        phases = [
            (f"Phase 1: {args.listeners} listeners, today's songs only, closed loop", ["today"], args.today_seconds,
             None),
            (f"Phase 2: {args.listeners} listeners, today's songs only, {args.rate:.0f} requests/s offered", ["today"],
             args.today_seconds, args.rate),
            (f"Phase 3: {args.listeners} listeners, the mix, closed loop", [k for k, w in MIX for _ in range(w)],
             args.seconds, None),
        ]  # fmt: skip
        if args.endpoint_seconds:
            phases += [(f"Phase 4: {kind} alone, closed loop", [kind], args.endpoint_seconds, None) for kind, _ in MIX]
        total = 0.0
        for title, kinds, seconds, rate in phases:
            rss_before, web_cpu = web_rss_mb(server.pid), web_cpu_seconds(server.pid)
            results, elapsed = asyncio.run(run_phase(args.port, listeners, kinds, seconds, rate))
            total += elapsed
            report(title, results, elapsed, web_cpu_seconds(server.pid) - web_cpu)
            rss_after = web_rss_mb(server.pid)
            print(f"web RSS {rss_before:.0f} MB before, {rss_after:.0f} MB after ({rss_after - rss_before:+.0f} MB)")
        rss_last = web_rss_mb(server.pid)
        print(f"\nweb processes' RSS over all phases: {rss_first:.0f} MB -> {rss_last:.0f} MB "
              f"({rss_last - rss_first:+.0f} MB); load generator CPU: {_cpu_seconds() - cpu_before:.1f} s in "
              f"{total:.0f} s")  # fmt: skip
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
