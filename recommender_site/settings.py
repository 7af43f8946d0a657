"""Settings for 오늘의 노래, all from the environment, with laptop-safe defaults.

Defaults: SQLite in ./var, tasks run in-process, media files in ./var/media, DEBUG on.
Production (DJANGO_DEBUG=false) refuses to start without a real DJANGO_SECRET_KEY.
"""
import contextlib
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from recommender_site.env import (
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_rate,
    env_schedule,
    env_str,
    env_timezone,
    env_url,
    origin_of,
    storage_origins,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("APP_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", True)

_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"
SECRET_KEY = env_str("DJANGO_SECRET_KEY", _DEV_SECRET_KEY)
if not DEBUG and (SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a random value of 32+ characters when DJANGO_DEBUG is false."
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.spotify",
    "accounts",
    "filters",
    "ingestion",
    "recommendations",
    "recommender_site",  # serving: run_prod, /health/, request logs, rate-limit and outage pages
]

MIDDLEWARE = [
    # First: every response (errors and /health/ included) carries a request id and is logged with its duration.
    "recommender_site.middleware.RequestLogMiddleware",
    # Before host checks and the https redirect: a load balancer probes by IP over plain http.
    "recommender_site.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After authentication and locale: a blank 405 becomes a page in the listener's language, with the menu.
    "recommender_site.middleware.MethodNotAllowedPageMiddleware",
    # After authentication: API calls and search-as-you-type count per address and per account.
    "recommender_site.ratelimits.RateLimitMiddleware",
]

if not DEBUG:
    # Serves collected static files (hashed names cached for a year, gzip/brotli); a laptop's runserver serves
    # them from static/ itself.
    MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                      "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "recommender_site.urls"
WSGI_APPLICATION = "recommender_site.wsgi.application"
ASGI_APPLICATION = "recommender_site.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Database: SQLite by default, DATABASE_URL (postgres://...) in production ---
_SQLITE_URL = f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASE_URL = env_url("DATABASE_URL", _SQLITE_URL, schemes=("sqlite", "postgres", "postgresql", "pgsql"))
# Connections are kept (DATABASE_CONN_MAX_AGE) and checked before a request reuses one (DATABASE_CONN_HEALTH_CHECKS),
# so a PostgreSQL restart costs one reconnect instead of an error on each process's next request.
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A web process and an import may write at once on a laptop: wait for the lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        # WAL lets pages be read while an import writes; NORMAL sync is safe with WAL and much faster.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    if DATABASE_URL == _SQLITE_URL:
        VAR_DIR.mkdir(parents=True, exist_ok=True)  # the laptop default must work from a fresh clone
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: Redis when REDIS_URL is set (shared by web processes), otherwise per-process memory ---
REDIS_URL = env_url("REDIS_URL", "", schemes=("redis", "rediss", "unix"))
if REDIS_URL:
    # Degrades to "no cache" while Redis is unreachable (recommender_site/cache.py); short timeouts, so a Redis that
    # is down costs a request a fraction of a second, not a hang.
    CACHES = {
        "default": {
            "BACKEND": "recommender_site.cache.DegradingRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery: a broker when CELERY_BROKER_URL is set, otherwise tasks run in-process ---
CELERY_BROKER_URL = env_url("CELERY_BROKER_URL", "", schemes=("redis", "rediss", "amqp", "memory"))
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# Without a broker, a retrain or rebuild a curator starts in the admin runs on a thread of the web process, so the
# page answers at once (recommendations.services.queueing); off: it runs inside the request, as other tasks do.
TASKS_IN_BACKGROUND_WITHOUT_BROKER = env_bool("TASKS_IN_BACKGROUND_WITHOUT_BROKER", True)
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Workers log through LOGGING below (JSON lines in production) instead of Celery's own root-logger setup.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Deployments (or test runs) sharing one broker keep apart by queue name; workers and beat must agree on it.
# The default queue (imports, snapshots) is this name; crawls, training and per-listener work have their own
# queues named after it ("celery.crawl", "celery.train", "celery.listener"), so a long rebuild or a crawl waiting
# on Spotify never holds up a listener's list. `run_prod` starts one worker per group of queues.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_QUEUES_BY_KIND = {
    "default": CELERY_TASK_DEFAULT_QUEUE,
    **{kind: f"{CELERY_TASK_DEFAULT_QUEUE}.{kind}" for kind in ("crawl", "train", "listener")},
}
# Soft limit (the task gets SoftTimeLimitExceeded and records its failure) and hard limit (its process is killed)
# in seconds, per kind of work. Enforced by the prefork pool (run_prod's workers), not by `--pool solo`.
_TIME_LIMITS = {
    kind: (env_int(f"CELERY_{kind.upper()}_SOFT_TIME_LIMIT", soft, minimum=1),
           env_int(f"CELERY_{kind.upper()}_TIME_LIMIT", hard, minimum=2))
    for kind, soft, hard in (
        ("crawl", 1500, 1800), ("train", 3600, 3900), ("listener", 60, 90), ("default", 3600, 3900)
    )
}  # fmt: skip
for _kind, (_soft, _hard) in _TIME_LIMITS.items():
    if _soft >= _hard:
        _name = f"CELERY_{_kind.upper()}"
        raise ImproperlyConfigured(f"{_name}_SOFT_TIME_LIMIT ({_soft}) must be below {_name}_TIME_LIMIT ({_hard})")
# task -> (queue kind, time-limit kind). The nightly precompute is listener work in bulk: the batch limits.
_TASK_KINDS = {
    "ingestion.tasks.crawl_playlists_task": ("crawl", "crawl"),
    "ingestion.tasks.crawl_new_releases_task": ("crawl", "crawl"),
    "ingestion.tasks.resume_deferred_crawls_task": ("crawl", "crawl"),
    "ingestion.tasks.look_up_previews_task": ("crawl", "crawl"),  # asks outside services, like a crawl
    "ingestion.tasks.run_import_task": ("default", "default"),
    "ingestion.tasks.upload_audio_task": ("default", "default"),
    "ingestion.tasks.export_snapshot_task": ("default", "default"),
    "recommendations.tasks.train_recommenders_task": ("train", "train"),
    "recommendations.tasks.rebuild_if_dirty_task": ("train", "train"),
    "recommendations.tasks.rebuild_nightly_task": ("train", "train"),
    "recommendations.tasks.rebuild_now_task": ("train", "train"),
    "recommendations.tasks.retrain_weekly_task": ("train", "train"),
    "recommendations.tasks.analyse_tracks_audio_task": ("train", "train"),  # CPU batch work beside the rebuilds
    "recommendations.tasks.compute_today_task": ("listener", "listener"),
    "recommendations.tasks.refresh_saved_tracks_task": ("listener", "listener"),  # asks Spotify as the listener
    "recommendations.tasks.precompute_today_task": ("listener", "default"),
}
CELERY_TASK_ROUTES = {task: {"queue": CELERY_QUEUES_BY_KIND[queue]} for task, (queue, _) in _TASK_KINDS.items()}
CELERY_TASK_ANNOTATIONS = {
    task: {"soft_time_limit": _TIME_LIMITS[limits][0], "time_limit": _TIME_LIMITS[limits][1]}
    for task, (_, limits) in _TASK_KINDS.items()
}
# What `run_prod` (and the README's commands) run: interactive work apart from the long batch work.
CELERY_WORKER_GROUPS = {
    "worker": [CELERY_QUEUES_BY_KIND["listener"], CELERY_QUEUES_BY_KIND["default"]],
    "worker-batch": [CELERY_QUEUES_BY_KIND["crawl"], CELERY_QUEUES_BY_KIND["train"]],
}
# With acks_late a message is acknowledged when its task ends; Redis hands an unacknowledged one out again after
# the visibility timeout. It must outlast the longest hard limit, or a task still running is delivered twice.
# A worker killed outright (SIGKILL, OOM) leaves its task unacknowledged: it runs again once this has passed.
_LONGEST_TIME_LIMIT = max(hard for _, hard in _TIME_LIMITS.values())
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", _LONGEST_TIME_LIMIT + 300, minimum=1)
if _LONGEST_TIME_LIMIT >= CELERY_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured("CELERY_VISIBILITY_TIMEOUT must be longer than every CELERY_*_TIME_LIMIT")
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
# A task whose worker process died is delivered again (every task is safe to run twice) instead of dropped.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# CELERY_TIMEZONE and CELERY_BEAT_SCHEDULE: see "Scheduled work" below (they need TIME_ZONE).

# --- Files: local media by default, S3 through django-storages when a bucket is named ---
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT", str(VAR_DIR / "media")))
if MEDIA_ROOT == VAR_DIR / "media" and not env_str("AWS_STORAGE_BUCKET_NAME", ""):
    # The laptop default: a fresh clone's /health/ must not say 503 only because nothing was uploaded yet.
    with contextlib.suppress(OSError):  # a read-only deploy: /health/ then says why
        MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_ENDPOINT_URL = env_url("AWS_S3_ENDPOINT_URL", "", schemes=("http", "https")) or None
    AWS_S3_REGION_NAME = env_str("AWS_S3_REGION_NAME", "") or None
    AWS_S3_CUSTOM_DOMAIN = env_str("AWS_S3_CUSTOM_DOMAIN", "") or None  # a CDN in front of the bucket
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True
    _default_storage = {"BACKEND": "storages.backends.s3.S3Storage"}
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    # In production whitenoise serves collected files with hashed names (cached for a year) and gzip/brotli
    # copies; `collectstatic` (run by run_prod) must have run. A laptop serves them straight from static/.
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Spotify ---
SPOTIFY_CLIENT_ID = env_str("SPOTIFY_CLIENT_ID", "")
SPOTIFY_CLIENT_SECRET = env_str("SPOTIFY_CLIENT_SECRET", "")
SPOTIFY_API_URL = env_url("SPOTIFY_API_URL", "https://api.spotify.com/v1/", schemes=("http", "https"))
SPOTIFY_ACCOUNTS_URL = env_url("SPOTIFY_ACCOUNTS_URL", "https://accounts.spotify.com/", schemes=("http", "https"))
# A 429 asking to wait longer than this defers the crawl (rescheduled) instead of blocking a worker.
SPOTIFY_MAX_RETRY_AFTER = env_int("SPOTIFY_MAX_RETRY_AFTER", 60, minimum=0)
# 5xx, timeouts and unreadable bodies: retries per request, waiting BACKOFF, 2×BACKOFF, 4×BACKOFF, …
SPOTIFY_MAX_RETRIES = env_int("SPOTIFY_MAX_RETRIES", 4, minimum=0)
SPOTIFY_BACKOFF_SECONDS = env_int("SPOTIFY_BACKOFF_MS", 1000, minimum=0) / 1000
SPOTIFY_TIMEOUT_SECONDS = env_int("SPOTIFY_TIMEOUT_SECONDS", 10, minimum=1)
# Albums the daily new-release crawl reads at most.
CRAWL_NEW_RELEASES_LIMIT = env_int("CRAWL_NEW_RELEASES_LIMIT", 100, minimum=1)

# --- Accounts (django-allauth): local accounts always work, Spotify when an app is configured ---
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
SITE_ID = 1
LOGIN_REDIRECT_URL = "/"
ACCOUNT_SIGNUP_REDIRECT_URL = "/taste/"  # a new listener starts by telling their taste
ACCOUNT_LOGIN_METHODS = {"username", "email"}
# The email is optional: Spotify may not share one, and a local account without it only lacks password reset.
ACCOUNT_SIGNUP_FIELDS = ["username*", "email", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[오늘의 노래] "
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False  # a reset form must not mail addresses that have no account here
# Links in mails (password reset) use https in production even when a proxy speaks http to Django.
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm"}
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_LOGIN_ON_GET = False  # a login starts with a POST (a GET shows a confirmation page)
SOCIALACCOUNT_STORE_TOKENS = True  # accounts.services refreshes them for spotipy
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # Spotify's emails are unverified: never log into a local account by one
EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "오늘의 노래 <noreply@localhost>")
EMAIL_HOST = env_str("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)

# --- i18n ---
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ko", "한국어")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("DJANGO_TIME_ZONE", "Asia/Seoul")
USE_I18N = True
USE_TZ = True

# --- Imports ---
# Uploaded files bigger than this are refused by the admin's upload form (bytes).
IMPORT_UPLOAD_MAX_BYTES = env_int("IMPORT_UPLOAD_MAX_BYTES", 200 * 1024 * 1024, minimum=1)

# --- Audio: curators' uploads and public 30-second previews (issue 12) ---
# Each audio file an upload holds (alone or inside a zip) may be this big; bigger ones are rejected, the rest stored.
AUDIO_UPLOAD_MAX_BYTES = env_int("AUDIO_UPLOAD_MAX_BYTES", 100 * 1024 * 1024, minimum=1)
# Audio files one upload may hold, zips' members counted; the rest of a bigger batch is rejected by name.
AUDIO_UPLOAD_MAX_FILES = env_int("AUDIO_UPLOAD_MAX_FILES", 1000, minimum=1)
# Preview lookup is off unless sources are named, in the order they are asked: "deezer", "itunes" or both.
PREVIEW_SOURCES = env_list("PREVIEW_SOURCES", [])
_unknown_sources = sorted(set(PREVIEW_SOURCES) - {"deezer", "itunes"})
if _unknown_sources:
    raise ImproperlyConfigured(
        f"PREVIEW_SOURCES names {', '.join(_unknown_sources)}: the known preview sources are deezer and itunes."
    )
DEEZER_API_URL = env_url("DEEZER_API_URL", "https://api.deezer.com/", schemes=("http", "https"))
ITUNES_API_URL = env_url("ITUNES_API_URL", "https://itunes.apple.com/", schemes=("http", "https"))
ITUNES_COUNTRY = env_str("ITUNES_COUNTRY", "US")  # the store whose catalog iTunes Search looks in
# A found preview is analysed and discarded; with this on it is also kept as the track's audio file.
PREVIEW_KEEP_FILES = env_bool("PREVIEW_KEEP_FILES", False)
# Faults as the Spotify client handles them: a 429 asking to wait longer than this defers the lookup run;
# 5xx, timeouts and unreadable answers are retried this often with exponential backoff.
PREVIEW_MAX_RETRY_AFTER = env_int("PREVIEW_MAX_RETRY_AFTER", 30, minimum=0)
PREVIEW_MAX_RETRIES = env_int("PREVIEW_MAX_RETRIES", 3, minimum=0)
PREVIEW_BACKOFF_SECONDS = env_int("PREVIEW_BACKOFF_MS", 1000, minimum=0) / 1000
PREVIEW_TIMEOUT_SECONDS = env_int("PREVIEW_TIMEOUT_SECONDS", 10, minimum=1)
# A preview bigger than this is not a 30-second preview: refused unread past this many bytes.
PREVIEW_MAX_BYTES = env_int("PREVIEW_MAX_BYTES", 10 * 1024 * 1024, minimum=1)
# A found song whose length differs from the catalog's by more than this many seconds is another recording.
PREVIEW_MAX_DURATION_DIFFERENCE = env_int("PREVIEW_MAX_DURATION_DIFFERENCE", 10, minimum=0)

# --- Recommenders ---
# How often (seconds) each process asks the database whether a newer model version is active; 0 = every request.
RECOMMENDER_RELOAD_CHECK_SECONDS = env_int("RECOMMENDER_RELOAD_CHECK_SECONDS", 30, minimum=0)
# Listeners who logged in within this many days get their "today's songs" precomputed each morning.
TODAY_ACTIVE_DAYS = env_int("TODAY_ACTIVE_DAYS", 14, minimum=1)
# k of the clusters recommender's k-means (the original write-up used 5); a change retrains on the next rebuild.
RECOMMENDER_CLUSTERS = env_int("RECOMMENDER_CLUSTERS", 5, minimum=2)
# The audio model (issue 12) learns from at most this many catalog tracks with audio and real features, each
# analysed once (a few tenths of a second of CPU) and kept; 0 = all of them.
AUDIO_TRAINING_MAX_TRACKS = env_int("AUDIO_TRAINING_MAX_TRACKS", 1000, minimum=0)
# With fewer such tracks it learns nothing and estimates only what it measures (tempo, key, mode, loudness).
AUDIO_MIN_TRAINING_TRACKS = env_int("AUDIO_MIN_TRAINING_TRACKS", 40, minimum=5)
# How many tracks without real features one catalog rebuild analyses from their audio; the rest wait for the next.
AUDIO_ANALYSIS_BATCH = env_int("AUDIO_ANALYSIS_BATCH", 200, minimum=0)
# Processes that analyse audio for training (1: in the calling process).
AUDIO_ANALYSIS_WORKERS = env_int("AUDIO_ANALYSIS_WORKERS", 2, minimum=1)
# The learned blend's training budget (train_recommenders): at most this many playlists teach the ranker, in this
# many boosting rounds. Small enough that the demo trains in seconds; raise both for a large catalog.
RECOMMENDER_BLEND_RANKER_PLAYLISTS = env_int("RECOMMENDER_BLEND_RANKER_PLAYLISTS", 150, minimum=1)
RECOMMENDER_BLEND_ROUNDS = env_int("RECOMMENDER_BLEND_ROUNDS", 60, minimum=1)

# --- Scheduled work (Celery beat): schedules are "HH:MM", "sun HH:MM", "every 15m" or "off", in CELERY_TIMEZONE ---
CELERY_TIMEZONE = env_timezone("CELERY_TIMEZONE", TIME_ZONE)
CELERY_BEAT_SCHEDULE_FILENAME = env_str("CELERY_BEAT_SCHEDULE_FILENAME", str(VAR_DIR / "celerybeat-schedule"))
# Beat asks this often whether the catalog changed; a changed catalog is rebuilt at most once per min interval.
REBUILD_CHECK_SECONDS = env_int("REBUILD_CHECK_SECONDS", 60, minimum=1)
REBUILD_MIN_INTERVAL_SECONDS = env_int("REBUILD_MIN_INTERVAL_SECONDS", 600, minimum=0)
# A rebuild's lock expires this long after its holder's last heartbeat (a crashed worker frees it by then).
REBUILD_LEASE_SECONDS = env_int("REBUILD_LEASE_SECONDS", 300, minimum=3)
# A crawl deferred by Spotify's rate limit waits in the database (CrawlRun.resume_at); beat looks this often for
# runs whose time has come and resumes each once. A resume whose worker died is taken up again after the lease.
CRAWL_RESUME_CHECK_SECONDS = env_int("CRAWL_RESUME_CHECK_SECONDS", 60, minimum=1)
CRAWL_RESUME_LEASE_SECONDS = env_int("CRAWL_RESUME_LEASE_SECONDS", _TIME_LIMITS["crawl"][1] + 60, minimum=1)
# Defaults in order: crawl the new releases, rebuild with them, then precompute every listener's day.
NEW_RELEASES_CRAWL_AT = env_schedule("NEW_RELEASES_CRAWL_AT", "03:00")
NIGHTLY_REBUILD_AT = env_schedule("NIGHTLY_REBUILD_AT", "03:30")
WEEKLY_RETRAIN_AT = env_schedule("WEEKLY_RETRAIN_AT", "sun 04:00")
TODAY_PRECOMPUTE_AT = env_schedule("TODAY_PRECOMPUTE_AT", "05:00")
_BEAT_ENTRIES = (
    ("rebuild-if-dirty", "recommendations.tasks.rebuild_if_dirty_task", REBUILD_CHECK_SECONDS),
    ("crawl-new-releases", "ingestion.tasks.crawl_new_releases_task", NEW_RELEASES_CRAWL_AT),
    ("rebuild-nightly", "recommendations.tasks.rebuild_nightly_task", NIGHTLY_REBUILD_AT),
    ("retrain-weekly", "recommendations.tasks.retrain_weekly_task", WEEKLY_RETRAIN_AT),
    ("precompute-today", "recommendations.tasks.precompute_today_task", TODAY_PRECOMPUTE_AT),
    ("resume-deferred-crawls", "ingestion.tasks.resume_deferred_crawls_task", CRAWL_RESUME_CHECK_SECONDS),
)
CELERY_BEAT_SCHEDULE = {
    name: {"task": task, "schedule": when} for name, task, when in _BEAT_ENTRIES if when is not None
}
# A check still queued when the next one is due is worthless: drop it rather than run a backlog of them.
CELERY_BEAT_SCHEDULE["rebuild-if-dirty"]["options"] = {"expires": max(60, REBUILD_CHECK_SECONDS)}
CELERY_BEAT_SCHEDULE["resume-deferred-crawls"]["options"] = {"expires": max(60, CRAWL_RESUME_CHECK_SECONDS)}
# Catalog snapshots (JSON, the original project's format) in default storage; older ones beyond this are deleted.
SNAPSHOTS_KEPT = env_int("SNAPSHOTS_KEPT", 30, minimum=0)  # 0 keeps every snapshot
# Length of each demo track's synthesized audio preview (seed_demo); longer ones cost time and space in proportion.
DEMO_PREVIEW_SECONDS = env_int("DEMO_PREVIEW_SECONDS", 8, minimum=2)

LOG_LEVEL = env_choice("DJANGO_LOG_LEVEL", "INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
# json: one JSON object per line (request id, user id, duration), for a log collector; plain: for a person.
LOG_FORMAT = env_choice("DJANGO_LOG_FORMAT", "plain" if DEBUG else "json", choices=("json", "plain"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        # Every record gets the request's id and user id, and loses anything shaped like a secret.
        "request_context": {"()": "recommender_site.logs.RequestContextFilter"},
        "redact_secrets": {"()": "recommender_site.logs.SecretRedactingFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"},
        "json": {"()": "recommender_site.logs.JsonLogFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_context", "redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # gensim logs every training step at INFO; the commands show their own progress bars.
        "gensim": {"level": "WARNING"},
        # The request log (recommender_site.middleware) already has one line per request, with its status.
        "django.server": {"level": "WARNING"},
    },
}

# --- Production hardening (DJANGO_DEBUG=false); `manage.py check --deploy` is clean with the README's values ---
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # Behind a TLS-terminating proxy or load balancer, it says https in X-Forwarded-Proto (it must overwrite it).
    if env_bool("DJANGO_BEHIND_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", True)
    # /health/ is answered before the redirect (HealthCheckMiddleware), so plain-http probes still work.
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    # Only allows the domain onto browsers' preload lists; submitting it there is a separate, deliberate step.
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"  # and CSP frame-ancestors 'none': no page of the site is meant to be framed
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Content-Security-Policy (django-csp): only the site itself, plus what Spotify's player and embeds need ---
_SPOTIFY_API_ORIGIN = origin_of(SPOTIFY_API_URL)
_SPOTIFY_ACCOUNTS_ORIGIN = origin_of(SPOTIFY_ACCOUNTS_URL)
_MEDIA_ORIGINS = (
    storage_origins(
        bucket=AWS_STORAGE_BUCKET_NAME,
        endpoint_url=AWS_S3_ENDPOINT_URL,
        region=AWS_S3_REGION_NAME,
        custom_domain=AWS_S3_CUSTOM_DOMAIN,
    )
    if AWS_STORAGE_BUCKET_NAME
    else []
)
# Looked-up previews play from their source's CDN (preview_url) unless the site keeps its own copy.
_PREVIEW_MEDIA_ORIGINS = {"deezer": "https://*.dzcdn.net", "itunes": "https://*.mzstatic.com"}
if not PREVIEW_KEEP_FILES:
    _MEDIA_ORIGINS = [*_MEDIA_ORIGINS, *(_PREVIEW_MEDIA_ORIGINS[source] for source in PREVIEW_SOURCES)]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # The Web Playback SDK's script, which opens its own iframe on sdk.scdn.co.
        "script-src": ["'self'", "https://sdk.scdn.co"],
        # style="" attributes draw the charts' bars; no inline <style> or <script> blocks exist.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "https://i.scdn.co", "https://*.scdn.co", "https://*.spotifycdn.com"],
        # HTML5 audio: the site's own media (or its bucket) and Spotify's 30-second previews.
        "media-src": ["'self'", "https://p.scdn.co", *_MEDIA_ORIGINS],
        "frame-src": ["https://open.spotify.com", "https://sdk.scdn.co"],
        # The player script calls the Web API (me/player/play) with the listener's token, and asks open.spotify.com
        # (a no-cors fetch) whether Spotify's embed can load before it shows one, so a blocked embed is words.
        "connect-src": ["'self'", _SPOTIFY_API_ORIGIN, "https://open.spotify.com"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        # The Spotify login posts here, then is redirected to Spotify's accounts service.
        "form-action": ["'self'", _SPOTIFY_ACCOUNTS_ORIGIN],
        "frame-ancestors": ["'none'"],
    }
}

# --- Abuse limits: allauth's own for its forms; django-ratelimit for API tokens and search-as-you-type ---
# Client IPs: REMOTE_ADDR, or the address this many trusted proxies back in X-Forwarded-For (0: no proxy).
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", 0, minimum=0)
ACCOUNT_RATE_LIMITS = {
    # allauth's defaults, written out so an operator sees them: 30 logins a minute per IP; after 10 failed
    # ones from an IP in a minute, or 5 for one account in 5 minutes, logins answer 429 until the window passes.
    "login": env_str("ACCOUNT_RATE_LIMIT_LOGIN", "30/m/ip"),
    "login_failed": env_str("ACCOUNT_RATE_LIMIT_LOGIN_FAILED", "10/m/ip,5/5m/key"),
    "signup": env_str("ACCOUNT_RATE_LIMIT_SIGNUP", "20/m/ip"),
    "reset_password": env_str("ACCOUNT_RATE_LIMIT_RESET_PASSWORD", "20/m/ip,5/m/key"),
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
}
RATELIMIT_ENABLE = env_bool("RATE_LIMITS_ENABLED", True)
RATELIMIT_IP_META_KEY = "recommender_site.ratelimits.client_ip"
# While the cache (Redis) is unreachable nothing can be counted: let requests through rather than refuse them all.
RATELIMIT_FAIL_OPEN = True
# "N/s|m|h|d" (django-ratelimit's syntax); each limit counts per account and, separately, per client IP.
API_RATE_LIMIT_PER_ACCOUNT = env_rate("API_RATE_LIMIT_PER_ACCOUNT", "120/m")
API_RATE_LIMIT_PER_IP = env_rate("API_RATE_LIMIT_PER_IP", "600/m")
SEARCH_RATE_LIMIT_PER_ACCOUNT = env_rate("SEARCH_RATE_LIMIT_PER_ACCOUNT", "120/m")
SEARCH_RATE_LIMIT_PER_IP = env_rate("SEARCH_RATE_LIMIT_PER_IP", "600/m")

SOCIALACCOUNT_PROVIDERS = {
    "spotify": {
        # Only configured when an app exists; without one the site works with local accounts alone.
        "APPS": (
            [{"client_id": SPOTIFY_CLIENT_ID, "secret": SPOTIFY_CLIENT_SECRET}] if SPOTIFY_CLIENT_ID else []
        ),
        # Least scopes: profile and Premium check, email (optional), Web Playback SDK, reading playlists and
        # saved tracks for playlist picks, saving today's songs as a private playlist.
        "SCOPE": [
            "user-read-private",
            "user-read-email",
            "streaming",
            "user-modify-playback-state",  # the in-page player starts tracks with PUT me/player/play
            "playlist-read-private",
            "user-library-read",
            "playlist-modify-private",
        ],
        "OAUTH_PKCE_ENABLED": True,
        # allauth's provider with URLs from SPOTIFY_ACCOUNTS_URL / SPOTIFY_API_URL instead of hardcoded ones.
        "provider_class": "accounts.spotify_login.provider.SpotifyLoginProvider",
    }
}
