"""Celery application: Redis (or RabbitMQ) broker when configured, inline otherwise.

Settings are the CELERY_* names in config/settings/base.py. Without
CELERY_BROKER_URL / REDIS_URL every task runs inline (task_always_eager), so a
single-machine install needs no broker and no worker; with one, `make demo`
starts a worker and beat next to the web server.
"""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("kubu_raya")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
