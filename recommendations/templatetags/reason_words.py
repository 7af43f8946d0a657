"""Reasons on a page, in the listener's language: `{{ item.reason|reason_text }}` for a fresh answer's parts (or
an answer's message), `{{ entry|entry_reason }}` for a stored list's song. The words live in `recommendations.reasons`;
the text is plain, so the template escapes the names in it."""
from __future__ import annotations

from typing import Any

from django import template

from recommendations import reasons
from recommendations.models import TodayEntry

register = template.Library()


@register.filter
def reason_text(parts: Any) -> str:
    return reasons.reason_text(parts)


@register.filter
def new_releases_text(summary: Any) -> str:
    return reasons.new_releases_text(summary or {})


@register.filter
def situation_words(keys: Any) -> str:
    return reasons.situation_words(keys or ())


@register.filter
def entry_reason(entry: TodayEntry) -> str:
    return reasons.stored_reason_text(entry.reason_data, entry.reason)
