"""gunicorn for the Kubu Raya service: `gunicorn -c deploy/gunicorn.conf.py config.wsgi`.

Sync workers (Django + psycopg are blocking); one worker per core plus one,
a few threads each so a slow client does not hold a whole worker (nginx
buffers request and response bodies anyway). Every value can be overridden
with GUNICORN_* environment variables.
"""
import multiprocessing
import os
import shutil
import tempfile

# Public process: bounded queries (config/settings/base.py reads these).
os.environ.setdefault("DB_STATEMENT_TIMEOUT_MS", "15000")
os.environ.setdefault("LOG_FORMAT", "json")
# Prometheus figures summed over every worker (see common/metrics.py).
_metrics_dir = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR",
                                     os.path.join(tempfile.gettempdir(), "kr-prometheus"))
os.makedirs(_metrics_dir, exist_ok=True)

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))  # > statement_timeout, so the database gives up first
graceful_timeout = 30
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 5000))
max_requests_jitter = 500
limit_request_line = 8190
limit_request_fields = 100
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = None  # ops.middleware logs one JSON line per request, with its request id
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
preload_app = False  # each worker opens its own database connections


def on_starting(server):
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    os.makedirs(_metrics_dir, exist_ok=True)
    # Fail fast: a wrong DATABASE_URL (port, database, no PostGIS, malformed)
    # stops gunicorn here with one clear line and no secret, instead of
    # workers that answer every request with an error. Checked once, in the
    # master: a worker recycled during a database outage still starts.
    if os.environ.get("GUNICORN_CHECK_DATABASE", "1") == "1":
        from ops.startup import check_database_or_exit

        check_database_or_exit()
        from django.db import connections

        connections.close_all()  # the workers open their own


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
