"""HTTP adapters for RT Online; logic lives in services/selectors, public
shapes in reports.policy."""
import io
import json

from django.db.models import Prefetch, prefetch_related_objects
from django.http import FileResponse, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.models import Role
from accounts.selectors import user_agency_ids, user_has_role, user_regency_codes
from common.csvsafe import csv_writer
from common.lean import LeanThrottles, lean_view
from common.throttles import SubmitRateThrottle
from common.api_errors import ApiError
from common.regency import by_tracking_code
from common.serializers import validated
from reports import policy as policy

from . import selectors, services
from .models import PersonalDataAccess, Report, ReportPhoto
from .serializers import (NearbyQuery, PointQuery, ReportSubmitInput, TransitionInput, event_list,
                          report_internal_dict, report_own_dict)

NOT_FOUND = ("not_found", _("Laporan tidak ditemukan."))


def _report_or_404(report_id, user=None) -> Report:
    """The report for `user`: staff look it up in their regency (one shard on Citus,
    selectors.report_for_staff), anyone else by its id."""
    report = selectors.report_for_staff(
        Report.objects.select_related("category", "desa", "kecamatan", "agency", "reporter", "on_behalf_of_rt"),
        user=user, report_id=report_id)
    if report is None:
        raise ApiError(*NOT_FOUND, status_code=404)
    # Its photos with its regency named (one shard on Citus: they are co-located with it).
    prefetch_related_objects([report], Prefetch(
        "photos", queryset=ReportPhoto.objects.filter(regency_code=report.regency_code).order_by("id")))
    return report


def _client_ip(request):
    return request.META.get("REMOTE_ADDR")


class CategoryListApi(APIView):
    @extend_schema(summary="Active report categories (current taxonomy version)")
    def get(self, request):
        return Response([
            {"code": c.code, "name_id": c.name_id, "name_en": c.name_en, "group": c.group, "version": c.version,
             "publication_class": c.publication_class, "photo_required": c.photo_required,
             "target_days": c.target_days}
            for c in selectors.categories_active()])


class ReportListCreateApi(LeanThrottles, APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    # submissions limited per user / per client IP (THROTTLE_REPORT_SUBMIT); listing is not
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, SubmitRateThrottle]

    @extend_schema(summary="Submit a report (idempotent on the client-chosen id)", request=ReportSubmitInput)
    def post(self, request):
        body, status = _submit(request, validated(ReportSubmitInput, request.data))
        return Response(body, status=status)

    @extend_schema(summary="The caller's own reports")
    def get(self, request):
        if not request.user.is_authenticated:
            raise ApiError("not_authenticated", _("Perlu masuk (login) terlebih dahulu."), status_code=401)
        reports = selectors.reports_of_reporter(user=request.user).order_by("-created_at")[:200]
        return Response([policy.report_receipt_dict(r, duplicates=()) for r in reports])

    @classmethod
    def as_view(cls, **initkwargs):
        """A plain anonymous JSON submission is answered by a lean path
        (common.lean) instead of DRF's dispatch: the same throttles, the same
        validator (ReportSubmitInput), the same service call and receipt
        (_submit), errors in the same shape. DRF's request wrapping,
        negotiation and parser cost more than the duplicate check. Anything
        else (a signed-in caller, an Authorization header, a photo or form,
        another Accept type, ?format=, a body the validator refuses) goes
        through DRF. tests/reports/test_submission.py pins that both answer
        alike."""
        return lean_view(cls, initkwargs, super().as_view(**initkwargs), method="POST", read=_lean_submission,
                         answer=_submit)


def _submit(request, data: dict) -> tuple[dict, int]:
    """Submit validated `data` (ReportSubmitInput's fields) for the caller:
    (receipt body, status). Both paths of ReportListCreateApi answer through it."""
    result = services.report_submit(
        report_id=data["id"], category_code=data["category"], lon=data["lon"], lat=data["lat"],
        accuracy_m=data.get("accuracy_m"), description=data.get("description", ""),
        confidential=data["confidential"], anonymous=data["anonymous"], channel=data["channel"],
        reporter=request.user if request.user.is_authenticated else None,
        on_behalf_of_rt_code=data.get("on_behalf_of_rt") or None,
        subject={"name": data.get("subject_name"), "age": data.get("subject_age"),
                 "condition": data.get("subject_condition")},
        photo=data.get("photo"), more_photos=[data.get("photo_2"), data.get("photo_3")],
        # The device's secret: the form field, or the header the portal's
        # script sends (the same secret links the phone to its report).
        device_secret=data.get("device_secret") or request.headers.get("X-Device-Secret", ""))
    return policy.report_receipt_dict(result.report), 201 if result.created else 200


_LEAN_CONTENT_TYPES = ("application/json", "application/json; charset=utf-8")
_LEAN_MAX_BYTES = 65_536  # a larger body (a long description) goes through DRF


def _json_constant(name):
    raise ValueError(name)  # NaN, Infinity: DRF's parser refuses them


def _lean_submission(request) -> dict | None:
    """The lean path's reader: a plain anonymous JSON object, validated by
    the one validator (ReportSubmitInput), exactly as DRF would hand it to
    the view. None sends the request through DRF: another transport (a
    form, a photo, a signed-in caller), a body DRF's parser would refuse, or
    invalid fields (DRF then answers the same serializer's error, after its
    throttles, as for any request). NUL characters never get here
    (ops.middleware refuses them)."""
    length = request.META.get("CONTENT_LENGTH", "")
    if (request.META.get("CONTENT_TYPE", "").lower() not in _LEAN_CONTENT_TYPES
            or not length.isdigit() or int(length) > _LEAN_MAX_BYTES or request.user.is_authenticated):
        return None
    try:
        data = json.loads(request.body.decode("utf-8"), parse_constant=_json_constant)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None
    if not isinstance(data, dict):
        return None
    submission = ReportSubmitInput(data=data)
    return submission.validated_data if submission.is_valid() else None


class ReportDetailApi(APIView):
    @extend_schema(summary="A report, as much as the caller may see")
    def get(self, request, report_id):
        report = _report_or_404(report_id, request.user)
        access = selectors.report_access(user=request.user, report=report)
        if access.internal:
            return Response(report_internal_dict(report, access=access))
        if access.reporter:
            return Response(report_own_dict(report))
        public = policy.report_public_get(report.id)
        if public is not None:
            return Response(policy.report_public_dict(public))
        raise ApiError(*NOT_FOUND, status_code=404)


class ReportTrackApi(APIView):
    @extend_schema(summary="Public tracking view by tracking code")
    def get(self, request, tracking_code):
        report = by_tracking_code(Report.objects.select_related("category", "desa", "kecamatan", "agency"),
                                  tracking_code.upper())
        if report is None:
            raise ApiError(*NOT_FOUND, status_code=404)
        return Response(policy.report_tracking_dict(report))


class ReportTimelineApi(APIView):
    def get(self, request, report_id):
        report = _report_or_404(report_id, request.user)
        access = selectors.report_access(user=request.user, report=report)
        if access.internal:
            # the report's regency named: one shard on Citus (events are co-located with it)
            return Response(event_list(report.events.filter(regency_code=report.regency_code), internal=True,
                                       hidden_author_id=report.reporter_id if report.confidential else None))
        if access.reporter:
            return Response(event_list(report.events.filter(regency_code=report.regency_code, public=True),
                                       internal=False))
        if policy.report_public_get(report.id) is not None:
            return Response(policy.report_timeline_public(report))
        raise ApiError(*NOT_FOUND, status_code=404)


class ReportTransitionApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(summary="Change the status (the SP4N-LAPOR! workflow)", request=TransitionInput)
    def post(self, request, report_id):
        data = validated(TransitionInput, request.data)
        event = services.report_transition(
            report_id=report_id, actor=request.user, to=data["to"], note=data["note"], public=data["public"],
            photo=data.get("photo"), agency_code=data.get("agency") or None, merge_into_id=data.get("merge_into"))
        report = event.report  # as the transition left it (status, agency): no second read
        return Response({"id": str(report.id), "status": report.status,
                         "agency": {"code": report.agency.code, "name": report.agency.name} if report.agency else None,
                         "event": event_list(report.events.filter(regency_code=report.regency_code, id=event.id),
                                             internal=True,
                                             hidden_author_id=report.reporter_id if report.confidential
                                             else None)[0]})


class ReportNoteApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Add a note to the report's timeline (public=true shows it to the reporter and the public)",
                   request=inline_serializer("ReportNoteInput", {
                       "note": drf_serializers.CharField(), "public": drf_serializers.BooleanField(required=False)}),
                   responses={201: inline_serializer("ReportNoteCreated", {"id": drf_serializers.IntegerField()})})
    def post(self, request, report_id):
        event = services.report_add_note(report_id=report_id, actor=request.user, note=request.data.get("note", ""),
                                         public=str(request.data.get("public", "")).lower() in ("1", "true"))
        return Response({"id": event.id}, status=201)


class ReportSupportApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Support an open public report instead of filing a duplicate")
    def post(self, request, report_id):
        report = services.report_support(report_id=report_id, user=request.user)
        return Response({"id": str(report.id), "supporters_count": report.supporters_count})


class ReportSubjectApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Personal data of the reported person (handling agency; logged with the reason)",
                   parameters=[OpenApiParameter("reason", str, required=True)])
    def get(self, request, report_id):
        subject = services.report_subject_read(report_id=report_id, user=request.user,
                                               reason=request.query_params.get("reason", ""),
                                               ip_address=_client_ip(request))
        if subject is None:
            return Response({"name": None, "age": None, "condition": None})
        return Response({"name": subject.name, "age": subject.age, "condition": subject.condition})


class ReportPhotoApi(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request, report_id, photo_id):
        report = _report_or_404(report_id, request.user)
        if not selectors.report_access(user=request.user, report=report).any:
            raise ApiError(*NOT_FOUND, status_code=404)
        photo = ReportPhoto.objects.filter(report=report, id=photo_id).first()
        if photo is None:
            raise ApiError(*NOT_FOUND, status_code=404)
        return FileResponse(photo.image.open("rb"), content_type=photo.content_type)


class ReportCandidatesApi(APIView):
    @extend_schema(summary="Open public reports of the same category near a point (support instead of duplicate)",
                   parameters=[OpenApiParameter("category", str, required=True), OpenApiParameter("lon", float),
                               OpenApiParameter("lat", float)])
    def get(self, request):
        point = validated(PointQuery, request.query_params)
        category = selectors.category_get(code=request.query_params.get("category", ""))
        if category is None:
            raise ApiError("unknown_category", _("Kategori tidak dikenal."), fields={"category": ["unknown"]})
        found = policy.report_candidates_public(category=category, lon=point["lon"], lat=point["lat"], limit=10)
        return Response([{**policy.report_public_dict(r), "distance_m": d} for r, d in found])


class ReportNearbyApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Nearest reports of the caller's agency, by true distance (metres)",
                   parameters=[OpenApiParameter("lon", float, required=True),
                               OpenApiParameter("lat", float, required=True),
                               OpenApiParameter("radius_m", float), OpenApiParameter("status", str),
                               OpenApiParameter("limit", int)])
    def get(self, request):
        q = validated(NearbyQuery, request.query_params)
        agency_ids = user_agency_ids(user=request.user, roles=selectors.AGENCY_ROLES)
        if not agency_ids:
            raise ApiError("permission_denied", _("Hanya petugas instansi yang dapat memakai fitur ini."),
                           status_code=403)
        found = selectors.reports_nearby(agency_ids=agency_ids, lon=q["lon"], lat=q["lat"], radius_m=q["radius_m"],
                                         statuses=q.get("status") or None, limit=q["limit"])
        return Response({"count": len(found), "results": [
            {"id": str(r.id), "tracking_code": r.tracking_code, "category": r.category, "status": r.status,
             "lon": r.lon, "lat": r.lat, "distance_m": r.distance_m, "desa": r.desa,
             "description": r.description, "deadline": r.deadline.isoformat()} for r in found]})


class ReportQueueApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="The caller's work queue (agency reports; triage for the coordinator)",
                   parameters=[OpenApiParameter("status", str), OpenApiParameter("overdue", bool)])
    def get(self, request):
        status = [s for s in request.query_params.get("status", "").split(",") if s]
        if any(s not in Report.Status.values for s in status):
            raise ApiError("invalid", _("Status tidak dikenal."), fields={"status": ["invalid"]})
        overdue = request.query_params.get("overdue") in ("1", "true")
        qs = selectors.reports_queue(user=request.user, status=status or None, overdue=overdue)
        try:
            limit = min(int(request.query_params.get("limit", 100)), 500)
            offset = int(request.query_params.get("offset", 0))
        except ValueError:
            raise ApiError("invalid", _("limit/offset tidak valid.")) from None
        if limit < 1 or not 0 <= offset <= 10**9:
            raise ApiError("invalid", _("limit minimal 1 dan offset 0-1000000000."),
                           fields={"limit" if limit < 1 else "offset": ["invalid"]})
        rows = list(qs[offset:offset + limit])
        today = timezone.localdate()
        return Response({"results": [
            {"id": str(r.id), "tracking_code": r.tracking_code, "category": r.category.code, "status": r.status,
             "agency": r.agency.code if r.agency else None, "desa": r.desa.name,
             "created_at": r.created_at.isoformat(), "deadline": r.deadline.isoformat(),
             "overdue": r.is_open and r.deadline < today}
            for r in rows]})


class ReportOverdueApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Overdue open reports of the agencies the caller heads")
    def get(self, request):
        if not user_has_role(user=request.user, roles=[Role.AGENCY_HEAD, Role.COORDINATOR]):
            raise ApiError("permission_denied", _("Hanya kepala instansi atau koordinator."), status_code=403)
        if user_has_role(user=request.user, roles=[Role.COORDINATOR]):
            qs = selectors.reports_queue(user=request.user, overdue=True)
        else:
            qs = selectors.reports_overdue_for_head(user=request.user)
        rows = list(qs[:500])
        return Response({"count": qs.count(), "results": [
            {"id": str(r.id), "tracking_code": r.tracking_code, "category": r.category.code, "status": r.status,
             "agency": r.agency.code if r.agency else None, "deadline": r.deadline.isoformat()} for r in rows]})


class AccessLogApi(APIView):
    """The personal-data access log, for the data-protection officer (DPO)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Personal-data access log (DPO); ?export=csv to download",
                   parameters=[OpenApiParameter("export", str, enum=["csv"])])
    def get(self, request):
        if not user_has_role(user=request.user, roles=[Role.DPO]):
            raise ApiError("permission_denied", _("Hanya Pejabat Pelindungan Data Pribadi."), status_code=403)
        regencies = user_regency_codes(user=request.user, roles=[Role.DPO])
        rows = (PersonalDataAccess.objects.filter(regency_code__in=regencies)
                .select_related("user", "agency").order_by("-accessed_at")[:10000])
        # The reports' codes by a second query, not a join on report_id alone (on Citus
        # a join of two distributed tables must also match their regency).
        codes = dict(Report.objects.filter(regency_code__in=regencies, id__in={a.report_id for a in rows})
                     .values_list("id", "tracking_code"))
        records = [{"accessed_at": a.accessed_at.isoformat(), "user": a.user.username,
                    "agency": a.agency.code if a.agency else "", "report_id": str(a.report_id),
                    "tracking_code": codes[a.report_id], "kind": a.kind, "reason": a.reason,
                    "ip_address": a.ip_address or ""} for a in rows]
        if request.query_params.get("export") == "csv":
            buffer = io.StringIO()
            columns = ["accessed_at", "user", "agency", "report_id", "tracking_code", "kind", "reason", "ip_address"]
            writer = csv_writer(buffer)
            writer.writerow(columns)
            writer.writerows([r[c] for c in columns] for r in records)
            response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="akses-data-pribadi.csv"'
            return response
        return Response({"count": len(records), "results": records})


class TokenApi(ObtainAuthToken):
    """POST username + password -> {"token": ...} for `Authorization: Token ...`."""
