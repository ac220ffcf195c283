"""The layer registry: every published layer, with its metadata and how it is
read. Layer ids are short and stable and the same in the OGC API, the tiles
and the exports. Owned by the layers app; tiles, portal and ppid read it.

Contract (other apps rely on these names):
    layer_get(layer_id) -> Layer | None
    layers_public() -> list[Layer]
    register_provider(callable) -> the callable; it returns extra Layer objects
        (the ppid/datasets app registers published datasets this way).
    Layer.id, .title, .description, .geometry_type ("Point", "MultiPolygon"),
    .geometry_treatment ("exact" | "coarsened_to_desa" | "aggregated"),
    .kip_class, .legal_basis, .producer, .licence, .update_frequency, .crs,
    .fields (list of published property names),
    .table_sql(filters) -> (sql, params): a SELECT of (id, geom 4326, *fields)
        already restricted by the publication policy, for tiles and exports.

`filters` is None or a dict with any of:
    bbox: (minx, miny, maxx, maxy) in EPSG:4326 (lon/lat);
    datetime: (start, end) aware datetimes or None for an open end (layers
        with a `datetime_field` only);
    properties: {field: value} equality on published fields;
    ids: list of feature ids;
    after: a feature id; only features ordered after it (keyset paging).
Unknown keys or fields raise LayerFilterError, a ValueError (callers turn it
into a 400).

The SQL is positional (%s) and uses only names written here, never names
from a request. The base SELECT is plain (no DISTINCT, aggregate or LIMIT on
the outer level of point layers), so PostgreSQL flattens the wrapper and the
bbox test reaches the GiST index of the underlying geometry column.
"""
import datetime
import functools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext_lazy as _

from common.times import to_utc
from geo.attribution import DATA_ATTRIBUTION, DATA_LICENCE

logger = logging.getLogger(__name__)

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
PRODUCER_DISKOMINFO = "Dinas Komunikasi dan Informatika Kabupaten Kubu Raya"
REGION_CODES = "Kode wilayah Kepmendagri 300.2.2-2138/2025"

# Licence of the data this service produces itself (reports, counts,
# businesses): Creative Commons Attribution 4.0, as data.go.id recommends.
SERVICE_LICENCE = "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)"
SERVICE_LICENCE_NOTICE = (
    "Sumber / source: Pemerintah Kabupaten Kubu Raya, Kubu Raya Smart City. "
    "Lisensi / licence: Creative Commons Attribution 4.0 International (CC BY 4.0).")
BOUNDARY_LICENCE = "MIT License. " + DATA_ATTRIBUTION


class KipClass(models.TextChoices):
    """UU 14/2008 information classes (domain.md 1.1)."""

    BERKALA = "berkala", _("Informasi berkala (Pasal 9)")
    SERTA_MERTA = "serta_merta", _("Informasi serta merta (Pasal 10)")
    SETIAP_SAAT = "setiap_saat", _("Informasi tersedia setiap saat (Pasal 11)")
    DIKECUALIKAN = "dikecualikan", _("Informasi dikecualikan (Pasal 17)")


class GeometryTreatment(models.TextChoices):
    EXACT = "exact", _("Geometri tepat")
    COARSENED_TO_DESA = "coarsened_to_desa", _("Titik digeser ke desa")
    AGGREGATED = "aggregated", _("Agregat per wilayah")


class LayerFilterError(ValueError):
    """A filter that a layer cannot apply (unknown key or field, bad value)."""


# Property types as in OGC API - Features queryables / JSON Schema.
STRING, INTEGER, NUMBER, DATETIME, BOOLEAN = "string", "integer", "number", "date-time", "boolean"


@dataclass
class Layer:
    id: str
    title: str
    description: str
    geometry_type: str
    geometry_treatment: str
    kip_class: str
    legal_basis: str
    producer: str
    licence: str
    update_frequency: str
    base_sql: Callable[[], tuple[str, list]] = field(repr=False)
    field_types: dict[str, str] = field(default_factory=dict)
    crs: str = "EPSG:4326"
    licence_notice: str = SERVICE_LICENCE_NOTICE
    reference_codes: str = REGION_CODES
    keywords: list[str] = field(default_factory=list)
    # A published field holding the time of the feature (OGC `datetime`).
    datetime_field: str | None = None
    id_type: str = STRING
    # Extra Satu Data metadata (walidata approval, source, scale...).
    extra: dict = field(default_factory=dict)
    # Whether counting all matches is cheap enough for numberMatched.
    count_is_cheap: bool = True
    # Property filters a map tile of this layer takes when the request names
    # none (tiles.sources.filters_for): report-counts tiles hold one month,
    # the current one unless `period=YYYY-MM` says otherwise, so a tile never
    # repeats an area's polygon once per month of the whole history.
    tile_default_properties: Callable[[], dict] | None = field(default=None, repr=False)
    # A field naming the geometry when many features share one (report-counts:
    # an area's polygon for each of its category cells): a tile transforms
    # and clips each shared geometry once (tiles.vector).
    tile_geometry_key: str | None = None
    # The fields a map tile carries, when fewer than the layer publishes: a
    # dense point tile costs per feature and per attribute (reports: what the
    # map styles and shows on click; the rest is one OGC item away).
    tile_fields: tuple[str, ...] | None = None
    # A point layer's narrow copy for map tiles: a SELECT of (id, geom_3857,
    # x, y, the tile_fields and the fields tile filters compare), the point stored
    # in Web Mercator (reports: reports_public_point, reports migration 0016,
    # kept equal to the projection by triggers). A point tile then reads it and
    # places its points by arithmetic, with no transform per point (tiles.vector).
    tile_points_sql: Callable[[], tuple[str, list]] | None = field(default=None, repr=False)
    # A point layer's narrow copy kept in spatial order, as (table, column of
    # the point in EPSG:3857, with a GiST index): a bbox items page picks its
    # ids and counts its matches there, then reads only the page's rows of
    # the layer (layers.selectors.features_page). reports: reports_public_point.
    bbox_copy: tuple[str, str] | None = None
    # The column of `tile_points_sql` naming a row's regency (reports: regency_code, the
    # Citus distribution column). On Citus (settings.KR_CITUS) a point tile selects it and
    # is filtered to the regencies whose outline the tile touches (tiles.vector), so a
    # tile inside one regency is a router query on one shard; on one PostgreSQL the
    # filter would change nothing and is not added (nor is the column read).
    tile_points_regency: str | None = None

    @property
    def fields(self) -> list[str]:
        return list(self.field_types)

    def table_sql(self, filters: dict | None = None) -> tuple[str, list]:
        """A SELECT of (id, geom, *fields), restricted by the policy and by
        `filters` (see the module docstring)."""
        sql, params = self.base_sql()
        where, where_params = self._filter_clauses(filters or {})
        columns = ", ".join(["t.id", "t.geom"] + [f"t.{_quote(f)}" for f in self.fields])
        wrapped = f"SELECT {columns} FROM ({sql}) AS t"
        if where:
            wrapped += " WHERE " + " AND ".join(where)
        return wrapped, list(params) + where_params

    def tile_points_table_sql(self, filters: dict | None = None) -> tuple[str, list]:
        """`tile_points_sql` restricted by `filters` (those of map tiles:
        properties and datetime on the fields the copy holds)."""
        sql, params = self.tile_points_sql()
        where, where_params = self._filter_clauses(filters or {})
        wrapped = f"SELECT t.* FROM ({sql}) AS t"
        if where:
            wrapped += " WHERE " + " AND ".join(where)
        return wrapped, list(params) + where_params

    def metadata(self) -> dict:
        """Satu Data metadata (domain.md 7.6), as published alongside the data."""
        return {
            "id": self.id,
            "title": str(self.title),
            "description": str(self.description),
            "producer": self.producer,
            "kip_class": str(self.kip_class),
            "kip_class_label": str(KipClass(self.kip_class).label) if self.kip_class in KipClass.values
            else self.kip_class,
            "legal_basis": self.legal_basis,
            "update_frequency": str(self.update_frequency),
            "licence": self.licence,
            "licence_notice": self.licence_notice,
            "reference_codes": self.reference_codes,
            "crs": self.crs,
            "geometry_type": self.geometry_type,
            "geometry_treatment": str(self.geometry_treatment),
            "fields": [{"name": name, "type": kind} for name, kind in self.field_types.items()],
            "keywords": list(self.keywords),
            **self.extra,
        }

    def _filter_clauses(self, filters: dict) -> tuple[list[str], list]:
        unknown = set(filters) - {"bbox", "datetime", "properties", "ids", "after"}
        if unknown:
            raise LayerFilterError(f"unknown filter(s): {', '.join(sorted(unknown))}")
        where, params = [], []
        bbox = filters.get("bbox")
        if bbox is not None:
            minx, miny, maxx, maxy = (float(v) for v in bbox)
            # A box whose west edge lies east of its east edge crosses the
            # antimeridian (OGC API - Features 7.15.3): two boxes.
            boxes = ([(minx, miny, 180.0, maxy), (-180.0, miny, maxx, maxy)] if minx > maxx
                     else [(minx, miny, maxx, maxy)])
            # && on the bare column keeps the GiST index usable; the exact
            # test follows (a polygon's box can touch the bbox without it).
            # A point's box is the point: && is already exact (closed box).
            exact = self.geometry_type != "Point"
            where.append("(" + " OR ".join(
                ["(t.geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)"
                 + (" AND ST_Intersects(t.geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326)))" if exact else ")")]
                * len(boxes)) + ")")
            for box in boxes:
                params += list(box) * (2 if exact else 1)
        interval = filters.get("datetime")
        if interval is not None:
            if not self.datetime_field:
                raise LayerFilterError(f"layer {self.id} has no time")
            start, end = interval
            column = f"t.{_quote(self.datetime_field)}"
            if start is not None:
                where.append(f"{column} >= %s")
                params.append(start)
            if end is not None:
                where.append(f"{column} <= %s")
                params.append(end)
        for name, value in (filters.get("properties") or {}).items():
            if name not in self.field_types:
                raise LayerFilterError(f"layer {self.id} has no field {name}")
            where.append(f"t.{_quote(name)} = %s")
            try:
                params.append(field_value_coerce(self.field_types[name], value))
            except ValueError as exc:
                raise LayerFilterError(f"bad value for {name}: {exc}") from None
        after = filters.get("after")
        if after is not None:
            # Keyset paging: the next page starts after the last id seen, so
            # no rows are skipped (OFFSET reads and joins every skipped row).
            cast = {INTEGER: "bigint", "uuid": "uuid"}.get(self.id_type, "text")
            where.append(f"t.id > %s::{cast}")
            params.append(str(after))
        ids = filters.get("ids")
        if ids is not None:
            # Typed, so that the primary key index serves the lookup.
            cast = {INTEGER: "bigint[]", "uuid": "uuid[]"}.get(self.id_type, "text[]")
            where.append(f"t.id = ANY(%s::{cast})")
            params.append([str(i) for i in ids])
        return where, params


def _quote(name: str) -> str:
    # Field names are written in this module; quoting guards reserved words.
    return '"' + name.replace('"', '""') + '"'


def field_value_coerce(kind: str, value):
    if kind == INTEGER:
        return int(value)
    if kind == NUMBER:
        return float(value)
    if kind == BOOLEAN:
        if isinstance(value, bool):
            return value
        lowered = str(value).lower()
        if lowered not in ("true", "false", "1", "0"):
            raise ValueError(f"not a boolean: {value}")
        return lowered in ("true", "1")
    if kind == DATETIME and isinstance(value, str):
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return to_utc(moment) if moment.tzinfo else moment
    return str(value)


# --- Built-in layers ----------------------------------------------------------
# Raw SQL: the boundary layers join four geo tables and compute unions; the
# ORM's SQL would work for the plain joins but not for the LATERAL union of
# service areas, and one style keeps the wrapper simple.

_AREA_SQL = """
SELECT a.code AS id, b.geom AS geom, a.code AS code, a.name AS name,
       p.code AS kecamatan_code, p.name AS kecamatan_name,
       a.population AS population, round(b.area_km2::numeric, 3)::float8 AS area_km2,
       e.name AS edition
  FROM geo_area a
  JOIN geo_edition e ON e.id = a.edition_id AND e.is_current
  LEFT JOIN geo_area p ON p.id = a.parent_id
  LEFT JOIN geo_areaboundary b ON b.area_id = a.id
 WHERE a.level = %s
"""

_KECAMATAN_SQL = """
SELECT a.code AS id, b.geom AS geom, a.code AS code, a.name AS name,
       a.population AS population, round(b.area_km2::numeric, 3)::float8 AS area_km2,
       (SELECT count(*) FROM geo_area c WHERE c.parent_id = a.id AND c.level = 'desa')::int AS desa_count,
       e.name AS edition
  FROM geo_area a
  JOIN geo_edition e ON e.id = a.edition_id AND e.is_current
  LEFT JOIN geo_areaboundary b ON b.area_id = a.id
 WHERE a.level = 'kecamatan'
"""

# A service area is its own geometry, the boundaries of the areas it names
# (any level, current edition), or the union of both.
_SERVICE_AREAS_SQL = """
SELECT sa.id AS id,
       -- A union comes out of GEOS with clockwise rings and new vertices:
       -- back on the 7-decimal output grid, valid there, rings CCW (RFC 7946).
       ST_ForcePolygonCCW(ST_Multi(ST_CollectionExtract(ST_ReducePrecision(
           CASE WHEN sa.geom IS NOT NULL AND named.geom IS NOT NULL
                THEN ST_CollectionExtract(ST_Union(sa.geom, named.geom), 3)
                ELSE COALESCE(sa.geom, named.geom) END, 1e-7), 3))) AS geom,
       sa.name AS name, ag.code AS agency_code, ag.name AS agency_name, ag.kind AS agency_kind,
       array_to_string(sa.area_codes, ',') AS area_codes
  FROM geo_servicearea sa
  JOIN geo_agency ag ON ag.id = sa.agency_id AND ag.is_active
  LEFT JOIN LATERAL (
        SELECT ST_Union(b.geom) AS geom
          FROM geo_area a
          JOIN geo_edition e ON e.id = a.edition_id AND e.is_current
          JOIN geo_areaboundary b ON b.area_id = a.id
         WHERE a.code = ANY(sa.area_codes)) named ON true
"""

_BOUNDARY_COMMON = dict(
    geometry_type="MultiPolygon",
    geometry_treatment=GeometryTreatment.EXACT,
    kip_class=KipClass.SETIAP_SAAT,
    legal_basis=("UU 14/2008 Pasal 11 ayat (1) huruf c; Kepmendagri 300.2.2-2138/2025 "
                 "(kode dan data wilayah administrasi pemerintahan)"),
    producer=(f"{PRODUCER_DISKOMINFO} (walidata); kode wilayah: Kementerian Dalam Negeri; "
              "batas: cahyadsn/wilayah_boundaries"),
    licence=BOUNDARY_LICENCE,
    licence_notice=DATA_LICENCE,
    update_frequency=_("Saat terbit edisi kode wilayah baru (Kepmendagri)"),
    extra={"source": "cahyadsn/wilayah_boundaries, cahyadsn/wilayah", "scale": "indikatif",
           "legal_status": "indikatif (bukan batas penegasan Permendagri 45/2016)",
           "attribution": DATA_ATTRIBUTION},
)


def _builtin_layers() -> list[Layer]:
    return [
        Layer(
            id="desa",
            title=_("Batas desa Kabupaten Kubu Raya"),
            description=_("Desa di Kabupaten Kubu Raya (edisi kode wilayah yang berlaku) dengan batasnya, "
                          "kecamatan induk (dari kode), luas geodesik dan jumlah penduduk bila diketahui. "
                          "Desa tanpa batas dalam data sumber tetap tercantum tanpa geometri."),
            base_sql=lambda: (_AREA_SQL, ["desa"]),
            field_types={"code": STRING, "name": STRING, "kecamatan_code": STRING, "kecamatan_name": STRING,
                         "population": INTEGER, "area_km2": NUMBER, "edition": STRING},
            keywords=["batas wilayah", "desa", "boundaries"],
            **_BOUNDARY_COMMON,
        ),
        Layer(
            id="kecamatan",
            title=_("Batas kecamatan Kabupaten Kubu Raya"),
            description=_("Sembilan kecamatan di Kabupaten Kubu Raya dengan batasnya (generalisasi sumber), "
                          "luas geodesik, jumlah desa dan penduduk bila diketahui."),
            base_sql=lambda: (_KECAMATAN_SQL, []),
            field_types={"code": STRING, "name": STRING, "population": INTEGER, "area_km2": NUMBER,
                         "desa_count": INTEGER, "edition": STRING},
            keywords=["batas wilayah", "kecamatan", "boundaries"],
            **_BOUNDARY_COMMON,
        ),
        Layer(
            id="service-areas",
            title=_("Wilayah kerja perangkat daerah"),
            description=_("Wilayah kerja OPD, UPT (Puskesmas), kantor kecamatan dan pos pemadam kebakaran "
                          "yang menerima laporan RT Online."),
            geometry_type="MultiPolygon",
            geometry_treatment=GeometryTreatment.EXACT,
            kip_class=KipClass.BERKALA,
            legal_basis="UU 14/2008 Pasal 9 ayat (2) huruf a (informasi yang berkaitan dengan badan publik)",
            producer=PRODUCER_DISKOMINFO,
            licence=f"{SERVICE_LICENCE}; batas wilayah: {BOUNDARY_LICENCE}",
            licence_notice=f"{SERVICE_LICENCE_NOTICE}\n\n{DATA_LICENCE}",
            update_frequency=_("Setiap ada perubahan wilayah kerja; ditinjau paling lambat 6 bulan"),
            base_sql=lambda: (_SERVICE_AREAS_SQL, []),
            field_types={"name": STRING, "agency_code": STRING, "agency_name": STRING, "agency_kind": STRING,
                         "area_codes": STRING},
            id_type=INTEGER,
            keywords=["OPD", "wilayah kerja", "Puskesmas", "service areas"],
            extra={"attribution": DATA_ATTRIBUTION},
        ),
    ]


# --- Reports and businesses layers ---------------------------------------------
# Built from the policy's querysets (reports.policy / .businesses), so
# the rule of what may leave lives there; the ORM compiles them to SQL that
# the wrapper of table_sql nests. A layer is absent while its app has no
# model yet (the apps land independently).
# The querysets hold no per-request value, so each is compiled once per
# process (compiling costs ~1-2 ms, as much as a z16 tile's statement).


@functools.cache
def _reports_public_sql() -> tuple[str, list]:
    from django.db.models import F

    from reports.policy import reports_public

    # reports_public() is the view of the public projection (confidential,
    # rejected and merged reports are not in it; points are snapped). The
    # free-text description is not published in bulk even scrubbed, nor is
    # the tracking code (not in the view at all).
    # The projection is one flat table holding the names too (reports
    # migration 0011): the layer's SELECT has no join, so a bbox page or a
    # tile reads the table's GiST index and rows only.
    qs = (reports_public().order_by()
          .values("id", "status", "created_at", "resolved_at", "supporters_count",
                  "category_code", "category_name", "desa_code", "desa_name", "kecamatan_code",
                  "agency_code", "agency_name", geom=F("location")))
    sql, params = qs.query.sql_with_params()
    return sql, tuple(params)


# The public points of reports for tiles: reports_public_point is the public
# projection's narrow copy, kept equal to it by triggers (reports migration 0016);
# on Citus a view of the projection that carries the report's regency (ops.citus).
_REPORTS_TILE_POINTS_SQL = ("SELECT id, location_3857 AS geom_3857, x, y, category_code, category_name, status, "
                            "supporters_count, created_at{} FROM reports_public_point")


def _reports_tile_points_sql() -> tuple[str, list]:
    from django.conf import settings

    return _REPORTS_TILE_POINTS_SQL.format(", regency_code" if settings.KR_CITUS else ""), []


def report_counts_current_period() -> str:
    """The current month in Asia/Pontianak as the layer's `period` (YYYY-MM)."""
    from django.utils import timezone

    return timezone.localtime().strftime("%Y-%m")


def _report_counts_sql() -> tuple[str, list]:
    """One row per fixed cell: (desa, category, month) for categories countable
    per desa, (kecamatan, category, month) for kecamatan-only categories
    (Category.aggregate_level; never-published categories are absent). Every
    cell is published, zeros included, from the first month with a report to
    the current month (Asia/Pontianak). Every count is rounded to the
    nearest multiple of 5 (common.publication.round_count), whatever the
    category's class: these are the base cells of which every other published
    count of reports is a sum (layers.policy.counts.report_counts_public), so
    no difference of published numbers says more than these rounded cells."""
    from reports.models import Category

    from common.publication import ROUND_COUNT_SQL
    from layers.policy.planner import AGGREGATE_DESA, AGGREGATE_KECAMATAN

    from layers.services import report_counts_prepare_read

    # The raw counts are precomputed (layers.models); rebuilt in the background
    # when a report changed since, at most once per
    # LAYERS_REPORT_COUNTS_MIN_INTERVAL_S (layers.services).
    report_counts_prepare_read()
    categories, category_params = (
        Category.objects.filter(is_active=True, aggregate_level__in=[AGGREGATE_DESA, AGGREGATE_KECAMATAN])
        .order_by().values("code", "name_id", "aggregate_level").query.sql_with_params())
    rounded = ROUND_COUNT_SQL % "COALESCE(n.n, 0)"
    # Every cell is rounded (controlled rounding to the base 5, docs/layers.md),
    # P0 too; the base cells are those every other published count sums.
    sql = f"""
WITH counts AS (SELECT area_id, category_code, month::timestamp AS month, n FROM layers_reportcountcell),
cats AS ({categories}),
months AS MATERIALIZED (
    SELECT generate_series(min(month), date_trunc('month', now() AT TIME ZONE 'Asia/Pontianak'),
                           interval '1 month') AS month FROM counts),
areas AS MATERIALIZED (
    SELECT a.id, a.code, a.name, a.level, COALESCE(k.code, a.code) AS kecamatan_code, b.simple_geom AS geom
      FROM geo_area a
      JOIN geo_edition e ON e.id = a.edition_id AND e.is_current
      LEFT JOIN geo_area k ON k.id = a.parent_id AND a.level = 'desa'
      LEFT JOIN geo_areaboundary b ON b.area_id = a.id
     WHERE a.level IN ('desa', 'kecamatan'))
SELECT a.code || ':' || c.code || ':' || to_char(m.month, 'YYYY-MM') AS id, a.geom AS geom,
       a.level AS level, a.code AS area_code, a.name AS area_name, a.kecamatan_code AS kecamatan_code,
       c.code AS category_code, c.name_id AS category_name, to_char(m.month, 'YYYY-MM') AS period,
       {rounded} AS count, ({rounded})::text AS count_display
  FROM cats AS c
  JOIN areas AS a ON a.level = c.aggregate_level
 CROSS JOIN months AS m
  LEFT JOIN counts AS n ON n.area_id = a.id AND n.category_code = c.code AND n.month = m.month"""
    return sql, list(category_params)


@functools.cache
def _businesses_public_sql() -> tuple[str, list]:
    from django.db.models import Case, CharField, F, Func, Value, When

    from businesses.policy import businesses_public

    # businesses_public() reads the view businesses_public_business (only
    # public rows and columns; `nib` is NULL without the owner's consent).
    qs = (businesses_public().order_by()
          .values("id", "name", "sector", "scale", "kbli_edition", "verification_status", "nib",
                  geom=F("public_location"), desa_code=F("desa__code"), desa_name=F("desa__name"),
                  kecamatan_code=F("kecamatan__code"),
                  kbli=Func(F("kbli_codes"), Value(","), function="array_to_string", output_field=CharField()),
                  location_precision=Case(When(public_location_exact=True, then=Value("exact")),
                                          default=Value("desa"), output_field=CharField())))
    sql, params = qs.query.sql_with_params()
    return (f"SELECT b.* FROM ({sql}) AS b", tuple(params))


def _domain_layers() -> list[Layer]:
    layers = []
    layers.append(Layer(
        id="reports",
        title=_("Laporan RT Online (kategori terbuka)"),
        description=_("Laporan warga kategori terbuka (P0: jalan, banjir, sampah, lampu jalan...) dengan "
                      "lokasi, kategori dan status. Laporan rahasia, kategori sensitif (P1-P3), laporan "
                      "yang ditolak atau digabung, identitas pelapor dan uraian laporan tidak dipublikasikan."),
        geometry_type="Point", geometry_treatment=GeometryTreatment.EXACT,
        kip_class=KipClass.BERKALA,
        legal_basis="UU 14/2008 Pasal 9 ayat (2) huruf b; pengecualian Pasal 17 huruf a dan h; UU 27/2022",
        producer=PRODUCER_DISKOMINFO, licence=SERVICE_LICENCE,
        update_frequency=_("Seketika (setiap laporan masuk atau berubah status)"),
        base_sql=_reports_public_sql,
        field_types={"category_code": STRING, "category_name": STRING, "status": STRING,
                     "desa_code": STRING, "desa_name": STRING, "kecamatan_code": STRING,
                     "agency_code": STRING, "agency_name": STRING,
                     "created_at": DATETIME, "resolved_at": DATETIME, "supporters_count": INTEGER},
        datetime_field="created_at", id_type="uuid", count_is_cheap=False,
        tile_fields=("category_code", "category_name", "status", "supporters_count"),
        tile_points_sql=_reports_tile_points_sql,
        tile_points_regency="regency_code",
        bbox_copy=("reports_public_point", "location_3857"),
        keywords=["RT Online", "laporan warga", "pengaduan"],
    ))
    layers.append(Layer(
        id="report-counts",
        title=_("Jumlah laporan per desa (atau kecamatan), kategori dan bulan"),
        description=_("Jumlah laporan RT Online per desa, kategori (terbuka dan agregat) dan bulan (WIB). "
                      "Kategori yang hanya boleh diagregasi per kecamatan (mis. kekerasan) dihitung per kecamatan. "
                      "Setiap jumlah dibulatkan ke kelipatan 5 terdekat (1-2 menjadi 0, 3-7 menjadi 5). Semua "
                      "angka laporan lain yang dipublikasikan adalah jumlah sel yang sudah dibulatkan ini, "
                      "sehingga selisih dua angka tidak mengungkap jumlah sebenarnya."),
        geometry_type="MultiPolygon", geometry_treatment=GeometryTreatment.AGGREGATED,
        kip_class=KipClass.BERKALA,
        legal_basis="UU 14/2008 Pasal 9 ayat (2) huruf b; Pasal 17 huruf h (penyamaran jumlah kecil); "
                    "UU 27/2022",
        producer=PRODUCER_DISKOMINFO, licence=f"{SERVICE_LICENCE}; batas wilayah: {BOUNDARY_LICENCE}",
        licence_notice=f"{SERVICE_LICENCE_NOTICE}\n\n{DATA_LICENCE}",
        update_frequency=_("Harian"),
        base_sql=_report_counts_sql,
        field_types={"level": STRING, "area_code": STRING, "area_name": STRING, "kecamatan_code": STRING,
                     "category_code": STRING, "category_name": STRING, "period": STRING,
                     "count": INTEGER, "count_display": STRING},
        count_is_cheap=False,
        tile_default_properties=lambda: {"period": report_counts_current_period()},
        tile_geometry_key="area_code",
        keywords=["RT Online", "statistik", "agregat"],
        extra={"small_count_rule": "every count rounded to the nearest multiple of 5 (1-2 -> 0, 3-7 -> 5); "
                                   "fixed cells area x category x month; every other published count is a "
                                   "sum of these rounded cells"},
    ))
    layers.append(Layer(
        id="businesses",
        title=_("UMKM Kabupaten Kubu Raya"),
        description=_("Usaha mikro, kecil dan menengah yang aktif: nama, sektor, KBLI, skala. Usaha "
                      "rumahan tanpa persetujuan pemilik ditampilkan di titik desa, bukan di rumahnya; "
                      "NIB hanya dengan persetujuan; data pemilik dan omzet/modal tidak dipublikasikan."),
        geometry_type="Point", geometry_treatment=GeometryTreatment.COARSENED_TO_DESA,
        kip_class=KipClass.BERKALA,
        legal_basis="UU 14/2008 Pasal 9; Pasal 17 huruf h angka 3; UU 27/2022 (persetujuan pemilik)",
        producer="Dinas Koperasi, Usaha Mikro, Perdagangan dan Perindustrian Kabupaten Kubu Raya",
        licence=SERVICE_LICENCE,
        update_frequency=_("Seketika (setiap perubahan data usaha)"),
        base_sql=_businesses_public_sql,
        field_types={"name": STRING, "sector": STRING, "scale": STRING, "kbli": STRING,
                     "kbli_edition": STRING, "verification_status": STRING, "desa_code": STRING,
                     "desa_name": STRING, "kecamatan_code": STRING, "location_precision": STRING,
                     "nib": STRING},
        id_type=INTEGER, count_is_cheap=False,
        keywords=["UMKM", "usaha mikro", "KBLI"],
        reference_codes=f"{REGION_CODES}; KBLI 2020",
    ))
    return layers


# --- Providers ----------------------------------------------------------------

_providers: list[Callable[[], Iterable[Layer]]] = []


def register_provider(provider: Callable[[], Iterable[Layer]]) -> Callable[[], Iterable[Layer]]:
    """Register a callable returning extra layers (e.g. published datasets,
    `dataset-<slug>`). Usable as a decorator; registering twice is a no-op.
    Call it from AppConfig.ready()."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def layers_public() -> list[Layer]:
    """Every published layer, built-in first, then the providers' in order of
    registration. A provider whose layer id collides with an earlier one is
    skipped for that layer (ids are stable; the first owner keeps it)."""
    layers = _builtin_layers() + _domain_layers()
    seen = {layer.id for layer in layers}
    for provider in _providers:
        for layer in provider() or ():
            if layer.id in seen:
                logger.warning("layer id %s registered twice; keeping the first", layer.id)
                continue
            seen.add(layer.id)
            layers.append(layer)
    return layers


def layer_get(layer_id: str) -> Layer | None:
    # Built-in layers need no query; providers (datasets) are asked only for
    # the other ids, so a tile of a built-in layer stays one SQL statement.
    for layer in _builtin_layers() + _domain_layers():
        if layer.id == layer_id:
            return layer
    for layer in layers_public():
        if layer.id == layer_id:
            return layer
    return None
