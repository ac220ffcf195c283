"""Reads of reports: routing decisions, who may see what, duplicates, nearby.

Access (domain.md 7.2), decided here and nowhere else:
- handling agency (staff, field crew, head of `report.agency`): the whole
  report; the reported person's data only through `report_subject_read`,
  which logs the read;
- coordinator (Admin Koordinator): every report for triage, never the
  reported person's data;
- the reporter: their own report and its public timeline;
- planner, DPO, system admin, the public: no single report beyond what
  `reports.policy` publishes. A Django superuser gets nothing extra.
"""
import datetime
import math
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Role
from accounts.selectors import memberships_active, user_agency_ids, user_regency_codes
from common.db import model_columns, model_from_row, prepared_cursor
from common.regency import default_regency, first_in_regency, regency_of
from geo.models import Agency, Area
from geo.selectors import PointLocation

from .models import Category, Report, RoutingRule

AGENCY_ROLES = [Role.AGENCY_STAFF, Role.FIELD_CREW, Role.AGENCY_HEAD]


def categories_active() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).select_related("default_agency")


def category_get(*, code: str) -> Category | None:
    return categories_active().filter(code=code).first()


# Raw SQL, prepared: the submission's first statement. The active category of
# a code with its default agency (categories_active), and whether a report
# with the client-chosen id exists (a retry), in one round trip; through the
# ORM the query alone cost 1.2 ms of Python, four times the database's work.
_SUBMISSION_CATEGORY_SQL = f"""
SELECT EXISTS (SELECT 1 FROM reports_report WHERE id = %(report_id)s),
       {model_columns(Category, "c")}, {model_columns(Agency, "a")}
  FROM (SELECT 1) one
  LEFT JOIN reports_category c ON c.code = %(code)s AND c.is_active
  LEFT JOIN geo_agency a ON a.id = c.default_agency_id
"""


def category_for_submission(*, code: str, report_id) -> tuple[Category | None, bool]:
    """(the active category of `code` with its default agency or None, whether
    report `report_id` exists)."""
    with prepared_cursor() as cursor:
        cursor.execute(_SUBMISSION_CATEGORY_SQL, {"code": code, "report_id": report_id})
        row = cursor.fetchone()
    category = model_from_row(Category, row, start=1)
    if category is not None:
        category.default_agency = model_from_row(Agency, row, start=1 + len(Category._meta.concrete_fields))
    return category, row[0]


# --- Routing -----------------------------------------------------------------

@dataclass
class RoutingResult:
    agency: Agency | None
    rule: RoutingRule | None
    reason: str


_LEVEL_RANK = {"rt": 6, "rw": 5, "dusun": 4, "desa": 3, "kecamatan": 2, "kabupaten": 1}
# The same ranking in SQL, of the rule's area joined as `ra` (0 without
# one): the submission's routing statement and the bulk import's.
LEVEL_RANK_SQL = ("CASE ra.level " + " ".join(f"WHEN '{level}' THEN {rank}" for level, rank in _LEVEL_RANK.items())
                  + " ELSE 0 END")


def routing_decide(*, category: Category, location: PointLocation, point: Point) -> RoutingResult:
    """The agency for a report of `category` at `point` (in `location`'s desa).

    Specificity, most specific first: a rule naming an area beats one naming
    none, and a smaller area (desa) beats a larger one (kecamatan,
    kabupaten); between equals, a rule also naming a service area wins; then
    the lowest rule id. No rule: the category's default agency. No default:
    None, the coordinator's triage queue.

    One SQL statement ranks the rules and matches the service areas (a
    service area's parts covering the point, or its code list naming the
    desa, kecamatan or kabupaten), so `location` need not carry them
    (point_locate(with_service_areas=False) saves a query per submission).
    This is the one spelling of the rule; tests/reports/test_routing.py keeps
    a Python ranking over the lookup's service areas as its oracle.
    """
    area_ids = [a.id for a in (location.desa, location.kecamatan, location.kabupaten) if a is not None]
    # Rules are the regency's own (regencies as tenants: another regency's rule never applies).
    regency_code = (regency_of(location.desa.code) if location.desa else None) or default_regency()
    return _routing_decide_sql(category=category, location=location, point=point, area_ids=area_ids,
                               regency_code=regency_code)


def _rule_result(category: Category, rule: RoutingRule, area, service_area_name: str | None) -> RoutingResult:
    where = []
    if area is not None:
        where.append(f"{area.level} {area.code} {area.name}")
    if service_area_name is not None:
        where.append(f"wilayah layanan '{service_area_name}'")
    return RoutingResult(rule.agency, rule, f"aturan #{rule.id}: {category.code} di {' + '.join(where) or 'semua wilayah'}"
                         f" -> {rule.agency.code}")


# Raw SQL, the submission path: the rules query of routing_decide with the
# ranking in SQL, so one row comes back instead of every rule of the
# category as model instances (the Puskesmas categories have dozens, each
# with its agency, area and service area). Same order as the key above:
# area level, then a service area, then the lowest id.
_ROUTING_SQL = """
SELECT rr.id, rr.area_id, rr.service_area_id, ra.level, ra.code, ra.name, sa.name, {agency_columns}
  FROM reports_routingrule rr
  JOIN geo_agency ag ON ag.id = rr.agency_id AND ag.is_active
  LEFT JOIN geo_area ra ON ra.id = rr.area_id
  LEFT JOIN geo_servicearea sa ON sa.id = rr.service_area_id
 WHERE rr.category_id = %(category)s AND rr.is_active AND rr.regency_code = %(regency)s
   AND (rr.area_id IS NULL OR rr.area_id = ANY(%(areas)s))
   AND (rr.service_area_id IS NULL OR sa.area_codes && %(codes)s::varchar[]
        OR EXISTS (SELECT 1 FROM geo_serviceareapart sp
                    WHERE sp.service_area_id = rr.service_area_id
                      AND ST_Covers(sp.geom, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326))))
 ORDER BY {level_rank} DESC, (rr.service_area_id IS NOT NULL) DESC, rr.id
 LIMIT 1
"""
_ROUTING_SQL = _ROUTING_SQL.format(agency_columns=model_columns(Agency, "ag"), level_rank=LEVEL_RANK_SQL)


def _routing_decide_sql(*, category: Category, location: PointLocation, point: Point, area_ids,
                        regency_code: str) -> RoutingResult:
    with prepared_cursor() as cursor:
        cursor.execute(_ROUTING_SQL, {"category": category.id, "areas": area_ids, "codes": list(location.codes),
                                      "lon": point.x, "lat": point.y, "regency": regency_code})
        row = cursor.fetchone()
    if row is None:
        return _default_result(category, regency_code)
    rule_id, area_id, service_area_id, level, code, name, service_area_name = row[:7]
    agency = model_from_row(Agency, row, start=7)
    rule = RoutingRule(id=rule_id, category=category, area_id=area_id, service_area_id=service_area_id,
                       agency=agency)
    rule._state.adding, rule._state.db = False, connection.alias
    area = Area(id=area_id, level=level, code=code, name=name) if area_id is not None else None
    return _rule_result(category, rule, area, service_area_name)


def _default_result(category: Category, regency_code: str | None = None) -> RoutingResult:
    # The category's default agency is the deployment regency's; another regency's
    # reports route by its own rules (geo.templates makes them) or go to triage.
    if (category.default_agency_id and category.default_agency.is_active
            and (regency_code is None or category.default_agency.regency_code == regency_code)):
        return RoutingResult(category.default_agency, None,
                             f"instansi bawaan kategori {category.code} -> {category.default_agency.code}")
    return RoutingResult(None, None, f"tidak ada aturan atau instansi bawaan untuk {category.code}: antrean triase")


# --- Access ------------------------------------------------------------------

@dataclass(frozen=True)
class Access:
    handling: bool = False
    field_crew_only: bool = False
    coordinator: bool = False
    reporter: bool = False

    @property
    def internal(self) -> bool:
        """May see the whole report (not the reported person's data)."""
        return self.handling or self.coordinator

    @property
    def any(self) -> bool:
        return self.internal or self.reporter


def report_dispute_window_open(report: Report, now=None) -> bool:
    """A resolution may be disputed by its reporter for REPORTS_DISPUTE_DAYS
    after it (the one home of that rule: the workflow and the tracking page)."""
    if report.resolved_at is None:
        return True
    now = now or timezone.now()
    return now - report.resolved_at <= datetime.timedelta(days=settings.REPORTS_DISPUTE_DAYS)


def report_access(*, user, report: Report) -> Access:
    if user is None or not user.is_authenticated:
        return Access()
    roles = {(m.role, m.agency_id, m.regency_code) for m in memberships_active(user=user)}
    handling_roles = {r for r, a, _ in roles if a is not None and a == report.agency_id and r in AGENCY_ROLES}
    return Access(
        handling=bool(handling_roles),
        field_crew_only=handling_roles == {Role.FIELD_CREW},
        # A coordinator coordinates their own regency only.
        coordinator=any(r == Role.COORDINATOR and rc == report.regency_code for r, _, rc in roles),
        reporter=report.reporter_id is not None and report.reporter_id == user.id,
    )


def staff_regency(*, user) -> str | None:
    """The one regency a staff member or coordinator works in (their memberships'),
    or None: not staff, or staff of several regencies."""
    if user is None or not user.is_authenticated:
        return None
    codes = user_regency_codes(user=user, roles=[*AGENCY_ROLES, Role.COORDINATOR])
    return next(iter(codes)) if len(codes) == 1 else None


def report_for_staff(qs: QuerySet, *, user, report_id, internal_only: bool = False):
    """The report `report_id` of `qs` (or None) for a caller who may be staff; the
    caller checks `report_access`. On Citus staff look it up in their regency first
    (common.regency.first_in_regency: a router query on one shard; `report_access`
    grants nothing internal in another regency) and, unless `internal_only`, then by
    its id alone (the caller may also be its reporter, in any regency). On one
    PostgreSQL the regency would narrow nothing: one lookup by id, no memberships
    query."""
    regency = staff_regency(user=user) if settings.KR_CITUS else None
    return first_in_regency(qs, regency, elsewhere=not internal_only, pk=report_id)


def reports_queue(*, user, status: list[str] | None = None, overdue: bool = False) -> QuerySet[Report]:
    """The caller's work queue: their agencies' reports; for a coordinator the
    triage queue (no agency) and everything not our authority, of their regency.

    Always filtered by the caller's regencies (a regency's staff see only their
    regency; on Citus the regency code routes the query to one shard)."""
    qs = Report.objects.select_related("category", "desa", "kecamatan", "agency")
    agency_ids = user_agency_ids(user=user, roles=AGENCY_ROLES)
    coordinating = user_regency_codes(user=user, roles=[Role.COORDINATOR])
    if coordinating:
        qs = qs.filter((Q(agency__isnull=True) | Q(status=Report.Status.NOT_OUR_AUTHORITY))
                       & Q(regency_code__in=coordinating) | Q(agency_id__in=agency_ids))
    elif agency_ids:
        qs = qs.filter(agency_id__in=agency_ids)
    else:
        return Report.objects.none()
    qs = qs.filter(regency_code__in=user_regency_codes(user=user, roles=[*AGENCY_ROLES, Role.COORDINATOR]))
    if status:
        qs = qs.filter(status__in=status)
    if overdue:
        qs = qs.filter(deadline__lt=timezone.localdate()).exclude(status__in=Report.CLOSED_STATUSES)
    return qs.order_by("deadline", "created_at")


def reports_overdue_for_head(*, user) -> QuerySet[Report]:
    """Overdue open reports of the agencies the user heads (kepala OPD)."""
    agency_ids = user_agency_ids(user=user, roles=[Role.AGENCY_HEAD])
    return (Report.objects.filter(agency_id__in=agency_ids, deadline__lt=timezone.localdate())
            .exclude(status__in=Report.CLOSED_STATUSES).select_related("category", "desa", "agency")
            .order_by("deadline"))


def reports_of_reporter(*, user) -> QuerySet[Report]:
    if not user.is_authenticated:
        return Report.objects.none()
    return Report.objects.filter(reporter=user).select_related("category", "desa", "kecamatan", "agency")


# --- Spatial: duplicates and nearby ---------------------------------------------

def bbox_margin_deg(*, lat: float, metres: float) -> float:
    """Degrees that cover `metres` in every direction at latitude `lat`, with
    5 % to spare: only ever the margin of a && prefilter that an exact
    geodesic test follows (a degree of latitude is at least 110,574 m, of
    longitude 111,320 m x cos(lat))."""
    return metres / 110_574 / max(math.cos(math.radians(lat)), 0.01) * 1.05


# Raw SQL: the ORM cannot target the functional index on
# (location::geography). For each of the caller's agencies a LATERAL subquery
# walks a GiST index in KNN order (<->) and stops after `fetch` rows; the
# radius and the order are then applied to those few rows with the exact
# spheroid distance, which is what is returned.
# Open reports (the default, and any list of open statuses) walk the partial
# index reports_open_agency_geog (migration 0003): its leading agency_id column
# must be compared with one bigint (GiST cannot use "= ANY(array)" nor an
# int4 = int8 comparison), so the walk touches only that agency's open
# reports. There is deliberately no ST_DWithin in the walk: its row estimate
# makes the planner prefer a bitmap scan of every report in the radius plus a
# sort (~1,000 rows for PUPR in Sungai Raya at 1,000,000 reports, 10x
# slower); LIMIT bounds the walk instead.
# A list with closed statuses walks the full geometry index in planar KNN
# order (degrees) filtering agency and status as it goes; a metre is 0.7 %
# longer in degrees east-west than north-south here, which the margin of
# fetched rows (fetch = 2 x limit) re-ordered by the exact distance absorbs.
_NEARBY_SQL = """
WITH q AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS p,
                  ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography AS g)
SELECT n.id, n.tracking_code, c.code, n.status, ST_X(n.location), ST_Y(n.location), n.distance_m,
       d.name, n.description, n.deadline
  FROM q, unnest(%(agencies)s::bigint[]) AS a(agency_id)
  CROSS JOIN LATERAL (
        SELECT r.id, r.tracking_code, r.status, r.location, r.description, r.deadline, r.category_id,
               r.desa_id, ST_Distance(r.location::geography, q.g) AS distance_m
          FROM reports_report r
         WHERE r.agency_id = a.agency_id
           {status_clause}
         ORDER BY {knn}
         LIMIT %(fetch)s) n
  JOIN reports_category c ON c.id = n.category_id
  JOIN geo_area d ON d.id = n.desa_id
 WHERE n.distance_m <= %(radius)s
 ORDER BY n.distance_m, n.id
 LIMIT %(limit)s
"""
# Word for word the predicate of the partial index (migration 0003).
_OPEN_CLAUSE = "AND r.status NOT IN ('resolved', 'rejected', 'merged')"
_KNN_OPEN = "r.location::geography <-> q.g"
_KNN_ANY = "r.location <-> q.p"


@dataclass(frozen=True)
class NearbyReport:
    """One row of the field crews' list (plain values: building 50 Report
    instances with their related rows cost more than the query itself)."""

    id: uuid.UUID
    tracking_code: str
    category: str
    status: str
    lon: float
    lat: float
    distance_m: float
    desa: str
    description: str
    deadline: datetime.date


def reports_nearby(*, agency_ids: set[int], lon: float, lat: float, radius_m: float,
                   statuses: list[str] | None = None, limit: int = 50) -> list[NearbyReport]:
    """The caller's agencies' reports within radius_m metres (geodesic),
    nearest first, with the distance; open ones unless `statuses` says. One
    query (on Citus one router query per regency of the agencies)."""
    if not agency_ids:
        return []
    if not statuses:
        status_clause, knn = _OPEN_CLAUSE, _KNN_OPEN
    elif set(statuses).isdisjoint(Report.CLOSED_STATUSES):
        # Restating the open predicate lets the planner use the partial index.
        status_clause, knn = "AND r.status = ANY(%(statuses)s) " + _OPEN_CLAUSE, _KNN_OPEN
    else:
        status_clause, knn = "AND r.status = ANY(%(statuses)s)", _KNN_ANY
    # One PostgreSQL: one query for all the agencies.
    groups: list[tuple[list[int], str | None]] = [(sorted(agency_ids), None)]
    if settings.KR_CITUS:
        # On Citus the LATERAL ... LIMIT runs on a shard only when it names one
        # regency (a router query); Citus refuses it across shards. A crew whose
        # agencies span several regencies gets one router query per regency, each
        # nearest first with the same limit, merged below.
        by_regency: dict[str, list[int]] = {}
        for agency_id, regency in Agency.objects.filter(id__in=agency_ids).values_list("id", "regency_code"):
            by_regency.setdefault(regency, []).append(agency_id)
        groups = [(sorted(ids), regency) for regency, ids in sorted(by_regency.items())]
        status_clause += " AND r.regency_code = %(regency)s"
    sql = _NEARBY_SQL.format(status_clause=status_clause, knn=knn)
    rows = []
    with connection.cursor() as cursor:
        for agencies, regency in groups:
            # fetch > limit: the KNN order is by sphere distance (or degrees), the
            # answer by spheroid distance (they differ by < 0.7 %), so a margin of
            # rows is re-ordered exactly.
            cursor.execute(sql, {"agencies": agencies, "lon": lon, "lat": lat, "radius": radius_m,
                                 "statuses": statuses or [], "fetch": limit * 2, "limit": limit,
                                 "regency": regency})
            rows.extend(cursor.fetchall())
    if len(groups) > 1:
        rows = sorted(rows, key=lambda row: (row[6], row[0]))[:limit]
    return [NearbyReport(id=rid, tracking_code=code, category=category, status=status, lon=x, lat=y,
                         distance_m=round(distance, 1), desa=desa, description=description, deadline=deadline)
            for rid, code, category, status, x, y, distance, desa, description, deadline in rows]
