"""Request id, access log + latency metrics, and database faults as 503.

Order in MIDDLEWARE: RequestContextMiddleware first (it times and tags
everything below it), DatabaseUnavailableMiddleware right after it.
"""
import logging
import re
import time
import uuid

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

from common.metrics import DATABASE_UNAVAILABLE, REQUEST_LATENCY
from tiles.cache import epoch_waits_deferred

from .logging import request_id_var

log = logging.getLogger("kr.request")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _route(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match.route or "unnamed"


class RequestContextMiddleware:
    """X-Request-ID in (kept when well-formed) and out; one access-log line and
    one latency observation per request, labelled by URL pattern, never by raw path."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        start = time.perf_counter()
        try:
            with epoch_waits_deferred():  # a write the tile cache missed is answered once every process sees it
                response = _refuse_nul(request) or self.get_response(request)
            elapsed = time.perf_counter() - start
            route = _route(request)
            response["X-Request-ID"] = request_id
            REQUEST_LATENCY.labels(route, request.method, str(response.status_code)).observe(elapsed)
            log.info("%s %s %s", request.method, request.path, response.status_code,
                     extra={"method": request.method, "path": request.path, "route": route,
                            "status": response.status_code, "duration_ms": round(elapsed * 1000, 1)})
            return response
        finally:
            request_id_var.reset(token)


def _refuse_nul(request) -> JsonResponse | None:
    """PostgreSQL text cannot hold NUL: a NUL in the path, the query or a form/JSON
    body would reach the database as an error (500) from any endpoint, so it is
    refused here as bad input (in multipart bodies, the text fields only)."""
    found = "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", "") or any(
        "\x00" in key or "\x00" in value for key, values in request.GET.lists() for value in values)
    if not found and request.method in ("POST", "PUT", "PATCH"):
        content_type = request.content_type or ""
        if content_type == "application/x-www-form-urlencoded":
            found = b"%00" in request.body or b"\x00" in request.body
        elif content_type.endswith("json"):
            found = b"\\u0000" in request.body or b"\x00" in request.body
        elif content_type == "multipart/form-data":
            # text fields only (files may hold NUL bytes); DRF reuses the parsed form
            try:
                found = any("\x00" in key or "\x00" in value
                            for key, values in request.POST.lists() for value in values)
            except MultiPartParserError:
                return JsonResponse({"code": "invalid", "message": _("Isi multipart tidak dapat dibaca.")},
                                    status=400)
    if found:
        return JsonResponse({"code": "invalid", "message": _("Permintaan memuat karakter NUL yang tidak diizinkan.")},
                            status=400)
    return None


def database_unavailable_response(exc: BaseException) -> JsonResponse:
    """503 for a database that is down, restarting or too slow; clients retry after Retry-After."""
    cause = getattr(exc, "__cause__", None)
    if type(cause).__name__ == "QueryCanceled":  # statement_timeout hit: overloaded, not down
        code, message = "query_timeout", _("Permintaan terlalu lama diproses; coba lagi sebentar lagi.")
    else:
        code, message = "database_unavailable", _("Basis data sedang tidak dapat dihubungi; coba lagi sebentar lagi.")
    DATABASE_UNAVAILABLE.labels(code).inc()
    log.warning("database unavailable: %s", exc, extra={"code": code})
    return JsonResponse({"code": code, "message": message}, status=503,
                        headers={"Retry-After": str(settings.OPS_RETRY_AFTER_SECONDS)})


class DatabaseUnavailableMiddleware:
    """Turns OperationalError/InterfaceError raised by a view into 503 JSON.

    Errors raised by middleware below this one (sessions, auth) are caught by
    config.urls.handler500 -> ops.apis.server_error, which answers the same way.
    Recovery needs nothing: CONN_HEALTH_CHECKS drops the dead connection and the
    next request opens a new one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)):
            return database_unavailable_response(exception)
        return None


class LoadSheddingMiddleware:
    """Shed load instead of queueing without bound: a request that waited
    longer than OPS_SHED_QUEUE_MS between nginx and Django (nginx stamps
    `X-Request-Start: t=<epoch seconds.ms>`, deploy/nginx/kubu-raya.conf) is
    answered 503 `overloaded` with Retry-After at once, without touching the
    database: its client has waited long enough, and the answer frees the
    thread for requests that can still be served in time. Probes are exempt.
    0 turns it off."""

    EXEMPT = ("/healthz", "/readyz", "/metrics")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        bound_ms = settings.OPS_SHED_QUEUE_MS
        stamp = request.META.get("HTTP_X_REQUEST_START", "")
        if bound_ms and stamp.startswith("t=") and request.path not in self.EXEMPT:
            try:
                waited_ms = (time.time() - float(stamp[2:])) * 1000.0
            except ValueError:
                waited_ms = 0.0
            if waited_ms > bound_ms:
                DATABASE_UNAVAILABLE.labels("overloaded").inc()
                response = JsonResponse({"code": "overloaded",
                                         "message": _("Layanan sedang sibuk; coba lagi sebentar lagi.")},
                                        status=503)
                response["Retry-After"] = str(settings.OPS_RETRY_AFTER_SECONDS)
                return response
        return self.get_response(request)
