"""Reads of the residents app: codes as residents type them, "Laporan saya"
(filed by the account, filed from this phone, followed), the reporter's view
of their own report on the tracking page."""
import re

from django.core import signing
from django.urls import reverse

from common.regency import REGENCY_OF_TRACKING_PREFIX, tracking_prefix
from reports.models import Report, ReportPhoto

from .models import FixConfirmation, Follow, Resident

_CODE_CHARS = re.compile(r"[^0-9A-Z]")


def code_normalize(code: str) -> str:
    """"kr7gq2m4xz", "KR 7GQ2 M4XZ", "7GQ2-M4XZ" -> "KR-7GQ2-M4XZ"; "pt7gq2m4xz" ->
    "PT-7GQ2-M4XZ" (any regency's prefix, common.regency.TRACKING_PREFIX; eight
    characters alone take the deployment's regency). Anything else is returned
    upper-cased, to be "not found"."""
    raw = (code or "").strip().upper()
    chars = _CODE_CHARS.sub("", raw)
    prefix = tracking_prefix()
    if chars[:2] in REGENCY_OF_TRACKING_PREFIX and len(chars) == 10:
        prefix, chars = chars[:2], chars[2:]
    elif raw[:2] in REGENCY_OF_TRACKING_PREFIX and re.match(r"[A-Z]{2}\W", raw):
        return raw  # a prefix typed but the rest is short or long
    if len(chars) == 8:
        return f"{prefix}-{chars[:4]}-{chars[4:]}"
    return raw


def resident_of(user) -> Resident | None:
    if user is None or not user.is_authenticated:
        return None
    return Resident.objects.filter(user=user).first()


def _rows(reports, *, relation: str) -> list[dict]:
    from portal.maps import STATUS_LABELS
    from django.utils.translation import get_language

    english = (get_language() or "id").startswith("en")
    return [{"tracking_code": r.tracking_code, "status": r.status,
             "status_label": str(STATUS_LABELS.get(r.status, r.status)),
             "category_name": r.category.name_en if english else r.category.name_id,
             "created_at": r.created_at, "deadline": r.deadline, "supporters_count": r.supporters_count,
             "relation": relation} for r in reports]


def my_reports(*, user) -> dict:
    """"Laporan saya" of a signed-in resident: filed and followed."""
    filed = (Report.objects.filter(reporter=user).select_related("category").order_by("-created_at")[:200])
    followed_ids = Follow.objects.filter(user=user).values_list("report_id", flat=True)
    followed = (Report.objects.filter(id__in=followed_ids).exclude(reporter=user)
                .select_related("category").order_by("-created_at")[:200])
    return {"filed": _rows(filed, relation="filed"), "followed": _rows(followed, relation="followed")}


def device_reports(*, secret: str) -> list[dict]:
    """Reports filed from the phone holding `secret` (no account)."""
    from .services import device_hash

    hashed = device_hash(secret)
    if hashed is None:
        return []
    reports = Report.objects.filter(device_secret_hash=hashed).select_related("category").order_by("-created_at")[:200]
    return _rows(reports, relation="device")


def is_following(*, report: Report, user) -> bool:
    return bool(user and user.is_authenticated and Follow.objects.filter(report=report, user=user).exists())


def fix_confirmed(*, report: Report) -> bool:
    """The reporter's last answer to "is it fixed?" since the last resolution was yes."""
    last = FixConfirmation.objects.filter(report=report).order_by("-created_at", "-id").first()
    return bool(last and last.fixed and report.resolved_at and last.created_at >= report.resolved_at)


PHOTO_SALT = "residents.photo"
PHOTO_MAX_AGE = 3600


def photo_url(photo: ReportPhoto) -> str:
    """A link to one photo valid for an hour, for someone the page already let see it."""
    token = signing.dumps({"p": photo.id}, salt=PHOTO_SALT, compress=True)
    return reverse("residents:photo", kwargs={"token": token})


def reporter_view(*, report: Report) -> dict:
    """What the reporter (proved by account or phone) sees of their own report
    beyond the public tracking view: their description and photos, and the
    crew's evidence photo."""
    photos = list(ReportPhoto.objects.filter(report=report).order_by("created_at", "id"))
    return {
        "description": report.description,
        "photos": [{"url": photo_url(p), "kind": p.kind, "width": p.width, "height": p.height}
                   for p in photos if p.kind == ReportPhoto.Kind.SUBMISSION],
        "evidence": [{"url": photo_url(p), "kind": p.kind, "width": p.width, "height": p.height}
                     for p in photos if p.kind == ReportPhoto.Kind.EVIDENCE],
    }
