"""User-based collaborative filtering on Last.fm listening data (HetRec 2011 "Last.fm 2K"). Pure: no Django.

Protocol (`split_listening`): each user's artists are ordered by sha1("{seed}:{user}:{artist}") and the first
fifth of them (rounded down) is held out; users with fewer than MIN_ARTISTS artists are kept for training only.
CF (`cf.CollaborativeEngine`, one row per user holding the artists they listened to) is fitted on the rest and
each test user is folded in from their training artists, exactly as an unseen listener would be at request time;
popularity ranks artists by how many training users listen to them. Both skip the user's training artists and
are scored on the top 10: recall@10 = hits / held-out artists, NDCG@10 with binary relevance and the ideal list
of min(10, held-out) hits.
"""

from __future__ import annotations

import csv
import hashlib
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recommendations.engines.cf import CFParams, CollaborativeEngine

HELD_OUT_SHARE = 1 / 5
MIN_ARTISTS = 5
TOP = 10
DEFAULT_SEED = 2018
# Picked on a validation split carved from the training artists (the fifth held out again), never the test fifth.
LASTFM_CF_PARAMS = CFParams(factors=32, regularization=1.0, alpha=5.0, iterations=15)


@dataclass(frozen=True)
class ListeningSplit:
    training: dict[int, list[int]]  # user -> artists kept for training
    held_out: dict[int, frozenset[int]]  # test user -> hidden artists


def read_user_artists(path: Path) -> dict[int, dict[int, int]]:
    """user -> {artist: plays} from HetRec's user_artists.dat (a file or the folder holding it).

    Raises ValueError naming the file and line of anything unreadable.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "user_artists.dat"
    if not path.is_file():
        raise ValueError(f"{path}: no such file (expected HetRec 2011's user_artists.dat or its folder)")
    listening: dict[int, dict[int, int]] = {}
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t")
        header = next(reader, None)
        if header is None or [name.strip() for name in header[:3]] != ["userID", "artistID", "weight"]:
            raise ValueError(f"{path}:1: expected the header userID, artistID, weight; found {header!r}")
        for line, row in enumerate(reader, start=2):
            try:
                user, artist, plays = (int(value) for value in row[:3])
            except ValueError:
                raise ValueError(f"{path}:{line}: expected three whole numbers, found {row!r}") from None
            listening.setdefault(user, {})[artist] = plays
    return listening


def split_listening(listening: dict[int, dict[int, int]], *, seed: int = DEFAULT_SEED) -> ListeningSplit:
    training: dict[int, list[int]] = {}
    held_out: dict[int, frozenset[int]] = {}
    for user, artists in sorted(listening.items()):
        ordered = sorted(artists, key=lambda artist: hashlib.sha1(f"{seed}:{user}:{artist}".encode()).hexdigest())
        hidden = ordered[: int(len(ordered) * HELD_OUT_SHARE)] if len(ordered) >= MIN_ARTISTS else []
        training[user] = sorted(set(ordered) - set(hidden))
        if hidden:
            held_out[user] = frozenset(hidden)
    return ListeningSplit(training, held_out)


def recall_at(recommended: Sequence[int], hidden: frozenset[int], k: int = TOP) -> float:
    return len(hidden.intersection(recommended[:k])) / len(hidden)


def ndcg_at(recommended: Sequence[int], hidden: frozenset[int], k: int = TOP) -> float:
    dcg = sum(1.0 / math.log2(rank + 1) for rank, item in enumerate(recommended[:k], start=1) if item in hidden)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(hidden), k) + 1))
    return dcg / ideal


def popularity_method(training: dict[int, list[int]]) -> Callable[[int], list[int]]:
    counts = Counter(artist for artists in training.values() for artist in artists)
    ranked = [artist for artist, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]

    def recommend(user: int) -> list[int]:
        known = set(training[user])
        return [artist for artist in ranked[: TOP + len(known)] if artist not in known][:TOP]

    return recommend


def cf_method(training: dict[int, list[int]], params: CFParams = LASTFM_CF_PARAMS) -> Callable[[int], list[int]]:
    users = sorted(training)
    engine = CollaborativeEngine.fit([training[user] for user in users], params=params)

    def recommend(user: int) -> list[int]:
        return engine.ranked_track_ids(seed_ids=training[user], k=TOP).tolist()

    return recommend


def evaluate_lastfm(
    listening: dict[int, dict[int, int]], *, seed: int = DEFAULT_SEED, params: CFParams = LASTFM_CF_PARAMS
) -> dict:
    """{"protocol": ..., "methods": {name: {"recall@10", "ndcg@10", "seconds"}}} for popularity and cf."""
    split = split_listening(listening, seed=seed)
    results = {}
    for name, make in (("popularity", popularity_method), ("cf", lambda t: cf_method(t, params))):
        started = time.perf_counter()
        recommend = make(split.training)
        lists = {user: recommend(user) for user in split.held_out}
        results[name] = {
            "recall@10": round(float(np.mean([recall_at(lists[u], h) for u, h in split.held_out.items()])), 4),
            "ndcg@10": round(float(np.mean([ndcg_at(lists[u], h) for u, h in split.held_out.items()])), 4),
            "seconds": round(time.perf_counter() - started, 2),
        }
    protocol = {
        "users": len(listening),
        "test_users": len(split.held_out),
        "artists": len({artist for artists in listening.values() for artist in artists}),
        "held_out_artists": sum(len(hidden) for hidden in split.held_out.values()),
        "seed": seed,
    }
    return {"protocol": protocol, "methods": results}


def format_lastfm(report: dict) -> str:
    protocol = report["protocol"]
    lines = [
        f"Last.fm: {protocol['users']} users, {protocol['artists']} artists; a fifth of each of "
        f"{protocol['test_users']} users' artists held out ({protocol['held_out_artists']} in all, "
        f"seed {protocol['seed']}).",
        "",
        "| method | recall@10 | NDCG@10 |",
        "|---|---:|---:|",
    ]
    for name, row in report["methods"].items():
        lines.append(f"| {name} | {row['recall@10']:.4f} | {row['ndcg@10']:.4f} |")
    popularity, cf = report["methods"]["popularity"]["recall@10"], report["methods"]["cf"]["recall@10"]
    if popularity > 0:
        lines.append(f"\nCF recall@10 is {cf / popularity:.2f}× popularity's.")
    return "\n".join(lines)
