"""Prometheus metrics shared by every app; import the objects, do not redefine them.

    from common.metrics import TILE_CACHE
    TILE_CACHE.labels(layer="reports", result="hit").inc()

Served at /metrics (ops.apis.metrics). Under gunicorn with several workers set
PROMETHEUS_MULTIPROC_DIR (deploy/gunicorn.conf.py does) so every worker's
figures are summed.
"""
from prometheus_client import Counter, Gauge, Histogram

REQUEST_LATENCY = Histogram(
    "kr_http_request_duration_seconds", "Time to answer a request, by route (URL pattern name)",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
DATABASE_UNAVAILABLE = Counter(
    "kr_database_unavailable_total", "Requests answered 503 because PostgreSQL was unreachable or slow",
    ["code"])
# Tiles answered by Django: result is "hit" (from the cache), "not_modified"
# (304 from the cache), "miss" (built) or "empty" (built, 204). Tiles nginx
# sends from the edge mirror never reach Django (its access log counts them).
TILE_CACHE = Counter("kr_tile_cache_total", "Tile requests by cache outcome", ["layer", "result"])
JOBS = Counter("kr_jobs_total", "Background task runs by outcome", ["task", "outcome"])
# Filled at scrape time by ops.apis.metrics (cheap queries, one each).
QUEUE_DEPTH = Gauge("kr_queue_depth", "Messages waiting in the Celery broker queue", ["queue"],
                    multiprocess_mode="max")
REPORTS_OVERDUE = Gauge("kr_reports_overdue", "Open reports past their deadline", multiprocess_mode="max")
REPORTS_OPEN = Gauge("kr_reports_open", "Open reports", multiprocess_mode="max")
