"""Informasi serta-merta (UU 14/2008 Pasal 10) offered from reports: when a
report in a `serta_merta` category is verified, the responsible agency gets a
prefilled warning draft for the affected area, at the public precision (a P0
report: a buffer around its point; P1-P3: its desa) and with no personal data
(the report's description and reporter are never copied). Publishing it is
one action (POST .../publish/). Hooked on reports.signals.report_changed, so
reports.services is not touched."""
import datetime
import logging

from django.db import transaction

from .geometry import target_from_input
from .models import Announcement, Kind

log = logging.getLogger(__name__)
OFFER_BUFFER_M = 1000
OFFER_VALID_HOURS = 24
CAP_CATEGORY = {"bencana": "Met", "kesehatan": "Health"}
CAP_BY_CODE = {"land-fire": "Fire", "building-fire": "Fire", "flood": "Met", "disease-outbreak": "Health"}


def offer_for_report(*, report_id) -> Announcement | None:
    from reports.models import Report

    report = Report.objects.select_related("category", "desa", "agency", "category__default_agency").filter(
        id=report_id).first()
    if report is None or report.status != Report.Status.VERIFIED or not report.category.serta_merta:
        return None
    agency = report.agency or report.category.default_agency
    if agency is None:
        return None
    with transaction.atomic():
        existing = Announcement.objects.select_for_update().filter(source_report=report).first()
        if existing is not None:
            return existing
        if report.category.is_open_class:
            area = {"buffer": {"geometry": {"type": "Point", "coordinates": [report.location.x, report.location.y]},
                               "distance_m": OFFER_BUFFER_M}}
        else:
            area = {"codes": [report.desa.code]}
        target = target_from_input(area)
        start = report.verified_at or report.updated_at
        a = Announcement(
            kind=Kind.WARNING, agency=agency, author=None, source_report=report,
            title_id=f"Peringatan: {report.category.name_id} di {report.desa.name}"[:160],
            title_en=f"Warning: {report.category.name_en} in {report.desa.name}"[:160],
            body_id=(f"Telah terverifikasi laporan {report.category.name_id.lower()} di wilayah {report.desa.name}. "
                     "Warga di sekitar wilayah ini diminta waspada dan mengikuti arahan petugas."),
            body_en=(f"A report of {report.category.name_en.lower()} in {report.desa.name} has been verified. "
                     "Residents of the area are asked to stay alert and follow officials' instructions."),
            valid_from=start, valid_to=start + datetime.timedelta(hours=OFFER_VALID_HOURS),
            cap_category=CAP_BY_CODE.get(report.category.code, "Safety"),
            target_kind=target.kind, target_codes=target.target_codes, reach_codes=target.reach_codes,
            geom=target.geom, target_source=target.source, target_buffer_m=target.buffer_m)
        a.save()
        return a


def on_report_changed(sender, report_id, old_location=None, new_location=None, **kwargs):
    try:
        offer_for_report(report_id=report_id)
    except Exception:  # noqa: BLE001 - an offer must never break the report's workflow
        log.exception("serta-merta offer for report %s failed", report_id)
