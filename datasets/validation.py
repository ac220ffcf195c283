"""Reading and validating an agency upload, row by row, before anything is
stored. The result is a report the producer can act on (row number and every
problem of that row, in Bahasa Indonesia) and, when there is no error at all,
the rows ready to store. Nothing of an invalid file is stored or published.

Spatial files: GeoJSON (RFC 7946, EPSG:4326), GeoPackage and zipped Shapefile
(read with GDAL, reprojected from their declared CRS to EPSG:4326) and CSV
with lon/lat columns. Each geometry must be valid and inside the regency:
points by the same rule as every other point in the service
(geo.selectors.points_assign_desa: covered by a desa, or within
GEO_NEAREST_TOLERANCE_M of one), lines and polygons by ST_Covers against the
kabupaten boundary widened by the same tolerance (the source boundary is
generalised, so a coastal polygon would otherwise fail by metres).

Tabular files (CSV, XLSX) carry a Kemendagri desa or kecamatan code per row;
every code must exist at that level in the dataset's reference edition (an
unknown code is named in the report) and appear once.

Column types are inferred from the values (integer, number, boolean, text);
in a column whose values are mostly numeric, a non-numeric value is an error
of its row. A new version must keep the types of the fields already known.
"""
import csv
import io
import json
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import shapely
from django.conf import settings
from django.contrib.gis.gdal import DataSource, GDALException
from django.db import connection
from django.utils.translation import gettext as _

from geo.models import Area, Edition
from geo.selectors import points_assign_desa

MAX_ROWS = getattr(settings, "DATASETS_MAX_ROWS", 50_000)
MAX_REPORTED_ROWS = 1000
SPATIAL_FORMATS = ("geojson", "gpkg", "shp", "csv")
TABULAR_FORMATS = ("csv", "xlsx")
RESERVED = {"id", "geom", "kode_wilayah", "nama_wilayah"}
LON_NAMES = ("lon", "lng", "longitude", "bujur", "x")
LAT_NAMES = ("lat", "latitude", "lintang", "y")
CODE_NAMES = {"desa": ("kode_desa", "kode_wilayah", "kode", "kd_desa", "kode_kemendagri"),
              "kecamatan": ("kode_kecamatan", "kode_wilayah", "kode", "kd_kec", "kode_kemendagri")}
_INT = re.compile(r"^[+-]?\d+$")
_NUM = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")


class FileProblem(Exception):
    """The file as a whole cannot be read (format, CRS, columns)."""


@dataclass
class Row:
    number: int
    values: dict
    geometry: object = None          # shapely geometry (EPSG:4326) or None
    code: str | None = None
    desa_id: int | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class Validated:
    format: str
    rows: list[Row]
    fields: list[tuple[str, str]]        # (name, type) in file order
    file_errors: list[str]
    geometry_type: str = ""
    areas: dict = field(default_factory=dict)   # code -> Area (tabular)

    @property
    def valid(self) -> bool:
        return not self.file_errors and not any(r.errors for r in self.rows) and bool(self.rows)

    def report(self) -> dict:
        bad = [r for r in self.rows if r.errors]
        return {
            "valid": self.valid,
            "format": self.format,
            "rows": len(self.rows),
            "rows_with_errors": len(bad),
            "file_errors": self.file_errors,
            "errors": [{"row": r.number, "messages": r.errors} for r in bad[:MAX_REPORTED_ROWS]],
            "errors_truncated": len(bad) > MAX_REPORTED_ROWS,
            "fields": [{"name": n, "type": t} for n, t in self.fields],
            "geometry_type": self.geometry_type,
        }


def normalise_name(name: str) -> str:
    name = re.sub(r"[^a-z0-9]+", "_", str(name or "").strip().lower()).strip("_")
    if name and name[0].isdigit():
        name = "f_" + name
    return name[:63]


def format_of(filename: str, kind: str) -> str:
    suffix = Path(filename).suffix.lower()
    fmt = {".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg", ".zip": "shp", ".csv": "csv",
           ".xlsx": "xlsx"}.get(suffix)
    allowed = SPATIAL_FORMATS if kind == "spatial" else TABULAR_FORMATS
    if fmt not in allowed:
        raise FileProblem(_("Format berkas %(name)s tidak didukung untuk dataset ini; gunakan %(allowed)s.")
                          % {"name": filename, "allowed": ", ".join(allowed)})
    return fmt


# --- Readers: (header names, list of (row number, dict, geometry)) ------------------------------------------

def _read_geojson(data: bytes):
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FileProblem(_("GeoJSON tidak dapat dibaca: %s") % exc) from exc
    crs = ((doc.get("crs") or {}).get("properties") or {}).get("name", "") if isinstance(doc, dict) else ""
    if crs and not re.search(r"(CRS84|EPSG::?4326)$", crs):
        raise FileProblem(_("GeoJSON harus dalam EPSG:4326 (lon, lat); berkas menyatakan %s.") % crs)
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise FileProblem(_("GeoJSON harus berupa FeatureCollection."))
    out = []
    for i, feature in enumerate(doc.get("features") or [], start=1):
        props = dict((feature or {}).get("properties") or {})
        geometry, error = None, None
        raw = (feature or {}).get("geometry")
        if raw:
            try:
                geometry = shapely.from_geojson(json.dumps(raw))
            except (shapely.errors.GEOSException, ValueError) as exc:
                error = _("geometri tidak dapat dibaca (%s)") % exc
        out.append((i, props, geometry, error))
    return out


def _read_ogr(path: Path):
    try:
        source = DataSource(str(path))
    except GDALException as exc:
        raise FileProblem(_("Berkas tidak dapat dibaca GDAL: %s") % exc) from exc
    if source.layer_count != 1:
        raise FileProblem(_("Berkas harus berisi tepat satu layer (ada %d).") % source.layer_count)
    layer = source[0]
    if layer.srs is None:
        raise FileProblem(_("Sistem koordinat (CRS) berkas tidak diketahui; sertakan berkas .prj."))
    out = []
    for i, feature in enumerate(layer, start=1):
        props = {name: feature.get(name) for name in layer.fields}
        geometry, error = None, None
        try:
            ogr = feature.geom
            ogr.transform(4326)
            geometry = shapely.from_wkb(bytes(ogr.wkb))
        except (GDALException, shapely.errors.GEOSException, TypeError) as exc:
            error = _("geometri tidak dapat dibaca (%s)") % exc
        out.append((i, props, geometry, error))
    return out


def _read_zip_shapefile(data: bytes, tmp: Path):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise FileProblem(_("Berkas zip rusak.")) from exc
    names = [n for n in archive.namelist() if not n.startswith("__MACOSX")]
    shps = [n for n in names if n.lower().endswith(".shp")]
    if len(shps) != 1:
        raise FileProblem(_("Zip harus berisi tepat satu Shapefile (.shp); ada %d.") % len(shps))
    stem = shps[0][:-4]
    for name in names:
        if name.startswith(stem + ".") and "/" not in name[len(stem):] and ".." not in name:
            (tmp / ("layer" + name[len(stem):].lower())).write_bytes(archive.read(name))
    return _read_ogr(tmp / "layer.shp")


def _read_csv(data: bytes):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    if not reader.fieldnames:
        raise FileProblem(_("CSV tanpa baris judul kolom."))
    return [(i, dict(row), None, None) for i, row in enumerate(reader, start=1)]


def _read_xlsx(data: bytes):
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a bad file
        raise FileProblem(_("XLSX tidak dapat dibaca: %s") % exc) from exc
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if not header:
        raise FileProblem(_("Lembar kerja pertama kosong."))
    out = []
    for i, values in enumerate(rows, start=1):
        if values is None or all(v is None or str(v).strip() == "" for v in values):
            continue
        row = {}
        for name, value in zip(header, values):
            if name is None:
                continue
            row[str(name)] = value.isoformat() if hasattr(value, "isoformat") else value
        out.append((i, row, None, None))
    book.close()
    return out


# --- Values ------------------------------------------------------------------------------------------------

def _classify(value):
    """(type, python value) of one cell; type None for an empty cell."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        return "boolean", value
    if isinstance(value, int):
        return "integer", value
    if isinstance(value, float):
        return ("integer", int(value)) if value.is_integer() and abs(value) < 2 ** 53 else ("number", value)
    text = str(value).strip()
    if text == "":
        return None, None
    if _INT.match(text):
        return "integer", int(text)
    candidate = text.replace(",", ".") if text.count(",") == 1 and "." not in text else text
    if _NUM.match(candidate):
        return "number", float(candidate)
    return "string", text


def _column_type(kinds: list[str]) -> str:
    counts = {k: kinds.count(k) for k in set(kinds)}
    numeric = counts.get("integer", 0) + counts.get("number", 0)
    if not kinds:
        return "string"
    if counts.get("boolean", 0) == len(kinds):
        return "boolean"
    if numeric > len(kinds) / 2:
        return "number" if counts.get("number") else "integer"
    return "string"


def _coerce(kind: str, value, name: str):
    """(value for storage, error or None)."""
    found, parsed = _classify(value)
    if found is None:
        return None, None
    if kind == "string":
        return str(value).strip() if not isinstance(value, bool) else str(value).lower(), None
    if kind == "integer" and found == "integer":
        return parsed, None
    if kind == "number" and found in ("integer", "number"):
        return float(parsed), None
    if kind == "boolean" and found == "boolean":
        return parsed, None
    expected = {"integer": _("bilangan bulat"), "number": _("angka"), "boolean": _("ya/tidak")}[kind]
    return None, _("kolom '%(col)s': nilai '%(val)s' bukan %(exp)s") % {"col": name, "val": value, "exp": expected}


def _normalise_code(raw, level: str) -> str | None:
    if raw is None:
        return None
    text = str(raw).strip()
    if isinstance(raw, float) and raw.is_integer():
        text = str(int(raw))
    digits = text.replace(".", "")
    if digits.isdigit() and "." not in text:
        if level == "desa" and len(digits) == 10:
            return f"{digits[:2]}.{digits[2:4]}.{digits[4:6]}.{digits[6:]}"
        if level == "kecamatan" and len(digits) == 6:
            return f"{digits[:2]}.{digits[2:4]}.{digits[4:]}"
    return text or None


# --- Geometry ----------------------------------------------------------------------------------------------

def _normalise_geometry(geometry):
    """2D, Polygon -> MultiPolygon, LineString -> MultiLineString; (geometry, family) or (None, error)."""
    geometry = shapely.force_2d(geometry)
    kind = geometry.geom_type
    if kind == "Polygon":
        geometry = shapely.MultiPolygon([geometry])
    elif kind == "LineString":
        geometry = shapely.MultiLineString([geometry])
    family = {"Point": "Point", "MultiPoint": "MultiPoint", "MultiPolygon": "MultiPolygon",
              "MultiLineString": "MultiLineString"}.get(geometry.geom_type)
    return geometry, family


# ST_Covers against the kabupaten boundary, widened once by the tolerance in
# a metric CRS (UTM 49S, EPSG:32749: Kubu Raya spans 108.8-110.0 E; south of
# the equator and 0.23 N both project fine). The widened boundary is the
# constant: it is computed once per statement, the uploaded rows are not
# transformed. Raw SQL because the ORM cannot unnest an array of WKB.
_INSIDE_SQL = """
WITH k AS (
    SELECT ST_Transform(ST_Buffer(ST_Transform(b.geom, 32749), %(tolerance)s), 4326) AS geom
      FROM geo_area a JOIN geo_areaboundary b ON b.area_id = a.id
     WHERE a.edition_id = %(edition)s AND a.level = 'kabupaten')
SELECT t.ord, bool_or(ST_Covers(k.geom, ST_GeomFromWKB(t.wkb, 4326)))
  FROM unnest(%(wkbs)s::bytea[]) WITH ORDINALITY AS t(wkb, ord)
  LEFT JOIN k ON k.geom && ST_GeomFromWKB(t.wkb, 4326)
 GROUP BY t.ord ORDER BY t.ord
"""


def _check_inside(rows: list[Row], edition: Edition) -> None:
    points = [r for r in rows if r.geometry is not None and r.geometry.geom_type == "Point"]
    others = [r for r in rows if r.geometry is not None and r.geometry.geom_type != "Point"]
    if points:
        assignment = points_assign_desa(lons=[r.geometry.x for r in points], lats=[r.geometry.y for r in points],
                                        edition=edition)
        outside = []
        for row, desa_id in zip(points, assignment.desa_ids):
            row.desa_id = desa_id
            if desa_id is None:
                outside.append(row)
        swapped = points_assign_desa(lons=[r.geometry.y for r in outside], lats=[r.geometry.x for r in outside],
                                     edition=edition).desa_ids if outside else []
        for row, swapped_id in zip(outside, swapped):
            message = _("titik (%(lon).6f, %(lat).6f) berada di luar Kabupaten Kubu Raya") % {
                "lon": row.geometry.x, "lat": row.geometry.y}
            if swapped_id is not None:
                message += " " + _("(lon dan lat tampaknya tertukar)")
            row.errors.append(message)
    if others:
        with connection.cursor() as cursor:
            cursor.execute(_INSIDE_SQL, {"tolerance": settings.GEO_NEAREST_TOLERANCE_M, "edition": edition.id,
                                         "wkbs": [shapely.to_wkb(r.geometry) for r in others]})
            inside = [bool(v) for _, v in cursor.fetchall()]
        for row, ok in zip(others, inside):
            if not ok:
                row.errors.append(_("geometri tidak seluruhnya berada di dalam Kabupaten Kubu Raya"))


# --- Entry point -------------------------------------------------------------------------------------------

def validate_upload(*, data: bytes, filename: str, kind: str, edition: Edition,
                    known_types: dict[str, str] | None = None) -> Validated:
    """Read and check one upload of a dataset of `kind` (spatial, desa,
    kecamatan) against `edition`; never writes."""
    known_types = known_types or {}
    try:
        fmt = format_of(filename, kind)
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            if fmt == "geojson":
                raw = _read_geojson(data)
            elif fmt == "gpkg":
                (tmp / "upload.gpkg").write_bytes(data)
                raw = _read_ogr(tmp / "upload.gpkg")
            elif fmt == "shp":
                raw = _read_zip_shapefile(data, tmp)
            elif fmt == "csv":
                raw = _read_csv(data)
            else:
                raw = _read_xlsx(data)
    except FileProblem as exc:
        return Validated(format=Path(filename).suffix.lstrip("."), rows=[], fields=[], file_errors=[str(exc)])

    result = Validated(format=fmt, rows=[], fields=[], file_errors=[])
    if not raw:
        result.file_errors.append(_("Berkas tidak berisi baris data."))
        return result
    if len(raw) > MAX_ROWS:
        result.file_errors.append(_("Berkas berisi %(n)d baris; paling banyak %(max)d.")
                                  % {"n": len(raw), "max": MAX_ROWS})
        return result

    # Column names: normalised once, checked for collisions.
    original_names = []
    for _i, props, _g, _e in raw:
        for name in props:
            if name not in original_names:
                original_names.append(name)
    names = {name: normalise_name(name) for name in original_names}
    special = set()
    if kind == "spatial" and fmt == "csv":
        lon = next((o for o in original_names if names[o] in LON_NAMES), None)
        lat = next((o for o in original_names if names[o] in LAT_NAMES), None)
        if lon is None or lat is None:
            result.file_errors.append(_("CSV spasial harus punya kolom lon dan lat (derajat desimal, EPSG:4326)."))
            return result
        special = {lon, lat}
    code_column = None
    if kind in CODE_NAMES:
        code_column = next((o for wanted in CODE_NAMES[kind] for o in original_names if names[o] == wanted), None)
        if code_column is None:
            result.file_errors.append(_("Kolom kode %(level)s tidak ditemukan (mis. %(name)s).")
                                      % {"level": kind, "name": CODE_NAMES[kind][0]})
            return result
        special = {code_column}
    seen = {}
    for original in original_names:
        if original in special:
            continue
        name = names[original]
        if not name:
            result.file_errors.append(_("Nama kolom '%s' tidak dapat dipakai.") % original)
        elif name in RESERVED:
            result.file_errors.append(_("Nama kolom '%s' dicadangkan; ganti namanya.") % original)
        elif name in seen:
            result.file_errors.append(_("Kolom '%(a)s' dan '%(b)s' bernama sama setelah dinormalkan (%(n)s).")
                                      % {"a": seen[name], "b": original, "n": name})
        seen[name] = original
    if result.file_errors:
        return result
    columns = [(seen[name], name) for name in seen]

    # Types: known fields keep their type; new ones are inferred.
    types = {}
    for original, name in columns:
        kinds = [k for k in (_classify(props.get(original))[0] for _i, props, _g, _e in raw) if k]
        types[name] = known_types.get(name) or _column_type(kinds)
    result.fields = [(name, types[name]) for _o, name in columns]

    families = set()
    for number, props, geometry, read_error in raw:
        row = Row(number=number, values={})
        if read_error:
            row.errors.append(read_error)
        for original, name in columns:
            value, error = _coerce(types[name], props.get(original), name)
            row.values[name] = value
            if error:
                row.errors.append(error)
        if kind == "spatial":
            if fmt == "csv":
                lon_type, lon_value = _classify(props.get(lon))
                lat_type, lat_value = _classify(props.get(lat))
                if lon_type not in ("integer", "number") or lat_type not in ("integer", "number"):
                    row.errors.append(_("lon/lat kosong atau bukan angka ('%(lon)s', '%(lat)s')")
                                      % {"lon": props.get(lon), "lat": props.get(lat)})
                elif not (-180 <= lon_value <= 180 and -90 <= lat_value <= 90):
                    row.errors.append(_("lon/lat di luar rentang derajat (%(lon)s, %(lat)s)")
                                      % {"lon": lon_value, "lat": lat_value})
                else:
                    geometry = shapely.Point(float(lon_value), float(lat_value))
            if geometry is None and not read_error and not row.errors:
                row.errors.append(_("baris tanpa geometri"))
            elif geometry is not None:
                if geometry.is_empty:
                    row.errors.append(_("geometri kosong"))
                    geometry = None
                elif not geometry.is_valid:
                    row.errors.append(_("geometri tidak valid: %s") % shapely.is_valid_reason(geometry))
                    geometry = None
                else:
                    geometry, family = _normalise_geometry(geometry)
                    if family is None:
                        row.errors.append(_("jenis geometri %s tidak didukung") % geometry.geom_type)
                        geometry = None
                    else:
                        families.add(family)
            row.geometry = geometry
        else:
            row.code = _normalise_code(props.get(code_column), kind)
            if not row.code:
                row.errors.append(_("kode %s kosong") % kind)
        result.rows.append(row)

    if kind == "spatial":
        if len(families) > 1:
            result.file_errors.append(_("Semua baris harus berjenis geometri sama; ditemukan: %s.")
                                      % ", ".join(sorted(families)))
        result.geometry_type = families.pop() if len(families) == 1 else ""
        _check_inside(result.rows, edition)
    else:
        codes = [r.code for r in result.rows if r.code]
        areas = {a.code: a for a in Area.objects.filter(edition=edition, level=kind, code__in=codes)}
        result.areas = areas
        first_row = {}
        for row in result.rows:
            if not row.code:
                continue
            if row.code not in areas:
                row.errors.append(_("kode %(level)s '%(code)s' tidak dikenal dalam edisi %(edition)s")
                                  % {"level": kind, "code": row.code, "edition": edition.name})
            elif row.code in first_row:
                row.errors.append(_("kode %(level)s '%(code)s' sudah ada di baris %(row)d")
                                  % {"level": kind, "code": row.code, "row": first_row[row.code]})
            else:
                first_row[row.code] = row.number
        result.geometry_type = "MultiPolygon"
    return result
