"""Serving the blend does not load scikit-learn or pandas into the web process (about 100 MB of memory each)."""
import subprocess
import sys

SERVE_THEN_CHECK = """
import sys
from recommendations.engines.blend import _lightgbm_without_extras
lightgbm = _lightgbm_without_extras()
assert "sklearn" not in sys.modules and "pandas" not in sys.modules, sorted(sys.modules)
import numpy as np
data = lightgbm.Dataset(np.random.default_rng(1).random((200, 3)), label=np.arange(200) % 2)
booster = lightgbm.train({"objective": "binary", "verbose": -1, "num_threads": 1}, data, num_boost_round=3)
assert booster.predict(np.zeros((2, 3))).shape == (2,)
import sklearn.cluster  # importable again afterwards, for training in the same process
print("ok")
"""


def test_lightgbm_serves_without_scikit_learn_or_pandas_and_leaves_them_importable():
    done = subprocess.run([sys.executable, "-c", SERVE_THEN_CHECK], capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
