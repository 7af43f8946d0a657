"""Situation text and playlist titles as comparable terms: normalisation, stop words and a situation vocabulary.

Playlist names are short and noisy ("Chilllll vibes 🔥🔥", "STUDYING!!", "코딩할 때"), and a listener's situation
is free text in English or Korean. Both become *terms*:

- **Words**: NFKC, lowercase, accents folded ("Español" -> "espanol"; Hangul is left whole), runs of three or more
  repeated letters squeezed to two ("chilllll" -> "chill"), a plural "s" dropped ("jams" -> "jam"), a common Korean
  particle or verb ending dropped ("코딩할" -> "코딩", "여름에" -> "여름"). Stop words ("music", "songs", "playlist",
  "노래", "듣기 좋은") say nothing about a situation and are dropped.
- **Emoji**: each distinct pictograph is a term of its own (🔥 playlists are a genre of their own in the MPD);
  skin tones and variation selectors are dropped.
- **Situations**: `@concept` terms from `DEFAULT_VOCABULARY`, which maps English and Korean phrases (and a few
  emoji) to one canonical situation: "coding", "공부", "study", "focus" all give `@focus`. A query and a title
  that share no word can still share a situation, which is how "코딩할 때 듣기 좋은 음악" reaches playlists named
  "study" and "rainy day drive" reaches "road trip".

The vocabulary is plain data (concept -> phrases); engines store the one they were fitted with, so a curated copy
(e.g. edited in the admin) can be passed to `fit` without code changes. It names situations, moods and seasons,
never particular playlists.
"""
from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from recommendations.engines.features import encode_texts

CONCEPT_PREFIX = "@"
# Fuzzy matching of query words that no playlist name holds: character trigrams hashed into BUCKETS columns.
BUCKETS = 1 << 20
FUZZY_MATCH = 0.6
FUZZY_MIN_LENGTH = 4
MAX_ARTIST_WORDS = 6

# Situations people name playlists after, and the words (English, Korean, a few emoji) that mean them.
DEFAULT_VOCABULARY: dict[str, tuple[str, ...]] = {
    "focus": (
        "focus", "study", "studying", "coding", "code", "programming", "programmer", "developer", "homework",
        "concentration", "concentrate", "deep work", "working", "office", "reading", "writing",
        "exam", "finals", "library", "lofi", "lo fi", "코딩", "프로그래밍", "개발", "공부", "집중", "작업", "업무",
        "독서", "과제", "시험", "도서관", "📚", "💻",
    ),
    "rain": (
        "rain", "rainy", "raining", "storm", "stormy", "thunder", "비", "비오는", "비올때", "장마", "빗소리", "🌧", "☔",
    ),
    "drive": (
        "drive", "driving", "road trip", "roadtrip", "road", "car", "cruise", "cruising", "highway", "ride",
        "드라이브", "운전", "차안", "🚗",
    ),
    "workout": (
        "workout", "work out", "gym", "exercise", "fitness", "training", "lifting", "lift", "cardio", "run",
        "running", "jog", "jogging", "pump", "pumped", "pump up", "beast mode", "crossfit", "운동", "헬스", "러닝",
        "달리기", "조깅", "💪", "🏋",
    ),
    "sleep": (
        "sleep", "sleeping", "sleepy", "bed", "bedtime", "lullaby", "insomnia", "nap", "dream", "잠", "잠들기",
        "수면", "자장가", "숙면", "낮잠", "😴", "💤",
    ),
    "party": (
        "party", "partying", "pregame", "pre game", "turn up", "turnt", "club", "lit", "banger", "rager",
        "tailgate", "drinking", "파티", "클럽", "술", "🎉", "🍻", "🔥",
    ),
    "sad": (
        "sad", "sadness", "breakup", "break up", "heartbreak", "heartbroken", "cry", "crying", "tear", "depressed",
        "depressing", "depression", "melancholy", "lonely", "alone", "emo", "이별", "슬픔",
        "슬픈", "우울", "눈물", "외로움", "😢", "😭", "💔",
    ),
    "morning": ("morning", "wake up", "wakeup", "sunrise", "breakfast", "coffee", "아침", "모닝", "출근", "기상", "☀"),
    "chill": (
        "chill", "chillin", "chilling", "relax", "relaxing", "calm", "mellow", "easy", "lazy", "slow", "soft",
        "unwind", "peaceful", "peace", "zen", "lounge", "vibe", "vibin", "vibing", "휴식", "힐링", "잔잔", "잔잔한",
        "편안", "여유",
    ),
    "love": (
        "love", "romance", "romantic", "date", "crush", "valentine", "wedding", "사랑", "연애", "데이트", "설렘",
        "❤", "💕",
    ),
    "happy": (
        "happy", "happiness", "feel good", "good vibe", "upbeat", "fun", "smile",
        "sunshine", "행복", "신나는", "기분좋은", "😊", "😁",
    ),
    "night": ("night", "late night", "midnight", "nighttime", "evening", "밤", "새벽", "야간", "🌙"),
    "summer": ("summer", "summertime", "beach", "pool", "tropical", "vacation", "여름", "바다", "해변", "🌞", "🏖"),
    "winter": ("winter", "snow", "겨울", "눈오는", "❄"),
    "autumn": ("fall", "autumn", "가을", "🍂"),
    "spring": ("spring", "봄", "🌸"),
    "christmas": ("christmas", "xmas", "holiday", "santa", "크리스마스", "캐롤", "🎄", "🎅"),
    "worship": (
        "worship", "praise", "gospel", "church", "christian", "jesus", "god", "prayer", "찬양", "예배", "교회", "🙏",
    ),
    "throwback": (
        "throwback", "tbt", "oldie", "old school", "nostalgia", "nostalgic", "childhood", "추억",
        "옛날", "복고", "레트로",
    ),
    "dance": ("dance", "dancing", "groove", "disco", "춤", "댄스", "💃"),
    "travel": ("travel", "trip", "journey", "flight", "airplane", "wanderlust", "adventure", "여행", "비행기", "✈"),
    "cooking": ("cooking", "cook", "kitchen", "dinner", "bbq", "요리", "저녁"),
    "cleaning": ("cleaning", "chores", "housework", "청소", "집안일"),
    "walk": ("walk", "walking", "stroll", "hike", "hiking", "산책", "등산", "걷기"),
    "shower": ("shower", "bath", "샤워", "목욕", "🚿"),
    "cafe": ("cafe", "coffee shop", "coffeehouse", "카페", "☕"),
}

STOP_WORDS: frozenset[str] = frozenset(
    """
    a an the of for to and or my your our in on at with by from this that these those it its is are be me i we you
    music song songs track tracks playlist playlists list mix mixtape tune tunes sound sounds listen listening
    good best new top some get but so all just like
    음악 노래 곡 플레이리스트 플리 듣기 듣는 들을 듣고 좋은 좋은노래 때 할 할때 하는 위한 위해 같은 모음 추천
    """.split()  # noqa: SIM905
)

# Korean particles and verb endings dropped from the end of a word, longest first ("운동할때" -> "운동").
_ENDINGS = "할때 하는 하며 하면서 하면 할 하기 하고 하러 에서 으로 이랑 에는 에게 때 에 의 을 를"
_ENDINGS += " 이 가 은 는 도 로 랑 와 과 중 용 엔"
KOREAN_ENDINGS: tuple[str, ...] = tuple(sorted(_ENDINGS.split(), key=len, reverse=True))

# Letters and digits are separate words ("summer2016" -> "summer", "2016"); other symbols are one character each.
_WORD_OR_SYMBOL = re.compile(r"[^\W\d_]+|\d+|[^\w\s]", re.UNICODE)
_REPEATS = re.compile(r"(.)\1{2,}")
_IGNORED_MARKS = re.compile("[\u200d\ufe0e\ufe0f\U0001f3fb-\U0001f3ff]")  # ZWJ, variation selectors, skin tones


def _is_hangul(text: str) -> bool:
    return any("\uac00" <= char <= "\ud7a3" for char in text)


def _fold(text: str) -> str:
    """NFKC + lowercase + accents dropped from Latin letters (Hangul syllables are recomposed by the final NFC)."""
    text = unicodedata.normalize("NFKC", text).lower()
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(char for char in decomposed if unicodedata.category(char) != "Mn")
    return _IGNORED_MARKS.sub("", unicodedata.normalize("NFC", stripped))


def _normalise_word(word: str) -> str:
    if _is_hangul(word):
        return _korean_stem(word)
    word = _REPEATS.sub(r"\1\1", word)
    if len(word) > 3 and word[-1] == "z" and word[-2] != "z":
        word = word[:-1] + "s"  # "jamz", "kidz": internet plural
    if len(word) > 3 and word[-1] == "s" and word[-2] not in "asiu":  # "jams", "vibes"; not "xmas", "chorus"
        word = word[:-1]
    return word


def _korean_stem(word: str) -> str:
    for ending in KOREAN_ENDINGS:
        if len(word) > len(ending) and word.endswith(ending):
            return word[: -len(ending)]
    return word


def _all_words(text: str) -> list[tuple[str, str]]:
    """(as written, normalised) for each word and distinct emoji of a text, stop words included."""
    found: list[tuple[str, str]] = []
    for raw in _WORD_OR_SYMBOL.findall(_fold(text)):
        if raw.isalnum():
            found.append((raw, _normalise_word(raw)))
        elif unicodedata.category(raw) == "So" and all(raw != seen for seen, _ in found):
            found.append((raw, raw))
    return found


def words(text: str) -> list[str]:
    """Normalised words and emoji of a text, in order, stop words dropped; repeats of an emoji kept once."""
    return [word for raw, word in _all_words(text) if word and word not in STOP_WORDS and raw not in STOP_WORDS]


class Vocabulary:
    """Phrase -> situation lookup built from a concept -> phrases mapping (phrases normalised like titles)."""

    def __init__(self, concepts: Mapping[str, Sequence[str]]) -> None:
        self.concepts = {name: tuple(phrases) for name, phrases in concepts.items()}
        self._single: dict[str, list[str]] = {}
        self._multi: list[tuple[tuple[str, ...], str]] = []
        for concept, phrases in self.concepts.items():
            for phrase in (concept, *phrases):
                key = tuple(word for _, word in _all_words(phrase))
                if len(key) == 1:
                    self._single.setdefault(key[0], []).append(concept)
                elif key:
                    self._multi.append((key, concept))
        # Korean phrases also match words that start with them ("헬스" in "헬스장"): two syllables or more, so
        # "비" (rain) does not swallow "비트" (beat).
        self._korean_prefixes = [word for word in self._single if _is_hangul(word) and len(word) >= 2]

    def situations(self, text: str) -> list[str]:
        """The situations a text names, in first-mention order."""
        sequence = tuple(word for _, word in _all_words(text))
        found: dict[str, None] = {}
        for word in sequence:
            found.update(dict.fromkeys(self._single.get(word, ())))
            if _is_hangul(word):
                for prefix in self._korean_prefixes:
                    if word.startswith(prefix):
                        found.update(dict.fromkeys(self._single[prefix]))
        for key, concept in self._multi:
            if _contains(sequence, key):
                found[concept] = None
        return list(found)


def _contains(sequence: tuple[str, ...], key: tuple[str, ...]) -> bool:
    width = len(key)
    return any(sequence[i : i + width] == key for i in range(len(sequence) - width + 1))


def terms(text: str, vocabulary: Vocabulary) -> list[str]:
    """A text's words plus its situations as `@concept` terms, without repeats."""
    concepts = [CONCEPT_PREFIX + concept for concept in vocabulary.situations(text)]
    return list(dict.fromkeys([*words(text), *concepts]))


@dataclass(frozen=True)
class TitleMatch:
    """Playlists whose names fit a text, best first, with the weight each gets; and what was understood."""

    playlists: np.ndarray  # int64 playlist numbers
    weights: np.ndarray  # float64, > 0
    situations: list[str]  # concepts the text named ("focus", "rain")
    unknown_words: list[str]  # words found in no playlist name, not even approximately


class TitleIndex:
    """Playlist names as terms, for "which playlists fit this text?" without comparing every name.

    A playlist's weight is the sum over the terms it shares with the text of idf(term) = ln(m / df(term)), so
    rare shared words count most and an exact word also counts when its situation is shared ("study" matches
    "study" playlists by the word *and* by `@focus`, "coding" matches them by `@focus` only). A query word that
    no playlist name holds is matched to the closest name word by character trigrams (cosine >= FUZZY_MATCH:
    "chrismas" -> "christmas"), discounted by that similarity.
    """

    def __init__(
        self,
        *,
        terms: list[str],
        term_indptr: np.ndarray,
        term_playlists: np.ndarray,
        idf: np.ndarray,
        trigram_indptr: np.ndarray,
        trigram_buckets: np.ndarray,
        vocabulary: Vocabulary,
    ) -> None:
        self.terms = terms
        self.term_indptr = term_indptr  # int64 (T + 1,): term t's playlists are term_playlists[indptr[t]:indptr[t+1]]
        self.term_playlists = term_playlists  # int32
        self.idf = idf  # float32 (T,)
        self.trigram_indptr = trigram_indptr  # int64 (T + 1,): hashed character trigrams of each word term
        self.trigram_buckets = trigram_buckets  # int32
        self.vocabulary = vocabulary
        self.index = {term: number for number, term in enumerate(terms)}
        self._trigrams: sparse.csr_matrix | None = None

    @classmethod
    def build(cls, names: Sequence[str], vocabulary: Vocabulary) -> TitleIndex:
        postings: dict[str, list[int]] = {}
        terms_of_name: dict[str, list[str]] = {}  # many playlists share a name ("workout", "chill")
        for playlist, name in enumerate(names):
            if name not in terms_of_name:
                terms_of_name[name] = terms(name, vocabulary)
            for term in terms_of_name[name]:
                postings.setdefault(term, []).append(playlist)
        vocabulary_terms = sorted(postings)
        counts = np.fromiter((len(postings[t]) for t in vocabulary_terms), dtype=np.int64, count=len(vocabulary_terms))
        term_indptr = np.zeros(len(vocabulary_terms) + 1, dtype=np.int64)
        np.cumsum(counts, out=term_indptr[1:])
        flat = [playlist for term in vocabulary_terms for playlist in postings[term]]
        idf = np.log(max(len(names), 1) / np.maximum(counts, 1)).astype(np.float32)
        trigram_indptr, trigram_buckets = _trigram_lists(vocabulary_terms)
        return cls(
            terms=vocabulary_terms,
            term_indptr=term_indptr,
            term_playlists=np.asarray(flat, dtype=np.int32),
            idf=idf,
            trigram_indptr=trigram_indptr,
            trigram_buckets=trigram_buckets,
            vocabulary=vocabulary,
        )

    def match(self, text: str, limit: int) -> TitleMatch:
        """The (at most `limit`) playlists whose names best fit the text."""
        query = terms(text, self.vocabulary)
        situations = [term[len(CONCEPT_PREFIX) :] for term in query if term.startswith(CONCEPT_PREFIX)]
        found: list[tuple[int, float]] = []
        unknown: list[str] = []
        for term in query:
            if term in self.index:
                found.append((self.index[term], 1.0))
            elif not term.startswith(CONCEPT_PREFIX):
                closest = self._closest_term(term)
                if closest is None:
                    unknown.append(term)
                else:
                    found.append(closest)
        playlists, weights = self._weights(found)
        best = np.lexsort((playlists, -weights))[:limit]  # ties: the lower playlist number
        return TitleMatch(playlists[best], weights[best], situations, unknown)

    def _weights(self, found: list[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
        if not found:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        numbers = np.asarray([number for number, _ in found], dtype=np.int64)
        factors = np.asarray([factor for _, factor in found], dtype=np.float64) * self.idf[numbers]
        starts, ends = self.term_indptr[numbers], self.term_indptr[numbers + 1]
        entries = np.concatenate([np.arange(s, e) for s, e in zip(starts.tolist(), ends.tolist(), strict=True)])
        playlists = self.term_playlists[entries].astype(np.int64)
        unique, position = np.unique(playlists, return_inverse=True)
        weights = np.bincount(position, weights=np.repeat(factors, ends - starts), minlength=len(unique))
        keep = weights > 0  # a term every playlist has (idf 0) tells nothing
        return unique[keep], weights[keep]

    def _closest_term(self, word: str) -> tuple[int, float] | None:
        """The name word most like `word` by character trigrams, and the similarity, if at least FUZZY_MATCH."""
        if len(word) < FUZZY_MIN_LENGTH or not self.terms:
            return None
        if self._trigrams is None:
            # Built on first use (~0.1 s per 100k terms), once per process.
            data = np.ones(len(self.trigram_buckets), dtype=np.float32)
            shape = (len(self.terms), BUCKETS)
            matrix = sparse.csr_matrix((data, self.trigram_buckets, self.trigram_indptr), shape=shape)
            self._trigrams = _l2_rows(matrix)
        query = _l2_rows(sparse.csr_matrix(_trigram_row(word), shape=(1, BUCKETS)))
        similarities = (self._trigrams @ query.T).toarray().ravel()
        best = int(np.argmax(similarities))
        return (best, float(similarities[best])) if similarities[best] >= FUZZY_MATCH else None

    def arrays(self, prefix: str = "title_") -> dict[str, np.ndarray]:
        encoded = encode_texts(self.terms)
        return {
            f"{prefix}term_offsets": encoded["offsets"],
            f"{prefix}term_blob": encoded["blob"],
            f"{prefix}term_indptr": self.term_indptr,
            f"{prefix}term_playlists": self.term_playlists,
            f"{prefix}idf": self.idf,
            f"{prefix}trigram_indptr": self.trigram_indptr,
            f"{prefix}trigram_buckets": self.trigram_buckets,
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], vocabulary: Vocabulary, prefix: str = "title_") -> TitleIndex:
        return cls(
            terms=_decode_all(arrays[f"{prefix}term_offsets"], arrays[f"{prefix}term_blob"]),
            term_indptr=arrays[f"{prefix}term_indptr"],
            term_playlists=arrays[f"{prefix}term_playlists"],
            idf=arrays[f"{prefix}idf"],
            trigram_indptr=arrays[f"{prefix}trigram_indptr"],
            trigram_buckets=arrays[f"{prefix}trigram_buckets"],
            vocabulary=vocabulary,
        )


def _trigram_row(word: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    buckets = np.unique(_trigram_buckets(word))
    return np.ones(len(buckets), dtype=np.float32), buckets, np.asarray([0, len(buckets)])


def _trigram_buckets(word: str) -> np.ndarray:
    """Hashed character trigrams of "#word#"; crc32, not hash(), so they are the same in every process."""
    padded = f"#{word}#".encode()
    grams = [padded[i : i + 3] for i in range(len(padded) - 2)] if len(padded) >= 3 else [padded]
    return np.asarray([zlib.crc32(gram) % BUCKETS for gram in grams], dtype=np.int32)


def _trigram_lists(vocabulary_terms: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each word term's distinct trigram buckets as CSR lists; concepts and emoji get none (never fuzzy-matched)."""
    lists = [
        np.unique(_trigram_buckets(term)) if len(term) >= FUZZY_MIN_LENGTH and not term.startswith(CONCEPT_PREFIX)
        else np.zeros(0, dtype=np.int32)
        for term in vocabulary_terms
    ]
    indptr = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum([len(item) for item in lists], out=indptr[1:])
    buckets = np.concatenate(lists).astype(np.int32) if lists else np.zeros(0, dtype=np.int32)
    return indptr, buckets


def _l2_rows(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    lengths = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    lengths[lengths == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / lengths) @ matrix)


class ArtistIndex:
    """Artist names -> their tracks, for a situation that names an artist ("Neil Diamond", "the civil wars").

    Names are normalised like titles (so "The Civil Wars" is "civil war"). A name of two or more words matches
    wherever its words appear in a row in the text; a one-word name ("Prince", "Future", "Rain") only when it is
    the text's only word, so "rainy day" or "music for the future" never turn into an artist.
    """

    def __init__(self, *, keys: list[str], indptr: np.ndarray, rows: np.ndarray) -> None:
        self.keys = keys
        self.indptr = indptr  # int64 (A + 1,)
        self.rows = rows  # int32 track rows of each artist
        self.index = {key: number for number, key in enumerate(keys)}

    @classmethod
    def build(cls, artist_names: Sequence[str]) -> ArtistIndex:
        """From one artist string per track row; several artists in one string are separated by ", "."""
        rows_of: dict[str, list[int]] = {}
        key_of: dict[str, str] = {}
        for row, names in enumerate(artist_names):
            for name in (names or "").split(", "):
                if name not in key_of:
                    key_of[name] = " ".join(words(name))
                if key_of[name]:
                    rows_of.setdefault(key_of[name], []).append(row)
        keys = sorted(rows_of)
        indptr = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum([len(rows_of[key]) for key in keys], out=indptr[1:])
        rows = np.asarray([row for key in keys for row in rows_of[key]], dtype=np.int32)
        return cls(keys=keys, indptr=indptr, rows=rows)

    def match(self, text: str) -> tuple[list[str], np.ndarray]:
        """The artist keys the text names and all their track rows."""
        text_words = words(text)
        if len(text_words) == 1:
            candidates = [text_words[0]]
        else:
            candidates = [
                " ".join(text_words[start : start + width])
                for width in range(2, min(len(text_words), MAX_ARTIST_WORDS) + 1)
                for start in range(len(text_words) - width + 1)
            ]
        found = [key for key in dict.fromkeys(candidates) if key in self.index]
        if not found:
            return [], np.zeros(0, dtype=np.int64)
        numbers = [self.index[key] for key in found]
        rows = np.concatenate([self.rows[self.indptr[n] : self.indptr[n + 1]] for n in numbers])
        return found, np.unique(rows).astype(np.int64)

    def arrays(self, prefix: str = "artist_") -> dict[str, np.ndarray]:
        encoded = encode_texts(self.keys)
        return {
            f"{prefix}key_offsets": encoded["offsets"],
            f"{prefix}key_blob": encoded["blob"],
            f"{prefix}indptr": self.indptr,
            f"{prefix}rows": self.rows,
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str = "artist_") -> ArtistIndex:
        keys = _decode_all(arrays[f"{prefix}key_offsets"], arrays[f"{prefix}key_blob"])
        return cls(keys=keys, indptr=arrays[f"{prefix}indptr"], rows=arrays[f"{prefix}rows"])


def _decode_all(offsets: np.ndarray, blob: np.ndarray) -> list[str]:
    data = bytes(blob)
    return [data[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(len(offsets) - 1)]
