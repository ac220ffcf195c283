"""Import areas and boundaries from any OGR source (GeoJSON, GeoPackage,
Shapefile, ...). The geo_import_areas command is a thin wrapper over run().

Dry run by default: the whole dataset is written inside one transaction that is
rolled back unless commit=True, so the counts of a dry run are exactly what a
commit would do. Re-importing the same file changes nothing.
"""
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.gis.gdal import DataSource
from django.db import transaction
from tqdm import tqdm

from ..models import Area, Edition
from ..services import GeometryError, area_set_boundary, area_upsert, lookup_cells_rebuild


@dataclass
class ImportResult:
    counts: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    committed: bool = False

    def summary(self) -> str:
        parts = [f"{k}={v}" for k, v in sorted(self.counts.items())]
        return ", ".join(parts) or "nothing"


class _Rollback(Exception):
    pass


def run(*, path: Path | str, edition: Edition, level: str, code_field: str = "code",
        name_field: str = "name", layer: str | int = 0, commit: bool = False,
        progress: bool = False, source_label: str = "") -> ImportResult:
    if level not in Area.Level.values:
        raise ValueError(f"unknown level {level!r}")
    data_source = DataSource(str(path))
    ogr_layer = data_source[layer]
    for name in (code_field, name_field):
        if name not in ogr_layer.fields:
            raise ValueError(f"field {name!r} not in {path} (fields: {', '.join(ogr_layer.fields)})")
    result = ImportResult()
    # Parents before children, so that each parent code resolves.
    features = sorted(ogr_layer, key=lambda f: (len(str(f.get(code_field))), str(f.get(code_field))))
    label = source_label or Path(path).name
    changed_desa = False
    try:
        with transaction.atomic():
            for feature in tqdm(features, desc=f"{label} ({level})", disable=not progress, unit="area"):
                code = str(feature.get(code_field)).strip()
                name = str(feature.get(name_field)).strip()
                area, outcome = area_upsert(edition=edition, code=code, name=name, level=level)
                result.counts[f"area_{outcome}"] += 1
                if area.parent_id is None and Area.parent_code_of(code) and level != Area.Level.KABUPATEN:
                    result.problems.append(f"{code}: parent {Area.parent_code_of(code)} not in edition")
                if feature.geom is None:
                    result.counts["no_geometry"] += 1
                    continue
                geom = feature.geom.geos
                if geom.srid is None:
                    geom.srid = 4326  # GeoJSON without a crs member is CRS84 (RFC 7946)
                try:
                    boundary_outcome = area_set_boundary(area=area, geom=geom, source=label,
                                                         refresh_lookup=False)
                except GeometryError as exc:
                    result.problems.append(f"{code}: {exc}")
                    result.counts["boundary_rejected"] += 1
                    continue
                result.counts[f"boundary_{boundary_outcome}"] += 1
                if boundary_outcome == "repaired":
                    result.problems.append(f"{code}: invalid geometry made valid")
                if boundary_outcome != "unchanged":
                    changed_desa = changed_desa or level == Area.Level.DESA
            if changed_desa:
                # Once for the whole dataset, in its transaction, rather than
                # around every boundary; from scratch, so that no cell outlives
                # a desa that moved away.
                lookup_cells_rebuild(edition=edition)
            if not commit:
                raise _Rollback
    except _Rollback:
        pass
    result.committed = commit
    return result
