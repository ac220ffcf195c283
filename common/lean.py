"""Lean paths: the plain requests of a hot endpoint answered without DRF's
dispatch (request wrapping, authentication classes, negotiation, parsers,
serializers, response finalisation), which costs more than the work of the
point lookup or of a submission's duplicate check.

    class AreasCoveringApi(LeanThrottles, APIView):
        @classmethod
        def as_view(cls, **initkwargs):
            return lean_view(cls, initkwargs, super().as_view(**initkwargs), method="GET", read=..., answer=...)

`read(request)` returns the arguments when the lean path can answer exactly
as DRF would, None otherwise (the request then goes through DRF: errors,
conversions); it only sees `method` requests without an Authorization header
that ask for compact JSON. The lean path runs the view's throttles as DRF
does (common.throttles; a refusal is answered by DRF from the same check),
calls `answer(request, args) -> (body, status)`, renders with DRF's
JSONRenderer, turns an ApiError into the same error body, and sets the Allow
and Vary headers DRF would. The Django middleware stack wraps both paths. A
view is only answered lean while anyone may call it (AllowAny) and the only
credentials are Django's session or an Authorization header (which `read`
must send to DRF); tests pin each lean path byte for byte against DRF.
"""
from typing import Callable

from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt
from rest_framework.authentication import BasicAuthentication, SessionAuthentication, TokenAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer

from common.throttles import CountAccepted, throttles_check, throttles_record_accepted
from common.api_errors import ApiError, error_body

# Set on the Django request by the lean path once it has run the throttles
# (the waits of those that refused): DRF then answers the 429 from them.
_THROTTLE_WAITS = "kr_lean_throttle_waits"
JSON = JSONRenderer()
# What DRF answers with compact JSON.
_LEAN_ACCEPT = (None, "*/*", "application/json")
_SESSION_OR_HEADER_AUTH = (SessionAuthentication, TokenAuthentication, BasicAuthentication)


class LeanThrottles(CountAccepted):
    """The throttles of a view with a lean path: a request the lean path
    checked and refused is answered by DRF (APIView.throttled, as its
    check_throttles would) without being checked, and counted, again."""

    def check_throttles(self, request):
        waits = getattr(request._request, _THROTTLE_WAITS, None)
        if waits is None:
            return super().check_throttles(request)
        self.throttled(request, max((w for w in waits if w is not None), default=None))


def lean_view(cls, initkwargs: dict, drf_view, *, method: str, read: Callable, answer: Callable):
    """`method` requests without an Authorization header, asking for compact
    JSON (no other Accept type, no ?format=), go to `read`; the rest to DRF."""
    probe = cls(**initkwargs)  # a view instance for its headers and throttles (it keeps no request)
    if hasattr(probe, "get"):
        probe.head = probe.get  # as View.setup() does; Allow lists HEAD
    drf_headers = probe.default_response_headers  # Allow, and Vary: Accept
    lean = (all(p is AllowAny for p in probe.permission_classes)
            and all(a in _SESSION_OR_HEADER_AUTH for a in probe.authentication_classes))

    def view(request, *args, **kwargs):
        arguments = None
        if (lean and request.method == method and "HTTP_AUTHORIZATION" not in request.META
                and request.META.get("HTTP_ACCEPT") in _LEAN_ACCEPT and "format" not in request.GET):
            arguments = read(request)
        if arguments is None:
            return drf_view(request, *args, **kwargs)
        waits = throttles_check(request, probe)
        if waits:
            setattr(request, _THROTTLE_WAITS, waits)
            return drf_view(request, *args, **kwargs)
        try:
            body, status = answer(request, arguments)
        except ApiError as exc:
            body, status = error_body(exc.code, exc.message, exc.fields, **exc.extra), exc.status_code
        throttles_record_accepted(request, probe, status)
        response = HttpResponse(JSON.render(body), content_type=JSON.media_type, status=status)
        patch_vary_headers(response, drf_headers["Vary"].split(", "))
        response["Allow"] = drf_headers["Allow"]
        return response

    view.cls, view.initkwargs, view.login_required = cls, initkwargs, False
    return csrf_exempt(view)
