"""Synthetic reports, clearly marked (is_synthetic, "[SINTETIS]" in the
description), for `make demo` and the benchmarks.

Points cluster as real reports do: around desa centres (a point inside each
desa polygon, geo.selectors.desa_centroids), with desa weighted by
population where known, and the populous kecamatan next to Pontianak
(Sungai Raya, Sungai Kakap, Sungai Ambawang) weighted up. Dates spread over
the past year, more in recent months; older reports are mostly resolved;
each report has the timeline its status implies.
"""
import contextlib
import datetime
import math
import random
import uuid

from django.db import connection
from django.utils import timezone

from geo.models import Area
from geo.selectors import desa_centroids

from .bulk import ImportRow, reports_import
from .models import Category, Report

# Kecamatan codes near Pontianak get this weight factor.
URBAN_KECAMATAN = {"61.12.01": 5.0, "61.12.09": 3.5, "61.12.03": 3.0}

# Category mix (relative weights); codes from reports.taxonomy.
CATEGORY_WEIGHTS = {
    "road-damage": 20, "rubbish": 11, "street-light": 10, "flood": 8, "health-visit": 9, "water": 6,
    "storm-tree": 4, "land-fire": 3, "traffic": 4, "public-order": 4, "social-assistance": 4, "maternal-child": 2,
    "disease-outbreak": 2, "school-facility": 3, "civil-registry": 3, "livestock-pest": 2, "building-fire": 1,
    "death": 1, "violence": 1, "crime": 1, "maladministration": 1, "other": 2,
}

DESCRIPTIONS = {
    "road-damage": "Jalan berlubang dan tergenang", "rubbish": "Tumpukan sampah di pinggir parit",
    "street-light": "Lampu jalan mati beberapa malam", "flood": "Air naik setinggi lutut",
    "water": "Air bersih tidak mengalir", "storm-tree": "Pohon tumbang menutup jalan",
    "land-fire": "Asap dari lahan gambut terbakar", "traffic": "Truk bermuatan berlebih",
    "public-order": "Lapak di atas trotoar", "school-facility": "Atap kelas bocor",
    "livestock-pest": "Ikan di keramba mati mendadak", "building-fire": "Rumah terbakar",
}

_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
_CHAIN = ["received", "verified", "dispatched", "in_progress", "resolved"]


def _tracking_code(rng: random.Random) -> str:
    chars = "".join(rng.choices(_ALPHABET, k=8))
    return f"KR-{chars[:4]}-{chars[4:]}"


def _status_for(age_days: float, rng: random.Random) -> str:
    if age_days < 3:
        return rng.choices(["received", "verified", "dispatched"], [5, 3, 2])[0]
    if age_days < 20:
        return rng.choices(["received", "verified", "dispatched", "in_progress", "resolved", "rejected",
                            "not_our_authority"], [4, 6, 15, 25, 45, 3, 2])[0]
    return rng.choices(["dispatched", "in_progress", "resolved", "rejected", "not_our_authority", "verified"],
                       [4, 6, 82, 5, 1, 2])[0]


def _rows(*, count: int, seed: int, now: datetime.datetime, full_timelines: bool = True):
    rng = random.Random(seed)
    centres = desa_centroids()
    population = dict(Area.objects.filter(code__in=[c for c, _, _ in centres])
                      .values_list("code", "population"))
    weights = []
    for code, _, _ in centres:
        base = population.get(code) or 5000
        weights.append(base * URBAN_KECAMATAN.get(code.rsplit(".", 1)[0], 1.0))
    categories = {c.code: c for c in Category.objects.filter(is_active=True)}
    codes = [c for c in CATEGORY_WEIGHTS if c in categories]
    cat_weights = [CATEGORY_WEIGHTS[c] for c in codes]
    desa_picks = rng.choices(range(len(centres)), weights, k=count)
    cat_picks = rng.choices(codes, cat_weights, k=count)
    for i in range(count):
        _, clon, clat = centres[desa_picks[i]]
        # Synthetic jitter around the centre: a Gaussian of ~900 m; converting
        # metres to degrees is fine for generating noise (never for queries).
        spread = 900 if rng.random() < 0.8 else 2500
        lat = clat + rng.gauss(0, spread) / 110_574
        lon = clon + rng.gauss(0, spread) / (111_320 * math.cos(math.radians(clat)))
        # Recent months are busier: age skewed towards now.
        age_days = 365 * (rng.random() ** 1.6)
        created = now - datetime.timedelta(days=age_days, seconds=rng.randint(0, 86_399))
        created = created.replace(hour=rng.choice([7, 8, 9, 10, 11, 13, 14, 15, 16, 19, 20]))
        if created > now:
            created = now - datetime.timedelta(minutes=rng.randint(1, 600))
            age_days = (now - created).total_seconds() / 86_400
        code = cat_picks[i]
        category = categories[code]
        status = _status_for(age_days, rng)
        events, at, verified_at, resolved_at = [("created", "", "received", "", True, created)], created, None, None
        if status in _CHAIN:
            steps = _CHAIN[1:_CHAIN.index(status) + 1]
        elif status == "rejected":
            steps = ["rejected"]
        else:
            steps = ["verified", "not_our_authority"]
        span = max(min(age_days, category.target_days * 1.6 + rng.random() * 6), 0.01)
        previous = "received"
        for n, step in enumerate(steps, start=1):
            at = created + datetime.timedelta(days=span * n / (len(steps) + 0.5))
            if step == "verified":
                verified_at = at
            if full_timelines or n == len(steps):
                # Large loads keep only the last step: the timeline rows
                # (and their deferred FK checks) dominate load time.
                note = "Sudah ditangani petugas" if step == "resolved" else ""
                events.append(("status", previous, step, note, True, at))
                previous = step
        if status == "resolved":
            resolved_at = at
        yield ImportRow(
            id=uuid.UUID(int=rng.getrandbits(128), version=4), tracking_code=_tracking_code(rng), category_code=code,
            lon=lon, lat=lat, created_at=created, updated_at=at, verified_at=verified_at, resolved_at=resolved_at,
            status=status, channel=rng.choices(["app", "web", "walk_in"], [7, 2, 1])[0],
            description=f"[SINTETIS] {DESCRIPTIONS.get(code, 'Laporan warga')}", accuracy_m=rng.choice([5, 8, 10, 15, 30]),
            is_synthetic=True, supporters_count=rng.choices([0, 1, 2, 5], [85, 9, 4, 2])[0], events=tuple(events))


def reports_generate_synthetic(*, target: int, seed: int | None = None, batch_size: int = 50_000,
                               log=None) -> dict:
    """Top up to `target` synthetic reports (idempotent: never deletes, never
    exceeds). Points outside coverage are dropped by the importer, so it
    loops until the target is met."""
    from .services import categories_seed
    categories_seed()
    now = timezone.now()
    totals = {"inserted": 0, "skipped": 0}
    missing = target - Report.objects.filter(is_synthetic=True).count()
    large = missing > max(Report.objects.count(), 50_000)
    with (indexes_deferred() if large else contextlib.nullcontext()):
        for round_no in range(10):
            existing = Report.objects.filter(is_synthetic=True).count()
            missing = target - existing
            if missing <= 0:
                break
            rows = _rows(count=missing, seed=(seed or 0) * 1000 + existing + round_no, now=now,
                         full_timelines=not large)
            counts = reports_import(rows=rows, batch_size=batch_size)
            totals["inserted"] += counts["inserted"]
            totals["skipped"] += counts["skipped"]
            if log:
                log(f"round {round_no + 1}: inserted {counts['inserted']}, dropped {counts['skipped']}")
    totals["total"] = Report.objects.filter(is_synthetic=True).count()
    return totals


@contextlib.contextmanager
def indexes_deferred():
    """Drop the secondary (non-unique) indexes of reports and events during a
    large load and build them again afterwards: one index build is many times
    cheaper than a million incremental GiST inserts. Unique indexes stay (they
    make the load idempotent)."""
    tables = ("reports_report", "reports_reportevent", "reports_public_report", "reports_public_point")
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT i.indexname, i.indexdef FROM pg_indexes i
                WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
                  AND i.indexdef NOT LIKE 'CREATE UNIQUE%%'""", [list(tables)])
        saved = cursor.fetchall()
        for name, _ in saved:
            cursor.execute(f"DROP INDEX IF EXISTS {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _, definition in saved:
                cursor.execute(definition.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))
            cursor.execute("ANALYZE reports_report")
            cursor.execute("ANALYZE reports_reportevent")
            cursor.execute("ANALYZE reports_public_report")
            # The tiles' copy back in spatial order (reports migration 0016):
            # a large load appends its rows in arrival order.
            # On Citus it is a view of the projection (ops.citus): nothing to order.
            cursor.execute("SELECT relkind FROM pg_class WHERE oid = 'reports_public_point'::regclass")
            if cursor.fetchone()[0] == "r":
                cursor.execute("CLUSTER reports_public_point USING reports_public_point_order")
                cursor.execute("ANALYZE reports_public_point")


