"""The publication gate of announcements (pengumuman): public by nature, but
nothing leaves that carries personal data or information exempt under UU
14/2008 Pasal 17. Called by announcements.services before anything is
published or corrected; also the only reader of announcements for public
outputs (pages, feeds, CAP, OGC items, the map layer).

Refused (ApiError 400, with the field named):
- personal data: an Indonesian mobile or landline number, an e-mail address,
  a NIK (16 digits; UU 27/2022 Pasal 4 and UU 24/2013);
- information the author marks as exempt (`exemption_basis`, a Pasal 17
  letter): the refusal names the article.
"""
import re

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from common.api_errors import ApiError

# 16 digits, optionally split by spaces/dots/dashes in 6-6-4 (how a KTP is read out).
NIK_RE = re.compile(r"(?<!\d)\d{6}[ .-]?\d{6}[ .-]?\d{4}(?!\d)")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# +62 / 62 / 0 followed by 8-12 more digits, separators allowed: 0812-3456-7890, +62 812 3456 789, (0561) 721234.
PHONE_RE = re.compile(r"(?<![\w])(\+?62|0)[\s\-.()]*\d{2,4}(?:[\s\-.)]*\d{3,4}){2,3}(?!\d)")

PASAL17 = {
    "17a": "Pasal 17 huruf a", "17b": "Pasal 17 huruf b", "17c": "Pasal 17 huruf c",
    "17d": "Pasal 17 huruf d", "17e": "Pasal 17 huruf e", "17f": "Pasal 17 huruf f",
    "17g": "Pasal 17 huruf g", "17h": "Pasal 17 huruf h", "17i": "Pasal 17 huruf i",
    "17j": "Pasal 17 huruf j",
}


def personal_data_found(text: str) -> str | None:
    """The kind of personal data in `text`, or None."""
    if NIK_RE.search(text):
        return "nik"
    if EMAIL_RE.search(text):
        return "email"
    if PHONE_RE.search(text):
        return "phone"
    return None


def announcement_gate(*, texts: dict[str, str], exemption_basis: str = "") -> None:
    """Raise ApiError unless `texts` ({field: text}) may be published."""
    if exemption_basis:
        article = PASAL17.get(exemption_basis)
        if article is None:
            raise ApiError("invalid_exemption_basis", _("Dasar pengecualian tidak dikenal."),
                           fields={"exemption_basis": ["invalid"]})
        raise ApiError("exempt_information",
                       _("Informasi yang dikecualikan (UU 14/2008 %(article)s) tidak dapat diumumkan.")
                       % {"article": article}, fields={"exemption_basis": [exemption_basis]},
                       extra={"article": f"UU 14/2008 {article}"})
    labels = {"nik": _("NIK"), "email": _("alamat e-mail"), "phone": _("nomor telepon")}
    for name, text in texts.items():
        kind = personal_data_found(text or "")
        if kind:
            raise ApiError("personal_data",
                           _("Pengumuman tidak boleh memuat data pribadi (%(what)s) (UU 27/2022; UU 14/2008 "
                             "Pasal 17 huruf h).") % {"what": labels[kind]},
                           fields={name: [f"personal_data:{kind}"]})


def announcements_public(*, now) -> QuerySet:
    """Published and withdrawn announcements (a withdrawal stays visible as
    such); drafts and pending ones never."""
    from announcements.models import Announcement

    return (Announcement.objects.filter(status__in=[Announcement.Status.PUBLISHED, Announcement.Status.WITHDRAWN])
            .select_related("agency", "speaker_area"))


def announcements_active(*, now) -> QuerySet:
    from announcements.models import Announcement

    return (announcements_public(now=now).filter(status=Announcement.Status.PUBLISHED)
            .filter(Q(valid_from__lte=now) & Q(valid_to__gt=now)))


def announcement_public_dict(a, *, lang: str = "id") -> dict:
    """What the public sees: never the author, the source report or approvals."""
    en = lang == "en"
    return {
        "id": str(a.public_id),
        "kind": a.kind,
        "status": a.status,
        "title": (a.title_en if en and a.title_en else a.title_id),
        "body": (a.body_en if en and a.body_en else a.body_id),
        "title_id": a.title_id, "title_en": a.title_en or None,
        "valid_from": a.valid_from.isoformat(), "valid_to": a.valid_to.isoformat(),
        "published_at": a.published_at.isoformat() if a.published_at else None,
        "withdrawn_at": a.withdrawn_at.isoformat() if a.withdrawn_at else None,
        "version": a.version,
        "speaker": a.agency.name if a.agency_id else (a.speaker_area.name if a.speaker_area_id else ""),
        "target_kind": a.target_kind,
        "target_codes": a.target_codes,
        "reach_codes": [c for c in a.reach_codes if "/" not in c or a.target_kind == "codes"],
        "attachments": [{"name": att.name, "url": att.file.url, "content_type": att.content_type}
                        for att in a.attachments.all()],
    }
