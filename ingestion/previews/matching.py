"""Is a source's song the catalog's track? Artist, title and length must agree; an ISRC lookup vouches for the
artist and title (names differ across scripts: 뉴진스 / NewJeans) but not for the length."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from rapidfuzz import fuzz

from ingestion.previews.candidates import PreviewCandidate

TITLE_SIMILARITY = 90  # rapidfuzz ratio of the normalized titles
ARTIST_SIMILARITY = 90  # rapidfuzz ratio of one credited name ("BTS" of "BTS feat. Halsey") with one of ours
_DECORATION = re.compile(r"\s*[(\[][^)\]]*[)\]]")  # "(feat. X)", "[Remastered]"
_SUFFIX = re.compile(r"\s+-\s+.*$")  # "Song - Remastered 2011", "Song - Live"
# Between the names of a credit: "A, B & C", "A feat. B", "A ft B", "A with B", "A x B", "A / B", "A and B"
_CREDIT_SEPARATOR = re.compile(r"\s*(?:,|&|/|;|\s(?:and|feat\.?|ft\.?|featuring|with|x|vs\.?)\s)\s*", re.IGNORECASE)


def candidate_mismatch(
    candidate: PreviewCandidate, *, artists: Sequence[str], title: str, duration_ms: int | None,
    max_duration_difference_s: int,
) -> str:
    """Why the candidate is another song ("" when it is the track)."""
    if candidate.duration_ms and duration_ms:
        difference = abs(candidate.duration_ms - duration_ms) / 1000
        if difference > max_duration_difference_s:
            return f"its length differs by {difference:.0f} s"
    if candidate.found_by == "isrc":
        return ""
    if fuzz.ratio(normalized_title(candidate.title), normalized_title(title)) < TITLE_SIMILARITY:
        return f"its title is “{candidate.title}”"
    if not _same_artist(candidate.artist, artists):
        return f"its artist is “{candidate.artist}”"
    return ""


def _same_artist(credit: str, artists: Sequence[str]) -> bool:
    """The whole credit, or one of the names in it, is one of ours ("Taylor Swift Tribute Band" is not)."""
    ours = [normalized(name) for name in artists if name]
    theirs = [normalized(credit), *(normalized(part) for part in _CREDIT_SEPARATOR.split(credit))]
    return any(fuzz.ratio(a, b) >= ARTIST_SIMILARITY for a in theirs if a for b in ours if b)


def normalized(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text).split())


def normalized_title(title: str) -> str:
    plain = _SUFFIX.sub("", _DECORATION.sub("", title))
    return normalized(plain or title)
