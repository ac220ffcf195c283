"""The published counts of reports (issue 16; docs/layers.md): the one
stored base table of rounded cells (layers.models.ReportCountCell) and the
fixed groupings summed from it. Every published count of reports (the counts
API, OGC report-counts, tiles, exports, dashboard, planner statistics) reads
here; what of a single report may be public is reports.policy."""
from django.db import connection

from common.publication import ROUND_COUNT_SQL, PublicationClass
from layers.models import ReportCountCell  # noqa: F401 (the table read below)
from layers.services import report_counts_prepare_read
from reports.models import Category

# The published groupings of report counts (issue 16): a fixed set, each a
# sum of rounded cells of ONE stored base table (layers.models.ReportCountCell:
# area at the category's aggregate level x category x month, from the
# aggregate source layers.policy.planner.aggregate_report_source()). Anything
# else (status, a repeated or unknown key) is refused: the caller gets a 400.
COUNT_KEYS = ("desa", "kecamatan", "category", "month")
PUBLISHED_GROUPINGS = (
    ("desa",), ("kecamatan",), ("category",), ("month",),
    ("desa", "category"), ("kecamatan", "category"), ("category", "month"),
    ("desa", "month"), ("kecamatan", "month"),
)
# Where a grouping key's value sits in a base cell (report_count_cells).
_CELL_FIELD = {"desa": "area", "kecamatan": "kecamatan", "category": "category", "month": "month"}


def grouping_parse(group_by) -> tuple[str, ...]:
    """`group_by` ("desa,category" or a list) as a published grouping in its
    canonical order; ValueError for an unknown, repeated or unpublished one."""
    keys = [g.strip() for g in group_by.split(",")] if isinstance(group_by, str) else list(group_by)
    if not keys or len(set(keys)) != len(keys) or any(k not in COUNT_KEYS for k in keys):
        raise ValueError(f"unknown grouping {group_by!r}")
    canonical = tuple(k for k in COUNT_KEYS if k in keys)
    if canonical not in PUBLISHED_GROUPINGS:
        raise ValueError(f"unpublished grouping {group_by!r}")
    return canonical


def report_count_cells(*, category: str | None = None, kecamatan: str | None = None, desa: str | None = None,
                       month: str | None = None) -> list[dict]:
    """The published base cells: every stored cell (area at the category's
    aggregate level x category x month) with its ROUNDED count, never the raw
    one. Filters select whole cells."""
    report_counts_prepare_read()
    where, params = [], []
    if category:
        where.append("c.category_code = %s")
        params.append(category)
    if kecamatan:
        where.append("COALESCE(k.code, a.code) = %s")
        params.append(kecamatan)
    if desa:
        where.append("a.level = 'desa' AND a.code = %s")
        params.append(desa)
    if month:
        where.append("to_char(c.month, 'YYYY-MM') = %s")
        params.append(month)
    sql = f"""
        SELECT a.level, a.code, a.name, COALESCE(k.code, a.code), COALESCE(k.name, a.name),
               c.category_code, COALESCE(cat.name_id, c.category_code), to_char(c.month, 'YYYY-MM'),
               {ROUND_COUNT_SQL % 'c.n'}
          FROM layers_reportcountcell c
          JOIN geo_area a ON a.id = c.area_id
          LEFT JOIN geo_area k ON k.id = a.parent_id AND a.level = 'desa'
          LEFT JOIN reports_category cat ON cat.code = c.category_code AND cat.is_active
         {'WHERE ' + ' AND '.join(where) if where else ''}"""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [{"level": level, "area": {"code": code, "name": name}, "kecamatan": {"code": kcode, "name": kname},
             "category": {"code": ccode, "name": cname}, "month": month_, "count": count}
            for level, code, name, kcode, kname, ccode, cname, month_, count in rows]


def report_counts_public(*, group_by="desa", category: str | None = None, kecamatan: str | None = None,
                         desa: str | None = None, month: str | None = None) -> list[dict]:
    """Counts of reports per published grouping: sums of the rounded base
    cells (report_count_cells), so that every figure the service publishes
    (this API, OGC report-counts, tiles, exports, dashboard, planner
    statistics) is a function of the same rounded table and no difference of
    two figures says more than that table (docs/layers.md). Kecamatan-only
    categories have no desa; "desa" groupings leave them out."""
    grouping = grouping_parse(group_by)
    sums: dict[tuple, int] = {}
    labels: dict[tuple, dict] = {}
    for cell in report_count_cells(category=category, kecamatan=kecamatan, desa=desa, month=month):
        if "desa" in grouping and cell["level"] != "desa":
            continue
        key, label = [], {}
        for g in grouping:
            value = cell[_CELL_FIELD[g]]
            key.append(value["code"] if isinstance(value, dict) else value)
            label[g] = value
        key = tuple(key)
        labels[key] = label
        sums[key] = sums.get(key, 0) + cell["count"]
    return [{**labels[k], "count": sums[k]} for k in sorted(sums)]


def report_counts_restricted(*, level: str) -> dict[str, int]:
    """{area code: count} of the aggregate-only (P1-P3) categories per desa or
    kecamatan, for the dashboard and map choropleths: sums of the rounded
    base cells like every other count (P0 reports are points on the map)."""
    restricted = set(Category.objects.exclude(publication_class=PublicationClass.P0).values_list("code", flat=True))
    out: dict[str, int] = {}
    for row in report_counts_public(group_by=(level, "category")):
        if row["category"]["code"] in restricted:
            code = row[level]["code"]
            out[code] = out.get(code, 0) + row["count"]
    return out
