"""What the crawl commands share: run the crawl, turn a missing Spotify app into a clear error, print the summary
(or JSON) and exit 1 when something was left for the next run. Not a command itself (leading underscore)."""
from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingestion.models import CrawlRun
from ingestion.services.crawls.runs import crawl_run_as_json, crawl_run_summary


def add_output_arguments(parser: CommandParser) -> None:
    parser.add_argument("--json", action="store_true", help="Print the summary as JSON on standard output.")
    parser.add_argument("--no-progress", action="store_true", help="Do not draw a progress bar.")


def run_and_report(
    command: BaseCommand, options: dict[str, Any], crawl: Callable[[bool], CrawlRun], *, failed: bool = False
) -> None:
    """`crawl(progress)` then the report; exits 1 if the run did not fully succeed or `failed` (bad arguments)."""
    try:
        run = crawl(not options["no_progress"] and not options["json"])
    except ImproperlyConfigured as problem:
        raise CommandError(str(problem)) from None
    if options["json"]:
        command.stdout.write(json.dumps(crawl_run_as_json(run), ensure_ascii=False))
    else:
        command.stdout.write("\n".join(crawl_run_summary(run)))
    if failed or run.status != CrawlRun.Status.SUCCEEDED:
        sys.exit(1)
