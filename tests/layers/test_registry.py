"""The layer registry: ids, metadata and the policy-restricted SQL."""
import pytest
from django.db import connection

from geo.attribution import DATA_ATTRIBUTION
from layers import registry
from layers.registry import Layer, layer_get, layers_public, register_provider


def _rows(layer, filters=None):
    sql, params = layer.table_sql(filters)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [c.name for c in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]


def test_geo_layers_are_registered_with_satu_data_metadata():
    ids = [layer.id for layer in layers_public()]
    assert ids[:3] == ["desa", "kecamatan", "service-areas"]
    for layer_id in ("desa", "kecamatan", "service-areas"):
        meta = layer_get(layer_id).metadata()
        for key in ("title", "producer", "kip_class", "legal_basis", "update_frequency", "licence",
                    "licence_notice", "crs", "reference_codes", "geometry_treatment"):
            assert meta[key], (layer_id, key)
        assert "MIT" in meta["licence"] and DATA_ATTRIBUTION in meta["licence"] + meta["licence_notice"]
        assert meta["crs"] == "EPSG:4326"


def test_unknown_layer_is_none():
    assert layer_get("nope") is None


def test_desa_table_sql_lists_every_desa_of_the_current_edition(kubu_raya):
    rows = _rows(layer_get("desa"))
    assert len(rows) == 123
    assert list(rows[0])[:2] == ["id", "geom"]
    with_geometry = [r for r in rows if r["geom"] is not None]
    assert len(with_geometry) == 117
    assert all(r["id"].startswith("61.12.") and r["kecamatan_code"] == r["id"][:8] for r in rows)


def test_kecamatan_layer_counts_desa_by_code(kubu_raya):
    rows = _rows(layer_get("kecamatan"))
    assert len(rows) == 9
    assert sum(r["desa_count"] for r in rows) == 123


def test_bbox_filter_keeps_only_intersecting_desa(kubu_raya, desa_shapes):
    # A tiny box around a point inside one desa polygon selects that desa
    # (and any neighbour whose polygon reaches into the box), never all.
    code, (_, shape) = sorted(desa_shapes.items())[0]
    point = shape.representative_point()
    box = (point.x - 1e-4, point.y - 1e-4, point.x + 1e-4, point.y + 1e-4)
    rows = _rows(layer_get("desa"), {"bbox": box})
    assert code in [r["id"] for r in rows]
    assert len(rows) < 4


def test_property_filter_and_unknown_field(kubu_raya):
    rows = _rows(layer_get("desa"), {"properties": {"kecamatan_code": "61.12.01"}})
    assert rows and all(r["kecamatan_code"] == "61.12.01" for r in rows)
    with pytest.raises(ValueError):
        layer_get("desa").table_sql({"properties": {"nik": "1"}})
    with pytest.raises(ValueError):
        layer_get("desa").table_sql({"where": "1=1"})


def test_service_areas_have_a_geometry_each(kubu_raya):
    rows = _rows(layer_get("service-areas"))
    assert len(rows) >= 40
    assert all(r["geom"] is not None for r in rows)


def test_register_provider_adds_dataset_layers_and_keeps_builtin_ids():
    desa = layer_get("desa")

    def provider():
        return [Layer(id="dataset-demo", title="Demo", description="", geometry_type="Point",
                      geometry_treatment="exact", kip_class="berkala", legal_basis="-", producer="-",
                      licence="-", update_frequency="-", base_sql=desa.base_sql),
                Layer(id="desa", title="Impostor", description="", geometry_type="Point",
                      geometry_treatment="exact", kip_class="berkala", legal_basis="-", producer="-",
                      licence="-", update_frequency="-", base_sql=desa.base_sql)]

    register_provider(provider)
    try:
        assert layer_get("dataset-demo").title == "Demo"
        assert layer_get("desa").title != "Impostor"
    finally:
        registry._providers.remove(provider)
