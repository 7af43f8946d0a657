"""How a track looks on a page: its duration as m:ss and a small bar chart of its audio features."""
from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

from ingestion.models import Track

register = template.Library()

# Shown features, their labels and the range a full bar stands for (tempo: 50–200 BPM covers nearly all songs).
CHART_FEATURES = (
    ("danceability", _("danceable"), 0.0, 1.0),
    ("energy", _("energy"), 0.0, 1.0),
    ("valence", _("bright"), 0.0, 1.0),
    ("acousticness", _("acoustic"), 0.0, 1.0),
    ("tempo", _("tempo"), 50.0, 200.0),
)


@register.filter
def duration(milliseconds: int | None) -> str:
    """183500 -> "3:03"; unknown -> "–"."""
    if milliseconds is None:
        return "–"
    seconds = round(milliseconds / 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


@register.inclusion_tag("recommendations/_feature_chart.html")
def feature_chart(track: Track) -> dict:
    """Bars 0–100 per feature, or none when the track has no features; says when they are estimated from similar
    tracks or measured from the track's audio (the audio model), so nobody takes them for Spotify's."""
    bars = []
    for field, label, low, high in CHART_FEATURES:
        value = getattr(track, field)
        if value is None:
            continue
        share = min(max((value - low) / (high - low), 0.0), 1.0)
        shown = f"{value:.0f} BPM" if field == "tempo" else f"{value:.2f}"
        bars.append({"label": label, "percent": round(100 * share), "value": shown})
    return {
        "bars": bars,
        "estimated": track.features_source == Track.FeatureSource.ESTIMATED,
        "analysed": track.features_source == Track.FeatureSource.ANALYSED,
        "track_id": track.pk,
    }
