"""Playlist co-occurrence: which tracks share playlists with the given ones, without a track-by-track matrix.

`PlaylistIndex` keeps the playlists as two CSR adjacency lists of int32 rows (playlist -> tracks and track ->
playlists; about 8 bytes per playlist entry, 2.6 MB for the 329k entries of mpd-dev), so a query touches only the
playlists that contain a seed and the tracks of those playlists.

Seed scores are the plain *playlist-neighbour* method of the RecSys Challenge 2018 literature:

    weight(p) = sum over seeds s in p of 1 / sqrt(count(s))     (a seed in 2 playlists says more than one in 200)
    weight(p) /= sqrt(len(p))                                   (a 250-track playlist shares seeds by chance)
    score(t)  = sum over playlists p containing t of weight(p)

and then divided by the best score, so it lies in [0, 1] whatever the number of seeds. Playlist weights from
elsewhere (a situation text matching playlist names) go through `playlist_scores` the same way. On validation
splits carved from mpd-dev's training playlists, the seed-count and length dampings above were within noise of
the best of the variants tried (squared overlaps, no damping, a popularity penalty on candidates).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SEED_DAMPING = 0.5  # exponent on a seed's playlist count
LENGTH_DAMPING = 0.5  # exponent on a playlist's length


class PlaylistIndex:
    """Playlists as rows of tracks, and tracks as rows of playlists (both CSR, int32)."""

    def __init__(
        self,
        *,
        playlist_indptr: np.ndarray,
        playlist_tracks: np.ndarray,
        track_indptr: np.ndarray,
        track_playlists: np.ndarray,
    ) -> None:
        self.playlist_indptr = playlist_indptr  # int64 (m + 1,)
        self.playlist_tracks = playlist_tracks  # int32 track rows, each playlist's distinct tracks in order
        self.track_indptr = track_indptr  # int64 (n + 1,)
        self.track_playlists = track_playlists  # int32 playlist numbers, ascending per track
        self.playlist_lengths = np.diff(playlist_indptr).astype(np.float32)
        self.track_counts = np.diff(track_indptr).astype(np.float32)
        self._length_factor = np.maximum(self.playlist_lengths, 1.0) ** -LENGTH_DAMPING

    @property
    def n_playlists(self) -> int:
        return len(self.playlist_indptr) - 1

    @property
    def n_tracks(self) -> int:
        return len(self.track_indptr) - 1

    @classmethod
    def build(cls, playlists: Sequence[Sequence[int] | np.ndarray], n_tracks: int) -> PlaylistIndex:
        """Index of playlists given as track rows (0 <= row < n_tracks); repeats within a playlist count once."""
        distinct = [_unique_in_order(np.asarray(rows, dtype=np.int64)) for rows in playlists]
        lengths = np.fromiter((len(rows) for rows in distinct), dtype=np.int64, count=len(distinct))
        playlist_indptr = np.zeros(len(distinct) + 1, dtype=np.int64)
        np.cumsum(lengths, out=playlist_indptr[1:])
        playlist_tracks = np.concatenate(distinct).astype(np.int32) if distinct else np.zeros(0, np.int32)
        if len(playlist_tracks) and (playlist_tracks.min() < 0 or playlist_tracks.max() >= n_tracks):
            raise ValueError(f"playlist track rows must lie in 0..{n_tracks - 1}")
        # Transpose: a stable sort by track keeps each track's playlists in ascending order.
        owner = np.repeat(np.arange(len(distinct), dtype=np.int32), lengths)
        order = np.argsort(playlist_tracks, kind="stable")
        track_indptr = np.zeros(n_tracks + 1, dtype=np.int64)
        np.cumsum(np.bincount(playlist_tracks, minlength=n_tracks), out=track_indptr[1:])
        return cls(
            playlist_indptr=playlist_indptr,
            playlist_tracks=playlist_tracks,
            track_indptr=track_indptr,
            track_playlists=owner[order],
        )

    def remapped(self, new_row_of: np.ndarray, n_tracks: int) -> PlaylistIndex:
        """The same playlists over a larger track numbering: old row r becomes new_row_of[r].

        `new_row_of` must be increasing (rows keep their order, as when track ids are merged in id order), so each
        track's playlists stay in order and only the track offsets need recounting.
        """
        playlist_tracks = np.asarray(new_row_of, dtype=np.int64)[self.playlist_tracks].astype(np.int32)
        track_indptr = np.zeros(n_tracks + 1, dtype=np.int64)
        np.cumsum(np.bincount(playlist_tracks, minlength=n_tracks), out=track_indptr[1:])
        return PlaylistIndex(
            playlist_indptr=np.asarray(self.playlist_indptr),
            playlist_tracks=playlist_tracks,
            track_indptr=track_indptr,
            track_playlists=np.asarray(self.track_playlists),
        )

    def tracks_of(self, playlist: int) -> np.ndarray:
        return self.playlist_tracks[self.playlist_indptr[playlist] : self.playlist_indptr[playlist + 1]]

    def playlists_of(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The playlists containing each of the given track rows, flattened, and which row each entry belongs to."""
        starts, ends = self.track_indptr[rows], self.track_indptr[rows + 1]
        counts = ends - starts
        entries = _ranges(starts, counts)
        return self.track_playlists[entries], np.repeat(np.arange(len(rows)), counts)

    def seed_weights(self, seed_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Playlists sharing a seed and their weights (see the module docstring)."""
        seed_rows = np.unique(np.asarray(seed_rows, dtype=np.int64))
        playlists, owner = self.playlists_of(seed_rows)
        if len(playlists) == 0:
            return playlists.astype(np.int64), np.zeros(0, dtype=np.float64)
        seed_factor = np.maximum(self.track_counts[seed_rows], 1.0).astype(np.float64) ** -SEED_DAMPING
        unique, position = np.unique(playlists, return_inverse=True)
        weights = np.bincount(position, weights=seed_factor[owner], minlength=len(unique))
        return unique.astype(np.int64), weights * self._length_factor[unique]

    def seed_scores(self, seed_rows: np.ndarray) -> np.ndarray:
        """Co-occurrence of every track with the seeds, float32 in [0, 1]; all zero if no seed is in a playlist."""
        playlists, weights = self.seed_weights(seed_rows)
        return self.playlist_scores(playlists, weights)

    def playlist_scores(self, playlists: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """score(t) = sum of the weights of the given playlists that contain t, divided by the best score."""
        playlists = np.asarray(playlists, dtype=np.int64)
        starts = self.playlist_indptr[playlists]
        counts = self.playlist_indptr[playlists + 1] - starts
        tracks = self.playlist_tracks[_ranges(starts, counts)]
        scores = np.bincount(tracks, weights=np.repeat(weights, counts), minlength=self.n_tracks)
        best = scores.max() if len(scores) else 0.0
        if best > 0:
            scores /= best
        return scores.astype(np.float32)

    def arrays(self, prefix: str = "playlist_index_") -> dict[str, np.ndarray]:
        return {
            f"{prefix}playlist_indptr": self.playlist_indptr,
            f"{prefix}playlist_tracks": self.playlist_tracks,
            f"{prefix}track_indptr": self.track_indptr,
            f"{prefix}track_playlists": self.track_playlists,
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str = "playlist_index_") -> PlaylistIndex:
        return cls(**{name: arrays[f"{prefix}{name}"] for name in (
            "playlist_indptr", "playlist_tracks", "track_indptr", "track_playlists"
        )})  # fmt: skip


def _unique_in_order(rows: np.ndarray) -> np.ndarray:
    _, first = np.unique(rows, return_index=True)
    return rows[np.sort(first)]


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenation of arange(start, start + count) for each pair, without a Python loop."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(counts)
    offsets = np.repeat(np.asarray(starts, dtype=np.int64) - (ends - counts), counts)
    return np.arange(total, dtype=np.int64) + offsets
