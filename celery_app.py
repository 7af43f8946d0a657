"""The Celery application: configured from Django settings (CELERY_* names), tasks autodiscovered.

Without CELERY_BROKER_URL the settings make every task run in-process (eager), so a laptop needs no Redis.
"""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recommender_site.settings")

app = Celery("recommender_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
