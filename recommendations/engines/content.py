"""Content-based recommendations for listeners with no history: a favourite song or two, mood, speed, emotion.

Every term below is in [0, 1]; the score is their weighted mean over the terms a request uses (no favourite:
the three preferences alone; nothing at all: catalog popularity). Audio features are on the catalog's own
[0, 1] scale (`features.UnitScaler`), so "fast" means faster than most tracks of this catalog.

=========================  ======================================================  ======
term                       what it measures                                         weight
=========================  ======================================================  ======
genre                      cosine of genre TF-IDF with the closest favourite        0.35
sound                      1 - (distance / typical distance)^2 in the five audio    0.15
                           features (danceability, energy, valence, tempo,
                           acousticness), with the same favourite; 0 past typical
mood                       bright: valence; dark: 1 - valence                       1/6
speed                      fast: tempo; slow: 1 - tempo                             1/6
emotion                    closeness of (danceability, energy, acousticness) to     1/6
                           the emotion's target (below)
=========================  ======================================================  ======

The original scored 1/6·(mood + speed + emotion) + 1/2·genre after keeping only tracks that were both in
the top 200 by genre and in the top 200 by audio distance. Here the favourite's half is split into genre 0.35
and sound 0.15, so closeness in sound still counts, but as a score rather than a cut-off that could leave
fewer than `k` tracks. Mood, speed and emotion keep their 1/6 each.

Emotion targets for (danceability, energy, acousticness); score = 1 - mean(|x - target| / largest possible gap):

- depressed -> (0.75, 0.75, 0.25): *lift the mood*, as the original did (it mapped depressed to energetic,
  danceable, non-acoustic songs), but aiming at upbeat rather than the most aggressive tracks in the catalog.
- normal -> (0.5, 0.5, 0.5): the middle. The original's formula for "normal" rewarded distance from the
  middle (extreme tracks), the opposite of what the label says.
- excited -> (1, 1, 0): *keep the energy*: the most danceable, energetic, electric tracks. The original sent
  excited listeners calm acoustic songs; a listener who says they are excited is choosing music for that state.

Unknown is "no opinion" (0.5), never "far": a track without audio features scores 0.5 on sound, mood, speed
and emotion, so it is recommendable on genre alone (and its reason says "audio features unknown"); a track
without genres scores 0.5 on genre and competes on sound, below the favourite's genre-mates and above tracks
of other genres that sound alike. A favourite without features (or genres) is matched on genre (or sound)
alone. With several favourites, each candidate is compared with its closest favourite (the first
`MAX_FAVOURITES` that have genres or features), and the reason names that favourite.

"Typical distance" is the median distance between two random tracks of the catalog.

Each request costs about ten vector operations over the catalog per favourite (one sparse product over the
distinct genre lists and a gather, one matrix-vector product over the features), one matrix-vector product
for all three preferences (their per-track scores are precomputed at fit) and a top-k selection; no
track-by-track matrix. Catalog-sized temporaries live in a per-thread `Workspace`.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np

from recommendations.engines import Reason, ReasonKind, Recommendation
from recommendations.engines.features import (
    AUDIO_FEATURES,
    CatalogSnapshot,
    UnitScaler,
    Workspace,
    decode_text,
    encode_texts,
    label_parts,
    read_artifact,
    rows_for_ids,
    select_rows,
    write_artifact,
)
from recommendations.engines.genres import GenreIndex

ENGINE_NAME = "content"
MAX_FAVOURITES = 5
# Reasons: a feature counts as "similar" within this gap on the [0, 1] scale; a preference is named from this score.
SIMILAR_FEATURE_GAP = 0.1
PREFERENCE_REASON_SCORE = 0.65
SOUND_REASON_SIMILARITY = 0.5  # "sounds like X" (without shared genres) only when this close overall
NO_OPINION = 0.5
ALL = slice(None)  # every track, as an index that gives views, not copies

DANCEABILITY, ENERGY, VALENCE, TEMPO, ACOUSTICNESS = range(len(AUDIO_FEATURES))


class Mood(StrEnum):
    BRIGHT = "bright"
    DARK = "dark"


class Speed(StrEnum):
    SLOW = "slow"
    FAST = "fast"


class Emotion(StrEnum):
    DEPRESSED = "depressed"
    NORMAL = "normal"
    EXCITED = "excited"


EMOTION_COLUMNS = (DANCEABILITY, ENERGY, ACOUSTICNESS)
EMOTION_TARGETS: dict[Emotion, tuple[float, float, float]] = {
    Emotion.DEPRESSED: (0.75, 0.75, 0.25),
    Emotion.NORMAL: (0.5, 0.5, 0.5),
    Emotion.EXCITED: (1.0, 1.0, 0.0),
}
# Precomputed per-track preference scores (featureless tracks: NO_OPINION), columns in this order.
PREFERENCE_COLUMNS = ("valence", "tempo", *(f"emotion_{emotion.value}" for emotion in Emotion))
VALENCE_COLUMN, TEMPO_COLUMN = 0, 1


@dataclass(frozen=True)
class ContentWeights:
    """Weights of the score's terms (see the module docstring); renormalised over the terms a request uses."""

    genre: float = 0.35
    sound: float = 0.15
    mood: float = 1 / 6
    speed: float = 1 / 6
    emotion: float = 1 / 6

    def __post_init__(self) -> None:
        if min(asdict(self).values()) < 0 or self.genre + self.sound <= 0:
            raise ValueError("weights must be non-negative, and genre + sound positive")


@dataclass(frozen=True)
class Preferences:
    """A listener's filters; None means "not given" and drops that term from the score."""

    mood: Mood | None = None
    speed: Speed | None = None
    emotion: Emotion | None = None

    @classmethod
    def parse(cls, mood: str | None, speed: str | None, emotion: str | None) -> Preferences:
        return cls(Mood(mood) if mood else None, Speed(speed) if speed else None, Emotion(emotion) if emotion else None)

    def given(self) -> list[Mood | Speed | Emotion]:
        return [choice for choice in (self.mood, self.speed, self.emotion) if choice is not None]


class ContentEngine:
    """Cold-start recommender; build with `fit` or `load`, then call `recommend` any number of times."""

    def __init__(
        self,
        *,
        track_ids: np.ndarray,
        unit_features: np.ndarray,
        has_features: np.ndarray,
        preference_scores: np.ndarray,
        hidden_rows: np.ndarray,
        popularity: np.ndarray,
        genres: GenreIndex,
        labels: dict[str, np.ndarray],
        scaler: UnitScaler,
        sound_scale: float,
        weights: ContentWeights,
    ) -> None:
        self.track_ids = track_ids
        self.unit_features = unit_features
        self.has_features = has_features
        self.preference_scores = preference_scores  # (n, len(PREFERENCE_COLUMNS)) float32, Fortran order
        self.hidden_rows = hidden_rows
        self.popularity = popularity
        self.genres = genres
        self.labels = labels
        self.scaler = scaler
        self.sound_scale = sound_scale
        self.weights = weights
        self._derive_request_arrays()

    def _derive_request_arrays(self) -> None:
        """Per-track values every request needs, computed once per process (a few MB at 1M tracks)."""
        # Within the similarity, genre and sound weigh weights.genre : weights.sound, summing to 1.
        self._genre_share = self.weights.genre / (self.weights.genre + self.weights.sound)
        self._sound_share = 1.0 - self._genre_share
        squared_norms = np.einsum("ij,ij->i", self.unit_features, self.unit_features, dtype=np.float32)
        self._sound_offset = squared_norms * np.float32(self._sound_share / self.sound_scale**2)
        self._featureless_rows = np.flatnonzero(~self.has_features)
        self._work = Workspace(len(self.track_ids))

    def __len__(self) -> int:
        return len(self.track_ids)

    @classmethod
    def fit(cls, catalog: CatalogSnapshot, *, weights: ContentWeights | None = None) -> ContentEngine:
        scaler = UnitScaler.fit(catalog.features, catalog.has_features)
        unit_features = scaler.transform(catalog.features, catalog.has_features)
        return cls(
            track_ids=catalog.track_ids,
            unit_features=unit_features,
            has_features=catalog.has_features,
            preference_scores=_preference_scores(unit_features, catalog.has_features),
            hidden_rows=np.flatnonzero(catalog.hidden).astype(np.int32),
            popularity=catalog.popularity,
            genres=catalog.genre_index,
            labels=encode_texts(catalog.labels()),
            scaler=scaler,
            sound_scale=_typical_distance(unit_features, catalog.has_features),
            weights=weights or ContentWeights(),
        )

    def save(self, directory: Path) -> None:
        arrays = {
            "track_ids": self.track_ids,
            "unit_features": self.unit_features,
            "has_features": self.has_features,
            "preference_scores": self.preference_scores,
            "hidden_rows": self.hidden_rows,
            "popularity": self.popularity,
            "label_offsets": self.labels["offsets"],
            "label_blob": self.labels["blob"],
            **self.genres.arrays(),
        }
        params = {
            "tracks": len(self),
            "features": list(AUDIO_FEATURES),
            "preference_columns": list(PREFERENCE_COLUMNS),
            "scaler": self.scaler.to_json(),
            "sound_scale": self.sound_scale,
            "weights": asdict(self.weights),
            "vocabulary": self.genres.vocabulary,
        }
        write_artifact(directory, engine=ENGINE_NAME, params=params, arrays=arrays)

    @classmethod
    def load(cls, directory: Path, *, mmap: bool = True) -> ContentEngine:
        params, arrays = read_artifact(directory, engine=ENGINE_NAME, mmap=mmap)
        if params["features"] != list(AUDIO_FEATURES) or params["preference_columns"] != list(PREFERENCE_COLUMNS):
            raise ValueError(f"{directory} was fitted with other features or preferences: rebuild the model")
        arrays = {name: np.asarray(array) for name, array in arrays.items()}  # plain ndarray views of the maps
        return cls(
            track_ids=arrays["track_ids"],
            unit_features=arrays["unit_features"],
            has_features=arrays["has_features"],
            preference_scores=arrays["preference_scores"],
            hidden_rows=arrays["hidden_rows"],
            popularity=arrays["popularity"],
            genres=GenreIndex.from_arrays(arrays, params["vocabulary"]),
            labels={"offsets": arrays["label_offsets"], "blob": arrays["label_blob"]},
            scaler=UnitScaler.from_json(params["scaler"]),
            sound_scale=float(params["sound_scale"]),
            weights=ContentWeights(**params["weights"]),
        )

    def memory_bytes(self) -> int:
        """Bytes of the arrays this engine holds (mapped or not): linear in the catalog, never n x n."""
        arrays = [value for value in vars(self).values() if isinstance(value, np.ndarray)]
        arrays += [*self.labels.values(), self.genres.idf, self.genres.track_doc]
        matrices = (self.genres.doc_tfidf, self.genres.doc_genres)
        sparse_bytes = sum(m.data.nbytes + m.indices.nbytes + m.indptr.nbytes for m in matrices)
        return sum(array.nbytes for array in arrays) + sparse_bytes

    def recommend(
        self,
        *,
        favourite_ids: Iterable[int] = (),
        mood: str | None = None,
        speed: str | None = None,
        emotion: str | None = None,
        k: int = 20,
        exclude_ids: Iterable[int] = (),
        reroll_seed: int | None = None,
    ) -> list[Recommendation]:
        """The k best tracks for these filters, best first; never hidden, excluded or favourite tracks.

        Unknown favourite ids are ignored. `reroll_seed` None gives the deterministic top k; any seed gives
        another list drawn from the best candidates (see `features.select_rows`), the same list for the same seed.
        """
        preferences = Preferences.parse(mood, speed, emotion)
        favourites = _unique(rows_for_ids(self.track_ids, favourite_ids))
        # A favourite with neither genres nor features says nothing about taste; it is only excluded.
        usable = (self.genres.track_doc[favourites] != 0) | self.has_features[favourites]
        references = favourites[usable][:MAX_FAVOURITES]
        scores = self._scores(references, preferences)
        for rows in (self.hidden_rows, favourites, rows_for_ids(self.track_ids, exclude_ids)):
            scores[rows] = -np.inf
        chosen = select_rows(scores, k, reroll_seed, mask=self._work.array("mask", bool))
        matched = self._closest_references(chosen, references) if len(references) else None
        reasons = self._reasons(chosen, matched, preferences)
        return [
            Recommendation(track_id=int(self.track_ids[row]), score=float(scores[row]), reason=reason)
            for row, reason in zip(chosen, reasons, strict=True)
        ]

    def _scores(self, references: np.ndarray, preferences: Preferences) -> np.ndarray:
        """Score of every track: a workspace buffer, valid until this thread's next request."""
        coefficients, constant, preference_weight = self._preference_coefficients(preferences)
        similarity_weight = self.weights.genre + self.weights.sound if len(references) else 0.0
        if similarity_weight + preference_weight == 0:
            # Nothing to go on: the catalog's most popular tracks (unknown popularity counts as 0).
            scores = np.divide(self.popularity, np.float32(100), out=self._work.array("similarity"))
            return np.nan_to_num(scores, copy=False, nan=0.0)
        scale = 1.0 / (similarity_weight + preference_weight)  # the weighted mean over the terms in use
        scores = None
        if len(references):
            scores = self._similarity(references)
            scores *= np.float32(similarity_weight * scale)
        if preference_weight:
            # All preferences at once: one product with the precomputed per-track scores.
            preference = np.matmul(
                self.preference_scores, (coefficients * scale).astype(np.float32), out=self._work.array("preference")
            )
            preference += np.float32(constant * scale)
            scores = preference if scores is None else np.add(scores, preference, out=scores)
        assert scores is not None
        return scores

    def _preference_coefficients(self, preferences: Preferences) -> tuple[np.ndarray, float, float]:
        """Weights on PREFERENCE_COLUMNS and a constant whose sum is the weighted preference score; and the weight."""
        coefficients, constant, weight = np.zeros(len(PREFERENCE_COLUMNS)), 0.0, 0.0
        linear = (
            (preferences.mood, VALENCE_COLUMN, Mood.BRIGHT, self.weights.mood),
            (preferences.speed, TEMPO_COLUMN, Speed.FAST, self.weights.speed),
        )
        for choice, column, rising, choice_weight in linear:
            if choice is None:
                continue
            if choice == rising:
                coefficients[column] = choice_weight  # w * x
            else:
                coefficients[column], constant = -choice_weight, constant + choice_weight  # w * (1 - x)
            weight += choice_weight
        if preferences.emotion is not None:
            coefficients[_emotion_column(preferences.emotion)] = self.weights.emotion
            weight += self.weights.emotion
        return coefficients, constant, weight

    def _similarity(self, references: np.ndarray) -> np.ndarray:
        """Similarity of every track to its closest favourite (which one is worked out later, for the chosen few)."""
        best = self._similarity_to(int(references[0]), self._work.array("similarity"))
        candidate = self._work.array("candidate")
        for row in references[1:]:
            np.maximum(best, self._similarity_to(int(row), candidate), out=best)
        return best

    def _closest_references(self, chosen: np.ndarray, references: np.ndarray) -> np.ndarray:
        """Each chosen row's closest favourite (the first one on a tie)."""
        if len(references) == 1:
            return np.full(len(chosen), references[0])
        similarities = np.stack([self._similarity_to(int(row), None, chosen) for row in references])
        return references[similarities.argmax(axis=0)]

    def _similarity_to(self, favourite: int, out: np.ndarray | None, rows: np.ndarray | slice = ALL) -> np.ndarray:
        """Similarity in [0, 1] of tracks (all, or `rows`) to one favourite with genres and/or features.

        Written into `out` (a buffer as long as the selection) or a new array if None. A part the candidate
        lacks counts as NO_OPINION; a part the favourite lacks is left out.
        """
        has_genres, has_sound = bool(self.genres.track_doc[favourite]), bool(self.has_features[favourite])
        if not has_sound:
            return self._genre_similarity(favourite, out, 1.0, rows)
        if not has_genres:
            sound = self._sound_similarity(favourite, out, rows)
            sound *= np.float32(1.0 / self._sound_share)
            return sound
        genre = self._genre_similarity(favourite, out, self._genre_share, rows)
        genre += self._sound_similarity(favourite, self._work.array("sound") if rows is ALL else None, rows)
        return genre

    def _genre_similarity(
        self, favourite: int, out: np.ndarray | None, weight: float, rows: np.ndarray | slice
    ) -> np.ndarray:
        """weight x genre cosine. One sparse product over the distinct genre lists, then a gather."""
        doc_similarities = self.genres.doc_similarities(int(self.genres.track_doc[favourite]))
        doc_similarities[0] = NO_OPINION  # doc 0: no genres known
        doc_similarities *= np.float32(weight)
        # mode="clip" (indices are valid anyway): the default "raise" would copy through a buffer.
        return np.take(doc_similarities, self.genres.track_doc[rows], out=out, mode="clip")

    def _sound_similarity(self, favourite: int, out: np.ndarray | None, rows: np.ndarray | slice) -> np.ndarray:
        """sound share x max(0, 1 - |x - p|^2 / typical^2); NO_OPINION x share for featureless tracks."""
        point = np.ascontiguousarray(self.unit_features[favourite], dtype=np.float32)
        factor = self._sound_share / self.sound_scale**2
        # |x - p|^2 = |x|^2 + |p|^2 - 2 x.p: one matrix-vector product, |x|^2 precomputed in _sound_offset.
        sound = np.matmul(self.unit_features[rows], np.float32(2.0 * factor) * point, out=out)
        sound -= self._sound_offset[rows]
        sound += np.float32(self._sound_share - factor * float(point @ point))
        np.clip(sound, 0.0, np.float32(self._sound_share), out=sound)
        featureless = self._featureless_rows if rows is ALL else np.flatnonzero(~self.has_features[rows])
        sound[featureless] = np.float32(NO_OPINION * self._sound_share)
        return sound

    def _reasons(
        self, chosen: np.ndarray, matched: np.ndarray | None, preferences: Preferences
    ) -> list[tuple[Reason, ...]]:
        """One reason per chosen row (its parts); `matched` is each row's closest favourite (None: no favourite)."""
        similarity_parts = self._similarity_reasons(chosen, matched) if matched is not None else [[] for _ in chosen]
        choices = [(choice, self._choice_scores(chosen, choice)) for choice in preferences.given()]
        reasons = []
        for i, row in enumerate(chosen):
            parts = similarity_parts[i]
            if not self.has_features[row] and (matched is not None or choices):
                parts.append(Reason(ReasonKind.FEATURES_UNKNOWN))
            elif fitting := [str(choice.value) for choice, s in choices if s[i] >= PREFERENCE_REASON_SCORE]:
                parts.append(Reason(ReasonKind.FITS_FILTERS, {"choices": fitting}))
            reasons.append(tuple(parts) or (_fallback_reason(matched is not None, preferences),))
        return reasons

    def _choice_scores(self, rows: np.ndarray, choice: Mood | Speed | Emotion) -> np.ndarray:
        """The rows' scores in [0, 1] for one preference (for reasons)."""
        if isinstance(choice, Emotion):
            return np.asarray(self.preference_scores[rows, _emotion_column(choice)])
        values = np.asarray(self.preference_scores[rows, VALENCE_COLUMN if isinstance(choice, Mood) else TEMPO_COLUMN])
        return values if choice in (Mood.BRIGHT, Speed.FAST) else 1.0 - values

    def _similarity_reasons(self, chosen: np.ndarray, matched: np.ndarray) -> list[list[Reason]]:
        """Per row: shared (or related) genres with its favourite, and which audio features are close."""
        labels = {
            int(row): label_parts(decode_text(self.labels["offsets"], self.labels["blob"], row)) for row in set(matched)
        }
        docs, matched_docs = self.genres.track_doc[chosen], self.genres.track_doc[matched]
        genre_cosines = np.asarray(
            self.genres.doc_tfidf[docs].multiply(self.genres.doc_tfidf[matched_docs]).sum(axis=1)
        ).ravel()
        gaps = np.abs(np.asarray(self.unit_features[chosen]) - np.asarray(self.unit_features[matched]))
        sound = 1.0 - (np.linalg.norm(gaps, axis=1) / self.sound_scale) ** 2
        both_featured = self.has_features[chosen] & self.has_features[matched]
        all_parts = []
        for i in range(len(chosen)):
            favourite, parts = labels[int(matched[i])], []
            if shared := self.genres.shared_genres(int(docs[i]), int(matched_docs[i]))[:3]:
                parts.append(Reason(ReasonKind.SAME_GENRES, {"favourite": favourite, "genres": list(shared)}))
            elif genre_cosines[i] > 0:
                close_genres = list(self.genres.genres_of_doc(int(docs[i]))[:2])
                parts.append(Reason(ReasonKind.CLOSE_GENRES, {"favourite": favourite, "genres": close_genres}))
            elif docs[i] == 0:
                parts.append(Reason(ReasonKind.GENRES_UNKNOWN))
            elif matched_docs[i]:
                parts.append(Reason(ReasonKind.OTHER_GENRES, {"favourite": favourite}))
            close = [AUDIO_FEATURES[c] for c in np.argsort(gaps[i], kind="stable") if gaps[i, c] <= SIMILAR_FEATURE_GAP]
            if both_featured[i] and close[:2] and (parts or sound[i] >= SOUND_REASON_SIMILARITY):
                if parts:
                    parts.append(Reason(ReasonKind.SIMILAR_FEATURES, {"features": close[:2]}))
                else:
                    parts.append(Reason(ReasonKind.SOUNDS_LIKE, {"favourite": favourite, "features": close[:2]}))
            all_parts.append(parts)
        return all_parts


def _fallback_reason(has_favourite: bool, preferences: Preferences) -> Reason:
    if has_favourite:
        return Reason(ReasonKind.NEXT_BEST)
    return Reason(ReasonKind.CLOSEST_TO_FILTERS if preferences.given() else ReasonKind.POPULAR_IN_CATALOG)


def _emotion_column(emotion: Emotion) -> int:
    return PREFERENCE_COLUMNS.index(f"emotion_{emotion.value}")


def _preference_scores(unit: np.ndarray, has_features: np.ndarray) -> np.ndarray:
    """Per-track scores for PREFERENCE_COLUMNS: valence, tempo and one column per emotion; NO_OPINION if featureless."""
    columns = [unit[:, VALENCE], unit[:, TEMPO], *(_emotion_scores(unit, emotion) for emotion in Emotion)]
    scores = np.asfortranarray(np.stack(columns, axis=1), dtype=np.float32)
    scores[~has_features] = NO_OPINION
    return scores


def _emotion_scores(unit: np.ndarray, emotion: Emotion) -> np.ndarray:
    """1 - mean over (danceability, energy, acousticness) of |value - target| / largest possible gap."""
    total = np.zeros(len(unit), dtype=np.float32)
    for column, target in zip(EMOTION_COLUMNS, EMOTION_TARGETS[emotion], strict=True):
        total += np.abs(unit[:, column] - np.float32(target)) / np.float32(max(target, 1.0 - target))
    return 1.0 - total / len(EMOTION_COLUMNS)


def _typical_distance(unit: np.ndarray, has_features: np.ndarray, pairs: int = 10_000) -> float:
    """Median distance between random pairs of tracks with features: the distance at which sound similarity is 0."""
    rows = np.flatnonzero(has_features)
    if len(rows) < 2:
        return 1.0
    rng = np.random.default_rng(0)
    first, second = rng.choice(rows, size=pairs), rng.choice(rows, size=pairs)
    distinct = first != second
    distances = np.linalg.norm(unit[first[distinct]] - unit[second[distinct]], axis=1)
    return max(float(np.median(distances)), 1e-3)


def _unique(rows: np.ndarray) -> np.ndarray:
    """Rows without repeats, first occurrence order kept."""
    _, first = np.unique(rows, return_index=True)
    return rows[np.sort(first)]
