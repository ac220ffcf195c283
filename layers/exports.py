"""Open-data exports of a published layer: GeoJSON, CSV and GeoPackage.

GeoJSON and CSV are generators over a server-side cursor (selectors.rows_stream)
so a 1,000,000-row layer streams with bounded memory. The GeoPackage is a
SQLite file: it is written batch by batch into a temporary file (bounded
memory too) and then streamed from disk. Every export carries the Satu Data
metadata and the licence notice (domain.md 7.6).
"""
import datetime
import io
import json
import os
import sqlite3
import struct
import tempfile
from collections.abc import Iterator

from common.csvsafe import csv_writer

from . import selectors
from .registry import BOOLEAN, DATETIME, INTEGER, NUMBER, Layer

FORMATS = {
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
    "gpkg": "application/geopackage+sqlite3",
}


def geojson_chunks(*, layer: Layer, filters: dict | None = None) -> Iterator[bytes]:
    """A FeatureCollection with `metadata` (Satu Data) and `licence` members,
    one chunk per batch of features built in PostgreSQL."""
    head = {"type": "FeatureCollection", "name": layer.id, "metadata": layer.metadata(),
            "licence": layer.licence_notice}
    yield (json.dumps(head, ensure_ascii=False)[:-1] + ', "features": [\n').encode()
    separator = ""
    for rows in selectors.rows_stream(layer=layer, filters=filters, select=selectors.feature_json_select(layer)):
        yield (separator + ",\n".join(row[0] for row in rows)).encode()
        separator = ",\n"
    yield b"\n]}\n"


EXCEL_CELL_MAX = 32_767
# UTF-8 byte order mark: Excel reads the file as UTF-8 only with it (names
# such as "Sungai Ambawang Kuala" survive either way, but not every name is
# ASCII); csv readers and GDAL skip it.
CSV_BOM = "\ufeff"


def spool(chunks: Iterator[bytes]):
    """The chunks written to an anonymous temporary file (rewound later by
    the caller); the memory held stays one chunk."""
    file = tempfile.TemporaryFile()
    for chunk in chunks:
        file.write(chunk)
    return file


def csv_geometry_columns(layer: Layer, geometry: str) -> tuple[list[str], str]:
    """(header names, SQL select) of the geometry columns of a CSV export."""
    digits = selectors.COORDINATE_DIGITS
    if geometry == "lonlat":
        # 7 decimals, as in GeoJSON (a float8 printed 17 significant digits).
        return ["lon", "lat"], f"round(ST_X(q.geom)::numeric, {digits}), round(ST_Y(q.geom)::numeric, {digits})"
    # A spreadsheet cell holds at most 32,767 characters (Excel): a longer WKT
    # is simplified, as little as fits (GeoJSON and GeoPackage stay exact).
    return ["wkt"], (f"(SELECT w FROM unnest(ARRAY[0, 0.00001, 0.00005, 0.0002, 0.001, 0.005, 0.02]::float8[]) AS t(tol),"
                     f" LATERAL (SELECT ST_AsText(CASE WHEN t.tol = 0 THEN q.geom"
                     f" ELSE ST_SimplifyPreserveTopology(q.geom, t.tol) END, {digits}) AS w) AS x"
                     f" WHERE length(x.w) <= {EXCEL_CELL_MAX} ORDER BY t.tol LIMIT 1)")


def _csv_value(value):
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.timezone.utc).isoformat().replace("+00:00", "Z")
    return "" if value is None else value


def csv_chunks(*, layer: Layer, geometry: str = "wkt", filters: dict | None = None) -> Iterator[bytes]:
    """CSV (RFC 4180, UTF-8) with id, the geometry as WKT or lon/lat, and the
    published fields. The licence and metadata travel as HTTP Link headers and
    in the catalogue: a comment line would break CSV readers."""
    geometry_names, geometry_sql = csv_geometry_columns(layer, geometry)
    fields_sql = ", ".join(f'q."{name}"' for name in layer.fields)
    select = "q.id::text, " + geometry_sql + (", " + fields_sql if fields_sql else "")

    def encode(rows) -> bytes:
        # A fresh buffer per batch: a reused StringIO keeps its largest size.
        buffer = io.StringIO()
        csv_writer(buffer, lineterminator="\r\n").writerows(rows)
        return buffer.getvalue().encode()

    yield CSV_BOM.encode() + encode([["id", *geometry_names, *layer.fields]])
    for rows in selectors.rows_stream(layer=layer, filters=filters, select=select):
        yield encode([_csv_value(v) for v in row] for row in rows)


# --- GeoPackage (OGC 12-128r18), written with the standard library ------------

_GPKG_TYPES = {INTEGER: "INTEGER", NUMBER: "REAL", BOOLEAN: "BOOLEAN", DATETIME: "DATETIME"}
_WGS84_WKT = ('GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,'
              'AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,'
              'AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],'
              'AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]')


def _gpkg_blob(wkb: bytes | memoryview | None, envelope: tuple | None) -> bytes | None:
    """GeoPackage geometry: 'GP', version 0, flags, srs_id, envelope, WKB."""
    if wkb is None:
        return None
    if envelope is None or envelope[0] == envelope[2]:
        # Little-endian header, no envelope (points).
        return b"GP\x00\x01" + struct.pack("<i", 4326) + bytes(wkb)
    minx, miny, maxx, maxy = envelope
    return b"GP\x00\x03" + struct.pack("<i4d", 4326, minx, maxx, miny, maxy) + bytes(wkb)


def _gpkg_schema(db: sqlite3.Connection, layer: Layer) -> None:
    db.execute("PRAGMA application_id = 1196444487")  # 'GPKG'
    db.execute("PRAGMA user_version = 10300")
    db.executescript("""
        CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,
            organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
            definition TEXT NOT NULL, description TEXT);
        CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
            identifier TEXT UNIQUE, description TEXT DEFAULT '',
            last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
            min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER);
        CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
            geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL,
            m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name));
        CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
            definition TEXT NOT NULL, scope TEXT NOT NULL);
        CREATE TABLE gpkg_metadata (id INTEGER PRIMARY KEY AUTOINCREMENT, md_scope TEXT NOT NULL DEFAULT 'dataset',
            md_standard_uri TEXT NOT NULL, mime_type TEXT NOT NULL DEFAULT 'text/xml', metadata TEXT NOT NULL DEFAULT '');
        CREATE TABLE gpkg_metadata_reference (reference_scope TEXT NOT NULL, table_name TEXT,
            column_name TEXT, row_id_value INTEGER,
            timestamp DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
            md_file_id INTEGER NOT NULL, md_parent_id INTEGER);
    """)
    db.executemany("INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", [
        ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", None),
        ("Undefined geographic SRS", 0, "NONE", 0, "undefined", None),
        ("WGS 84 geodetic", 4326, "EPSG", 4326, _WGS84_WKT, "longitude/latitude coordinates in decimal degrees"),
    ])
    columns = ", ".join(f'"{name}" {_GPKG_TYPES.get(kind, "TEXT")}' for name, kind in layer.field_types.items())
    table = layer.id.replace("-", "_")
    db.execute(f'CREATE TABLE "{table}" (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom {layer.geometry_type.upper()}, '
               f'feature_id TEXT NOT NULL{", " + columns if columns else ""})')
    db.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) "
               "VALUES (?, 'features', ?, ?, 4326)",
               (table, str(layer.title), f"{layer.description}\n\n{layer.licence_notice}"))
    db.execute("INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, 4326, 0, 0)",
               (table, layer.geometry_type.upper()))
    for name in ("gpkg_metadata", "gpkg_metadata_reference"):
        db.execute("INSERT INTO gpkg_extensions VALUES (?, NULL, 'gpkg_metadata', "
                   "'http://www.geopackage.org/spec121/#extension_metadata', 'read-write')", (name,))
    metadata = json.dumps({**layer.metadata(), "licence_notice": layer.licence_notice}, ensure_ascii=False)
    cursor = db.execute("INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata) "
                        "VALUES ('dataset', 'https://data.go.id/satu-data', 'application/json', ?)", (metadata,))
    db.execute("INSERT INTO gpkg_metadata_reference (reference_scope, table_name, md_file_id) "
               "VALUES ('table', ?, ?)", (table, cursor.lastrowid))


def _gpkg_value(kind: str, value):
    if value is None:
        return None
    if kind == DATETIME and isinstance(value, datetime.datetime):
        return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if kind == BOOLEAN:
        return int(bool(value))
    return value


def geopackage_write(*, layer: Layer, path: str, filters: dict | None = None) -> int:
    """Write the layer into a new GeoPackage at `path`; returns the row count."""
    table = layer.id.replace("-", "_")
    kinds = list(layer.field_types.values())
    fields_sql = "".join(f', q."{name}"' for name in layer.fields)
    select = ("q.id::text, ST_AsBinary(q.geom), ST_XMin(q.geom), ST_YMin(q.geom), ST_XMax(q.geom), "
              f"ST_YMax(q.geom){fields_sql}")
    placeholders = ", ".join(["?"] * (2 + len(kinds)))
    columns = "".join(f', "{name}"' for name in layer.fields)
    insert = f'INSERT INTO "{table}" (geom, feature_id{columns}) VALUES ({placeholders})'
    bounds = None
    count = 0
    db = sqlite3.connect(path)
    try:
        _gpkg_schema(db, layer)
        for rows in selectors.rows_stream(layer=layer, filters=filters, select=select):
            batch = []
            for row in rows:
                feature_id, wkb, minx, miny, maxx, maxy, *values = row
                envelope = None if minx is None else (minx, miny, maxx, maxy)
                if envelope:
                    bounds = envelope if bounds is None else (
                        min(bounds[0], minx), min(bounds[1], miny), max(bounds[2], maxx), max(bounds[3], maxy))
                batch.append((_gpkg_blob(wkb, envelope), feature_id,
                              *(_gpkg_value(kind, v) for kind, v in zip(kinds, values))))
            db.executemany(insert, batch)
            count += len(batch)
        db.execute("UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ? WHERE table_name = ?",
                   (*(bounds or (None,) * 4), table))
        db.commit()
    finally:
        db.close()
    return count


def geopackage_file(*, layer: Layer, filters: dict | None = None):
    """An open binary file of a new GeoPackage of the layer. The file is
    already unlinked: it disappears when the response closes it."""
    directory = tempfile.mkdtemp(prefix="layers-gpkg-")
    path = os.path.join(directory, f"{layer.id}.gpkg")
    try:
        geopackage_write(layer=layer, path=path, filters=filters)
        handle = open(path, "rb")  # noqa: SIM115 - closed by the FileResponse
    finally:
        if os.path.exists(path):
            os.unlink(path)
        os.rmdir(directory)
    return handle
