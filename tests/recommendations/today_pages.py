"""What the today-page tests share: a listener whose taste is complete, and the song titles a page shows.

The fixtures built on them (the trained listener catalog, a logged-in listener, their list of today) are in
conftest.py beside this file.
"""
from __future__ import annotations

import re

from django.contrib.auth.models import User
from django.utils import timezone

from filters.models import TasteProfile


def make_listener(name: str = "listener", **choices) -> User:
    user = User.objects.create_user(name, password="pw")
    TasteProfile.objects.create(
        user=user, completed_at=timezone.now(), **{"mood": "bright", "speed": "fast", "emotion": "normal", **choices}
    )
    return user


def titles(page: str) -> list[str]:
    return re.findall(r'<h2 class="today-title">([^<]+?)\s*(?:<|$)', page)
