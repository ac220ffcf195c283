"""The planner's pages (/perencana/): a drawn polygon or a buffer, a source
layer, a category and a period; the answer is the statistics per desa inside
the area, the privacy-safe hotspots (layers.planner through the planner
policy: aggregates and public features only) and the source's features inside
the area, on a map, as tables and as downloads (GeoJSON, CSV, GeoPackage),
plus a printable map document rendered on the server with folium."""
import datetime
import io
import json
import os
import sqlite3
import tempfile

from django.contrib.gis.geos import GEOSGeometry
from django.utils.translation import gettext as _

from geo.selectors import edition_current
from layers import planner
from layers.policy.planner import planner_report_source
from layers.registry import layer_get, layers_public
from reports.models import Category
from common.csvsafe import csv_writer

DEFAULT_LAYER = "reports"


class Query:
    """The page's inputs, validated; `errors` says what was wrong (in words)."""

    def __init__(self, params):
        self.errors: list[str] = []
        self.raw_geometry = (params.get("geometry") or "").strip()
        self.layer_id = (params.get("layer") or DEFAULT_LAYER).strip()[:80]
        self.category = (params.get("category") or "").strip()[:40]
        self.buffer_m = None
        self.start = self._date(params.get("start"), _("Tanggal mulai"))
        self.end = self._date(params.get("end"), _("Tanggal akhir"))
        self.geometry = None
        if params.get("buffer_m"):
            try:
                self.buffer_m = float(params["buffer_m"])
            except ValueError:
                self.errors.append(_("Buffer harus angka (meter)."))
        if self.raw_geometry:
            try:
                self.geometry = planner.geometry_parse(geojson=self.raw_geometry)
            except planner.PlannerError as exc:
                self.errors.append(exc.message)
        self.layer = layer_get(self.layer_id)
        if self.layer is None:
            self.errors.append(_("Sumber data tidak dikenal."))

    def _date(self, value, label):
        if not value:
            return None
        try:
            return datetime.datetime.combine(datetime.date.fromisoformat(value), datetime.time(),
                                             tzinfo=datetime.timezone(datetime.timedelta(hours=7)))
        except ValueError:
            self.errors.append(_("%(label)s harus berformat YYYY-MM-DD.") % {"label": label})
            return None

    @property
    def ready(self) -> bool:
        return self.geometry is not None and not self.errors

    def area(self) -> GEOSGeometry | None:
        """The area asked about: the polygon, or the geometry buffered by buffer_m metres."""
        if self.geometry is None:
            return None
        if not self.buffer_m:
            return self.geometry
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT ST_AsEWKT(ST_Buffer(ST_GeomFromEWKT(%s)::geography, %s)::geometry)",
                           [self.geometry.ewkt, self.buffer_m])
            return GEOSGeometry(cursor.fetchone()[0])


def options() -> dict:
    return {"layers": [(layer.id, str(layer.title)) for layer in layers_public() if layer.id != "report-counts"],
            "categories": list(Category.objects.filter(is_active=True).order_by("name_id")
                               .values_list("code", "name_id"))}


def _desa_in(area: GEOSGeometry) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""SELECT DISTINCT a.code FROM geo_area a JOIN geo_areapart p ON p.area_id = a.id
                           WHERE a.edition_id = %s AND a.level = 'desa'
                             AND p.geom && ST_GeomFromEWKT(%s) AND ST_Intersects(p.geom, ST_GeomFromEWKT(%s))""",
                       [edition_current().id, area.ewkt, area.ewkt])
        return [row[0] for row in cursor.fetchall()]


def result(q: Query) -> dict:
    """Statistics, hotspots and features for the query's area. Planner
    errors (too many features, a too large buffer) become messages."""
    out = {"stats": [], "hotspots": [], "features": [], "feature_count": 0, "errors": list(q.errors),
           "area_geojson": None}
    if not q.ready:
        return out
    try:
        area = q.area()
        out["area_geojson"] = json.loads(area.geojson)
        desa = set(_desa_in(area))
        source = planner_report_source()
        rows = planner.area_statistics(source=source, level="desa", group_by=[], start=q.start, end=q.end,
                                       categories=[q.category] if q.category else None)
        out["stats"] = [r for r in rows if r["code"] in desa]
        if q.category:
            spots = planner.hotspots(source=source, category=q.category, eps_m=200, min_points=5,
                                     start=q.start, end=q.end)
            out["hotspots"] = [h for h in spots if GEOSGeometry(json.dumps(h["geometry"])).intersects(area)]
        features, count = planner.features_within(layer=q.layer, geometry=q.geometry, buffer_m=q.buffer_m)
        out["features"] = json.loads(features)
        out["feature_count"] = count
        if q.category and q.layer.id == "reports":
            out["features"] = [f for f in out["features"] if f["properties"].get("category_code") == q.category]
            out["feature_count"] = len(out["features"])
    except planner.PlannerError as exc:
        out["errors"].append(exc.message)
    out["hotspot_note"] = (_("Hotspot hanya dihitung untuk kategori yang dapat dihitung per desa, dengan sedikitnya "
                             "5 laporan dalam radius 200 m; tidak ada kelompok yang memenuhi syarat.")
                           if q.category and not out["hotspots"] else
                           _("Pilih kategori untuk menghitung hotspot.") if not q.category else "")
    return out


def feature_collection(q: Query, r: dict) -> dict:
    return {"type": "FeatureCollection", "name": q.layer.id, "licence": q.layer.licence,
            "attribution": q.layer.producer, "numberReturned": len(r["features"]), "features": r["features"]}


def as_csv(q: Query, r: dict) -> str:
    fields = list(q.layer.fields)
    buffer = io.StringIO()
    writer = csv_writer(buffer)  # formula-leading cells neutralised (issue 16)
    writer.writerow(["id", "lon", "lat", *fields])
    for f in r["features"]:
        geom = GEOSGeometry(json.dumps(f["geometry"])) if f.get("geometry") else None
        point = geom.point_on_surface if geom is not None and geom.geom_type != "Point" else geom
        writer.writerow([f.get("id"), round(point.x, 6) if point else "", round(point.y, 6) if point else "",
                         *[f["properties"].get(name, "") for name in fields]])
    return buffer.getvalue()


def as_geopackage(q: Query, r: dict) -> bytes:
    """The features as a GeoPackage, written with the layer exports' own
    GeoPackage schema (layers.exports), one table named after the layer."""
    from layers import exports

    layer = q.layer
    table = layer.id.replace("-", "_")
    kinds = list(layer.field_types.values())
    directory = tempfile.mkdtemp(prefix="planner-gpkg-")
    path = os.path.join(directory, "hasil.gpkg")
    try:
        db = sqlite3.connect(path)
        exports._gpkg_schema(db, layer)
        columns = "".join(f', "{name}"' for name in layer.fields)
        placeholders = ", ".join(["?"] * (2 + len(kinds)))
        rows, bounds = [], None
        for f in r["features"]:
            geom = GEOSGeometry(json.dumps(f["geometry"]))
            minx, miny, maxx, maxy = geom.extent
            bounds = (minx, miny, maxx, maxy) if bounds is None else (
                min(bounds[0], minx), min(bounds[1], miny), max(bounds[2], maxx), max(bounds[3], maxy))
            values = [exports._gpkg_value(kind, f["properties"].get(name))
                      for name, kind in zip(layer.fields, kinds)]
            rows.append((exports._gpkg_blob(bytes(geom.wkb), (minx, miny, maxx, maxy)), str(f.get("id")), *values))
        db.executemany(f'INSERT INTO "{table}" (geom, feature_id{columns}) VALUES ({placeholders})', rows)
        db.execute("UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ? WHERE table_name = ?",
                   (*(bounds or (None,) * 4), table))
        db.commit()
        db.close()
        with open(path, "rb") as handle:
            return handle.read()
    finally:
        if os.path.exists(path):
            os.unlink(path)
        os.rmdir(directory)


def folium_document(q: Query, r: dict, *, title: str) -> str:
    """A printable map (HTML) rendered on the server with folium: the area,
    the hotspots and the features, with the statistics as a table below."""
    import folium

    from .printmaps import folium_map

    fmap = folium_map(prefer_canvas=True)
    if r["area_geojson"]:
        folium.GeoJson(r["area_geojson"], name=_("Area"),
                       style_function=lambda _f: {"color": "#0d4f8b", "weight": 2, "fillOpacity": 0.05}).add_to(fmap)
        area = GEOSGeometry(json.dumps(r["area_geojson"]))
        minx, miny, maxx, maxy = area.extent
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    for h in r["hotspots"]:
        folium.GeoJson(h["geometry"], tooltip=f"{_('Hotspot')}: {h['properties']['count']}",
                       style_function=lambda _f: {"color": "#b00020", "weight": 2, "fillOpacity": 0.3}).add_to(fmap)
    for f in r["features"][:2000]:
        geom = f.get("geometry") or {}
        if geom.get("type") == "Point":
            lon, lat = geom["coordinates"][:2]
            folium.CircleMarker([lat, lon], radius=3, color="#1f78b4", fill=True).add_to(fmap)
    from django.template.loader import render_to_string

    root = fmap.get_root()
    root.header.add_child(folium.Element("<style>body{font-family:system-ui,sans-serif}"
                                         ".folium-map{height:70vh!important}"
                                         "@media print{.folium-map{height:160mm!important}}</style>"))
    root.html.add_child(folium.Element(render_to_string("portal/perencana_cetak_table.html",
                                                        {"q": q, "r": r, "title": title})), index=0)
    return root.render()
