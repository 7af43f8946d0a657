"""Background work of the recommenders; each task takes names or ids, calls one service and is safe to run twice."""
from celery import shared_task

from recommendations.services import NothingToTrainOn, TrainingFailed, recommender_train


@shared_task
def train_recommenders_task(engine: str, force: bool = False) -> str:
    """Train one engine. A second delivery finds the catalog unchanged and skips; a failure is recorded on the
    version (the previous one stays active), so there is nothing to retry."""
    try:
        version = recommender_train(engine=engine, force=force)
    except (TrainingFailed, NothingToTrainOn) as error:
        return f"{engine}: {error}"
    if version is None:
        return f"{engine}: unchanged, skipped"
    if version.status == version.Status.BUILDING:
        return f"{engine}: v{version.version} is being built by {version.builder}, skipped"
    return f"{engine}: v{version.version} {'active' if version.is_active else 'ready'}"
