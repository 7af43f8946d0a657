"""Writes of a listener's taste. Each function saves only what changed, so `updated_at` tells when the taste
last really changed (today's songs made before that are out of date). All are safe to repeat."""
from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from filters.models import TasteProfile
from ingestion.models import Track

MAX_FAVOURITES = 3
CHOICE_FIELDS = ("mood", "speed", "emotion")


class TooManyFavourites(Exception):
    pass


def taste_get_or_create(*, user: AbstractBaseUser) -> TasteProfile:
    taste, _created = TasteProfile.objects.get_or_create(user=user)
    return taste


@transaction.atomic
def taste_favourite_add(*, user: AbstractBaseUser, track: Track) -> bool:
    """Add a favourite song; False if it already was one. Raises TooManyFavourites past MAX_FAVOURITES."""
    taste_get_or_create(user=user)
    # Locked: two "Choose" clicks at once must not both see room for one more favourite.
    taste = TasteProfile.objects.select_for_update().get(user=user)
    favourites = taste.favourite_tracks
    if favourites.filter(pk=track.pk).exists():
        return False
    if favourites.count() >= MAX_FAVOURITES:
        raise TooManyFavourites
    favourites.add(track)
    taste.save(update_fields=["updated_at"])
    return True


@transaction.atomic
def taste_favourite_remove(*, user: AbstractBaseUser, track_id: int) -> bool:
    """Remove a favourite song; False if it was not one."""
    taste = taste_get_or_create(user=user)
    if not taste.favourite_tracks.filter(pk=track_id).exists():
        return False
    taste.favourite_tracks.remove(track_id)
    taste.save(update_fields=["updated_at"])
    return True


def taste_choose(*, user: AbstractBaseUser, field: str, value: str) -> bool:
    """Set mood, speed or emotion ("" for no preference); True if it changed. ValueError for a bad field/value."""
    if field not in CHOICE_FIELDS:
        raise ValueError(f"the taste has no choice {field!r}")
    taste = taste_get_or_create(user=user)
    valid = {""} | {choice for choice, _label in taste._meta.get_field(field).choices}
    if value not in valid:
        raise ValueError(f"{field} cannot be {value!r}")
    if getattr(taste, field) == value:
        return False
    setattr(taste, field, value)
    taste.save(update_fields=[field, "updated_at"])
    return True


def taste_complete(*, user: AbstractBaseUser) -> TasteProfile:
    """Mark the wizard finished (the first time only; later edits keep the first date)."""
    taste = taste_get_or_create(user=user)
    if taste.completed_at is None:
        taste.completed_at = timezone.now()
        taste.save(update_fields=["completed_at", "updated_at"])
    return taste


@transaction.atomic
def taste_reset(*, user: AbstractBaseUser) -> None:
    """Clear favourites and choices (the wizard starts over); whether it was completed once is kept."""
    taste = taste_get_or_create(user=user)
    taste.favourite_tracks.clear()
    taste.mood = taste.speed = taste.emotion = ""
    taste.save()
