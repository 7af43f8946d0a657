"""Recording offline evaluations (`manage.py evaluate --record`) so curators can compare them in the admin."""
from __future__ import annotations

from collections.abc import Sequence

from recommendations.evaluation import EvaluationReport
from recommendations.models import OfflineEvaluation


def offline_evaluation_record(*, report: EvaluationReport, paths: Sequence[str]) -> OfflineEvaluation:
    """Store one evaluation's report; adds a row each call (every run is its own measurement)."""
    summary = report.as_dict()

    def overall(method: str) -> float | None:
        scores = summary["methods"].get(method)
        return scores["categories"]["all"]["r_precision"] if scores else None

    return OfflineEvaluation.objects.create(
        playlists_path=" ".join(paths)[:1000],
        report=summary,
        song2vec_r_precision=overall("song2vec"),
        popularity_r_precision=overall("popularity"),
    )
