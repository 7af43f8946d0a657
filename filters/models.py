"""A listener's taste (what the wizard asks) and the songs curators suggest in it.

The wizard saves each step as it goes, so a listener who leaves half-way keeps what they chose;
`completed_at` is set once the last step is done, and only a completed taste gets daily precomputed lists.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ingestion.models import Track


class TasteProfile(models.Model):
    class Mood(models.TextChoices):
        BRIGHT = "bright", _("Bright")
        DARK = "dark", _("Dark")

    class Speed(models.TextChoices):
        SLOW = "slow", _("Slow")
        FAST = "fast", _("Fast")

    class Emotion(models.TextChoices):
        DEPRESSED = "depressed", _("Down")
        NORMAL = "normal", _("Normal")
        EXCITED = "excited", _("Excited")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="taste"
    )
    favourite_tracks = models.ManyToManyField(Track, verbose_name=_("favourite tracks"), blank=True, related_name="+")
    # Values match recommendations.engines.content's Mood, Speed and Emotion; "" means no preference.
    mood = models.CharField(verbose_name=_("mood"), max_length=6, choices=Mood.choices, blank=True)
    speed = models.CharField(verbose_name=_("speed"), max_length=4, choices=Speed.choices, blank=True)
    emotion = models.CharField(verbose_name=_("emotion"), max_length=9, choices=Emotion.choices, blank=True)
    completed_at = models.DateTimeField(
        verbose_name=_("completed at"), null=True, blank=True,
        help_text=_("When the listener first finished the wizard."),
    )
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("taste profile")
        verbose_name_plural = _("taste profiles")
        constraints = [
            models.CheckConstraint(condition=models.Q(mood__in=["", "bright", "dark"]), name="taste_mood_valid"),
            models.CheckConstraint(condition=models.Q(speed__in=["", "slow", "fast"]), name="taste_speed_valid"),
            models.CheckConstraint(
                condition=models.Q(emotion__in=["", "depressed", "normal", "excited"]), name="taste_emotion_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"taste of user {self.user_id}"


class SuggestedTrack(models.Model):
    """A song curators put on the wizard's first step, with its album art, in `position` order."""

    track = models.ForeignKey(
        Track, verbose_name=_("track"), on_delete=models.CASCADE, related_name="wizard_suggestions"
    )
    position = models.PositiveSmallIntegerField(
        verbose_name=_("position"), default=0, help_text=_("Lower comes first.")
    )
    is_active = models.BooleanField(
        verbose_name=_("is active"), default=True, help_text=_("Only active suggestions are shown.")
    )

    class Meta:
        verbose_name = _("suggested track")
        verbose_name_plural = _("suggested tracks")
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["track"], name="suggested_track_unique")]
        indexes = [models.Index(fields=["is_active", "position"], name="suggested_track_shown")]

    def __str__(self) -> str:
        return f"{self.position}: {self.track}"
