"""gunicorn's settings for 오늘의 노래: `gunicorn -c gunicorn.conf.py recommender_site.wsgi` (run_prod does this).

Everything comes from the environment (see recommender_site/serving.py and the README's "Running in production").
"""
import os

from recommender_site.env import env_bool
from recommender_site.serving import gunicorn_settings

_serving = gunicorn_settings()

wsgi_app = "recommender_site.wsgi:application"
bind = _serving.bind
workers = _serving.workers
threads = _serving.threads
worker_class = _serving.worker_class
timeout = _serving.timeout
graceful_timeout = 30
keepalive = 5
max_requests = _serving.max_requests
max_requests_jitter = max_requests // 10
# The site logs one line per request itself (with request id, user id and duration): no second access log.
accesslog = None
errorlog = "-"
# X-Forwarded-* are believed only from these proxy addresses.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "todaysong-web"

if os.environ.get("DJANGO_LOG_FORMAT") == "json" or (
    not os.environ.get("DJANGO_LOG_FORMAT") and not env_bool("DJANGO_DEBUG", True)
):
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "recommender_site.logs.JsonLogFormatter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "loggers": {"gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False}},
    }


def post_fork(server, worker):
    """Each worker keeps its freed request temporaries for the next request instead of faulting them in again
    (recommendations/engines/allocator.py: ~2 ms of a seeded blend request at 100k tracks)."""
    from recommendations.engines.allocator import keep_freed_memory

    keep_freed_memory()
