"""Open311 GeoReport v2 server (http://wiki.open311.org/GeoReport_v2) at
/open311/v2/, JSON and XML.

Published requests are exactly reports.policy.reports_public() in the
shape of report_public_dict(): only P0 categories are services (listed, defined,
accepted by POST); a P1-P3 code is refused (400, nothing stored), since its
request could never be read back. Status mapping: resolved, rejected and merged are
`closed`; every other status is `open`. POST needs an api_key (Open311Key);
reports arrive anonymous (no reporter identity is stored), without a photo
(Open311 carries only a media_url, which is not fetched).
"""
import datetime
import math
import uuid
import xml.etree.ElementTree as ET

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from rest_framework.settings import api_settings

from common.throttles import SubmitRateThrottle, throttles_check, throttles_record_accepted
from common.api_errors import ApiError
from common.serializers import validated
from geo.selectors import desa_point_for_address
from reports import policy as policy

from . import selectors, services
from .models import Open311Key, Report, ReportEvent
from .serializers import ReportSubmitInput

MAX_REQUESTS = 1000
DEFAULT_WINDOW_DAYS = 90


def _xml(root_tag: str, item_tag: str, items: list[dict]) -> bytes:
    root = ET.Element(root_tag)
    for item in items:
        node = ET.SubElement(root, item_tag)
        _fill(node, item)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="utf-8")


def _fill(node, item: dict):
    for key, value in item.items():
        child = ET.SubElement(node, key)
        if isinstance(value, dict):
            _fill(child, value)
        elif isinstance(value, list):
            for v in value:
                sub = ET.SubElement(child, key.rstrip("s") or "item")
                if isinstance(v, dict):
                    _fill(sub, v)
                else:
                    sub.text = str(v)
        elif value is not None:
            child.text = str(value).lower() if isinstance(value, bool) else str(value)


def _respond(fmt: str, root: str, item: str, items: list[dict], status: int = 200):
    if fmt == "xml":
        return HttpResponse(_xml(root, item, items), content_type="text/xml; charset=utf-8", status=status)
    return JsonResponse(items, safe=False, status=status)


def _error(fmt: str, status: int, description: str):
    return _respond(fmt, "errors", "error", [{"code": status, "description": description}], status=status)


def discovery(request, fmt):
    base = request.build_absolute_uri("/open311/v2/")
    body = {"changeset": "2026-11-27T00:00:00+07:00", "contact": "Diskominfo Kabupaten Kubu Raya",
            "key_service": "Minta api_key kepada Diskominfo Kabupaten Kubu Raya.",
            "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base,
                           "changeset": "2026-11-27T00:00:00+07:00", "type": "production",
                           "formats": ["application/json", "text/xml"]}]}
    if fmt == "xml":
        root = ET.Element("discovery")
        _fill(root, {k: v for k, v in body.items() if k != "endpoints"})
        endpoints = ET.SubElement(root, "endpoints")
        for ep in body["endpoints"]:
            node = ET.SubElement(endpoints, "endpoint")
            _fill(node, {k: v for k, v in ep.items() if k != "formats"})
            formats = ET.SubElement(node, "formats")
            for f in ep["formats"]:
                ET.SubElement(formats, "format").text = f
        return HttpResponse(b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="utf-8"),
                            content_type="text/xml; charset=utf-8")
    return JsonResponse(body)


def _service(category) -> dict:
    return {"service_code": category.code, "service_name": category.name_id,
            "description": category.name_en, "metadata": False, "type": "realtime",
            "keywords": category.group, "group": category.group}


def _open_categories():
    """The services a client can POST and then read back: P0 categories
    (policy.reports_public publishes only those). P1-P3 categories are
    filed through the portal or the app, never through Open311."""
    return [c for c in selectors.categories_active() if policy.category_points_public(c)]


def services_list(request, fmt):
    return _respond(fmt, "services", "service", [_service(c) for c in _open_categories()])


def service_definition(request, code, fmt):
    category = selectors.category_get(code=code)
    if category is None or not policy.category_points_public(category):
        return _error(fmt, 404, "service_code not found")
    body = {"service_code": category.code, "attributes": []}
    if fmt == "xml":
        root = ET.Element("service_definition")
        _fill(root, {"service_code": category.code})
        ET.SubElement(root, "attributes")
        return HttpResponse(b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="utf-8"),
                            content_type="text/xml; charset=utf-8")
    return JsonResponse(body)


def _request_dict(report, status_notes: str) -> dict:
    public = policy.report_public_dict(report)
    return {
        "service_request_id": public["id"],
        "status": public["status_open311"],
        "status_notes": status_notes,
        "service_name": public["category"]["name_id"],
        "service_code": public["category"]["code"],
        "description": public["description"],
        "agency_responsible": public["agency"]["name"] if public["agency"] else "",
        "service_notice": "",
        "requested_datetime": public["created_at"],
        "updated_datetime": public["updated_at"],
        "expected_datetime": f"{public['deadline']}T23:59:59+07:00",
        "address": f"Desa {public['desa']['name']}, Kec. {public['kecamatan']['name']}" if public["kecamatan"] else "",
        "address_id": public["desa"]["code"],
        "zipcode": "",
        "lat": public["lat"],
        "long": public["lon"],
        # No media_url: photos are not published, and "" fails the spec's
        # schema (a URI); the field is optional.
    }


def _status_notes(reports: list[Report]) -> dict:
    """Latest public note per report whose notes the policy publishes."""
    notes = {}
    allowed = [r.id for r in reports if policy.report_notes_public(r)]
    for e in (ReportEvent.objects.filter(report_id__in=allowed, public=True).exclude(note="")
              .order_by("report_id", "-created_at").distinct("report_id")):
        notes[e.report_id] = e.note
    return notes


# Dates outside this range select nothing more than its ends would (no report
# predates the service); clamping keeps year 1 or 9999 away from overflows.
EARLIEST = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
LATEST = datetime.datetime(9000, 1, 1, tzinfo=datetime.timezone.utc)


def _parse_dt(value):
    dt = parse_datetime(value)
    if dt is None:
        raise ValueError(value)
    if timezone.is_naive(dt):
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    try:
        dt = dt.astimezone(datetime.timezone.utc)
    except OverflowError:
        return EARLIEST if dt.year < 5000 else LATEST
    return min(max(dt, EARLIEST), LATEST)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def requests_list(request, fmt):
    if request.method == "POST":
        return _requests_post(request, fmt)
    qs = policy.reports_public()
    params = request.GET
    if params.get("service_request_id"):
        ids = []
        for raw in params["service_request_id"].split(","):
            try:
                ids.append(uuid.UUID(raw.strip()))
            except ValueError:
                continue
        qs = qs.filter(id__in=ids)
    else:
        try:
            end = _parse_dt(params["end_date"]) if params.get("end_date") else timezone.now()
            start = (_parse_dt(params["start_date"]) if params.get("start_date")
                     else end - datetime.timedelta(days=DEFAULT_WINDOW_DAYS))
        except ValueError:
            return _error(fmt, 400, "start_date/end_date must be w3c datetimes")
        qs = qs.filter(created_at__gte=start, created_at__lte=end)
        if params.get("service_code"):
            qs = qs.filter(category__code__in=params["service_code"].split(","))
        if params.get("status"):
            statuses = params["status"].split(",")
            if any(s not in ("open", "closed") for s in statuses):
                return _error(fmt, 400, "status must be open or closed")
            if statuses == ["open"]:
                qs = qs.exclude(status__in=policy.OPEN311_CLOSED)
            elif statuses == ["closed"]:
                qs = qs.filter(status__in=policy.OPEN311_CLOSED)
    reports = list(qs.order_by("-created_at")[:MAX_REQUESTS])
    notes = _status_notes(reports)
    return _respond(fmt, "service_requests", "request", [_request_dict(r, notes.get(r.id, "")) for r in reports])


def request_detail(request, request_id, fmt):
    try:
        rid = uuid.UUID(request_id)
    except ValueError:
        return _error(fmt, 404, "service_request_id not found")
    report = policy.reports_public().filter(id=rid).first()
    if report is None:
        return _error(fmt, 404, "service_request_id not found")
    return _respond(fmt, "service_requests", "request", [_request_dict(report, _status_notes([report]).get(report.id, ""))])


class _PostThrottles:
    """What DRF's throttles read of a view, for this plain view: the
    throttles of the report API's POST (per IP, and the report_submit rate
    shared with POST /api/v1/reports/ by the same caller), no scope."""

    throttle_scope = None

    def get_throttles(self):
        return [throttle() for throttle in (*api_settings.DEFAULT_THROTTLE_CLASSES, SubmitRateThrottle)]


def _requests_post(request, fmt):
    data = request.POST
    key = data.get("api_key", "")
    if not key or not Open311Key.objects.filter(key=key, is_active=True).exists():
        return _error(fmt, 403, "invalid api_key")
    throttles = _PostThrottles()
    waits = throttles_check(request, throttles)
    if waits:
        wait = max((w for w in waits if w is not None), default=60)
        response = _error(fmt, 429, "too many requests; retry after %d seconds" % math.ceil(wait))
        response["Retry-After"] = str(math.ceil(wait))
        return response
    code = data.get("service_code", "")
    if not code:
        return _error(fmt, 400, "service_code is required")
    if code not in {c.code for c in _open_categories()}:
        # Unknown, inactive or P1-P3: refused before anything is located or
        # stored (services.json lists P0 only; a P1-P3 request could never be
        # read back through requests/{id}).
        return _error(fmt, 400, f"service_code_unknown: service_code {code[:80]!r} is not an Open311 service "
                                f"here (GET services.{fmt} lists them)")
    lat, lon, located = data.get("lat"), data.get("long"), ""
    if not lat or not lon:
        if not data.get("address_id") and not data.get("address_string"):
            return _error(fmt, 400, "a location is required: lat and long, address_id (desa code) or "
                                    "address_string (desa name)")
        found = desa_point_for_address(address_id=data.get("address_id", ""),
                                       address_string=data.get("address_string", ""))
        if found is None:
            return _error(fmt, 400, "address could not be located in Kabupaten Kubu Raya: give lat and long, "
                                    "address_id (a desa code, e.g. 61.12.01.2001) or address_string naming "
                                    "one desa (e.g. 'Desa Kapur, Kec. Sungai Raya')")
        located, lon, lat = found
    try:
        # The report API's validator, on Open311's names (service_code, long).
        fields = validated(ReportSubmitInput, {
            "id": uuid.uuid4(), "category": code, "lon": lon, "lat": lat,
            "description": data.get("description", ""), "channel": Report.Channel.OPEN311, "anonymous": True})
        result = services.report_submit(
            report_id=fields["id"], category_code=fields["category"], lon=fields["lon"], lat=fields["lat"],
            description=fields["description"], channel=fields["channel"], anonymous=True, photo_optional=True)
    except ApiError as exc:
        return _error(fmt, exc.status_code, f"{exc.code}: {exc.message}")
    # Only an accepted submission counts towards report_submit (issue 17).
    throttles_record_accepted(request, throttles, 201 if result.created else 200)
    notice = (f"Kode pelacakan {result.report.tracking_code}: {settings.REPORTS_PUBLIC_BASE_URL}"
              f"/lacak/{result.report.tracking_code}/")
    if located:
        notice += f" (lokasi: titik di dalam desa {located})"
    return _respond(fmt, "service_requests", "request",
                    [{"service_request_id": str(result.report.id), "service_notice": notice, "account_id": ""}],
                    status=201)
