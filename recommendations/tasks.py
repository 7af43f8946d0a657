"""Background work of the recommenders; each task takes names or ids, calls one service and is safe to run twice.

Beat runs the scheduled ones (see CELERY_BEAT_SCHEDULE in settings): `rebuild_if_dirty_task` every few seconds
to minutes, `rebuild_nightly_task`, `retrain_weekly_task` and `precompute_today_task` once a day or week.
"""
from celery import shared_task
from django.conf import settings

from recommendations.services.audio import tracks_audio_analyse
from recommendations.services.rebuilds import (
    CATALOG_REBUILD,
    PLAYLIST_ENGINES,
    RebuildKind,
    dataset_rebuild,
    dataset_rebuild_if_dirty,
)
from recommendations.services.saved_tracks import saved_tracks_refresh
from recommendations.services.today import today_compute, today_precompute_all
from recommendations.services.training import NothingToTrainOn, TrainingFailed, recommender_train


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


@shared_task(ignore_result=True)
def rebuild_if_dirty_task() -> str:
    """Rebuild content + clusters if the catalog changed and the last rebuild is old enough; else do nothing."""
    return str(dataset_rebuild_if_dirty())


@shared_task
def rebuild_nightly_task(force: bool = False) -> str:
    """Rebuild content + clusters, dirty or not (engines whose data is unchanged are skipped unless `force`)."""
    return str(dataset_rebuild(kind=RebuildKind.NIGHTLY, engines=CATALOG_REBUILD, force=force))


@shared_task
def rebuild_now_task() -> str:
    """A curator's "Rebuild now": content + clusters (and the Song2Vec refit) at once, dirty or not; unchanged
    engines are skipped, and a rebuild already running makes this one return `locked`."""
    return str(dataset_rebuild(kind=RebuildKind.CURATOR, engines=CATALOG_REBUILD))


@shared_task
def retrain_weekly_task(force: bool = False) -> str:
    """Retrain Song2Vec (Word2Vec over the playlists), which also places new tracks by their content."""
    return str(dataset_rebuild(kind=RebuildKind.WEEKLY, engines=PLAYLIST_ENGINES, force=force))


@shared_task
def precompute_today_task() -> str:
    """Precompute the day's first "today's songs" of every active listener who has none yet; a re-run keeps the lists
    already made (what a listener saw today never changes) and computes only the missing ones."""
    return f"today's songs precomputed for {today_precompute_all()} listeners"


@shared_task
def compute_today_task(today_list_id: int) -> str:
    """Fill one listener's "today's songs" list; a list already claimed or done is left alone."""
    return today_compute(today_list_id=today_list_id)


@shared_task
def analyse_tracks_audio_task() -> str:
    """Analyse the audio of up to AUDIO_ANALYSIS_BATCH tracks without real features (new releases Spotify would not
    describe). A second run finds them analysed and does nothing; the catalog rebuilds run the same step first."""
    return str(tracks_audio_analyse(limit=settings.AUDIO_ANALYSIS_BATCH or None))


@shared_task(ignore_result=True)
def refresh_saved_tracks_task(user_id: int) -> str:
    """Read one listener's saved tracks from Spotify again (replacing what was kept, so a second run is harmless)."""
    kept = saved_tracks_refresh(user_id=user_id)
    if kept is None:
        return f"user {user_id}: no Spotify login, or Spotify failed"
    return f"user {user_id}: {kept} saved tracks kept"
