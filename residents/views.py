"""Pages and small JSON endpoints for residents: sign-in with a one-time code,
"Laporan saya", following, support, the reporter's "is it fixed?" and their
own report's photos. Errors of the JSON endpoints are {"code", "message"}
(common.api_errors shape) in the request's language."""
import json

from django.conf import settings
from django.contrib.auth import login, logout
from django.core import signing
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from common.api_errors import ApiError
from common.regency import by_tracking_code
from reports.models import Report, ReportPhoto

from . import selectors, services
from .models import ClientRequest

SESSION_DESTINATION = "residents_destination"


class CodeRequestThrottle:
    """Sign-in codes asked from one client address (SMS cost, message flooding):
    RESIDENTS_CODES_PER_IP per hour, counted in the cache like DRF's throttles
    (the per-destination limit lives in residents.services)."""

    def __init__(self):
        from rest_framework.throttling import SimpleRateThrottle

        class _Throttle(SimpleRateThrottle):
            scope = "resident_sign_in_code"
            rate = f"{getattr(settings, 'RESIDENTS_CODES_PER_IP', 10)}/hour"

            def get_rate(self):
                return self.rate

            def get_cache_key(self, request, view):
                return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

        self.throttle = _Throttle()

    def check(self, request) -> ApiError | None:
        if self.throttle.allow_request(request, None):
            return None
        from common.humanize import wait_words

        wait = self.throttle.wait() or 60
        return ApiError("throttled", _("Terlalu sering meminta kode. Coba lagi dalam %(wait)s.") % {
            "wait": wait_words(wait)}, status_code=429, extra={"retry_after": int(wait)})


def _error_json(exc: ApiError) -> JsonResponse:
    body = {"code": exc.code, "message": str(exc.message)}
    if exc.fields:
        body["fields"] = exc.fields
    response = JsonResponse(body, status=exc.status_code)
    if exc.extra.get("retry_after"):
        response["Retry-After"] = str(exc.extra["retry_after"])
    return response


def _body(request) -> dict:
    """Form fields or a JSON object."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            raise ApiError("invalid", _("Permintaan tidak valid."))
        if not isinstance(data, dict):
            raise ApiError("invalid", _("Permintaan tidak valid."))
        return data
    return request.POST


def _secret(request, data) -> str:
    return str(data.get("device_secret") or request.headers.get("X-Device-Secret") or "")


def _next_url(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


def warga_masuk(request):
    """Step 1: phone number or e-mail (and, for a phone, SMS or WhatsApp)."""
    context = {"nav": "laporan-saya", "next": _next_url(request, ""), "error": None,
               "destination": "", "channel": "whatsapp"}
    if request.method == "POST":
        destination = (request.POST.get("destination") or "").strip()[:254]
        channel = request.POST.get("channel") or "whatsapp"
        context.update(destination=destination, channel=channel)
        try:
            refused = CodeRequestThrottle().check(request)
            if refused:
                raise refused
            row = services.code_request(destination=destination, channel=channel)
        except ApiError as exc:
            context["error"] = str(exc.message)
            return render(request, "residents/masuk.html", context, status=exc.status_code)
        request.session[SESSION_DESTINATION] = row.destination
        url = reverse("residents:kode")
        if context["next"]:
            url += "?next=" + context["next"]
        return redirect(url)
    return render(request, "residents/masuk.html", context)


def warga_kode(request):
    """Step 2: the code; an account is made on the first sign-in (with consent)."""
    destination = request.session.get(SESSION_DESTINATION)
    if not destination:
        return redirect("residents:masuk")
    from .models import Resident

    known = Resident.objects.filter(phone=destination).exists() or Resident.objects.filter(email=destination).exists()
    context = {"nav": "laporan-saya", "destination": destination, "known": known, "error": None,
               "next": _next_url(request, "")}
    if request.method == "POST":
        try:
            user = services.code_verify(destination=destination, code=request.POST.get("code", ""),
                                        consent=request.POST.get("consent") == "1")
        except ApiError as exc:
            context["error"] = str(exc.message)
            return render(request, "residents/kode.html", context, status=exc.status_code)
        request.session.pop(SESSION_DESTINATION, None)
        login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        return redirect(_next_url(request, reverse("portal:laporan-saya")))
    return render(request, "residents/kode.html", context)


def laporan_saya(request):
    """"Laporan saya": a signed-in resident's filed and followed reports; without
    an account, the page lists the reports filed from this phone (its script
    asks laporan_saya_perangkat with the phone's secret)."""
    context = {"nav": "laporan-saya", "resident": selectors.resident_of(request.user), "mine": None}
    if request.user.is_authenticated:
        context["mine"] = selectors.my_reports(user=request.user)
    return render(request, "residents/laporan_saya.html", context)


@require_POST
def laporan_saya_perangkat(request):
    try:
        data = _body(request)
    except ApiError as exc:
        return _error_json(exc)
    rows = selectors.device_reports(secret=_secret(request, data))
    return JsonResponse({"results": [{**r, "created_at": r["created_at"].isoformat(),
                                      "deadline": r["deadline"].isoformat(),
                                      "url": reverse("portal:lacak", kwargs={"code": r["tracking_code"]})}
                                     for r in rows]})


@require_POST
def laporan_saya_saluran(request):
    if not request.user.is_authenticated:
        return redirect(reverse("residents:masuk") + "?next=" + reverse("portal:laporan-saya"))
    try:
        services.resident_set_channel(user=request.user, channel=request.POST.get("channel", ""))
    except ApiError as exc:
        context = {"nav": "laporan-saya", "resident": selectors.resident_of(request.user),
                   "mine": selectors.my_reports(user=request.user), "error": str(exc.message)}
        return render(request, "residents/laporan_saya.html", context, status=exc.status_code)
    return redirect("portal:laporan-saya")


@require_POST
def laporan_saya_hapus(request):
    """Delete the resident's account and personal data (UU PDP Pasal 8)."""
    if not request.user.is_authenticated:
        return redirect("residents:masuk")
    try:
        services.resident_erase(user=request.user)
    except ApiError as exc:
        context = {"nav": "laporan-saya", "resident": None, "mine": selectors.my_reports(user=request.user),
                   "error": str(exc.message)}
        return render(request, "residents/laporan_saya.html", context, status=exc.status_code)
    logout(request)
    return render(request, "residents/dihapus.html", {"nav": "laporan-saya"})


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "") or request.content_type == "application/json"


@require_POST
def lacak_ikuti(request, code: str):
    follow = request.POST.get("follow", "1") != "0"
    if not request.user.is_authenticated:
        if _wants_json(request):
            return _error_json(ApiError("not_authenticated", _("Masuk sebagai warga untuk mengikuti laporan."),
                                        status_code=401))
        return redirect(reverse("residents:masuk") + "?next=" + reverse("portal:lacak", kwargs={"code": code}))
    try:
        # Once per client_id: the phone's outbox may send a follow made offline again.
        services.client_request_once(
            client_id=request.POST.get("client_id"),
            kind=ClientRequest.Kind.FOLLOW if follow else ClientRequest.Kind.UNFOLLOW, code=code,
            user=request.user,
            apply=lambda: services.report_follow(code=code, user=request.user, follow=follow))
    except ApiError as exc:
        return _error_json(exc)
    tracking_code = selectors.code_normalize(code)
    if _wants_json(request):
        return JsonResponse({"tracking_code": tracking_code, "following": follow})
    return redirect("portal:lacak", code=tracking_code)


@require_POST
def dukung(request):
    """ "Dukung laporan ini" (JSON): {"report": id or tracking code, "device_secret": ...}."""
    try:
        data = _body(request)
        ref = str(data.get("report") or "").strip()
        if not ref:
            raise ApiError("invalid", _("Pilih laporan yang didukung."), fields={"report": ["required"]})
        report_id = ref if services._is_uuid(ref) else by_tracking_code(
            Report.objects.values_list("id", flat=True), selectors.code_normalize(ref))
        if report_id is None:
            raise ApiError("not_found", _("Laporan tidak ditemukan."), status_code=404)
        report = services.report_support(report_id=report_id, user=request.user, secret=_secret(request, data))
    except ApiError as exc:
        if not _wants_json(request) and request.POST.get("code"):
            return redirect("portal:lacak", code=request.POST["code"])
        return _error_json(exc)
    if not _wants_json(request) and request.POST.get("code"):
        return redirect("portal:lacak", code=report.tracking_code)
    return JsonResponse({"tracking_code": report.tracking_code, "supporters_count": report.supporters_count})


@require_POST
def lacak_pelapor(request, code: str):
    """The reporter's own view (JSON) when this phone filed it: description,
    photos, the crew's evidence photo, and whether they may dispute/confirm."""
    from reports.policy import report_can_dispute
    from reports.selectors import report_dispute_window_open

    try:
        data = _body(request)
    except ApiError as exc:
        return _error_json(exc)
    report = by_tracking_code(Report.objects.all(), selectors.code_normalize(code))
    if report is None or not services.is_reporter(report=report, user=request.user, secret=_secret(request, data)):
        return _error_json(ApiError("not_reporter", _("Hanya pelapor yang dapat melihat ini."), status_code=403))
    resolved = report.status == Report.Status.RESOLVED
    return JsonResponse({**selectors.reporter_view(report=report),
                         "can_dispute": resolved and report_dispute_window_open(report),
                         "fix_confirmed": selectors.fix_confirmed(report=report),
                         "account": report_can_dispute(report, request.user)})


@require_POST
def lacak_konfirmasi(request, code: str):
    try:
        data = _body(request)
        secret = _secret(request, data)
        # Once per client_id: the phone's outbox may send a confirmation made offline again.
        services.client_request_once(
            client_id=data.get("client_id"), kind=ClientRequest.Kind.CONFIRM, code=code, user=request.user,
            secret=secret,
            apply=lambda: services.report_confirm_fixed(code=code, user=request.user, secret=secret))
    except ApiError as exc:
        if _wants_json(request):
            return _error_json(exc)
        from portal.views import lacak

        return lacak(request, code, error=str(exc.message), status=exc.status_code)
    if _wants_json(request):
        return JsonResponse({"fix_confirmed": True})
    return redirect("portal:lacak", code=selectors.code_normalize(code))


@require_GET
def photo(request, token: str):
    try:
        data = signing.loads(token, salt=selectors.PHOTO_SALT, max_age=selectors.PHOTO_MAX_AGE)
    except signing.BadSignature:
        raise Http404
    row = ReportPhoto.objects.filter(id=data.get("p")).first()
    if row is None:
        raise Http404
    response = FileResponse(row.image.open("rb"), content_type=row.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response
