"""Row vectors kept as int8 codes with one float32 scale per row, for catalogs too big to map as float32.

At 1M tracks Song2Vec's 1M x 64 float32 vectors are 256 MB and every cosine reads all of them, so every web
process holds them resident; CF's factors for the tracks some playlist keeps add ~90 MB. As int8 codes with a
per-row scale (symmetric: code = round(x / scale), scale = max |x| / 127) they take a quarter of that, and the
cosines they give differ from float32's by about 1e-3 of a unit vector (tests/recommendations/test_int8_vectors.py;
BENCHMARKS.md, "int8 vectors" for the effect on `evaluate`).

The cost is the conversion: a product converts the codes to float32 in chunks (a few MB of workspace, reused) and
hands each chunk to BLAS. Alone that is ~1.6x a float32 product (1M x 64: ~21 against ~14 ms, a /tmp script); in a
web process serving 1M tracks Song2Vec's requests were no slower (a quarter of the bytes to read) and the blend's
~10% slower (BENCHMARKS.md). Catalogs below INT8_VECTORS_FROM_ROWS rows keep float32: they fit in memory anyway,
and the 100k blend's p99 budget has no room for the conversion.

float16 was measured and not taken: numpy's float16 to float32 conversion is ~10x slower than int8's.
"""

from __future__ import annotations

import numpy as np

INT8_VECTORS_FROM_ROWS = 300_000
CHUNK_ROWS = 16_384  # 16k x 64 float32 = 4 MB of workspace: in cache-sized pieces for BLAS, no catalog-sized copy


class Int8Vectors:
    """A read-only (n, d) float32 matrix stored as int8 codes and per-row scales (the module docstring).

    Supports what the engines do with their vectors: `rows = v[index]` (float32 rows), `v @ x` for a vector or
    an (d, k) matrix, `.shape`, `len(v)`, and `np.asarray(v)` (the whole float32 matrix: for tests and rebuilds,
    never on a request path).
    """

    def __init__(self, codes: np.ndarray, scales: np.ndarray) -> None:
        if codes.ndim != 2 or codes.dtype != np.int8 or scales.shape != (codes.shape[0],):
            raise ValueError(f"int8 codes (n, d) and float32 scales (n,) expected, got {codes.shape}, {scales.shape}")
        self.codes = codes
        self.scales = scales

    @classmethod
    def quantize(cls, vectors: np.ndarray) -> Int8Vectors:
        vectors = np.asarray(vectors, dtype=np.float32)
        peaks = np.abs(vectors).max(axis=1) if vectors.shape[1] else np.zeros(len(vectors), np.float32)
        scales = (peaks / 127.0).astype(np.float32)
        safe = np.where(scales > 0, scales, 1.0).astype(np.float32)
        codes = np.rint(vectors / safe[:, None]).clip(-127, 127).astype(np.int8)
        return cls(codes, scales)

    @property
    def shape(self) -> tuple[int, int]:
        return self.codes.shape

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.float32)

    @property
    def nbytes(self) -> int:
        return self.codes.nbytes + self.scales.nbytes

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, rows) -> np.ndarray:
        codes = self.codes[rows]
        scales = np.asarray(self.scales[rows], dtype=np.float32)
        if codes.ndim == 1:
            return codes.astype(np.float32) * scales
        return codes.astype(np.float32) * scales[:, None]

    def __matmul__(self, other: np.ndarray) -> np.ndarray:
        other = np.asarray(other, dtype=np.float32)
        n = len(self.codes)
        out = np.empty((n, *other.shape[1:]), dtype=np.float32)
        workspace = np.empty((min(CHUNK_ROWS, n), self.codes.shape[1]), dtype=np.float32)
        for start in range(0, n, CHUNK_ROWS):
            stop = min(start + CHUNK_ROWS, n)
            block = workspace[: stop - start]
            np.copyto(block, self.codes[start:stop], casting="unsafe")
            np.matmul(block, other, out=out[start:stop])
        scales = np.asarray(self.scales)
        out *= scales if out.ndim == 1 else scales[:, None]
        return out

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        whole = np.asarray(self.codes, dtype=np.float32) * np.asarray(self.scales)[:, None]
        return whole if dtype is None else whole.astype(dtype)


def stored_vectors(vectors):
    """The form an engine keeps its row vectors in: int8 from INT8_VECTORS_FROM_ROWS rows, else the float32 array."""
    if isinstance(vectors, Int8Vectors) or len(vectors) < INT8_VECTORS_FROM_ROWS:
        return vectors
    return Int8Vectors.quantize(vectors)


def vector_arrays(name: str, vectors) -> dict[str, np.ndarray]:
    """The artifact arrays for `vectors` under `name`: the float32 array, or `{name}_codes` + `{name}_scales`."""
    if isinstance(vectors, Int8Vectors):
        return {f"{name}_codes": vectors.codes, f"{name}_scales": vectors.scales}
    return {name: vectors}


def vectors_from_arrays(name: str, arrays: dict[str, np.ndarray]):
    """What `vector_arrays` wrote, back (memory-mapped arrays stay mapped)."""
    if f"{name}_codes" in arrays:
        return Int8Vectors(arrays[f"{name}_codes"], arrays[f"{name}_scales"])
    return arrays[name]
