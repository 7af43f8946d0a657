"""Offline evaluation on MPD-format playlists, following the RecSys Challenge 2018 protocol. Pure: no Django.

Protocol (`split_playlists`):

- Test playlists are a deterministic sample (DEFAULT_TEST_SIZE, or a third of the playlists when there are few):
  among playlists with at least MIN_TRACKS distinct tracks, those with the smallest sha1("{seed}:{pid}:{name}")
  — the same files and seed always give the same sample, and no playlist id or name is special. They are dealt
  to the CATEGORIES in turn, so each gets test_size / 5 of them.
- Each test playlist shows its title (or not) and its first k tracks (the seeds) and hides the rest: the
  distinct tracks after position k that are not seeds. The methods are trained on every *other* playlist,
  test playlists never enter training (`assert_no_leakage`).
- Each method returns RECOMMENDATIONS (500) tracks, never a seed.

Metrics, as the challenge defined them (G: hidden tracks, R: the 500 recommended, best first):

- R-precision = |G ∩ R[:|G|]| / |G|, by track. The challenge's partial credit for a right artist is not given
  (MPD-format files without artist URIs cannot support it reliably).
- NDCG = DCG / IDCG with DCG = rel_1 + sum_{i>=2} rel_i / log2(i), IDCG the same for a perfect list, i.e. with
  min(|G|, 500) hits at the top.
- Recommended-songs clicks = floor((rank of the first hidden track - 1) / 10), counting ranks from 1, or 51 when
  none of the 500 is hidden: how many refreshes of a 10-song list before something relevant shows (lower is
  better).

Methods (`METHODS`): popularity (the most frequent tracks of the training playlists), neighbours (playlist
co-occurrence: `neighbours.PlaylistIndex` from seeds, matched names for the title), word2vec (Song2Vec's vectors
alone), word2vec-nlp (Word2Vec with NLP defaults: skip-gram, window 5, 5 epochs, min_count 5, no popularity
prior — the reference the hyperparameter paper argues against), song2vec (the engine as shipped: vectors +
co-occurrence + prior). The three Song2Vec variants share one trained model.
"""
from __future__ import annotations

import hashlib
import math
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from recommendations.engines.features import AUDIO_FEATURES, CatalogSnapshot
from recommendations.engines.song2vec.engine import Song2VecEngine, Song2VecWeights
from recommendations.engines.song2vec.vectors import Word2VecParams

RECOMMENDATIONS = 500
MIN_TRACKS = 35  # distinct tracks a test playlist needs, so that even "title + first 25" hides at least 10
DEFAULT_TEST_SIZE = 1000  # at most; fewer when the files are small (`default_test_size`)
HELD_OUT_SHARE = 1 / 3  # of the playlists, at most, so that a small file set still leaves most for training
DEFAULT_SEED = 2018
NO_HIT_CLICKS = 51
METHODS = ("popularity", "neighbours", "word2vec-nlp", "word2vec", "song2vec", "cf", "ease", "terms", "hybrid")
FAMILIES = ("cf", "ease", "terms", "hybrid")  # issue 10's engines (`evaluation_generators`)
NLP_PARAMS = Word2VecParams(
    vector_size=100, window=5, negative=5, ns_exponent=0.75, epochs=5, min_count=5, sample=1e-3, sg=1
)


@dataclass(frozen=True)
class Category:
    name: str
    seeds: int
    title: bool


CATEGORIES: tuple[Category, ...] = (
    Category("title only", 0, True),
    Category("title + first 1", 1, True),
    Category("title + first 5", 5, True),
    Category("first 10, no title", 10, False),
    Category("title + first 25", 25, True),
)


@dataclass(frozen=True)
class EvalPlaylist:
    pid: str
    name: str
    tracks: tuple[str, ...]  # track keys (Spotify URIs), in playlist order, repeats kept
    artists: tuple[str, ...] = ()  # each track's artist name(s), if known (lets a title that names an artist match)


@dataclass(frozen=True)
class TestCase:
    playlist: EvalPlaylist
    category: Category
    title: str  # "" when the category hides it
    seeds: tuple[str, ...]
    hidden: frozenset[str]


@dataclass
class MethodScores:
    """Per-category metric lists of one method; `summary()` averages them."""

    r_precision: dict[str, list[float]] = field(default_factory=dict)
    ndcg: dict[str, list[float]] = field(default_factory=dict)
    clicks: dict[str, list[int]] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, category: str, recommended: Sequence[str], hidden: frozenset[str]) -> None:
        self.r_precision.setdefault(category, []).append(r_precision(recommended, hidden))
        self.ndcg.setdefault(category, []).append(ndcg(recommended, hidden))
        self.clicks.setdefault(category, []).append(recommended_songs_clicks(recommended, hidden))

    def summary(self) -> dict[str, dict[str, float]]:
        """{category: {r_precision, ndcg, clicks, playlists}}, plus "all" over every test playlist."""
        rows = {}
        for category in [*self.r_precision, "all"]:
            names = list(self.r_precision) if category == "all" else [category]
            r_precisions = [value for name in names for value in self.r_precision[name]]
            rows[category] = {
                "r_precision": round(float(np.mean(r_precisions)), 4),
                "ndcg": round(float(np.mean([value for name in names for value in self.ndcg[name]])), 4),
                "clicks": round(float(np.mean([value for name in names for value in self.clicks[name]])), 2),
                "playlists": len(r_precisions),
            }
        return rows


# ------------------------------------------------------------------------------------------------- metrics


def r_precision(recommended: Sequence[str], hidden: frozenset[str] | set[str]) -> float:
    if not hidden:
        raise ValueError("a test playlist needs hidden tracks")
    return len(hidden.intersection(recommended[: len(hidden)])) / len(hidden)


def ndcg(recommended: Sequence[str], hidden: frozenset[str] | set[str]) -> float:
    if not hidden:
        raise ValueError("a test playlist needs hidden tracks")
    dcg = sum(_discount(rank) for rank, track in enumerate(recommended, start=1) if track in hidden)
    ideal = sum(_discount(rank) for rank in range(1, min(len(hidden), RECOMMENDATIONS) + 1))
    return dcg / ideal


def _discount(rank: int) -> float:
    return 1.0 if rank == 1 else 1.0 / math.log2(rank)


def recommended_songs_clicks(recommended: Sequence[str], hidden: frozenset[str] | set[str]) -> int:
    for rank, track in enumerate(recommended[:RECOMMENDATIONS], start=1):
        if track in hidden:
            return (rank - 1) // 10
    return NO_HIT_CLICKS


# ------------------------------------------------------------------------------------------------ protocol


def sample_key(playlist: EvalPlaylist, seed: int) -> str:
    return hashlib.sha1(f"{seed}:{playlist.pid}:{playlist.name}".encode()).hexdigest()


def default_test_size(playlists: Sequence[EvalPlaylist]) -> int:
    """DEFAULT_TEST_SIZE, or for small file sets a third of the playlists (within those eligible), rounded down
    to a whole number per category; at least one per category."""
    eligible = sum(1 for p in playlists if _eligible(p))
    size = min(DEFAULT_TEST_SIZE, eligible, int(len(playlists) * HELD_OUT_SHARE))
    return max(size - size % len(CATEGORIES), len(CATEGORIES))


def _eligible(playlist: EvalPlaylist) -> bool:
    return len(set(playlist.tracks)) >= MIN_TRACKS


def split_playlists(
    playlists: Sequence[EvalPlaylist], *, test_size: int | None = None, seed: int = DEFAULT_SEED
) -> tuple[list[EvalPlaylist], list[TestCase]]:
    """(training playlists, test cases): the deterministic sample described in the module docstring.

    `test_size` None: `default_test_size`. Raises ValueError when too few playlists qualify (fewer than asked
    or than one per category) or none is left to train on.
    """
    if test_size is None:
        test_size = default_test_size(playlists)
    eligible = [i for i, p in enumerate(playlists) if _eligible(p)]
    if test_size < len(CATEGORIES):
        raise ValueError(f"--test-size must be at least {len(CATEGORIES)} (one playlist per category)")
    if len(eligible) < test_size:
        raise ValueError(
            f"only {len(eligible)} playlists have {MIN_TRACKS}+ distinct tracks: "
            "ask for at most that many test playlists"
        )
    chosen = sorted(eligible, key=lambda i: (sample_key(playlists[i], seed), i))[:test_size]
    test = set(chosen)
    training = [p for i, p in enumerate(playlists) if i not in test]
    if not training:
        raise ValueError("no playlist is left to train on; use a smaller --test-size")
    cases = [_case(playlists[i], CATEGORIES[n % len(CATEGORIES)]) for n, i in enumerate(chosen)]
    return training, cases


def _case(playlist: EvalPlaylist, category: Category) -> TestCase:
    seeds = playlist.tracks[: category.seeds]
    shown = set(seeds)
    hidden = frozenset(track for track in playlist.tracks[category.seeds :] if track not in shown)
    return TestCase(playlist, category, playlist.name if category.title else "", seeds, hidden)


def assert_no_leakage(training: Iterable[EvalPlaylist], cases: Iterable[TestCase]) -> None:
    """Raise AssertionError if a test playlist (the same object, or the same pid and tracks) is in training."""
    test_keys = {(case.playlist.pid, case.playlist.tracks) for case in cases}
    leaked = [p.pid for p in training if (p.pid, p.tracks) in test_keys]
    if leaked:
        raise AssertionError(f"test playlists in training: {leaked[:5]}")


def assert_ranker_not_on_test(ranker_pids: Iterable[str], cases: Iterable[TestCase]) -> None:
    """Raise AssertionError if the blend's ranker learnt from a held-out playlist."""
    leaked = set(ranker_pids) & {case.playlist.pid for case in cases}
    if leaked:
        raise AssertionError(f"the ranker learnt from test playlists: {sorted(leaked)[:5]}")


# ------------------------------------------------------------------------------------------------- methods

Recommender = Callable[[TestCase], list[str]]


class TrackKeys:
    """Track keys (URIs) <-> int ids, numbered in order of first appearance."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.keys: list[str] = []

    def id_of(self, key: str) -> int:
        number = self.ids.get(key)
        if number is None:
            number = self.ids[key] = len(self.keys)
            self.keys.append(key)
        return number

    def known_ids(self, keys: Iterable[str]) -> list[int]:
        return [self.ids[key] for key in keys if key in self.ids]


def popularity_recommender(training: Sequence[EvalPlaylist]) -> Recommender:
    """The most frequent tracks of the training playlists (each playlist counts a track once), seeds excluded."""
    counts = Counter(track for playlist in training for track in set(playlist.tracks))
    ranked = [track for track, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    head = ranked[: RECOMMENDATIONS + 25 * 2]  # enough to skip any category's seeds

    def recommend(case: TestCase) -> list[str]:
        seeds = set(case.seeds)
        return [track for track in head if track not in seeds][:RECOMMENDATIONS]

    return recommend


def fit_song2vec(
    training: Sequence[EvalPlaylist],
    keys: TrackKeys,
    *,
    params: Word2VecParams | None = None,
    on_epoch: Callable[[int], None] | None = None,
) -> Song2VecEngine:
    """Song2Vec trained on the training playlists, their track keys numbered by `keys`.

    The files' artist names go in as a catalog without audio features or genres (MPD files have neither).
    """
    named = [(p.name, [keys.id_of(track) for track in p.tracks]) for p in training]
    artist_of: dict[int, str] = {}
    for playlist in training:
        for track, artist in zip(playlist.tracks, playlist.artists, strict=False):
            artist_of.setdefault(keys.ids[track], artist)
    ids = np.asarray(sorted(artist_of), dtype=np.int64)
    catalog = CatalogSnapshot(
        track_ids=ids,
        features=np.full((len(ids), len(AUDIO_FEATURES)), np.nan),
        genres=[()] * len(ids),
        artist_names=[artist_of[i] for i in ids.tolist()],
    )
    return Song2VecEngine.fit(named, catalog, params=params, on_epoch=on_epoch)


def song2vec_recommender(engine: Song2VecEngine, keys: TrackKeys) -> Recommender:
    def recommend(case: TestCase) -> list[str]:
        ids = engine.ranked_track_ids(
            situation=case.title or None, seed_ids=keys.known_ids(case.seeds), k=RECOMMENDATIONS
        )
        return [keys.keys[i] for i in ids.tolist()]

    return recommend


def variant(engine: Song2VecEngine, method: str) -> Song2VecEngine:
    """The engine scoring as `method` ("neighbours", "word2vec", "song2vec")."""
    if method == "neighbours":
        return engine.with_weights(Song2VecWeights.neighbours_only())
    if method in ("word2vec", "word2vec-nlp"):
        weights = Song2VecWeights.word2vec_only()
        if method == "word2vec-nlp":
            weights = Song2VecWeights(**{**weights.__dict__, "prior": 0.0})
        return engine.with_weights(weights)
    return engine.with_weights(Song2VecWeights())


def score_method(
    recommender: Recommender, cases: Sequence[TestCase], progress: Callable[[], None] | None = None
) -> MethodScores:
    """Run one method on every test case and collect the metrics (and the time per playlist)."""
    scores = MethodScores()
    started = time.perf_counter()
    for case in cases:
        recommended = recommender(case)
        if len(set(recommended)) != len(recommended) or set(case.seeds) & set(recommended):
            raise AssertionError(f"{case.playlist.pid}: recommendations repeat a track or include a seed")
        scores.add(case.category.name, recommended, case.hidden)
        if progress is not None:
            progress()
    scores.seconds = time.perf_counter() - started
    return scores


# ---------------------------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class EvaluationProgress:
    """Callbacks for a caller's progress bars; each may be None."""

    training_started: Callable[[str, int], None] | None = None  # (what, epochs)
    epoch_done: Callable[[int], None] | None = None
    scoring_started: Callable[[str, int], None] | None = None  # (method, test playlists)
    case_done: Callable[[], None] | None = None


@dataclass
class EvaluationReport:
    playlists: int
    training_playlists: int
    test_playlists: int
    seed: int
    methods: dict[str, MethodScores]
    train_seconds: dict[str, float]
    notes: dict[str, str] = field(default_factory=dict)  # per method, what the reader should know (the ranker)

    def as_dict(self) -> dict:
        return {
            "protocol": {
                "playlists": self.playlists,
                "training_playlists": self.training_playlists,
                "test_playlists": self.test_playlists,
                "seed": self.seed,
                "recommendations": RECOMMENDATIONS,
                "min_tracks": MIN_TRACKS,
                "categories": [
                    {"name": c.name, "seed_tracks": c.seeds, "title": c.title} for c in CATEGORIES
                ],
            },
            "train_seconds": self.train_seconds,
            "notes": self.notes,
            "methods": {
                name: {"seconds": round(scores.seconds, 2), "categories": scores.summary()}
                for name, scores in self.methods.items()
            },
        }


def evaluate(
    playlists: Sequence[EvalPlaylist],
    methods: Sequence[str],
    *,
    test_size: int | None = None,
    seed: int = DEFAULT_SEED,
    params: Word2VecParams | None = None,
    progress: EvaluationProgress | None = None,
    blend_params: dict | None = None,
) -> EvaluationReport:
    """Split, train what `methods` need on the training playlists, and score every method on every test case.

    `blend_params`: the hybrid's fit parameters (BlendParams fields, plus `base_epochs`) instead of the engine's
    defaults, e.g. the training budget `train_recommenders` uses (`artifacts.BLEND.params()`).

    Raises ValueError for an unknown method or a split that cannot be made (see `split_playlists`).
    """
    unknown = [method for method in methods if method not in METHODS]
    if unknown:
        raise ValueError(f"unknown method(s) {', '.join(unknown)}; choose from {', '.join(METHODS)}")
    progress = progress or EvaluationProgress()
    training, cases = split_playlists(playlists, test_size=test_size, seed=seed)
    assert_no_leakage(training, cases)
    recommenders, train_seconds = _recommenders(training, methods, params, progress, blend_params)
    notes = {}
    if "hybrid" in recommenders:
        blend = recommenders["hybrid"].blend
        assert_ranker_not_on_test(blend.stats.get("ranker_playlists", []), cases)
        notes["hybrid"] = blend.message or (
            f"ranker learnt from {len(blend.stats['ranker_playlists'])} playlists split off the training playlists "
            f"({blend.stats['requests']} requests), its generators fitted on the other {blend.stats['base_playlists']}"
        )
    scored = {}
    for method in methods:
        if progress.scoring_started:
            progress.scoring_started(method, len(cases))
        scored[method] = score_method(recommenders[method], cases, progress.case_done)
    return EvaluationReport(
        playlists=len(playlists),
        training_playlists=len(training),
        test_playlists=len(cases),
        seed=seed,
        methods=scored,
        train_seconds=train_seconds,
        notes=notes,
    )


def _recommenders(
    training: Sequence[EvalPlaylist],
    methods: Sequence[str],
    params: Word2VecParams | None,
    progress: EvaluationProgress,
    blend_params: dict | None = None,
) -> tuple[dict[str, Recommender], dict[str, float]]:
    """One recommender per method; the Song2Vec model is trained once (twice with word2vec-nlp)."""
    keys = TrackKeys()
    recommenders: dict[str, Recommender] = {}
    train_seconds: dict[str, float] = {}
    models: dict[str, Song2VecEngine] = {}
    for method in methods:
        if method == "popularity":
            recommenders[method] = popularity_recommender(training)
            continue
        if method in FAMILIES:
            continue  # below: hybrid needs the Song2Vec model first
        model_name = "word2vec-nlp" if method == "word2vec-nlp" else "song2vec"
        if model_name not in models:
            model_params = NLP_PARAMS if model_name == "word2vec-nlp" else (params or Word2VecParams())
            if progress.training_started:
                progress.training_started(model_name, model_params.epochs)
            started = time.perf_counter()
            models[model_name] = fit_song2vec(training, keys, params=model_params, on_epoch=progress.epoch_done)
            train_seconds[model_name] = round(time.perf_counter() - started, 2)
        recommenders[method] = song2vec_recommender(variant(models[model_name], method), keys)
    if any(method in FAMILIES for method in methods):
        from recommendations.evaluation_generators import family_recommenders  # imports evaluation itself

        family_recommenders(
            training, methods, params, progress, keys, models, recommenders, train_seconds, blend_params
        )
    return recommenders, train_seconds


def format_table(report: EvaluationReport) -> str:
    """The report as a Markdown table: one row per category and method, best R-precision per category in bold."""
    lines = [
        f"{report.playlists} playlists: {report.training_playlists} for training, {report.test_playlists} held out "
        f"(seed {report.seed}); {RECOMMENDATIONS} recommendations each.",
        "",
        "| category | method | R-precision | NDCG | clicks | playlists |",
        "|---|---|---:|---:|---:|---:|",
    ]
    summaries = {method: scores.summary() for method, scores in report.methods.items()}
    categories = [*(c.name for c in CATEGORIES if any(c.name in s for s in summaries.values())), "all"]
    for category in categories:
        best = max(summary[category]["r_precision"] for summary in summaries.values())
        for method, summary in summaries.items():
            row = summary[category]
            r_precision = f"{row['r_precision']:.4f}"
            if row["r_precision"] == best and len(summaries) > 1:
                r_precision = f"**{r_precision}**"
            lines.append(
                f"| {category} | {method} | {r_precision} | {row['ndcg']:.4f} | {row['clicks']:.2f} "
                f"| {row['playlists']} |"
            )
    return "\n".join(lines)


def eval_playlists_from_records(records: Iterable[object]) -> list[EvalPlaylist]:
    """EvalPlaylists from parsed MPD records (`ingestion.importers.formats.mpd`); other records are skipped.

    Tracks are keyed by Spotify id. Two playlists with the same pid (files given twice) are kept once.
    """
    from ingestion.importers.records import PlaylistRecord  # pure dataclasses; imported here to keep the API plain

    playlists: dict[str, EvalPlaylist] = {}
    for record in records:  # consumed one at a time: a file's records are never all held at once
        if not isinstance(record, PlaylistRecord) or record.external_id in playlists:
            continue
        playlists[record.external_id] = EvalPlaylist(
            pid=record.external_id,
            name=record.name,
            # Interned: each id and artist name is held once however many playlists repeat it.
            tracks=tuple(sys.intern(track.spotify_id) for track in record.tracks),
            artists=tuple(sys.intern(track.artists[0].name if track.artists else "") for track in record.tracks),
        )
    return list(playlists.values())
