"""Keep a serving process's freed request temporaries for the next request instead of handing them back to the kernel.

    keep_freed_memory()   # once per web process (gunicorn's post_fork; bench/engines_bench.py's serving children)

Why: a seeded blend request at 100k tracks allocates ~30 MB of short-lived arrays (the term scores' entries, their
float64 copies, catalog-long scores). glibc serves blocks above its mmap threshold with fresh mappings and returns
freed memory at the top of the heap above its trim threshold; both adapt to the largest block freed so far, but
with several large arrays alive at once the freed total exceeds the trim threshold and is returned after every
request. The next request then takes ~1,000-1,500 minor page faults (the kernel zeroing each 4 KB page), ~2 ms of
CPU of a ~17 ms request (BENCHMARKS.md, issue-10p). With fixed thresholds the heap keeps up to TRIM_THRESHOLD of
freed memory and blocks up to MMAP_THRESHOLD come from it: the same peak memory (VmHWM) as before, held between
requests instead of faulted in again. Blocks above MMAP_THRESHOLD (the 1M-track catalog's largest) are mapped and
unmapped as before.

Not glibc (musl, macOS): nothing to do, returns False.
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameters (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 2**20  # glibc's own ceiling for its adaptive threshold (DEFAULT_MMAP_THRESHOLD_MAX, 64-bit)
TRIM_THRESHOLD = 64 * 2**20


def keep_freed_memory(mmap_threshold: int = MMAP_THRESHOLD, trim_threshold: int = TRIM_THRESHOLD) -> bool:
    """Fix glibc's mmap and trim thresholds for this process (module docstring); False when malloc is not glibc's."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, mmap_threshold)) and bool(mallopt(M_TRIM_THRESHOLD, trim_threshold))
