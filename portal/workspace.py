"""The agency workspace: the queue page (/kerja/), the report page, the field
crew's near-me page and the coordinator's triage. Reads only; writes go
through reports.services (the report page posts to the reports API or calls
the services, as the API does).

The queue stays fast with 1,000,000 reports: open reports only by default,
through two partial indexes (reports migration 0007) and keyset pagination
(no OFFSET, no count(*) over the agency's reports: counts per status stop at
COUNT_CAP)."""
import base64
import datetime
import json
import uuid
from dataclasses import dataclass

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.selectors import user_agency_ids, user_has_role
from common.regency import REGENCY_OF_TRACKING_PREFIX
from geo.models import Area
from geo.selectors import edition_current
from reports import selectors as report_selectors
from reports.models import PublicReport, Report, ReportEvent, ReportPhoto
from reports.services import TRANSITIONS, _allowed

from .maps import STATUS_LABELS, STATUSES

PAGE_SIZE = 25
COUNT_CAP = 1000
OPEN = Q(status__in=Report.CLOSED_STATUSES)  # negated below: ~OPEN is "open"


@dataclass
class Scope:
    agency_ids: set[int]
    is_coordinator: bool
    is_crew: bool

    @property
    def any(self) -> bool:
        return bool(self.agency_ids) or self.is_coordinator


def scope_of(*, user) -> Scope:
    return Scope(agency_ids=user_agency_ids(user=user, roles=report_selectors.AGENCY_ROLES),
                 is_coordinator=user_has_role(user=user, roles=[Role.COORDINATOR]),
                 is_crew=user_has_role(user=user, roles=[Role.FIELD_CREW]))


def _scoped(scope: Scope, *, triage: bool = False) -> list:
    """The reports of the scope as disjoint parts, each answerable from an
    index in order: the user's agencies; for the coordinator's triage, the
    reports without an agency: those no rule could route and those sent back
    as not ours (the workflow clears the agency then, reports.services)."""
    if triage:
        return [Report.objects.filter(agency__isnull=True)]
    return [Report.objects.filter(agency_id__in=scope.agency_ids)]


def _cursor_encode(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _cursor_decode(raw: str) -> list | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        return data if isinstance(data, list) and len(data) == 3 else None
    except (ValueError, TypeError):
        return None


class QueueParams:
    """The queue page's filters, read leniently: unknown values are dropped
    (a bad filter in a link shows the unfiltered queue, not an error)."""

    def __init__(self, params):
        self.q = (params.get("q") or "").strip()[:100]
        self.status = params.get("status") or ""
        if self.status not in Report.Status.values and self.status != "all":
            self.status = ""
        self.category = (params.get("category") or "").strip()[:40]
        self.desa = (params.get("desa") or "").strip()[:40]
        self.overdue = params.get("overdue") == "1"
        self.view = "map" if params.get("view") == "map" else "list"
        self.triage = params.get("triage") == "1"
        self.cursor = _cursor_decode(params.get("after") or "") if params.get("after") else None

    def query_string(self, **override) -> str:
        from urllib.parse import urlencode

        values = {"q": self.q, "status": self.status, "category": self.category, "desa": self.desa,
                  "overdue": "1" if self.overdue else "", "view": "map" if self.view == "map" else "",
                  "triage": "1" if self.triage else ""}
        values.update(override)
        return urlencode({k: v for k, v in values.items() if v})


def _filtered(qs, p: QueueParams, today: datetime.date):
    """The queue's filters on the parts; a text search is kept aside as
    `qs.text` (see _text_top: how it is answered depends on how common the
    words are)."""
    if p.q:
        code = p.q.upper()
        prefixed = code[:2] in REGENCY_OF_TRACKING_PREFIX and code[2:3] == "-"
        if prefixed:
            qs = qs.filter(tracking_code=code)
        elif len(code) >= 9 and "-" in code:  # "7GQ2-M4XZ": any regency's prefix (the queue is one's own)
            qs = qs.filter(tracking_code__in=[f"{prefix}-{code}" for prefix in REGENCY_OF_TRACKING_PREFIX])
        else:
            desa_ids = list(Area.objects.filter(level="desa", edition=edition_current(), name__icontains=p.q)
                            .values_list("id", flat=True)[:20])
            qs = qs.with_text(Q(description__icontains=p.q) | Q(desa_id__in=desa_ids))
    if p.category:
        qs = qs.filter(category__code=p.category)
    if p.desa:
        qs = qs.filter(desa__code=p.desa)
    if p.status and p.status != "all":
        qs = qs.filter(status=p.status)
    elif p.status != "all":
        qs = qs.exclude(OPEN)
    if p.overdue:
        qs = qs.filter(deadline__lt=today).exclude(OPEN)
    return qs


def _page(qs: "_Parts", p: QueueParams, today: datetime.date) -> tuple[list[Report], str | None]:
    """One page in the queue's order: open overdue reports first (the most
    overdue first), then the rest newest first; keyset pagination over
    (phase, key, id). Closed statuses are listed newest first."""
    related = ("category", "desa", "agency")
    open_only = p.status not in (*Report.CLOSED_STATUSES, "all")
    rows: list[Report] = []
    phase, key, last_id = p.cursor if p.cursor else (0, None, None)
    if open_only and phase == 0:
        overdue = qs.filter(deadline__lt=today)
        if key is not None:
            overdue = overdue.filter(Q(deadline__gt=key) | Q(deadline=key, id__gt=last_id))
        rows = _fetch(overdue, ("deadline", "id"), PAGE_SIZE + 1, related)
        if len(rows) > PAGE_SIZE:
            last = rows[PAGE_SIZE - 1]
            return rows[:PAGE_SIZE], _cursor_encode([0, last.deadline.isoformat(), str(last.id)])
        phase, key, last_id = 1, None, None
        if p.overdue:
            return rows, None
    rest = qs.filter(deadline__gte=today) if open_only else qs
    if key is not None:
        rest = rest.filter(Q(created_at__lt=key) | Q(created_at=key, id__lt=last_id))
    more = _fetch(rest, ("-created_at", "-id"), PAGE_SIZE + 1 - len(rows), related)
    rows += more
    if len(rows) > PAGE_SIZE:
        last = rows[PAGE_SIZE - 1]
        return rows[:PAGE_SIZE], _cursor_encode([1, last.created_at.isoformat(), str(last.id)])
    return rows, None


class _Parts:
    """Disjoint querysets filtered alike (filter() applies to each), and the
    text search, kept apart (`text`, a Q or None)."""

    def __init__(self, parts: list, text: Q | None = None):
        self.parts = parts
        self.text = text

    def filter(self, *args, **kwargs) -> "_Parts":
        return _Parts([q.filter(*args, **kwargs) for q in self.parts], self.text)

    def exclude(self, *args, **kwargs) -> "_Parts":
        return _Parts([q.exclude(*args, **kwargs) for q in self.parts], self.text)

    def with_text(self, text: Q) -> "_Parts":
        return _Parts(self.parts, text)


# Text search (_text_top): the head of the queue scanned for matches, and the
# most matches read from the trigram index (reports migration 0011) and sorted.
TEXT_SCAN_HEAD = 500
TEXT_MATCH_CAP = 5000


def _text_top(q, text: Q, order: tuple[str, str], limit: int) -> list[tuple]:
    """The first `limit` (key, id) of the part `q` matching `text`, in `order`.
    The planner cannot know how a word spreads over an agency's queue (it
    assumes words and agencies independent), so it walked the whole queue in
    order for a word the agency's reports never hold (1.2 s for PUPR at
    1,000,000 reports). Instead, three bounded steps, each exact when it
    answers:
    1. a common word: the matches among the first TEXT_SCAN_HEAD reports in
       the queue's order (an index walk that stops there);
    2. a rare word: every match of the part, from the trigram and agency
       indexes together (a bitmap, no order), sorted here;
    3. a word common overall but absent from the head of the queue: the
       ordered walk with the filter (the former plan)."""
    key_field = order[0].lstrip("-")
    head = q.order_by(*order).values("id")[:TEXT_SCAN_HEAD]
    rows = list(Report.objects.filter(id__in=head).filter(text).order_by(*order)
                .values_list(key_field, "id")[:limit])
    if len(rows) >= limit:
        return rows
    found = list(q.filter(text).values_list(key_field, "id")[:TEXT_MATCH_CAP + 1])
    if len(found) <= TEXT_MATCH_CAP:
        found.sort(key=lambda kv: (kv[0], kv[1]), reverse=order[0].startswith("-"))
        return found[:limit]
    return list(q.filter(text).order_by(*order).values_list(key_field, "id")[:limit])


def _fetch(parts: _Parts, order: tuple[str, str], limit: int, related) -> list[Report]:
    """The first `limit` reports in `order` over the parts: per part, ids
    first (one narrow query the planner answers from an index in order, no
    joins), merged by the order's key; then the rows with their related
    objects, in that order."""
    if limit <= 0:
        return []
    key_field = order[0].lstrip("-")
    descending = order[0].startswith("-")
    keyed = []
    for q in parts.parts:
        if parts.text is None:
            keyed += list(q.order_by(*order).values_list(key_field, "id")[:limit])
        else:
            keyed += _text_top(q, parts.text, order, limit)
    keyed.sort(key=lambda kv: (kv[0], kv[1]), reverse=descending)
    ids = [i for _k, i in keyed[:limit]]
    found = Report.objects.select_related(*related).in_bulk(ids)
    return [found[i] for i in ids if i in found]


def _decode_key(p: QueueParams):
    if not p.cursor:
        return
    phase, key, last_id = p.cursor
    try:
        uuid.UUID(str(last_id))
        if phase == 0:
            key = datetime.date.fromisoformat(key)
        elif phase == 1:
            key = datetime.datetime.fromisoformat(key)
        else:
            raise ValueError
    except (ValueError, TypeError):
        p.cursor = None
        return
    p.cursor = [phase, key, last_id]


_COUNTS_SQL = """
SELECT s.code, (SELECT count(*) FROM (SELECT 1 FROM reports_report r
                                       WHERE {scope} AND r.status = s.code LIMIT %s) AS capped)
  FROM unnest(%s::text[]) AS s(code)
"""


def _counts(scope: Scope, triage: bool) -> list[dict]:
    """Reports per status in the scope, each counted up to COUNT_CAP: one
    statement, a bounded index-only scan of the (agency, status) index per
    status, counted in the database (the ids used to come back to Python:
    up to 8,000 of them a page)."""
    from django.db import connection

    codes = [code for code, _label, _colour in STATUSES]
    if triage:
        sql, params = _COUNTS_SQL.format(scope="r.agency_id IS NULL"), [COUNT_CAP + 1, codes]
    else:
        sql, params = _COUNTS_SQL.format(scope="r.agency_id = ANY(%s)"), [sorted(scope.agency_ids),
                                                                         COUNT_CAP + 1, codes]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = dict(cursor.fetchall())
    out = []
    for code, label, _colour in STATUSES:
        n = found.get(code, 0)
        out.append({"code": code, "label": str(label), "count": n,
                    "shown": f"{COUNT_CAP}+" if n > COUNT_CAP else str(n)})
    return out


def queue(*, user, params, today: datetime.date | None = None) -> dict | None:
    scope = scope_of(user=user)
    if not scope.any:
        return None
    today = today or timezone.localdate()
    p = QueueParams(params)
    _decode_key(p)
    triage = scope.is_coordinator and (p.triage or not scope.agency_ids)
    base = _scoped(scope, triage=triage)
    rows, next_cursor = _page(_filtered(_Parts(base), p, today), p, today)
    from reports.models import Category

    return {
        "scope": scope, "triage": triage, "params": p, "today": today,
        "reports": [_row(r, today) for r in rows],
        "next_url": f"?{p.query_string(after=next_cursor)}" if next_cursor else None,
        "first_url": f"?{p.query_string()}" if p.cursor else None,
        "counts": [{**c, "url": f"?{p.query_string(status=c['code'])}"} for c in _counts(scope, triage)],
        "statuses": [(c, str(label)) for c, label, _colour in STATUSES],
        # the filters' <option>s, built here (127 desa: the template engine
        # took a good part of the page's time on them)
        "status_options": _options([(c, str(label)) for c, label, _colour in STATUSES], p.status),
        "category_options": _options(Category.objects.filter(is_active=True).order_by("name_id")
                                     .values_list("code", "name_id"), p.category),
        "desa_options": _options(Area.objects.filter(level="desa", edition=edition_current()).order_by("name")
                                 .values_list("code", "name"), p.desa),
        "points": [{"id": r.tracking_code, "lat": r.location.y, "lon": r.location.x,
                               "url": reverse("portal:kerja-laporan", args=[r.id]),
                               "status": STATUS_LABELS.get(r.status, r.status), "overdue": _overdue(r, today)}
                   for r in rows],
    }


def _options(pairs, selected: str):
    from django.utils.html import format_html, format_html_join
    from django.utils.safestring import mark_safe

    return format_html_join("", "{}", ((format_html('<option value="{}"{}>{}</option>', code,
                                                    mark_safe(" selected") if code == selected else "", name),)
                                       for code, name in pairs))


def _overdue(r: Report, today: datetime.date) -> bool:
    return r.deadline < today and r.status not in Report.CLOSED_STATUSES


def _row(r: Report, today: datetime.date) -> dict:
    return {"id": r.id, "tracking_code": r.tracking_code, "category": r.category.name_id,
            "desa": r.desa.name if r.desa_id else "", "status": r.status,
            "status_label": STATUS_LABELS.get(r.status, r.status), "deadline": r.deadline,
            "created_at": r.created_at, "overdue": _overdue(r, today),
            "created_display": date_format(timezone.localtime(r.created_at), "j M Y H:i"),
            "deadline_display": date_format(r.deadline, "j M Y"),
            "agency": r.agency.name if r.agency_id else _("Triase (belum ada instansi)"),
            "description": (r.description or "")[:140]}


# --- One report ------------------------------------------------------------------

EVENT_LABELS = {k: v for k, v in ReportEvent.Kind.choices}


def report_detail(*, user, report_id, today: datetime.date | None = None) -> dict | None:
    """One report for the staff or crew handling it, or for the coordinator;
    None when the user may not see it internally."""
    report = report_selectors.report_for_staff(
        Report.objects.select_related("category", "desa", "kecamatan", "agency", "reporter"),
        user=user, report_id=report_id, internal_only=True)
    if report is None:
        return None
    access = report_selectors.report_access(user=user, report=report)
    if not access.internal:
        return None
    today = today or timezone.localdate()
    # The report's regency named: one shard on Citus (photos and events are co-located with it).
    photos = list(ReportPhoto.objects.filter(report=report, regency_code=report.regency_code)
                  .order_by("created_at", "id"))
    photo_url = lambda p: reverse("reports-photo", kwargs={"report_id": report.id, "photo_id": p.id})  # noqa: E731
    hidden_author = report.reporter_id if report.confidential else None
    events = []
    for e in (report.events.filter(regency_code=report.regency_code).select_related("author", "author_agency")
              .order_by("created_at", "id")):
        hidden = hidden_author is not None and e.author_id == hidden_author
        events.append({
            "kind": EVENT_LABELS.get(e.kind, e.kind),
            "from": STATUS_LABELS.get(e.from_status, "") if e.from_status else "",
            "to": STATUS_LABELS.get(e.to_status, "") if e.to_status else "",
            "note": e.note, "public": e.public, "at": e.created_at,
            "author": _("(pelapor rahasia)") if hidden else (e.author.get_username() if e.author else ""),
            "agency": e.author_agency.name if e.author_agency else "",
            "photo_url": photo_url(e.photo) if e.photo_id else None})
    targets = [(to, str(STATUS_LABELS[to])) for to, _l, _c in STATUSES
               if to in TRANSITIONS[report.status] and to != Report.Status.MERGED
               and _allowed(access=access, report=report, to=to)]
    lon, lat = report.location.x, report.location.y
    return {
        "report": report, "access": access, "today": today, "overdue": _overdue(report, today),
        "status_label": STATUS_LABELS.get(report.status, report.status),
        "submission_photos": [{"url": photo_url(p), "w": p.width, "h": p.height, "id": p.id,
                               "public": p.public_approved_at is not None} for p in photos
                              if p.kind == ReportPhoto.Kind.SUBMISSION],
        "evidence_photos": [{"url": photo_url(p), "w": p.width, "h": p.height, "id": p.id,
                             "public": p.public_approved_at is not None} for p in photos
                            if p.kind == ReportPhoto.Kind.EVIDENCE],
        # the handling agency may show a photo on the public tracking page, for a public report only
        "photos_publishable": access.handling and PublicReport.objects.filter(id=report.id).exists(),
        "events": events, "targets": targets,
        "lon": round(lon, 6), "lat": round(lat, 6),
        "geo_uri": f"geo:{lat:.6f},{lon:.6f}?q={lat:.6f},{lon:.6f}({report.tracking_code})",
        "maps_url": f"https://www.openstreetmap.org/directions?to={lat:.6f}%2C{lon:.6f}",
        "gmaps_url": f"https://www.google.com/maps/dir/?api=1&destination={lat:.6f},{lon:.6f}",
        "can_reroute": access.coordinator and Report.Status.DISPATCHED in dict(targets),
        "can_read_contact": access.handling and report.reporter_id is not None and not report.anonymous,
        "point": [{"id": report.tracking_code, "lat": lat, "lon": lon, "status": str(STATUS_LABELS.get(report.status)),
                   "overdue": _overdue(report, today)}],
    }


def reporter_contact(*, user, report_id, reason: str, ip_address: str | None) -> dict:
    """The reporter's contact for the handling agency: every read goes to the
    personal-data access log (reports.services.report_reporter_read)."""
    from reports.services import report_reporter_read

    report = report_selectors.report_for_staff(Report.objects.all(), user=user, report_id=report_id,
                                              internal_only=True)
    reporter = report_reporter_read(report=report, user=user, reason=reason, ip_address=ip_address)
    if reporter is None:
        return {"name": "", "email": "", "phone": ""}
    phone = getattr(getattr(reporter, "profile", None), "phone", "") or ""
    return {"name": reporter.get_full_name() or reporter.get_username(), "email": reporter.email, "phone": phone}


# --- Near me (field crews) -------------------------------------------------------

NEAR_RADII = [2_000, 10_000, 50_000]


def near_me(*, user, lon: float | None, lat: float | None, radius_m: int,
            today: datetime.date | None = None) -> dict | None:
    """The crew's open reports nearest the phone's position (reports.selectors.
    reports_nearby: one KNN query on the open-reports index), nearest first."""
    scope = scope_of(user=user)
    if not scope.agency_ids:
        return None
    today = today or timezone.localdate()
    out = {"lon": lon, "lat": lat, "radius_m": radius_m, "radii": NEAR_RADII, "rows": [], "points": []}
    if lon is None or lat is None:
        return out
    found = report_selectors.reports_nearby(agency_ids=scope.agency_ids, lon=lon, lat=lat, radius_m=radius_m,
                                            limit=50)
    for r in found:
        out["rows"].append({
            "id": r.id, "tracking_code": r.tracking_code, "category": r.category, "desa": r.desa,
            "status_label": STATUS_LABELS.get(r.status, r.status), "deadline": r.deadline,
            "overdue": r.deadline < today, "distance": _distance_text(r.distance_m),
            "description": (r.description or "")[:120],
            "geo_uri": f"geo:{r.lat:.6f},{r.lon:.6f}?q={r.lat:.6f},{r.lon:.6f}({r.tracking_code})",
            "gmaps_url": f"https://www.google.com/maps/dir/?api=1&destination={r.lat:.6f},{r.lon:.6f}"})
        out["points"].append({"id": r.tracking_code, "lat": r.lat, "lon": r.lon,
                              "url": reverse("portal:kerja-laporan", args=[r.id]),
                              "status": str(STATUS_LABELS.get(r.status, r.status)), "overdue": r.deadline < today})
    return out


def _distance_text(metres: float) -> str:
    return f"{metres:.0f} m" if metres < 1000 else f"{metres / 1000:.1f} km"
