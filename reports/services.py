"""Writes of reports: seeding the taxonomy, submission, the workflow (the one
place status changes happen), merge, support, and logged personal-data reads.

Every write runs in one transaction; side effects wait for its commit so
that a rolled-back write sends nothing: the report_changed signal through
transaction.on_commit (robust: a failing receiver never stops the others),
notifications as rows of the transactional outbox (common.outbox) written in
the same transaction, so a stored report can never lack its notification.
"""
import dataclasses
import datetime
import secrets
import hashlib
import hmac
import uuid
from dataclasses import dataclass, field

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.sql import InsertQuery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.selectors import user_agency_ids, user_area_ids
from common import outbox, regency
from common.workdays import add_working_days
from common.api_errors import ApiError
from geo.models import Agency, Area, ServiceArea
from geo.selectors import outside_coverage_message, point_locate

from . import notifications, selectors, taxonomy
from .models import (Category, PersonalDataAccess, Report, ReportEvent, ReportPhoto, ReportSubject, ReportSupport,
                     RoutingDecision, RoutingRule)
from .photos import photo_clean
from .signals import report_changed, report_event_created

# Open311 GeoReport v2 allows 4,000 characters; one limit for every channel.
DESCRIPTION_MAX = 4000
NOTE_MAX = 2000
MORE_PHOTOS_MAX = 2  # besides `photo`: three photos per report at most
S = Report.Status

# Tracking codes avoid 0/O, 1/I/L and U (read out over the phone).
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def tracking_code_new(regency_code: str | None = None) -> str:
    """PT-7GQ2-M4XZ: the prefix names the report's regency (common.regency.TRACKING_PREFIX;
    KR for Kubu Raya, the deployment's regency when None), so tracking is routed."""
    chars = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    return f"{regency.tracking_prefix(regency_code)}-{chars[:4]}-{chars[4:]}"


# --- Taxonomy ----------------------------------------------------------------

@transaction.atomic
def categories_seed() -> dict:
    """Create the version-1 taxonomy and its Puskesmas / service-area rules;
    idempotent (existing categories and rules are left as they are)."""
    agencies = {a.code: a for a in Agency.objects.all()}
    counts = {"category_added": 0, "rule_added": 0}
    for (code, name_id, name_en, group, pub_class, agg, sm, agency_code, target, radius, photo,
         force_conf, pkm_rules) in taxonomy.CATEGORIES:
        category, created = Category.objects.get_or_create(
            code=code, version=taxonomy.TAXONOMY_VERSION,
            defaults=dict(name_id=name_id, name_en=name_en, group=group, publication_class=pub_class,
                          aggregate_level=agg, serta_merta=sm, default_agency=agencies.get(agency_code),
                          target_days=target, duplicate_radius_m=radius, photo_required=photo,
                          force_confidential=force_conf,
                          sort_order=[c[0] for c in taxonomy.CATEGORIES].index(code) * 10))
        counts["category_added"] += created
        if pkm_rules:
            for sa in ServiceArea.objects.filter(agency__code__startswith="pkm-").select_related("agency"):
                _, created = RoutingRule.objects.get_or_create(
                    category=category, area=None, service_area=sa, agency=sa.agency,
                    defaults={"note": "Dinkes -> Puskesmas wilayah kerja"})
                counts["rule_added"] += created
    for code, agency_code in taxonomy.SERVICE_AREA_RULES:
        category = Category.objects.get(code=code, version=taxonomy.TAXONOMY_VERSION)
        for sa in ServiceArea.objects.filter(agency__code=agency_code).select_related("agency"):
            _, created = RoutingRule.objects.get_or_create(category=category, area=None, service_area=sa,
                                                           agency=sa.agency)
            counts["rule_added"] += created
    return counts


@transaction.atomic
def regency_rules_seed(*, regency_code: str) -> dict:
    """Routing rules of a regency whose agencies come from the template
    (geo.regency_agencies): each category's default agency becomes a rule for the
    whole regency naming that regency's agency of the same template code, and
    the Puskesmas categories get one rule per Puskesmas working area, as
    categories_seed does for Kubu Raya. Idempotent."""
    from geo.regency_agencies import template_code

    counts = {"rule_added": 0}
    regency = Area.objects.filter(edition__is_current=True, code=regency_code, level=Area.Level.KABUPATEN).first()
    if regency is None:
        return counts
    agencies = {a.code: a for a in Agency.objects.filter(regency_code=regency_code)}
    puskesmas = list(ServiceArea.objects.filter(agency__regency_code=regency_code,
                                                agency__kind=Agency.Kind.UPT).select_related("agency"))
    for (code, *_, agency_code, _target, _radius, _photo, _conf, pkm_rules) in taxonomy.CATEGORIES:
        category = Category.objects.filter(code=code, is_active=True).first()
        agency = agencies.get(template_code(regency_code, agency_code))
        if category is None or agency is None:
            continue
        _, created = RoutingRule.objects.get_or_create(
            category=category, area=regency, service_area=None, agency=agency,
            defaults={"note": "templat kabupaten/kota", "regency_code": regency_code})
        counts["rule_added"] += created
        for sa in puskesmas if pkm_rules else ():
            _, created = RoutingRule.objects.get_or_create(
                category=category, area=None, service_area=sa, agency=sa.agency,
                defaults={"note": "Dinkes -> Puskesmas wilayah kerja", "regency_code": regency_code})
            counts["rule_added"] += created
    return counts


# --- Submission --------------------------------------------------------------

@dataclass
class SubmissionResult:
    report: Report
    created: bool
    duplicates: list = field(default_factory=list)


def report_submit(*, report_id: uuid.UUID, category_code: str, lon: float, lat: float,
                  accuracy_m: float | None = None, description: str = "", confidential: bool = False,
                  anonymous: bool = False,
                  channel: str = Report.Channel.APP, reporter=None, on_behalf_of_rt_code: str | None = None,
                  subject: dict | None = None, photo=None, photo_optional: bool = False,
                  more_photos=(), device_secret: str = "", now: datetime.datetime | None = None) -> SubmissionResult:
    """Create a report, or return the existing one when `report_id` is known.

    Idempotency rests on the primary key: a concurrent retry blocks on the
    unique index until the first insert commits, then fails and returns the
    committed original. Bad input raises ApiError before anything is written.
    The original goes back only to the caller who filed it (same account, or
    the same anonymous `device_secret`); anyone else gets 409 and no data
    (issue 16: a client id is not a secret).

    The fields come validated by reports.serializers.ReportSubmitInput (every
    HTTP entry point runs it: types, ranges, lengths, the channel); this
    checks what needs the database or the caller, in this order: the
    category, the description's length, the photo rule, the photos, the
    coverage, the RT.
    """
    # A retry is rare: the category and a bare primary-key probe in one query,
    # the related rows only then.
    category, exists = selectors.category_for_submission(code=category_code or "", report_id=report_id)
    if exists:
        existing = Report.objects.select_related("category", "desa", "kecamatan", "agency").get(id=report_id)
        return SubmissionResult(_retry_original(existing, reporter=reporter, device_secret=device_secret), False)
    if category is None:
        raise ApiError("unknown_category", _("Kategori tidak dikenal."), fields={"category": ["unknown"]})
    if description and len(description) > DESCRIPTION_MAX:
        raise ApiError("description_too_long",
                       _("Uraian terlalu panjang (maksimal %(n)d karakter).") % {"n": DESCRIPTION_MAX},
                       fields={"description": ["too_long"]})
    if category.photo_required and not photo and not photo_optional:
        raise ApiError("photo_required", _("Kategori ini memerlukan foto."), fields={"photo": ["required"]})
    clean = photo_clean(upload=photo) if photo else None
    # up to MORE_PHOTOS_MAX more photos (the form sends up to three in all)
    more_clean = [photo_clean(upload=p) for p in list(more_photos)[:MORE_PHOTOS_MAX] if p] if clean else []
    # Service areas are matched inside the routing query (one query fewer).
    location = point_locate(lon=lon, lat=lat, with_service_areas=False)
    if location is None:
        raise ApiError("outside_coverage", outside_coverage_message(),
                       fields={"location": ["outside_coverage"]})
    on_behalf_of_rt = None
    if on_behalf_of_rt_code:
        rt_ids = user_area_ids(user=reporter, roles=[Role.KETUA_RT]) if reporter else set()
        on_behalf_of_rt = Area.objects.filter(id__in=rt_ids, code=on_behalf_of_rt_code).first()
        if on_behalf_of_rt is None:
            raise ApiError("not_ketua_rt", _("Anda bukan ketua RT untuk unit ini."), status_code=403)
    subject = {k: v for k, v in (subject or {}).items() if v not in (None, "")}
    if subject.get("age") is not None:
        try:
            subject["age"] = int(subject["age"])
            if not 0 <= subject["age"] <= 130:
                raise ValueError
        except (TypeError, ValueError):
            raise ApiError("invalid", _("Umur tidak valid."), fields={"subject_age": ["invalid"]})
    if len(subject.get("condition", "")) > 1000 or len(subject.get("name", "")) > 150:
        raise ApiError("invalid", _("Data orang yang dilaporkan terlalu panjang."), fields={"subject": ["too_long"]})

    point = Point(lon, lat, srid=4326)
    route = selectors.routing_decide(category=category, location=location, point=point)
    # Duplicate candidates for the receipt come from the public projection
    # (reports.policy.report_receipt_dict), not from here.
    duplicates = []
    now = now or timezone.now()
    reporter = None if anonymous or (reporter is not None and not reporter.is_authenticated) else reporter
    report = Report(
        id=report_id, category=category, channel=channel, location=point,
        accuracy_m=accuracy_m, desa=location.desa, kecamatan=location.kecamatan,
        location_approximate=location.approximate, agency=route.agency, routing_reason=route.reason,
        reporter=reporter, on_behalf_of_rt=on_behalf_of_rt,
        confidential=bool(confidential) or category.force_confidential, anonymous=bool(anonymous),
        description=description or "", created_at=now, updated_at=now,
        device_secret_hash=_secret_hash(device_secret) if device_secret else "",
        deadline=add_working_days(timezone.localtime(now).date(), category.target_days),
    )
    regency.fill(report)  # the desa's regency, before its photos and events take it
    # One transaction per attempt, no savepoint: a unique violation on the
    # primary key (a concurrent retry committed first) or on the tracking
    # code (a collision) rolls the attempt back whole, then the original is
    # returned or another code drawn.
    # The report is written last, in one statement with its event and routing
    # decision right before the commit (_insert_together): one round trip,
    # and the tile-cell trigger (tiles.aggregates, appending: no row shared
    # with other writers) fires once at the end of it (the foreign keys to
    # the report are checked at the commit: Django declares them DEFERRABLE
    # INITIALLY DEFERRED).
    for _attempt in range(5):
        report.tracking_code = tracking_code_new(report.regency_code)
        try:
            with transaction.atomic():
                _report_created_rows(report=report, reporter=reporter, subject=subject, clean=clean,
                                     route=route, now=now, more_clean=more_clean)
            break
        except IntegrityError:
            original = Report.objects.filter(id=report_id).first()
            if original is not None:
                return SubmissionResult(_retry_original(original, reporter=reporter, device_secret=device_secret),
                                        False)
    else:
        raise RuntimeError("could not allocate a tracking code")
    return SubmissionResult(report, True, duplicates)


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _retry_original(original: Report, *, reporter, device_secret: str) -> Report:
    """The original of an idempotent retry, for its own submitter only: the
    same signed-in account, or (no account recorded) the same device secret.
    Anyone else gets 409 without any data of the report."""
    if original.reporter_id is not None:
        same = reporter is not None and reporter.is_authenticated and reporter.id == original.reporter_id
    else:
        same = bool(original.device_secret_hash and device_secret
                    and hmac.compare_digest(original.device_secret_hash, _secret_hash(device_secret)))
    if not same:
        raise ApiError("id_conflict", _("Id laporan ini sudah dipakai oleh laporan lain."), status_code=409)
    return original


def _report_created_rows(*, report, reporter, subject, clean, route, now, more_clean=()) -> None:
    """A new report and the rows that go with it, in its transaction, and
    what runs after the commit."""
    if subject:
        ReportSubject.objects.create(report=report, **subject)
    photo_row = None
    for i, each in enumerate([clean, *more_clean] if clean else []):
        row = ReportPhoto.objects.create(
            report=report, kind=ReportPhoto.Kind.SUBMISSION, image=each.content,
            content_type=each.content_type, width=each.width, height=each.height,
            size_bytes=each.content.size, uploaded_by=reporter)
        photo_row = photo_row or row
    # The agency's notifications are outbox rows of the same statement: the
    # report cannot commit without them.
    _on_commit_changed(report.id, None, report.location)
    messages = [outbox.prepare(kind, payload, key=key)
                for kind, payload, key in notifications.agency_messages(report, route.agency)] if route.agency else []
    _insert_together(
        ReportEvent(report=report, kind=ReportEvent.Kind.CREATED, to_status=S.RECEIVED,
                    public=True, author=reporter, photo=photo_row, created_at=now),
        RoutingDecision(report=report, kind=RoutingDecision.Kind.AUTOMATIC, agency=route.agency,
                        rule=route.rule, reason=route.reason),
        *messages,
        report)


def _insert_together(*rows) -> None:
    """INSERT new model instances in one statement (all but the last as
    data-modifying CTEs), each as Model.save(force_insert=True) writes it
    (Django's insert compiler: defaults, pre_save, placeholders): one round
    trip instead of one per row. Their foreign keys to each other are checked
    at the commit (deferred). Keys the database assigns are not read back.
    The last row's statement-level triggers fire at the end of the statement
    (the report last: see report_submit)."""
    parts, params = [], []
    regency.fill(*reversed(rows))  # no pre_save here: the report's regency first, then its rows'
    for row in rows:
        fields = [f for f in row._meta.local_concrete_fields if not (f.primary_key and f.db_returning)]
        query = InsertQuery(type(row))
        query.insert_values(fields, [row])
        ((sql, row_params),) = query.get_compiler(connection=connection).as_sql()
        parts.append(sql)
        params.extend(row_params)
    *ctes, last = parts
    sql = "WITH " + ", ".join(f"w{i} AS ({part})" for i, part in enumerate(ctes)) + " " + last if ctes else last
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    for row in rows:
        row._state.adding, row._state.db = False, connection.alias


def _on_commit_changed(report_id, old_location, new_location):
    transaction.on_commit(lambda: report_changed.send(
        sender=Report, report_id=report_id, old_location=old_location, new_location=new_location), robust=True)


# --- Workflow ----------------------------------------------------------------

# The SP4N-LAPOR! workflow: from -> allowed targets.
TRANSITIONS = {
    S.RECEIVED: {S.VERIFIED, S.DISPATCHED, S.REJECTED, S.NOT_OUR_AUTHORITY, S.MERGED},
    S.VERIFIED: {S.DISPATCHED, S.REJECTED, S.NOT_OUR_AUTHORITY, S.MERGED},
    S.DISPATCHED: {S.IN_PROGRESS, S.RESOLVED, S.REJECTED, S.NOT_OUR_AUTHORITY, S.MERGED},
    S.IN_PROGRESS: {S.RESOLVED, S.NOT_OUR_AUTHORITY, S.MERGED},
    S.RESOLVED: {S.IN_PROGRESS},
    S.NOT_OUR_AUTHORITY: {S.DISPATCHED, S.REJECTED},
    S.REJECTED: set(),
    S.MERGED: set(),
}

# Who may move a report into each status (besides the transition table).
_COORDINATOR_TARGETS = {S.VERIFIED, S.DISPATCHED, S.REJECTED, S.MERGED, S.IN_PROGRESS}
_AGENCY_TARGETS = {S.VERIFIED, S.DISPATCHED, S.IN_PROGRESS, S.RESOLVED, S.NOT_OUR_AUTHORITY, S.MERGED}
_FIELD_CREW_TARGETS = {S.IN_PROGRESS, S.RESOLVED}


def reports_reassigned(ids: list) -> int:
    """geo.reassign's hook (registered in ReportsConfig.ready()): the report
    counts derive from desa_id, so after a re-assignment that changed any
    report they are marked dirty and their tiles dropped on commit, as every
    report write does. No public point changes (the desa is not a location)."""
    if ids:
        transaction.on_commit(lambda: report_changed.send(
            sender=Report, report_id=None, old_location=None, new_location=None))
    return 0


def _allowed(*, access: selectors.Access, report: Report, to: str) -> bool:
    if access.coordinator and to in _COORDINATOR_TARGETS:
        if to == S.IN_PROGRESS and report.status == S.RESOLVED:
            return True  # the coordinator may reopen
        if to != S.IN_PROGRESS:
            return True
    if access.handling:
        targets = _FIELD_CREW_TARGETS if access.field_crew_only else _AGENCY_TARGETS
        if to in targets and not (to == S.IN_PROGRESS and report.status == S.RESOLVED):
            return True
    if access.reporter and report.status == S.RESOLVED and to == S.IN_PROGRESS:
        return True  # the reporter disputes the resolution
    return False


def report_transition(*, report_id, actor, to: str, note: str = "", public: bool = True, photo=None,
                      agency_code: str | None = None, merge_into_id=None,
                      reporter_proven: bool = False) -> ReportEvent:
    """Move a report to status `to`: the only place a status changes.

    `reporter_proven`: the caller proved to be the reporter another way than
    by account (the filing phone's device secret, residents.services)."""
    if to not in S.values:
        raise ApiError("invalid_status", _("Status tidak dikenal."), fields={"to": ["invalid"]})
    if note and len(note) > NOTE_MAX:
        raise ApiError("note_too_long", _("Catatan terlalu panjang."), fields={"note": ["too_long"]})
    clean = photo_clean(upload=photo) if photo else None
    with transaction.atomic():
        report = selectors.report_for_staff(
            Report.objects.select_for_update(of=("self",)).select_related("category", "agency"),
            user=actor, report_id=report_id)
        if report is None:
            raise ApiError("not_found", _("Laporan tidak ditemukan."), status_code=404)
        access = selectors.report_access(user=actor, report=report)
        if reporter_proven:
            access = dataclasses.replace(access, reporter=True)
        if not access.any:
            raise ApiError("not_found", _("Laporan tidak ditemukan."), status_code=404)
        if to not in TRANSITIONS[report.status]:
            raise ApiError("forbidden_transition",
                           _("Perubahan status dari %(a)s ke %(b)s tidak diizinkan.") % {"a": S(report.status).label,
                                                                                       "b": S(to).label},
                           status_code=409)
        if not _allowed(access=access, report=report, to=to):
            raise ApiError("permission_denied", _("Anda tidak berhak melakukan perubahan status ini."),
                           status_code=403)
        now = timezone.now()
        old_status, old_agency = report.status, report.agency
        actor_agency = (Agency.objects.filter(id__in=user_agency_ids(user=actor, roles=selectors.AGENCY_ROLES))
                        .filter(id=report.agency_id).first() if access.handling else None)
        kind = ReportEvent.Kind.STATUS
        if to == S.RESOLVED:
            if not clean and not note.strip():
                raise ApiError("evidence_required", _("Penyelesaian memerlukan foto bukti atau catatan."),
                               fields={"photo": ["required"], "note": ["required"]})
            report.resolved_at = now
        if to == S.IN_PROGRESS and old_status == S.RESOLVED:
            if not note.strip():
                raise ApiError("note_required", _("Sanggahan memerlukan alasan."), fields={"note": ["required"]})
            if access.reporter and not access.internal:
                if not selectors.report_dispute_window_open(report, now):
                    raise ApiError("dispute_window_closed", _("Batas waktu sanggahan sudah lewat."), status_code=409)
                kind = ReportEvent.Kind.DISPUTE
            report.resolved_at = None
        if to == S.VERIFIED:
            report.verified_at = now
        if to == S.NOT_OUR_AUTHORITY:
            if not note.strip():
                raise ApiError("note_required", _("Alasan 'bukan wewenang' wajib diisi."), fields={"note": ["required"]})
            RoutingDecision.objects.create(report=report, kind=RoutingDecision.Kind.NOT_OUR_AUTHORITY,
                                           from_agency=old_agency, agency=None, reason=note[:300], actor=actor)
            report.agency = None
        if to == S.DISPATCHED:
            target = report.agency
            if agency_code:
                target = Agency.objects.filter(code=agency_code, is_active=True).first()
                if target is None or target.regency_code != report.regency_code:  # no agency of another regency
                    raise ApiError("unknown_agency", _("Instansi tidak dikenal."), fields={"agency": ["unknown"]})
                if target != report.agency and not access.coordinator:
                    raise ApiError("permission_denied", _("Hanya admin koordinator yang dapat mengalihkan laporan."),
                                   status_code=403)
            if target is None:
                raise ApiError("agency_required", _("Pilih instansi tujuan disposisi."), fields={"agency": ["required"]})
            if target != report.agency:
                reroute = old_status == S.NOT_OUR_AUTHORITY or old_agency is not None
                RoutingDecision.objects.create(
                    report=report, kind=RoutingDecision.Kind.REROUTE if reroute else RoutingDecision.Kind.DISPATCH,
                    from_agency=old_agency, agency=target, reason=note[:300] or "disposisi koordinator", actor=actor)
                kind = ReportEvent.Kind.REROUTE
                report.agency = target
        if to == S.MERGED:
            master = _merge_target(report=report, merge_into_id=merge_into_id)
            report.merged_into = master
            Report.objects.filter(id=master.id).update(supporters_count=F("supporters_count") + report.supporters_count + 1,
                                                       updated_at=now)
            kind = ReportEvent.Kind.MERGE
            ReportEvent.objects.create(report=master, kind=ReportEvent.Kind.MERGE, note="", public=True,
                                       author=actor, created_at=now)
        photo_row = None
        if clean:
            photo_row = ReportPhoto.objects.create(
                report=report, kind=ReportPhoto.Kind.EVIDENCE if to == S.RESOLVED else ReportPhoto.Kind.SUBMISSION,
                image=clean.content, content_type=clean.content_type, width=clean.width, height=clean.height,
                size_bytes=clean.content.size, uploaded_by=actor)
        report.status = to
        report.updated_at = now
        report.save(update_fields=regency.fields_but_regency(report))
        event = ReportEvent.objects.create(
            report=report, kind=kind, from_status=old_status, to_status=to, note=note or "", public=bool(public),
            author=actor, author_agency=actor_agency, photo=photo_row, created_at=now)
        _on_commit_changed(report.id, report.location, report.location)
        if event.public:
            report_event_created.send(sender=Report, event=event)
        if event.public and report.reporter_id and not report.anonymous:
            outbox.enqueue(notifications.REPORTER_STATUS, {"report_id": str(report.id), "event_id": event.id},
                           key=f"reporter-status:{event.id}")
        if report.agency_id and report.agency_id != (old_agency.id if old_agency else None):
            for kind, payload, key in notifications.agency_messages(report, report.agency):
                outbox.enqueue(kind, payload, key=key)
        if to == S.MERGED:
            outbox.enqueue(notifications.MERGED, {"report_id": str(report.id), "master_id": str(report.merged_into_id)},
                           key=f"merged:{report.id}")
    return event


def _merge_target(*, report: Report, merge_into_id) -> Report:
    if not merge_into_id:
        raise ApiError("merge_target_required", _("Pilih laporan induk."), fields={"merge_into": ["required"]})
    try:
        master = regency.routed(Report.objects.select_for_update(), merge_into_id).get()
    except (Report.DoesNotExist, ValueError, ValidationError):
        raise ApiError("merge_target_invalid", _("Laporan induk tidak ditemukan."), fields={"merge_into": ["unknown"]})
    if master.id == report.id or master.status in Report.CLOSED_STATUSES or master.category.code != report.category.code:
        raise ApiError("merge_target_invalid", _("Laporan induk harus laporan terbuka lain dengan kategori yang sama."),
                       fields={"merge_into": ["invalid"]})
    return master


@transaction.atomic
def report_add_note(*, report_id, actor, note: str, public: bool = False) -> ReportEvent:
    report = selectors.report_for_staff(Report.objects.select_for_update(), user=actor, report_id=report_id,
                                        internal_only=True)
    if report is None or not selectors.report_access(user=actor, report=report).internal:
        raise ApiError("not_found", _("Laporan tidak ditemukan."), status_code=404)
    if not note.strip() or len(note) > NOTE_MAX:
        raise ApiError("invalid", _("Catatan kosong atau terlalu panjang."), fields={"note": ["invalid"]})
    return ReportEvent.objects.create(report=report, kind=ReportEvent.Kind.NOTE, note=note, public=public,
                                      author=actor, created_at=timezone.now())


@transaction.atomic
def report_support(*, report_id, user) -> Report:
    """A registered resident supports an open report instead of filing a
    duplicate; once per user."""
    from reports.policy import report_public_get
    public = report_public_get(report_id)
    report = regency.routed(Report.objects.select_for_update(), report_id).first() if public is not None else None
    if report is None or not report.is_open or report_public_get(report_id) is None:
        raise ApiError("not_found", _("Laporan tidak ditemukan."), status_code=404)
    _support, created = ReportSupport.objects.get_or_create(report=report, user=user)
    if created:
        Report.objects.filter(id=report.id).update(supporters_count=F("supporters_count") + 1)
        ReportEvent.objects.create(report=report, kind=ReportEvent.Kind.SUPPORT, public=False, author=user,
                                   created_at=timezone.now())
    report.refresh_from_db()
    return report


# --- Personal data -----------------------------------------------------------

@transaction.atomic
def report_subject_read(*, report_id, user, reason: str, ip_address: str | None = None) -> ReportSubject | None:
    """The reported person's data for the handling agency; the read is logged
    (who, when, why) before anything is returned."""
    report = Report.objects.filter(id=report_id).first()
    if report is None:
        raise ApiError("not_found", _("Laporan tidak ditemukan."), status_code=404)
    access = selectors.report_access(user=user, report=report)
    if not access.handling:
        raise ApiError("permission_denied", _("Hanya instansi penanganan yang dapat membaca data pribadi."),
                       status_code=403)
    reason = (reason or "").strip()
    if len(reason) < 5 or len(reason) > 300:
        raise ApiError("reason_required", _("Sebutkan alasan membuka data pribadi (5-300 karakter)."),
                       fields={"reason": ["required"]})
    PersonalDataAccess.objects.create(report=report, user=user, kind=PersonalDataAccess.Kind.SUBJECT, reason=reason,
                                      agency=report.agency, ip_address=ip_address)
    return ReportSubject.objects.filter(report=report).first()


def report_reporter_read(*, report: Report, user, reason: str, ip_address: str | None = None):
    """The identity of a confidential reporter, for the handling agency, logged."""
    access = selectors.report_access(user=user, report=report)
    if not access.handling:
        raise ApiError("permission_denied", _("Identitas pelapor rahasia hanya untuk instansi penanganan."),
                       status_code=403)
    if len((reason or "").strip()) < 5:
        raise ApiError("reason_required", _("Sebutkan alasan membuka identitas pelapor."),
                       fields={"reason": ["required"]})
    PersonalDataAccess.objects.create(report=report, user=user, kind=PersonalDataAccess.Kind.REPORTER,
                                      reason=reason.strip()[:300], agency=report.agency, ip_address=ip_address)
    return report.reporter


def report_photo_publish(*, report_id, photo_id: int, user, public: bool) -> ReportPhoto:
    """Mark a photo of a report public (or private again), by a staff member
    of the handling agency who has looked at it: nothing detects faces or
    number plates automatically, so no photo is public until a person says
    so. Refused for a report the public projection does not hold (P1-P3,
    confidential, rejected, merged): such a photo never shows
    (reports.models.PublicReportPhoto)."""
    from .models import PublicReport

    photo = ReportPhoto.objects.select_related("report").filter(report_id=report_id, id=photo_id).first()
    if photo is None:
        raise ApiError("not_found", _("Foto tidak ditemukan."), status_code=404)
    if not selectors.report_access(user=user, report=photo.report).handling:
        raise ApiError("forbidden", _("Hanya petugas instansi yang menangani laporan ini yang dapat "
                                      "memublikasikan fotonya."), status_code=403)
    if public and not PublicReport.objects.filter(id=report_id).exists():
        raise ApiError("not_publishable", _("Laporan ini tidak tampil untuk publik (kategori, rahasia atau "
                                            "statusnya), jadi fotonya juga tidak dapat dipublikasikan."),
                       status_code=409)
    photo.public_approved_at = timezone.now() if public else None
    photo.public_approved_by = user if public else None
    photo.save(update_fields=["public_approved_at", "public_approved_by"])
    return photo
