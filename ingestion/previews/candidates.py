"""A song a preview source offers for a catalog track, before we know it is the same song."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PreviewCandidate:
    source: str  # "deezer" | "itunes"
    preview_url: str
    artist: str
    title: str
    duration_ms: int | None = None  # the whole song's, as the source knows it
    isrc: str = ""
    found_by: str = "search"  # "isrc" when the source looked the ISRC up
