"""`manage.py run_demo`: the one command that turns a fresh clone into a running site on a laptop.

Migrates the database, loads the demo catalog (`seed_demo`), starts making the demo tracks' audio previews in a
background process, trains the recommenders, ensures the demo logins, prints them with the URLs, then serves on
127.0.0.1:8000. Refuses to run when DEBUG is off: the demo passwords are public.

The ~3,000 previews take about a minute and a half of both cores the first time (BENCHMARKS.md), three times the
whole budget of a first run, so they are made beside the site, newest releases first; a track plays as soon as its
preview is in storage, and a later run makes only what is missing.
"""
import os
import shlex
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.services import DemoLogin, demo_logins_ensure
from ingestion.services.demo_previews import demo_previews_missing

PREVIEWS_LOG = "demo-previews.log"  # in APP_VAR_DIR
PREVIEW_CHOICES = ("background", "wait", "skip")
PREVIEW_CPU_SECONDS = 0.06  # per preview, measured (BENCHMARKS.md); only for the estimate printed
AUDIO_ENGINE = "audio"  # train_recommenders' name for the audio model (accounts may not import recommendations)

DEFAULT_ADDRPORT = "127.0.0.1:8000"


def site_url(addrport: str) -> str:
    """The URL a browser on this machine should open for runserver's `addrport` ("8000", "0.0.0.0:8000", ...)."""
    host, _, port = addrport.rpartition(":")
    if not port.isdigit():
        raise CommandError(f"--addrport {addrport!r} is not [HOST:]PORT, e.g. 127.0.0.1:8000.")
    if host in ("", "0.0.0.0", "[::]", "::"):
        host = "127.0.0.1"  # Spotify accepts loopback IPs, not "localhost", as redirect URIs
    return f"http://{host}:{port}/"


class Command(BaseCommand):
    help = "Migrate, seed the demo catalog, ensure the demo logins and run the site on 127.0.0.1:8000 (DEBUG only)."
    requires_system_checks = []  # runserver runs the checks itself; migrate runs them before migrating

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--addrport", default=DEFAULT_ADDRPORT, help=f"[HOST:]PORT to serve on (default {DEFAULT_ADDRPORT})."
        )
        parser.add_argument(
            "--no-serve", action="store_true", help="Do everything but start the server (for tests and scripts)."
        )
        parser.add_argument(
            "--no-train", action="store_true",
            help="Skip training the recommenders (faster; the pages then say to run train_recommenders).",
        )  # fmt: skip
        parser.add_argument(
            "--previews", choices=PREVIEW_CHOICES, default="background",
            help="Make the demo's missing audio previews in a background process while the site runs (default), "
            "before serving (wait), or not at all (skip).",
        )  # fmt: skip

    def handle(
        self, *args: object, addrport: str, no_serve: bool, no_train: bool, previews: str, verbosity: int,
        **options: object,
    ) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "run_demo creates accounts with published passwords, so it only runs with DJANGO_DEBUG=true. "
                "In production, create accounts with `manage.py createsuperuser` instead."
            )
        url = site_url(addrport)
        # runserver's autoreloader re-runs this command in a child process (RUN_MAIN=true) and again after each
        # code change: the parent has already prepared everything, so the child only serves.
        if no_serve or os.environ.get("RUN_MAIN") != "true":
            self.prepare(verbosity=verbosity, train=not no_train, previews=previews)
            logins = demo_logins_ensure()
            self.stdout.write(self.banner(url=url, logins=logins))
        if not no_serve:
            call_command("runserver", addrport, stdout=self.stdout, stderr=self.stderr)

    def prepare(self, *, verbosity: int, train: bool = True, previews: str = "background") -> None:
        self.stdout.write(self.style.MIGRATE_HEADING("Migrating the database..."))
        # One line per migration is noise on a first run; `-v 2` shows them.
        call_command(
            "migrate", interactive=False, verbosity=max(0, verbosity - 1), stdout=self.stdout, stderr=self.stderr
        )
        self.stdout.write(self.style.MIGRATE_HEADING("Loading the demo catalog (seed_demo)..."))
        call_command("seed_demo", "--no-previews", verbosity=verbosity, stdout=self.stdout, stderr=self.stderr)
        in_background = self.previews(previews, verbosity=verbosity, train=train)
        if not train:
            return
        # Today's songs and the other pages need trained models; an unchanged catalog is skipped, so re-runs are quick.
        # While previews are still being made, the audio model (which analyses them: a minute or two of both cores)
        # is trained by the background process once they are ready, so the site starts in seconds.
        skip = ["--skip", AUDIO_ENGINE] if in_background else []
        self.stdout.write(self.style.MIGRATE_HEADING("Training the recommenders (train_recommenders)..."))
        call_command("train_recommenders", *skip, verbosity=verbosity, stdout=self.stdout, stderr=self.stderr)

    def previews(self, mode: str, *, verbosity: int, train: bool) -> bool:
        """Make the missing audio previews now, or start a process that makes them beside the site (and then
        trains the audio model on them, if `train`); whether such a process was started."""
        if mode == "skip":
            return False
        if mode == "wait":
            self.stdout.write(self.style.MIGRATE_HEADING("Making the audio previews (seed_demo --previews-only)..."))
            call_command("seed_demo", "--previews-only", verbosity=verbosity, stdout=self.stdout, stderr=self.stderr)
            return False
        missing = demo_previews_missing()
        if not missing:
            return False
        log_path = Path(settings.VAR_DIR) / PREVIEWS_LOG
        log_path.parent.mkdir(parents=True, exist_ok=True)
        manage = Path(settings.BASE_DIR) / "manage.py"
        with log_path.open("ab") as log:
            # Same process group: Ctrl-C on the server stops it too, and the next run makes what is left.
            python = [sys.executable, str(manage)]
            steps = [[*python, "seed_demo", "--previews-only"]]
            if train:
                steps.append([*python, "train_recommenders", "--engine", AUDIO_ENGINE])
            subprocess.Popen(
                ["sh", "-c", " && ".join(shlex.join(step) for step in steps)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                preexec_fn=_lower_priority if hasattr(os, "nice") else None,
            )
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        estimate = round(missing * PREVIEW_CPU_SECONDS / min(cores, 4)) + 2
        self.stdout.write(
            f"Making {missing} audio previews in the background (about {estimate} s; log: {log_path}). "
            "A song plays as soon as its preview is ready."
        )
        return True

    def banner(self, *, url: str, logins: list[DemoLogin]) -> str:
        rule = "=" * 72
        lines = [
            "",
            rule,
            "  오늘의 노래 is ready (demo mode, DEBUG on)",
            f"  Site:   {url}",
            f"  Admin:  {url}admin/",
            "",
        ]
        for login in logins:
            role = "curator (staff, opens the admin)" if login.is_curator else "listener"
            state = "new account" if login.created else "existing account, password reset"
            credentials = f"{login.username} / {login.password}"
            lines.append(f"  {role:34} {credentials:28} [{state}]")
        lines += [
            "",
            "  These passwords are public: demo accounts exist only while DJANGO_DEBUG is true.",
            rule,
            "",
        ]
        return self.style.SUCCESS("\n".join(lines))


def _lower_priority() -> None:
    """In the preview process (before it runs): yield the cores to training and the site."""
    os.nice(10)
