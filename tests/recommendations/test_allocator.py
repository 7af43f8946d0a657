"""keep_freed_memory: after it, a request's large temporaries come back from the heap, not as fresh zeroed pages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# Run in a child: the setting is process-wide, and the page-fault count must not depend on what pytest allocated.
CHILD = """
import resource, sys
import numpy as np
from recommendations.engines.allocator import keep_freed_memory
if sys.argv[1] == "keep":
    assert keep_freed_memory()

def request():  # several ~5-10 MB arrays alive at once, as a seeded blend request's term scores have
    parts = [np.ones(1_250_000, dtype=np.float64) for _ in range(4)]
    return float(sum(part.sum() for part in parts))

request()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5):
    request()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def faults(mode: str) -> int:
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", CHILD, mode], capture_output=True, text=True, check=True, cwd=root)
    return int(done.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_freed_temporaries_are_reused_instead_of_faulted_in_again():
    plain, kept = faults("plain"), faults("keep")
    assert plain > 5 * 1000  # 40 MB per request handed back and faulted in again: ~2,000 pages each time
    assert kept < 200
