"""Load Kabupaten Kubu Raya from KR_DATA_DIR: the 2025 code list (all 123 desa,
with or without a polygon), the boundaries (kabupaten and kecamatan from the
`*_from_desa` layers, which nest exactly, and the 117 desa polygons), and the
regency's agencies with example service areas (geo/seed/agencies.json).

One transaction; dry run unless commit=True; re-running changes nothing.
"""
import csv
import datetime
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import connection, transaction

from ..attribution import DATA_LICENCE
from ..models import Agency, Area, Edition, ServiceArea
from ..services import area_upsert, edition_activate, service_area_save
from . import ogr

EDITION_SLUG = "kepmendagri-2025"
EDITION_NAME = "Kepmendagri 300.2.2-2138/2025"
EDITION_VALID_FROM = datetime.date(2025, 4, 25)
EDITION_SOURCE = ("Codes: cahyadsn/wilayah b7ad440; boundaries: cahyadsn/wilayah_boundaries 3c5a796 "
                  "(see KR_DATA_DIR/README.md)")
REGENCY_POPULATION = 646_091  # Dukcapil semester II 2024, via cahyadsn/wilayah
SEED_AGENCIES = Path(__file__).resolve().parent.parent / "seed" / "agencies.json"

BOUNDARY_FILES = [
    ("kubu_raya_kabupaten_from_desa.geojson", Area.Level.KABUPATEN),
    ("kubu_raya_kecamatan_from_desa.geojson", Area.Level.KECAMATAN),
    ("kubu_raya_desa.geojson", Area.Level.DESA),
]


@dataclass
class LoadResult:
    counts: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    committed: bool = False


class _Rollback(Exception):
    pass


def run(*, data_dir: Path | None = None, commit: bool = False, progress: bool = False) -> LoadResult:
    data_dir = Path(data_dir or settings.KR_DATA_DIR)
    codes_csv = data_dir / "kubu_raya_wilayah_codes.csv"
    if not codes_csv.exists():
        raise FileNotFoundError(f"{codes_csv} not found; set KR_DATA_DIR")
    result = LoadResult()
    try:
        with transaction.atomic():
            edition, created = Edition.objects.get_or_create(
                slug=EDITION_SLUG,
                defaults={"name": EDITION_NAME, "valid_from": EDITION_VALID_FROM,
                          "source": EDITION_SOURCE, "licence": DATA_LICENCE})
            result.counts["edition_added" if created else "edition_unchanged"] += 1
            _load_codes(codes_csv, edition, result)
            for filename, level in BOUNDARY_FILES:
                sub = ogr.run(path=data_dir / filename, edition=edition, level=level,
                              commit=True, progress=progress, source_label=filename)
                result.counts.update(sub.counts)
                result.problems.extend(sub.problems)
            if not edition.is_current and not Edition.objects.filter(is_current=True).exists():
                edition_activate(edition=edition)
            _load_agencies(result)
            if not commit:
                raise _Rollback
    except _Rollback:
        pass
    else:
        with connection.cursor() as cursor:
            # Fresh statistics, so the planner probes the GiST index on parts.
            cursor.execute("ANALYZE geo_areapart; ANALYZE geo_area; ANALYZE geo_serviceareapart")
    result.committed = commit
    return result


def _load_codes(path: Path, edition: Edition, result: LoadResult) -> None:
    with path.open(newline="", encoding="utf-8") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: (len(r["code"]), r["code"]))
    for row in rows:
        population = REGENCY_POPULATION if row["level"] == Area.Level.KABUPATEN else None
        centroid = None
        if row.get("source_lat") and row.get("source_lng"):
            centroid = Point(float(row["source_lng"]), float(row["source_lat"]), srid=settings.GEO_STORAGE_SRID)
        _, outcome = area_upsert(edition=edition, code=row["code"], name=row["name"], level=row["level"],
                                 population=population,
                                 population_source="Dukcapil semester II 2024" if population else "",
                                 source_centroid=centroid)
        result.counts[f"area_{outcome}"] += 1
        if row["has_polygon"] != "yes":
            result.counts["area_without_polygon"] += 1


def _load_agencies(result: LoadResult) -> None:
    seed = json.loads(SEED_AGENCIES.read_text(encoding="utf-8"))
    for item in seed["agencies"]:
        parent = Agency.objects.get(code=item["parent"]) if item.get("parent") else None
        values = {"name": item["name"], "short_name": item["short_name"], "kind": item["kind"],
                  "parent": parent, "is_coordinator": item["is_coordinator"], "email": item["email"]}
        agency = Agency.objects.filter(code=item["code"]).first()
        if agency is None:
            agency = Agency.objects.create(code=item["code"], **values)
            result.counts["agency_added"] += 1
        elif any(getattr(agency, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(agency, k, v)
            agency.save()
            result.counts["agency_changed"] += 1
        else:
            result.counts["agency_unchanged"] += 1
        for spec in item["service_areas"]:
            if ServiceArea.objects.filter(agency=agency, name=spec["name"]).exists():
                result.counts["service_area_unchanged"] += 1
                continue
            service_area = ServiceArea(agency=agency, name=spec["name"], area_codes=spec.get("area_codes", []))
            if "buffer" in spec:
                service_area.geom = _buffer(**spec["buffer"])
            service_area_save(service_area=service_area)
            result.counts["service_area_added"] += 1


def _buffer(*, lon: float, lat: float, radius_m: float):
    from django.contrib.gis.geos import GEOSGeometry

    with connection.cursor() as cursor:
        # A true metric circle: buffer on the geography, back to geometry.
        cursor.execute(
            "SELECT ST_AsEWKB(ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, %s)::geometry))",
            [lon, lat, radius_m])
        return GEOSGeometry(memoryview(bytes(cursor.fetchone()[0])))
