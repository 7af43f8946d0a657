"""Time to compute one listener's today list (today_compute) on the demo catalog, with the list rules of issue 9
(three times the candidates, two songs per artist, specific reasons), and how the lists come out.

    APP_VAR_DIR=$(mktemp -d) DATABASE_URL=sqlite:///$(mktemp -d)/bench.sqlite3 \\
        .venv/bin/python bench/today_lists_bench.py --listeners 10

Makes its own database (migrate, seed_demo --no-previews, train_recommenders): never point it at real data.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recommender_site.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--listeners", type=int, default=10)
    args = parser.parse_args()
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.utils import timezone, translation

    from filters.models import TasteProfile
    from ingestion.models import Track
    from recommendations.models import TodayList
    from recommendations.reasons import stored_reason_text
    from recommendations.services.today import _list_create, today_compute, today_items, today_new_releases

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--no-previews", verbosity=0)
    call_command("train_recommenders", verbosity=0)
    tracks = list(Track.objects.filter(is_hidden=False).order_by("pk").values_list("pk", flat=True))
    seconds, repeats, new, per_artist = [], [], [], []
    for n in range(args.listeners):
        user = User.objects.create_user(f"bench{n}", password="pw", last_login=timezone.now())
        taste = TasteProfile.objects.create(user=user, mood=("bright", "dark")[n % 2], speed=("fast", "slow")[n % 2],
                                            emotion="normal", completed_at=timezone.now())  # fmt: skip
        taste.favourite_tracks.set(tracks[n * 7 % len(tracks) : n * 7 % len(tracks) + 2])
        today_list = _list_create(user=user, day=timezone.localdate(), reroll=0)
        started = time.perf_counter()
        today_compute(today_list_id=today_list.pk)
        seconds.append(time.perf_counter() - started)
        today_list = TodayList.objects.get(pk=today_list.pk)
        items = today_items(today_list=today_list, user=user)
        with translation.override("en"):
            texts = [stored_reason_text(item.entry.reason_data) for item in items]
        repeats.append(max(Counter(texts).values()))
        new.append(today_new_releases(today_list=today_list, items=items)["new"])
        per_artist.append(max(Counter(c.artist_id for i in items for c in i.track.credits.all()).values()))
    print(f"catalog: {len(tracks)} visible tracks; {args.listeners} listeners, one list each")
    print(f"today_compute: median {statistics.median(seconds) * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms")
    print(f"songs per list: 20; most repeated reason line per list: max {max(repeats)}, median "
          f"{statistics.median(repeats)}; new releases per list: median {statistics.median(new)}, min {min(new)}; "
          f"most songs by one artist: {max(per_artist)}")


if __name__ == "__main__":
    main()
