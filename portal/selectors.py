"""Reads for the portal's pages. Public figures come only from the
publication policy (layers.policy.*) and public geography from geo.selectors;
nothing here filters a restricted model for the public itself.
"""
import json

from django.conf import settings
from django.db import connection

from common.regency import by_tracking_code
from geo import selectors as geo_selectors
from . import charts

# One statement builds the whole FeatureCollection in PostGIS: 127 boundaries
# as GeoJSON text with 4 decimals (~11 m: display outlines, lighter on a weak
# link; the simplified geometry is coarser anyway), which the ORM would serialise one
# GEOS object at a time. The label point (inside the polygon) places the count
# markers drawn at low zoom.
_BOUNDARIES_SQL = """
SELECT json_build_object(
         'type', 'FeatureCollection',
         'features', COALESCE(json_agg(json_build_object(
             'type', 'Feature',
             'id', a.code,
             'geometry', ST_AsGeoJSON(b.simple_geom, 4)::json,
             'properties', json_build_object(
                 'code', a.code, 'name', a.name, 'level', a.level,
                 'parent', p.code, 'parent_name', p.name,
                 'label', json_build_array(round(ST_X(ST_PointOnSurface(b.geom))::numeric, 5),
                                           round(ST_Y(ST_PointOnSurface(b.geom))::numeric, 5))))
             ORDER BY a.code), '[]'::json))::text
  FROM geo_area a
  JOIN geo_areaboundary b ON b.area_id = a.id
  LEFT JOIN geo_area p ON p.id = a.parent_id
 WHERE a.edition_id = %(edition)s AND a.level = %(level)s
"""


def boundaries_geojson(*, level: str) -> str:
    """Simplified desa or kecamatan boundaries of the current edition as
    GeoJSON text (public data)."""
    edition = geo_selectors.edition_current()
    if edition is None:
        return json.dumps({"type": "FeatureCollection", "features": []})
    return _edition_text(edition, f"boundaries:{level}", _BOUNDARIES_SQL, {"edition": edition.id, "level": level})


# Boundary texts change only with the edition (their ETag says so too), but
# building one took 0.4-0.75 s of PostGIS on a loaded 2-core machine (label
# points on the full geometries, simplification), on the critical path of
# /lapor/ and /peta/ on every first visit: kept in the cache per edition.
BOUNDARY_TEXT_SECONDS = 3600


def _edition_text(edition, name: str, sql: str, params: dict) -> str:
    from django.core.cache import cache

    def build() -> str:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]

    return cache.get_or_set(f"portal:{name}:{edition.slug}-{edition.id}", build, BOUNDARY_TEXT_SECONDS)


# The report form's outlines (/peta/wilayah/<level>.garis.json): each area's
# rings as encoded polylines (PostGIS ST_AsEncodedPolyline, 4 decimals, the
# same precision as the GeoJSON) with its name and label point. Lines only:
# the form draws outlines, never fills; about half the gzipped bytes of the
# GeoJSON, which is most of what a 400 kbps phone waits for on /lapor/.
# The coarse variant (?kasar=1) is what the form draws first, at its opening
# zoom 9 (305 m a pixel): rings simplified by 0.002 deg (~220 m) at 3 decimals,
# no names (shown from zoom 12): 5.7 KiB gzipped instead of 17.8 KiB, the same
# picture at that zoom; the precise file follows once the form is usable.
_OUTLINES_SQL = """
SELECT json_build_object(
         'precision', %(precision)s,
         'areas', COALESCE(json_agg(json_build_array(
             a.code, CASE WHEN %(named)s THEN a.name END,
             CASE WHEN %(named)s THEN json_build_array(round(ST_X(ST_PointOnSurface(b.geom))::numeric, 5),
                                                     round(ST_Y(ST_PointOnSurface(b.geom))::numeric, 5)) END,
             (SELECT json_agg(ST_AsEncodedPolyline(d.geom, %(precision)s))
                FROM ST_Dump(ST_Boundary(CASE WHEN %(tolerance)s > 0
                                              THEN ST_SimplifyPreserveTopology(b.simple_geom, %(tolerance)s)
                                              ELSE b.simple_geom END)) AS d))
             ORDER BY a.code), '[]'::json))::text
  FROM geo_area a
  JOIN geo_areaboundary b ON b.area_id = a.id
 WHERE a.edition_id = %(edition)s AND a.level = %(level)s
"""
OUTLINES_COARSE_DEG = 0.002


def boundaries_outlines(*, level: str, coarse: bool = False) -> str:
    """Outlines of the current edition's desa or kecamatan as JSON text:
    {"precision": 4, "areas": [[code, name, [lon, lat] label, [polyline, ...]], ...]}
    (public data); coarse: precision 3, simplified, name and label null."""
    precision = 3 if coarse else 4
    edition = geo_selectors.edition_current()
    if edition is None:
        return json.dumps({"precision": precision, "areas": []})
    return _edition_text(edition, f"outlines:{level}:{precision}", _OUTLINES_SQL,
                         {"edition": edition.id, "level": level, "precision": precision, "named": not coarse,
                          "tolerance": OUTLINES_COARSE_DEG if coarse else 0})


def edition_tag() -> str:
    edition = geo_selectors.edition_current()
    return f"{edition.slug}-{edition.id}" if edition else "none"


def areas_search(*, query: str, limit: int = 8) -> list[dict]:
    """Desa and kecamatan whose name contains the query, with their bbox."""
    edition = geo_selectors.edition_current()
    if edition is None or not query:
        return []
    pattern = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.code, a.name, a.level, p.name,
                   ST_XMin(b.simple_geom), ST_YMin(b.simple_geom), ST_XMax(b.simple_geom), ST_YMax(b.simple_geom)
              FROM geo_area a
              JOIN geo_areaboundary b ON b.area_id = a.id
              LEFT JOIN geo_area p ON p.id = a.parent_id
             WHERE a.edition_id = %s AND a.level IN ('desa', 'kecamatan') AND a.name ILIKE %s
             ORDER BY (a.name ILIKE %s) DESC, a.level DESC, a.name
             LIMIT %s
            """, [edition.id, f"%{pattern}%", f"{pattern}%", limit])
        rows = cursor.fetchall()
    return [{"kind": r[2], "code": r[0], "name": r[1], "parent": r[3],
             "bbox": [round(v, 5) for v in r[4:8]]} for r in rows]


def desa_aggregate_counts() -> dict[str, object]:
    """desa_aggregate_counts_live() as last stored with the dashboard figures
    (portal.services); at most PORTAL_FIGURES_MAX_AGE_SECONDS old."""
    from . import services

    return services.dashboard_snapshot_current().data["desa_aggregate_counts"]


def desa_aggregate_counts_live() -> dict[str, object]:
    """Reports of aggregate-only (P1-P3) categories per desa code, suppressed by
    the policy. One scan of the reports: read it through desa_aggregate_counts()."""
    from layers.policy.counts import report_counts_restricted

    # Aggregate-only (P1-P3) categories: sums of the rounded base cells.
    return report_counts_restricted(level="desa")


def businesses_search(*, query: str, limit: int = 8) -> list[dict]:
    """Public businesses (the public view, businesses.policy) whose
    name contains the query, at their public point."""
    from businesses import policy as policy

    results = []
    for business in policy.businesses_public().filter(name__icontains=query).order_by("name", "id")[:limit]:
        point = business.public_location
        results.append({"kind": "umkm", "name": business.name,
                        "parent": business.desa.name if business.desa_id else None,
                        "products": business.products,
                        "point": [round(point.x, 6), round(point.y, 6)] if point else None})
    return results


def report_tracking(*, code: str, user) -> dict | None:
    """What the tracking page may show for a code: the policy's public
    tracking view (status, public timeline, agency, deadline), or None."""
    from reports import policy as policy

    tracked = policy.report_track_public(tracking_code=code, user=user)
    if tracked is None:
        return None
    return _tracking_labels(tracked)


def report_dispute(*, code: str, user, note: str) -> tuple[int, str] | None:
    """The reporter's dispute from the tracking page, through the one
    workflow service; (HTTP status, message) when refused, else None."""
    from common.api_errors import ApiError
    from reports.models import Report
    from reports.services import report_transition

    report_id = by_tracking_code(Report.objects.values_list("id", flat=True), code)
    if report_id is None:
        from django.utils.translation import gettext as _

        return 404, _("Kode lacak tidak ditemukan.")
    try:
        report_transition(report_id=report_id, actor=user, to=Report.Status.IN_PROGRESS, note=note, public=True)
    except ApiError as exc:
        return exc.status_code, str(exc.message)
    return None


def _tracking_labels(tracked: dict) -> dict:
    """Display labels for the tracking page (status, category, timeline),
    in the request's language; the policy's fields stay as they are."""
    import datetime

    from django.utils import timezone
    from django.utils.formats import date_format
    from django.utils.translation import get_language
    from django.utils.translation import gettext as _

    from .maps import STATUS_LABELS

    english = (get_language() or "id").startswith("en")
    kinds = {"created": _("Laporan diterima"), "note": _("Catatan"), "reroute": _("Dialihkan ke instansi lain"),
             "merge": _("Digabung"), "dispute": _("Pelapor menyanggah penyelesaian")}
    category = tracked.get("category") or {}
    tracked = {**tracked, "status_label": STATUS_LABELS.get(tracked["status"], tracked["status"]),
               "category_name": category.get("name_en" if english else "name_id") or category.get("code")}
    timeline = []
    for event in tracked.get("timeline", []):
        label = kinds.get(event["kind"]) or STATUS_LABELS.get(event.get("to_status") or "", event["kind"])
        if event["kind"] == "status" and event.get("to_status"):
            label = STATUS_LABELS.get(event["to_status"], event["to_status"])
        at = datetime.datetime.fromisoformat(event["at"]) if event.get("at") else None
        timeline.append({**event, "status_label": label,
                         "at_display": (date_format(timezone.localtime(at), "DATETIME_FORMAT") + " WIB") if at else ""})
    tracked["timeline"] = timeline
    if tracked.get("deadline"):
        tracked["deadline_display"] = date_format(datetime.date.fromisoformat(tracked["deadline"]), "DATE_FORMAT")
    return tracked


# Area outlines as SVG path data (ST_AsSVG flips y, hence the -YMax/-YMin
# bbox) for the dashboard's server-rendered choropleths; 4 decimals ~ 11 m.
_AREA_SVG_SQL = """
SELECT a.id, a.code, a.name, ST_AsSVG(b.simple_geom, 0, 4),
       ST_XMin(b.simple_geom), -ST_YMax(b.simple_geom), ST_XMax(b.simple_geom), -ST_YMin(b.simple_geom)
  FROM geo_area a JOIN geo_areaboundary b ON b.area_id = a.id
 WHERE a.edition_id = %s AND a.level = %s
 ORDER BY a.code
"""


def _area_shapes(level: str) -> list[dict]:
    edition = geo_selectors.edition_current()
    if edition is None:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_AREA_SVG_SQL, [edition.id, level])
        return [{"id": r[0], "code": r[1], "name": r[2], "path": r[3], "bbox": r[4:8]}
                for r in cursor.fetchall()]


def _names(model_label: str, ids, field: str = "name") -> dict:
    from django.apps import apps

    model = apps.get_model(model_label)
    return dict(model.objects.filter(id__in=[i for i in ids if i is not None]).values_list("id", field))


def dashboard_figures() -> dict:
    """Every figure of /dasbor/, through the publication policy, with its
    charts. The figures were computed ahead by portal.services (at most
    PORTAL_FIGURES_MAX_AGE_SECONDS ago, shown as `generated_at`); this adds
    only names, shapes and charts."""
    from django.utils.translation import get_language
    from django.utils.translation import gettext as _

    from . import services
    from .maps import STATUS_LABELS, STATUSES

    snapshot = services.dashboard_snapshot_current()
    figures = services.report_figures_decode(snapshot.data["reports"])
    english = (get_language() or "id").startswith("en")
    category_names = _names("reports.Category", figures["by_category_month"].keys(),
                            "name_en" if english else "name_id")
    agency_names = _names("geo.Agency", figures["by_agency"].keys())

    status_rows = [(STATUS_LABELS[code], figures["by_status"][code])
                   for code, _label, _c in STATUSES if code in figures["by_status"]]
    month_labels = [m.strftime("%m/%y") for m in figures["months"]]
    totals = {cid: sum(v for v in months.values() if isinstance(v, int))
              for cid, months in figures["by_category_month"].items()}
    top = sorted(totals, key=lambda cid: -totals[cid])[:6]
    series = [(category_names.get(cid, str(cid)), [figures["by_category_month"][cid].get(m, 0)
                                                   for m in figures["months"]]) for cid in top]
    others = [cid for cid in totals if cid not in top]
    if others:
        series.append((_("Lainnya"), [sum(v for cid in others for v in [figures["by_category_month"][cid].get(m, 0)]
                                          if isinstance(v, int)) for m in figures["months"]]))
    agencies = sorted(({"name": agency_names.get(aid, _("Belum didisposisi (triase)")), **row}
                       for aid, row in figures["by_agency"].items()),
                      key=lambda a: (a["name"] is None, str(a["name"])))

    kecamatan_shapes, desa_shapes = _area_shapes("kecamatan"), _area_shapes("desa")
    # Rounded sums of the base cells (issue 16): an area without a cell is 0.
    kecamatan_values = {s["code"]: figures["by_kecamatan"].get(s["id"], 0) for s in kecamatan_shapes}
    desa_values = {s["code"]: figures["by_desa"].get(s["id"], 0) for s in desa_shapes}
    kecamatan_table = sorted(((s["name"], kecamatan_values[s["code"]]) for s in kecamatan_shapes))

    umkm = snapshot.data["umkm"]
    return {
        "generated_at": snapshot.computed_at,
        "refresh_minutes": max(1, round(settings.PORTAL_FIGURES_MAX_AGE_SECONDS / 60)),
        "total": figures["total"],
        "status_chart": charts.hbar(rows=status_rows, title=_("Laporan menurut status")),
        "status_rows": status_rows,
        "category_chart": charts.stacked_columns(columns=month_labels, series=series,
                                                 title=_("Laporan per bulan menurut kategori")),
        "category_series": series, "month_labels": month_labels,
        "agencies": agencies,
        "kecamatan_map": charts.choropleth(shapes=kecamatan_shapes, values=kecamatan_values,
                                           title=_("Laporan per kecamatan")),
        "kecamatan_table": kecamatan_table, "kecamatan_values": kecamatan_values,
        "desa_map": charts.choropleth(shapes=desa_shapes, values=desa_values, title=_("Laporan per desa")),
        "legend": charts.choropleth_legend(),
        "umkm": umkm,
        "umkm_sector_chart": charts.hbar(rows=umkm["by_sector"][:12], title=_("UMKM menurut sektor"))
        if umkm["by_sector"] else "",
        "catalogue": catalogue(),
    }


def dataset_choropleth(*, selected: str | None) -> dict:
    """The dashboard's map of one published agency dataset: numeric public
    fields of approved desa datasets (datasets.policy; exempt fields
    and datasets are never offered). `selected` is "<slug>/<field>"; the
    first option when it is empty or unknown."""
    from django.utils.translation import gettext as _

    from datasets import selectors as dataset_selectors

    options = [{**o, "key": f"{o['dataset']}/{o['field']}"} for o in dataset_selectors.choropleth_options()]
    if not options:
        return {"options": []}
    chosen = next((o for o in options if o["key"] == selected), options[0])
    data = dataset_selectors.choropleth_values(slug=chosen["dataset"], field=chosen["field"])
    if data is None:
        return {"options": options}
    colour, legend = charts.value_classes(minimum=data["min"], maximum=data["max"])
    values = {code: ("–" if value is None else value) for code, value in data["values"].items()}
    title = f"{data['title']}: {data['label']}"
    return {"options": options, "selected": chosen["key"], "title": title, "legend": legend,
            "producer": data["producer"], "licence": data["licence"], "layer_id": data["layer_id"],
            "map": charts.choropleth(shapes=_area_shapes("desa"), values=values, title=title,
                                     colour=colour, missing="–"),
            "missing_label": _("tidak ada data")}


def businesses_figures() -> dict:
    """UMKM counts by sector and by desa: public businesses only (the public
    view, through businesses.policy.business_counts_public). Exact
    counts: each counted business is a row of the public listing."""
    from businesses.policy import business_counts_public

    by_sector = business_counts_public(group_by="sector")
    by_desa = business_counts_public(group_by="desa")
    return {"total": sum(r["count"] for r in by_sector),
            "by_sector": [[r["label"], r["count"]] for r in by_sector],
            "by_desa": [[r["label"], r["count"]] for r in by_desa]}


def catalogue() -> list[dict]:
    """The open-data catalogue: every public layer of the registry."""
    from layers import registry

    return [{"id": layer.id, "title": layer.title, "description": getattr(layer, "description", ""),
             "producer": getattr(layer, "producer", ""), "licence": getattr(layer, "licence", ""),
             "update_frequency": getattr(layer, "update_frequency", "")}
            for layer in registry.layers_public()]


def report_public_point(*, report) -> dict | None:
    """The report's location as the public projection gives it (the snapped
    public point; None when the report is not public as a point): the
    tracking page's mini-map."""
    from reports.policy import report_public_dict, report_public_get

    public = report_public_get(report.id)
    if public is None:
        return None
    point = report_public_dict(public)
    return {"lon": point["lon"], "lat": point["lat"]}


def report_photos_public(*, report_id, code: str) -> list[dict]:
    """The photos the tracking page shows to everyone: the public projection
    of photos only (reports.policy.report_photos_public)."""
    from django.urls import reverse

    from reports import policy as policy

    return [{"url": reverse("portal:lacak-foto", kwargs={"code": code, "photo_id": p.id}), "kind": p.kind,
             "width": p.width, "height": p.height} for p in policy.report_photos_public(report_id=report_id)]
