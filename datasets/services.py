"""Writes of agency datasets: keyword-only, atomic; an invalid upload raises
with its report and stores nothing."""
import datetime
import json

from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import shapely

from accounts.models import Role
from accounts.selectors import user_agency_ids, user_has_role
from common.api_errors import ApiError

from .models import Dataset, DatasetField, DatasetVersion, RefreshReminder
from .validation import validate_upload

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def _forbidden():
    return ApiError("permission_denied", _("Anda tidak berhak melakukan ini."), status_code=403)


def user_produces_for(*, user, agency_id: int) -> bool:
    return agency_id in user_agency_ids(user=user, roles=[Role.DATA_PRODUCER])


def user_is_walidata(*, user) -> bool:
    return user_has_role(user=user, roles=[Role.WALIDATA])


def _invalidate_layer(dataset: Dataset) -> None:
    """Tiles cached for the dataset's layer are dropped once the change commits
    (tiles.receivers listens to dataset_layer_changed)."""
    from .signals import dataset_layer_changed

    transaction.on_commit(lambda: dataset_layer_changed.send(sender=Dataset, layer_id=dataset.layer_id))


@transaction.atomic
def dataset_create(*, user, producer, slug: str, title: str, description: str, kind: str, frequency: str,
                   kip_class: str, legal_basis: str, reference_edition, licence: str | None = None,
                   exemption_basis: str = "", consequence_test: str = "", exemption_until=None,
                   source: str = "", scale: str = "", keywords: str = "") -> Dataset:
    if not (user_produces_for(user=user, agency_id=producer.id) or user_is_walidata(user=user)):
        raise _forbidden()
    if Dataset.objects.filter(slug=slug).exists():
        raise ApiError("slug_taken", _("Slug sudah dipakai dataset lain."), status_code=409,
                       fields={"slug": [slug]})
    if kip_class == "dikecualikan" and (not exemption_basis or not consequence_test.strip()):
        raise ApiError("exemption_basis_required",
                       _("Dataset dikecualikan wajib menyebut dasar Pasal 17 dan uji konsekuensi."))
    dataset = Dataset(slug=slug, title=title, description=description, kind=kind, frequency=frequency,
                      kip_class=kip_class, legal_basis=legal_basis, reference_edition=reference_edition,
                      producer=producer, exemption_basis=exemption_basis, consequence_test=consequence_test,
                      exemption_until=exemption_until, source=source, scale=scale, keywords=keywords,
                      created_by=user)
    if licence:
        dataset.licence = licence
    dataset.full_clean()
    dataset.save()
    return dataset


@transaction.atomic
def dataset_update(*, dataset: Dataset, user, **changes) -> Dataset:
    """Change metadata (KIP class, licence, frequency...). A published
    dataset's layer changes with it, so its tiles are invalidated."""
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    if not (user_produces_for(user=user, agency_id=dataset.producer_id) or user_is_walidata(user=user)):
        raise _forbidden()
    for name, value in changes.items():
        setattr(dataset, name, value)
    if dataset.kip_class == "dikecualikan" and (not dataset.exemption_basis or not dataset.consequence_test):
        raise ApiError("exemption_basis_required",
                       _("Dataset dikecualikan wajib menyebut dasar Pasal 17 dan uji konsekuensi."))
    dataset.full_clean()
    dataset.save()
    _invalidate_layer(dataset)
    return dataset


@transaction.atomic
def dataset_fields_set_exempt(*, dataset: Dataset, user, exempt: dict[str, bool],
                              labels: dict[str, str] | None = None) -> list[DatasetField]:
    """Mark fields exempt (never published) or not; label them."""
    if not (user_produces_for(user=user, agency_id=dataset.producer_id) or user_is_walidata(user=user)):
        raise _forbidden()
    fields = {f.name: f for f in dataset.fields.select_for_update()}
    unknown = sorted(set(exempt) - set(fields) | set(labels or {}) - set(fields))
    if unknown:
        raise ApiError("unknown_field", _("Kolom tidak dikenal: %s") % ", ".join(unknown),
                       fields={"exempt": unknown})
    for name, value in exempt.items():
        fields[name].exempt = bool(value)
    for name, label in (labels or {}).items():
        fields[name].label = label
    DatasetField.objects.bulk_update(fields.values(), ["exempt", "label"])
    _invalidate_layer(dataset)
    return list(dataset.fields.all())


@transaction.atomic
def dataset_version_upload(*, dataset: Dataset, user, filename: str, data: bytes,
                           exempt_fields: list[str] | None = None) -> DatasetVersion:
    """Validate and store a new version awaiting the walidata. An invalid file
    raises ApiError `invalid_file` carrying the per-row report; nothing is
    stored."""
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    if not user_produces_for(user=user, agency_id=dataset.producer_id):
        raise _forbidden()
    if len(data) > MAX_UPLOAD_BYTES:
        raise ApiError("too_large", _("Berkas lebih dari 50 MB."), status_code=413)
    known = dict(dataset.fields.values_list("name", "type"))
    result = validate_upload(data=data, filename=filename, kind=dataset.kind,
                             edition=dataset.reference_edition, known_types=known)
    report = result.report()
    if not result.valid:
        raise ApiError("invalid_file", _("Berkas tidak lolos validasi; tidak ada yang disimpan atau diterbitkan."),
                       status_code=400, extra={"report": report})
    number = (dataset.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = DatasetVersion(dataset=dataset, number=number, original_name=filename[:255], format=result.format,
                             geometry_type=result.geometry_type, row_count=len(result.rows), report=report,
                             uploaded_by=user)
    version.file.save(f"{dataset.slug}-v{number}-{filename}"[:200], ContentFile(data), save=False)
    version.save()
    exempt_fields = set(exempt_fields or [])
    position = dataset.fields.count()
    for name, kind in result.fields:
        if name not in known:
            DatasetField.objects.create(dataset=dataset, name=name, type=kind, exempt=name in exempt_fields,
                                        position=position)
            position += 1
    _features_insert(version=version, rows=result.rows, areas=result.areas)
    return version


# One INSERT ... SELECT FROM unnest() per batch instead of bulk_create: the ORM
# builds a model and a GEOSGeometry per row and adapts each geometry
# separately, which made storing a 50,000-row upload several times slower
# than validating it (bench/datasets.py). WKB goes in as bytea, unchanged.
_FEATURES_INSERT_SQL = """
INSERT INTO datasets_datasetfeature (version_id, "row", geom, area_id, properties, regency_code)
SELECT %(version)s, t.row_number, ST_GeomFromWKB(t.wkb, 4326), t.area_id, t.props::jsonb, %(regency)s
  FROM unnest(%(rows)s::int[], %(wkbs)s::bytea[], %(areas)s::bigint[], %(props)s::text[])
       AS t(row_number, wkb, area_id, props)
"""


def _features_insert(*, version: DatasetVersion, rows, areas: dict, batch_size: int = 5000) -> None:
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start:start + batch_size]
            cursor.execute(_FEATURES_INSERT_SQL, {
                "version": version.id, "regency": version.regency_code,
                "rows": [r.number for r in batch],
                "wkbs": [shapely.to_wkb(r.geometry) if r.geometry is not None else None for r in batch],
                "areas": [areas[r.code].id if r.code else r.desa_id for r in batch],
                "props": [json.dumps(r.values) for r in batch],
            })


@transaction.atomic
def dataset_version_approve(*, version: DatasetVersion, user, note: str = "") -> DatasetVersion:
    """The walidata approves: the version is published (the previous one is
    superseded and kept)."""
    if not user_is_walidata(user=user):
        raise _forbidden()
    version = DatasetVersion.objects.select_for_update().select_related("dataset").get(pk=version.pk)
    if version.state != DatasetVersion.State.PENDING:
        raise ApiError("not_pending", _("Hanya versi yang menunggu persetujuan dapat disetujui."), status_code=409)
    dataset = version.dataset
    dataset.versions.filter(state=DatasetVersion.State.APPROVED).update(state=DatasetVersion.State.SUPERSEDED)
    version.state = DatasetVersion.State.APPROVED
    version.reviewed_by = user
    version.reviewed_at = timezone.now()
    version.review_note = note
    version.save()
    dataset.published_version = version
    dataset.save(update_fields=["published_version"])
    _invalidate_layer(dataset)
    return version


@transaction.atomic
def dataset_version_reject(*, version: DatasetVersion, user, note: str) -> DatasetVersion:
    if not user_is_walidata(user=user):
        raise _forbidden()
    if not note or not note.strip():
        raise ApiError("reason_required", _("Sebutkan alasan penolakan."),
                       fields={"note": [str(_("Wajib diisi."))]})
    version = DatasetVersion.objects.select_for_update().get(pk=version.pk)
    if version.state != DatasetVersion.State.PENDING:
        raise ApiError("not_pending", _("Hanya versi yang menunggu persetujuan dapat ditolak."), status_code=409)
    version.state = DatasetVersion.State.REJECTED
    version.reviewed_by = user
    version.reviewed_at = timezone.now()
    version.review_note = note.strip()
    version.save()
    return version


@transaction.atomic
def dataset_unpublish(*, dataset: Dataset, user) -> Dataset:
    """Withdraw a dataset from every public output (the versions are kept)."""
    if not user_is_walidata(user=user):
        raise _forbidden()
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    dataset.published_version = None
    dataset.save(update_fields=["published_version"])
    _invalidate_layer(dataset)
    return dataset


def refresh_due_on(*, approved_at: datetime.datetime) -> datetime.date:
    """Informasi berkala is refreshed at least every 6 months (Pasal 9)."""
    from dateutil.relativedelta import relativedelta
    return timezone.localdate(approved_at) + relativedelta(months=6)


REMINDER_SOON_DAYS = 30           # first reminder a month before the refresh is due
REMINDER_OVERDUE_EVERY_DAYS = 30  # then, once late, a reminder a month


def refresh_reminders_send(*, today: datetime.date | None = None, commit: bool = True) -> list[dict]:
    """Remind producers of berkala datasets to publish a new version: once a
    month ahead (`soon`), once on the due date (`due`), then every 30 days
    while late (`overdue`). Each reminder is recorded (RefreshReminder) in the
    same transaction as its mail, so a second run sends nothing twice.
    Returns what was (or, with commit=False, would be) sent."""
    from . import selectors

    today = today or timezone.localdate()
    sent = []
    for dataset, due_on in selectors.datasets_refresh_within(today=today, days=REMINDER_SOON_DAYS):
        version = dataset.published_version
        if due_on > today:
            kind = RefreshReminder.Kind.SOON
        elif not RefreshReminder.objects.filter(dataset=dataset, version=version,
                                                kind=RefreshReminder.Kind.DUE).exists():
            kind = RefreshReminder.Kind.DUE
        else:
            kind = RefreshReminder.Kind.OVERDUE
        earlier = RefreshReminder.objects.filter(dataset=dataset, version=version, kind=kind)
        if kind == RefreshReminder.Kind.OVERDUE:  # a month after the last late notice (or the due one)
            earlier = RefreshReminder.objects.filter(
                dataset=dataset, version=version, kind__in=[RefreshReminder.Kind.DUE, kind],
                sent_on__gt=today - datetime.timedelta(days=REMINDER_OVERDUE_EVERY_DAYS))
        if earlier.exists():
            continue
        recipients = selectors.producer_emails(agency_id=dataset.producer_id, on=today)
        entry = {"slug": dataset.slug, "kind": kind, "due_on": due_on.isoformat(), "recipients": len(recipients)}
        if commit:
            with transaction.atomic():
                _, created = RefreshReminder.objects.get_or_create(
                    dataset=dataset, version=version, kind=kind, sent_on=today,
                    defaults={"due_on": due_on, "recipients": len(recipients)})
                if not created:
                    continue
                if recipients:
                    send_mail(_refresh_subject(dataset=dataset, kind=kind),
                              _refresh_body(dataset=dataset, due_on=due_on), None, recipients)
        sent.append(entry)
    return sent


def _refresh_subject(*, dataset: Dataset, kind: str) -> str:
    label = {RefreshReminder.Kind.SOON: _("Pembaruan data segera jatuh tempo"),
             RefreshReminder.Kind.DUE: _("Pembaruan data jatuh tempo hari ini"),
             RefreshReminder.Kind.OVERDUE: _("Pembaruan data terlambat")}[kind]
    return f"[Satu Data] {label}: {dataset.title}"


def _refresh_body(*, dataset: Dataset, due_on: datetime.date) -> str:
    from django.conf import settings

    base = getattr(settings, "REPORTS_PUBLIC_BASE_URL", "").rstrip("/")
    version = dataset.published_version
    return str(_("Dataset: %(title)s (%(slug)s)\nVersi terbit: %(version)s, disetujui %(approved)s\n"
                 "Informasi berkala wajib diperbarui paling lambat setiap 6 bulan (UU 14/2008 Pasal 9).\n"
                 "Tenggat pembaruan: %(due)s\n\nUnggah versi baru: %(url)s")) % {
        "title": dataset.title, "slug": dataset.slug, "version": version.number,
        "approved": timezone.localdate(version.reviewed_at).isoformat(), "due": due_on.isoformat(),
        "url": f"{base}/data/opd/{dataset.slug}/"}
