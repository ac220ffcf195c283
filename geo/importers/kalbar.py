"""Load any kabupaten/kota of West Kalimantan (or all 14) from ../shared/data/kalbar
(KR_KALBAR_DIR): the official code list rows of those regencies, their boundaries
(kabupaten and kecamatan from the `*_from_desa` layers, which nest exactly, and
the desa polygons), into the same Kepmendagri 2025 edition as Kubu Raya, and
their outlines into geo.RegencyOutline (the "regency first" lookup table).

Kubu Raya's rows and polygons in the province set are identical to the regency
files (kalbar README), so loading 61.12 on top of geo_load_kubu_raya changes
nothing. The per-file work is geo.importers.ogr, as for Kubu Raya; each
regency's features are written to a temporary GeoJSON first.

Agencies are created by the command after the load, from a template
(geo.regency_agencies), with the regency's routing rules (reports.services.regency_rules_seed).
"""
import csv
import json
import tempfile
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import connection, transaction

from ..attribution import DATA_LICENCE
from ..models import Area, Edition, RegencyOutline
from ..services import area_upsert, edition_activate
from . import kubu_raya, ogr

REGENCIES = ["61.01", "61.02", "61.03", "61.04", "61.05", "61.06", "61.07", "61.08", "61.09", "61.10",
             "61.11", "61.12", "61.71", "61.72"]
BOUNDARY_FILES = [
    ("kalbar_kabupaten_from_desa.geojson", Area.Level.KABUPATEN),
    ("kalbar_kecamatan_from_desa.geojson", Area.Level.KECAMATAN),
    ("kalbar_desa.geojson", Area.Level.DESA),
]


def default_data_dir() -> Path:
    return Path(getattr(settings, "KR_KALBAR_DIR", None) or Path(settings.KR_DATA_DIR) / "kalbar")


def _in(code: str, regencies: list[str]) -> bool:
    return any(code == r or code.startswith(r + ".") for r in regencies)


def run(*, regencies: list[str] | None = None, data_dir: Path | None = None, commit: bool = False,
        progress: bool = False) -> kubu_raya.LoadResult:
    data_dir = Path(data_dir or default_data_dir())
    regencies = sorted(set(regencies or REGENCIES))
    unknown = [r for r in regencies if r not in REGENCIES]
    if unknown:
        raise ValueError(f"not a kabupaten/kota of West Kalimantan: {', '.join(unknown)}")
    codes_csv = data_dir / "kalbar_wilayah_codes.csv"
    if not codes_csv.exists():
        raise FileNotFoundError(f"{codes_csv} not found; set KR_KALBAR_DIR")
    result = kubu_raya.LoadResult()
    try:
        with transaction.atomic(), tempfile.TemporaryDirectory(prefix="kr-kalbar-") as tmp:
            edition, created = Edition.objects.get_or_create(
                slug=kubu_raya.EDITION_SLUG,
                defaults={"name": kubu_raya.EDITION_NAME, "valid_from": kubu_raya.EDITION_VALID_FROM,
                          "source": kubu_raya.EDITION_SOURCE, "licence": DATA_LICENCE})
            result.counts["edition_added" if created else "edition_unchanged"] += 1
            _load_codes(codes_csv, edition, regencies, result)
            for filename, level in BOUNDARY_FILES:
                features = json.loads((data_dir / filename).read_text(encoding="utf-8"))["features"]
                subset = Path(tmp) / filename
                subset.write_text(json.dumps({"type": "FeatureCollection", "features": [
                    f for f in features if _in(f["properties"]["code"], regencies)]}), encoding="utf-8")
                sub = ogr.run(path=subset, edition=edition, level=level, commit=True, progress=progress,
                              source_label=f"kalbar/{filename}")
                result.counts.update(sub.counts)
                result.problems.extend(sub.problems)
            result.counts.update(outlines_refresh(edition=edition, regencies=regencies))
            if not edition.is_current and not Edition.objects.filter(is_current=True).exists():
                edition_activate(edition=edition)
            if not commit:
                raise kubu_raya._Rollback
    except kubu_raya._Rollback:
        pass
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE geo_areapart; ANALYZE geo_area; ANALYZE geo_regencyoutline")
    result.committed = commit
    return result


def _load_codes(path: Path, edition: Edition, regencies: list[str], result) -> None:
    with path.open(newline="", encoding="utf-8") as f:
        rows = sorted((r for r in csv.DictReader(f) if _in(r["code"], regencies)),
                      key=lambda r: (len(r["code"]), r["code"]))
    for row in rows:
        centroid = None
        if row.get("source_lat") and row.get("source_lng"):
            centroid = Point(float(row["source_lng"]), float(row["source_lat"]), srid=settings.GEO_STORAGE_SRID)
        population = {}
        if row["code"] == "61.12":  # the one regency whose population the data set gives
            population = {"population": kubu_raya.REGENCY_POPULATION, "population_source": "Dukcapil semester II 2024"}
        _, outcome = area_upsert(edition=edition, code=row["code"], name=row["name"], level=row["level"],
                                 source_centroid=centroid, **population)
        result.counts[f"area_{outcome}"] += 1
        if row["has_polygon"] != "yes":
            result.counts["area_without_polygon"] += 1


def outlines_refresh(*, edition: Edition, regencies: list[str]) -> Counter:
    """Rebuild the subdivided outlines of these regencies from their kabupaten boundaries."""
    counts = Counter()
    RegencyOutline.objects.filter(edition=edition, code__in=regencies).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO geo_regencyoutline (edition_id, code, name, geom)
            SELECT a.edition_id, a.code, a.name, ST_Subdivide(b.geom, %(max_vertices)s)
              FROM geo_area a JOIN geo_areaboundary b ON b.area_id = a.id
             WHERE a.edition_id = %(edition)s AND a.level = 'kabupaten' AND a.code = ANY(%(codes)s)
            """,
            {"edition": edition.id, "codes": regencies, "max_vertices": settings.GEO_SUBDIVIDE_MAX_VERTICES})
        counts["regency_outline_part"] += cursor.rowcount
    return counts
