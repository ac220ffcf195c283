"""One shape for every API error: {"code": ..., "message": ..., "fields": {...}}.

`code` is machine-readable and stable; `message` is human-readable in the
request's language (Bahasa Indonesia by default, English on request).
"""
import errno

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class ApiError(exceptions.APIException):
    """Raise from selectors/services/views with a stable code."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, code: str, message, status_code: int | None = None, fields: dict | None = None,
                 extra: dict | None = None):
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.extra = extra or {}
        if status_code is not None:
            self.status_code = status_code
        super().__init__(detail=message, code=code)


_DEFAULT_CODES = {
    400: ("invalid", _("Permintaan tidak valid.")),
    401: ("not_authenticated", _("Perlu masuk (login) terlebih dahulu.")),
    403: ("permission_denied", _("Anda tidak berhak melakukan ini.")),
    404: ("not_found", _("Tidak ditemukan.")),
    405: ("method_not_allowed", _("Metode tidak diizinkan.")),
    406: ("not_acceptable", _("Format tidak tersedia.")),
    413: ("too_large", _("Permintaan terlalu besar.")),
    415: ("unsupported_media_type", _("Jenis konten tidak didukung.")),
    429: ("throttled", _("Terlalu banyak permintaan; coba lagi nanti.")),
}


def error_body(code: str, message, fields: dict | None = None, **extra) -> dict:
    body = {"code": code, "message": str(message)}
    if fields:
        body["fields"] = fields
    body.update(extra)
    return body


def _flatten(detail):
    if isinstance(detail, dict):
        return {k: _flatten(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [str(x) if not isinstance(x, (dict, list)) else _flatten(x) for x in detail]
    return str(detail)


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, ApiError):
        return Response(error_body(exc.code, exc.message, exc.fields, **exc.extra), status=exc.status_code)
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        # The media disk is full: nothing was stored (common.files.MediaStorage
        # removes the partial file, the transaction rolls back); try later.
        import logging

        logging.getLogger(__name__).error("media storage full: %s", exc)
        return Response(error_body("storage_full", _("Penyimpanan berkas penuh; coba lagi nanti.")),
                        status=507, headers={"Retry-After": "300"})
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code, message = _DEFAULT_CODES.get(response.status_code, ("error", _("Terjadi kesalahan.")))
    fields = None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail) if isinstance(exc.detail, dict) else {"non_field_errors": _flatten(exc.detail)}
        message = _("Data tidak valid: periksa kolom yang ditandai.")
    elif isinstance(exc, exceptions.Throttled) and exc.wait:
        from common.humanize import wait_words

        message = _("Terlalu banyak permintaan dari perangkat ini. Coba lagi dalam %(wait)s.") % {
            "wait": wait_words(exc.wait)}
    elif isinstance(exc, exceptions.APIException) and response.status_code not in (400,):
        message = exc.detail if isinstance(exc.detail, str) else message
    response.data = error_body(code, message, fields)
    return response
