"""Finding songs by what a listener remembers: part of a title, an artist or an album, typed with a typo, in
Hangul (one syllable is enough: "비"), or as initial consonants only (초성: "ㅂㄹ" finds "바람"). Pure Python with no
Django, so it is tested on its own; `filters.selectors` feeds it the catalog's names and caches it.

Matching, best first: the whole name, its start, the start of one of its words, anywhere inside it, its initial
consonants, then a fuzzy match (rapidfuzz's WRatio, on Hangul split into jamo so that one wrong vowel or
consonant costs one letter, not a whole syllable). Titles weigh a little more than artists, artists than albums.
"""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

# The 19 initial consonants in syllable order, as the compatibility jamo a keyboard types (ㄱ U+3131, ...).
CHOSEONG = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_SYLLABLE_FIRST, _SYLLABLE_LAST, _PER_INITIAL = 0xAC00, 0xD7A3, 21 * 28
_NOT_WORD = re.compile(r"[^\w]+")

FIELD_BONUS = {"title": 3.0, "artist": 2.0, "album": 0.0}
FUZZY_CUTOFF = 80.0
FUZZY_CANDIDATES = 200
PARTIAL_MIN_LENGTH = 7


def fold(text: str) -> str:
    """Lower case, compatibility forms unified (full-width letters), punctuation as single spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NOT_WORD.sub(" ", text).split())


def is_hangul_syllable(char: str) -> bool:
    return _SYLLABLE_FIRST <= ord(char) <= _SYLLABLE_LAST


def initials(text: str) -> str:
    """Each Hangul syllable's initial consonant ("바람 소리" -> "ㅂㄹㅅㄹ"); other letters are dropped."""
    return "".join(
        CHOSEONG[(ord(char) - _SYLLABLE_FIRST) // _PER_INITIAL] for char in text if is_hangul_syllable(char)
    )


def is_initials_query(query: str) -> bool:
    letters = query.replace(" ", "")
    return len(letters) >= 2 and all(char in CHOSEONG for char in letters)


def jamo(text: str) -> str:
    """Hangul syllables split into their letters (NFD), for fuzzy matching; other text unchanged."""
    return unicodedata.normalize("NFD", text)


def searchable(query: str) -> bool:
    """Two letters or more, or a single Hangul syllable (a one-syllable word like "비" or "꿈" is a real search)."""
    if is_initials_query(query):
        return True
    folded = fold(query)
    return len(folded) >= 2 or (len(folded) == 1 and is_hangul_syllable(folded))


@dataclass(frozen=True)
class Hit:
    track_id: int
    score: float
    field: str  # "title", "artist" or "album": what matched


class NameIndex:
    """Every searchable name once, with the tracks it belongs to; `search` ranks tracks by their best match."""

    def __init__(self, names: Iterable[tuple[int, str, str]]) -> None:
        """`names`: (track id, field, text) rows, field one of FIELD_BONUS's keys."""
        owners: dict[tuple[str, str], set[int]] = defaultdict(set)
        for track_id, field, text in names:
            folded = fold(text or "")
            if folded:
                owners[(folded, field)].add(track_id)
        self._keys = list(owners)
        self._tracks = [sorted(owners[key]) for key in self._keys]
        self._folded = [folded for folded, _field in self._keys]
        self._initials = [initials(folded).replace(" ", "") for folded in self._folded]
        self._jamo = [jamo(folded) for folded in self._folded]

    def __len__(self) -> int:
        return len(self._keys)

    def search(self, query: str, *, limit: int = 10) -> list[Hit]:
        """The best `limit` tracks for `query`, best first; [] when the query is too short to mean anything."""
        if not searchable(query):
            return []
        # Typed initial consonants (ㅂ U+3142) must be read before NFKC turns them into conjoining jamo (ᄇ U+1107).
        folded = " ".join(query.split()) if is_initials_query(query) else fold(query)
        scores: dict[int, tuple[float, str]] = {}
        for position, score in self._scores(folded):
            field = self._keys[position][1]
            score += FIELD_BONUS[field]
            for track_id in self._tracks[position]:
                if score > scores.get(track_id, (-1.0, ""))[0]:
                    scores[track_id] = (score, field)
        ranked = sorted(scores.items(), key=lambda item: (-item[1][0], item[0]))
        return [Hit(track_id=track_id, score=score, field=field) for track_id, (score, field) in ranked[:limit]]

    def _scores(self, folded: str) -> Iterable[tuple[int, float]]:
        """(position in the index, score 0-100) for every name that matches."""
        matched: set[int] = set()
        word_start = re.compile(rf"(?:^|\s){re.escape(folded)}")
        for position, name in enumerate(self._folded):
            if folded not in name:
                continue
            matched.add(position)
            if name == folded:
                yield position, 100.0
            elif name.startswith(folded):
                yield position, 95.0
            elif word_start.search(name):
                yield position, 90.0
            else:
                yield position, 85.0
        if is_initials_query(folded):
            wanted = folded.replace(" ", "")
            for position, name_initials in enumerate(self._initials):
                if position not in matched and wanted in name_initials:
                    matched.add(position)
                    yield position, 82.0 if name_initials.startswith(wanted) else 78.0
            return
        if len(jamo(folded)) < 4:  # too short for a typo to be told from another word
            return
        # WRatio for whole-name typos ("bitersweet"), partial_ratio for a typo in part of a longer name ("moonlite"
        # in "Moonlight Again"); a short query would "partly" match too much ("love" in "Overdrive").
        similar: dict[int, float] = {}
        scorers = (fuzz.WRatio, fuzz.partial_ratio) if len(jamo(folded)) >= PARTIAL_MIN_LENGTH else (fuzz.WRatio,)
        for scorer in scorers:
            for _name, similarity, position in process.extract(
                jamo(folded), self._jamo, scorer=scorer, score_cutoff=FUZZY_CUTOFF, limit=FUZZY_CANDIDATES
            ):
                if position not in matched:
                    similar[position] = max(similarity, similar.get(position, 0.0))
        for position, similarity in similar.items():
            # 80-100 similarity becomes 50-75: a typo never outranks a name that really contains the query.
            yield position, 50.0 + (similarity - FUZZY_CUTOFF) * 1.25
