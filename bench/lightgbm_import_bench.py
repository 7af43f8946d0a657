"""What importing lightgbm costs a web process, as LightGBM imports itself and as the blend imports it.

    .venv/bin/python bench/lightgbm_import_bench.py

Each way runs in a fresh interpreter that first imports numpy and scipy (a web process has them already), then
lightgbm; it prints the RSS and anonymous memory before and after, and whether scikit-learn or pandas got loaded.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEASURE = """
import json, sys
def memory():
    found = {}
    for line in open("/proc/self/status"):
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon"):
            found[key] = int(value.split()[0]) / 1024
    return found
import numpy, scipy.sparse
before = memory()
if sys.argv[1] == "blend":
    from recommendations.engines.blend import _lightgbm_without_extras
    _lightgbm_without_extras()
else:
    import lightgbm
after = memory()
print(json.dumps({"way": sys.argv[1], "rss_mb": [round(before["VmRSS"]), round(after["VmRSS"])],
                  "anon_mb": [round(before["RssAnon"]), round(after["RssAnon"])],
                  "loaded": sorted(m for m in ("sklearn", "pandas") if sys.modules.get(m))}))
"""


def main() -> None:
    for way in ("plain", "blend"):
        command = [sys.executable, "-c", MEASURE, way]
        result = json.loads(subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=True).stdout)
        rss, anon, loaded = result["rss_mb"], result["anon_mb"], ", ".join(result["loaded"]) or "neither"
        print(f"{way:>5}: RSS {rss[0]} -> {rss[1]} MB, anonymous {anon[0]} -> {anon[1]} MB, loaded: {loaded}")


if __name__ == "__main__":
    main()
