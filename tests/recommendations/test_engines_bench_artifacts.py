"""bench/engines_bench.py reuses a kept artifact only when the same options and engine code built it."""
from __future__ import annotations

import json

from bench import engines_bench


def keep(directory, settings):
    built = directory / "build.json"
    built.write_text(json.dumps({"tracks": 100, "peak_mb": 1.0, **({"settings": settings} if settings else {})}))
    return built


def test_an_artifact_built_by_the_same_options_and_code_is_reused(tmp_path):
    settings = engines_bench.build_settings(engine="blend", size=100, seed=1, dir=str(tmp_path), blend_rounds=60)
    assert "dir" not in settings and settings["engines_code"] == engines_bench.engines_code_digest()
    assert engines_bench.stale_settings(keep(tmp_path, settings), settings) == []


def test_other_rounds_or_other_engine_code_rebuild_and_say_which(tmp_path, monkeypatch):
    settings = engines_bench.build_settings(engine="blend", size=100, seed=1, blend_rounds=60)
    built = keep(tmp_path, settings)
    other_rounds = engines_bench.build_settings(engine="blend", size=100, seed=1, blend_rounds=100)
    assert engines_bench.stale_settings(built, other_rounds) == ["blend_rounds"]
    monkeypatch.setattr(engines_bench, "engines_code_digest", lambda: "int8 since")
    other_code = engines_bench.build_settings(engine="blend", size=100, seed=1, blend_rounds=60)
    assert engines_bench.stale_settings(built, other_code) == ["engines_code"]


def test_an_artifact_from_before_the_settings_were_recorded_or_unreadable_is_rebuilt(tmp_path):
    settings = engines_bench.build_settings(engine="cf", size=100, seed=1)
    assert engines_bench.stale_settings(keep(tmp_path, None), settings) == [
        "settings (the artifact predates their record)"
    ]
    (tmp_path / "build.json").write_text("{half")
    assert engines_bench.stale_settings(tmp_path / "build.json", settings) is None
