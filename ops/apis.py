"""/metrics for Prometheus and the catch-all 500 handler (database faults -> 503)."""
import ipaddress
import logging
import os
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from common.metrics import QUEUE_DEPTH, REPORTS_OPEN, REPORTS_OVERDUE

from .middleware import database_unavailable_response

log = logging.getLogger(__name__)
OPEN_STATUSES = ("received", "verified", "dispatched", "in_progress")


def _client_allowed(request) -> bool:
    token = settings.OPS_METRICS_TOKEN
    if token and request.headers.get("Authorization") == f"Bearer {token}":
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net) for net in settings.OPS_METRICS_ALLOWED_NETWORKS)


def queue_depth(queue: str = "celery") -> int | None:
    """Messages waiting in the broker; None without a broker (jobs run inline)."""
    from celery import current_app as app  # the project's app (config.celery, loaded with Django)

    if app.conf.task_always_eager or not app.conf.broker_url:
        return None
    try:
        with app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=1)
            if conn.transport_cls in ("redis", "rediss") or conn.transport.driver_type == "redis":
                # A Redis queue is a list, absent when empty: LLEN says 0 where
                # kombu's passive queue_declare raised "queue not found".
                return int(conn.default_channel.client.llen(queue))
            try:
                return conn.default_channel.queue_declare(queue=queue, passive=True).message_count
            except conn.channel_errors:  # declared by no one yet: nothing waits in it
                return 0
    except Exception as exc:  # noqa: BLE001 - an absent broker is reported, not raised
        log.warning("queue depth unavailable: %s", exc)
        return None


def _refresh_gauges() -> None:
    depth = queue_depth()
    if depth is not None:
        QUEUE_DEPTH.labels("celery").set(depth)
    from reports.models import Report

    today = timezone.localdate()
    open_reports = Report.objects.filter(status__in=OPEN_STATUSES)
    REPORTS_OPEN.set(open_reports.count())
    REPORTS_OVERDUE.set(open_reports.filter(deadline__lt=today).count())


@require_safe
def metrics(request):
    """Prometheus text format; loopback/private networks or a bearer token only."""
    if not _client_allowed(request):
        return JsonResponse({"code": "permission_denied", "message": _("Anda tidak berhak melakukan ini.")},
                            status=403)
    try:
        _refresh_gauges()
    except (OperationalError, InterfaceError) as exc:
        log.warning("metrics gauges skipped: %s", exc)
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def not_found(request, exception=None, *args, **kwargs):
    """handler404: under the machine interfaces a JSON error in the shape each
    of them uses (OGC exception, Open311 error list, the API's code/message);
    the portal's pages keep Django's HTML page."""
    from django.views.defaults import page_not_found

    path = request.path
    message = _("Tidak ditemukan.")
    if path.startswith("/ogc/"):
        return JsonResponse({"code": "NotFound", "description": message}, status=404)
    if path.startswith("/open311/"):
        return JsonResponse([{"code": 404, "description": message}], safe=False, status=404)
    if path.startswith(("/api/", "/tiles/")):
        return JsonResponse({"code": "not_found", "message": message}, status=404)
    return page_not_found(request, exception)


def bad_request(request, exception=None, *args, **kwargs):
    """handler400: SuspiciousOperation (a disallowed Host, a GeoJSON naming an external CRS, ...) as JSON."""
    return JsonResponse({"code": "invalid", "message": _("Permintaan tidak valid.")}, status=400)


def server_error(request, *args, **kwargs):
    """handler500: a database fault anywhere (middleware included) is a 503, the rest a JSON 500."""
    exc = sys.exc_info()[1]
    if isinstance(exc, (OperationalError, InterfaceError)):
        return database_unavailable_response(exc)
    return JsonResponse({"code": "server_error", "message": _("Terjadi kesalahan pada server.")}, status=500)
