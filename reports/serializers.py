"""Input parsing and internal (staff) output shapes. Public shapes come from
reports.policy, never from here."""
from django.utils import timezone
from rest_framework import serializers

from common.serializers import InputSerializer

from .models import Report, ReportEvent


class ReportSubmitInput(InputSerializer):
    """The one validator of a submission's fields (types, ranges, lengths,
    choices), for every entry point: POST /api/v1/reports/ through DRF and
    through its lean path (the portal's form posts there), and Open311's POST.
    reports.services.report_submit takes the validated values and owns the
    rules that need the database or the caller: the category exists and is
    active, its photo rule, the coverage, the RT, the description's length
    (DESCRIPTION_MAX, its own error code), the retry."""

    id = serializers.UUIDField()
    category = serializers.CharField(max_length=50)
    lon = serializers.FloatField(min_value=-180, max_value=180)
    lat = serializers.FloatField(min_value=-90, max_value=90)
    accuracy_m = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=100_000)
    description = serializers.CharField(required=False, allow_blank=True, trim_whitespace=True)
    confidential = serializers.BooleanField(required=False, default=False)
    anonymous = serializers.BooleanField(required=False, default=False)
    channel = serializers.ChoiceField(choices=[c for c in Report.Channel.values if c != "import"], required=False,
                                      default=Report.Channel.APP)
    on_behalf_of_rt = serializers.CharField(required=False, allow_blank=True, max_length=40)
    subject_name = serializers.CharField(required=False, allow_blank=True)
    subject_age = serializers.IntegerField(required=False, allow_null=True)
    subject_condition = serializers.CharField(required=False, allow_blank=True)
    photo = serializers.FileField(required=False, allow_empty_file=False)
    photo_2 = serializers.FileField(required=False, allow_empty_file=False)
    photo_3 = serializers.FileField(required=False, allow_empty_file=False)
    # A random secret the device keeps (lapor.js): an anonymous retry proves
    # with it that it is the same submitter (reports.services._retry_original).
    device_secret = serializers.CharField(required=False, allow_blank=True, max_length=128)


class TransitionInput(serializers.Serializer):
    to = serializers.ChoiceField(choices=Report.Status.values)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    public = serializers.BooleanField(required=False, default=True)
    agency = serializers.CharField(required=False, allow_blank=True, max_length=50)
    merge_into = serializers.UUIDField(required=False, allow_null=True)
    photo = serializers.FileField(required=False, allow_empty_file=False)


class PointQuery(InputSerializer):
    lon = serializers.FloatField(min_value=-180, max_value=180)
    lat = serializers.FloatField(min_value=-90, max_value=90)


class NearbyQuery(PointQuery):
    radius_m = serializers.FloatField(min_value=1, max_value=50_000, required=False, default=2000)
    status = serializers.CharField(required=False, allow_blank=True)
    limit = serializers.IntegerField(min_value=1, max_value=200, required=False, default=50)

    def validate_status(self, value):
        statuses = [s for s in value.split(",") if s]
        unknown = [s for s in statuses if s not in Report.Status.values]
        if unknown:
            raise serializers.ValidationError(f"unknown status: {', '.join(unknown)}")
        return statuses


def _iso(dt):
    return timezone.localtime(dt).isoformat() if dt else None


def _area(area):
    return {"code": area.code, "name": area.name} if area is not None else None


def report_internal_dict(report: Report, *, access) -> dict:
    """The whole report for the handling agency or the coordinator. The
    reported person's data is never here (see the subject endpoint), and a
    confidential reporter is shown only as hidden."""
    reporter = None
    if report.reporter_id and not report.confidential:
        reporter = {"id": report.reporter_id, "username": report.reporter.username}
    return {
        "id": str(report.id),
        "tracking_code": report.tracking_code,
        "category": {"code": report.category.code, "name_id": report.category.name_id,
                     "name_en": report.category.name_en,
                     "publication_class": report.category.publication_class},
        "status": report.status,
        "channel": report.channel,
        "lon": report.location.x,
        "lat": report.location.y,
        "accuracy_m": report.accuracy_m,
        "desa": _area(report.desa),
        "kecamatan": _area(report.kecamatan),
        "location_approximate": report.location_approximate,
        "agency": {"code": report.agency.code, "name": report.agency.name} if report.agency else None,
        "routing_reason": report.routing_reason,
        "description": report.description,
        "confidential": report.confidential,
        "anonymous": report.anonymous,
        "reporter": reporter,
        "reporter_hidden": bool(report.reporter_id and report.confidential),
        "on_behalf_of_rt": _area(report.on_behalf_of_rt),
        "has_subject_data": hasattr(report, "subject") if access.handling else None,
        "created_at": _iso(report.created_at),
        "updated_at": _iso(report.updated_at),
        "verified_at": _iso(report.verified_at),
        "resolved_at": _iso(report.resolved_at),
        "deadline": report.deadline.isoformat(),
        "overdue": report.is_open and report.deadline < timezone.localdate(),
        "merged_into": str(report.merged_into_id) if report.merged_into_id else None,
        "supporters_count": report.supporters_count,
        "is_synthetic": report.is_synthetic,
        "photos": [{"id": p.id, "kind": p.kind, "content_type": p.content_type, "width": p.width,
                    "height": p.height} for p in report.photos.all()],
    }


def report_own_dict(report: Report) -> dict:
    """The reporter's view of their own report."""
    from reports.policy import report_receipt_dict
    body = report_receipt_dict(report, duplicates=())
    body.pop("duplicates")
    body.update(description=report.description, created_at=_iso(report.created_at),
                updated_at=_iso(report.updated_at), resolved_at=_iso(report.resolved_at),
                timeline=event_list(report.events.filter(public=True), internal=False))
    return body


def event_list(events, *, internal: bool, hidden_author_id=None) -> list[dict]:
    """`hidden_author_id`: a confidential report's reporter, shown to staff as hidden, not by name."""
    out = []
    for e in events.select_related("author", "author_agency").order_by("created_at", "id"):
        item = {"id": e.id, "kind": e.kind, "from_status": e.from_status or None, "to_status": e.to_status or None,
                "note": e.note, "public": e.public, "at": _iso(e.created_at),
                "agency": e.author_agency.name if e.author_agency else None}
        if internal:
            hidden = hidden_author_id is not None and e.author_id == hidden_author_id
            item["author"] = None if hidden or not e.author else e.author.username
            item["author_hidden"] = hidden
            item["photo_id"] = e.photo_id
        out.append(item)
    return out


__all__ = ["ReportSubmitInput", "TransitionInput", "NearbyQuery", "PointQuery", "report_internal_dict",
           "report_own_dict", "event_list", "ReportEvent"]
