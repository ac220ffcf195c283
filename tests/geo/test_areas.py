"""The area register: codes, hierarchy, editions, polygon-less desa, the API."""
from io import StringIO

import pytest
from django.core.management import call_command

from geo.models import Area, AreaBoundary, AreaPart, Edition

POLYGONLESS = {"61.12.01.2021", "61.12.01.2022", "61.12.02.2006", "61.12.03.2014",
               "61.12.09.2014", "61.12.09.2015"}


def test_all_123_desa_exist_and_the_6_polygonless_have_no_boundary(kubu_raya):
    desa = Area.objects.filter(edition=kubu_raya, level="desa")
    assert desa.count() == 123
    assert Area.objects.filter(edition=kubu_raya, level="kecamatan").count() == 9
    without = set(desa.filter(boundary__isnull=True).values_list("code", flat=True))
    assert without == POLYGONLESS


def test_desa_parent_comes_from_code_not_from_kecamatan_geometry(kubu_raya):
    # Sepakat Baru lies only 90.7 % inside its district in the generalised layer.
    sepakat_baru = Area.objects.get(edition=kubu_raya, code="61.12.06.2010")
    assert sepakat_baru.parent.code == "61.12.06"
    assert sepakat_baru.parent.parent.code == "61.12"
    # Polygon-less desa have parents too.
    assert Area.objects.get(edition=kubu_raya, code="61.12.09.2015").parent.code == "61.12.09"


def test_boundaries_are_subdivided_and_simplified(kubu_raya):
    batu_ampar = Area.objects.get(edition=kubu_raya, code="61.12.05.2002")
    parts = AreaPart.objects.filter(area=batu_ampar)
    assert parts.count() > 17  # 17 source parts, 2,555 vertices, cut to <= 64 vertices
    assert all(p.geom.num_points <= 64 + 5 for p in parts)
    boundary = batu_ampar.boundary
    assert boundary.simple_geom.num_points < boundary.geom.num_points
    assert 8500 < sum(AreaBoundary.objects.filter(area__level="desa").values_list("area_km2", flat=True)) < 8600


def test_area_list_and_detail_api(client, kubu_raya):
    body = client.get("/api/v1/areas/", {"level": "desa"}).json()
    assert body["count"] == 123
    sukulanting = next(a for a in body["results"] if a["code"] == "61.12.01.2021")
    assert sukulanting["has_boundary"] is False
    feature = client.get("/api/v1/areas/61.12.01.2001").json()
    assert feature["type"] == "Feature"
    assert feature["geometry"]["type"] == "MultiPolygon"
    assert feature["properties"]["parent_code"] == "61.12.01"
    full = client.get("/api/v1/areas/61.12.01.2001", {"geometry": "full"}).json()
    assert len(str(full["geometry"])) > len(str(feature["geometry"]))
    assert client.get("/api/v1/areas/99.99").status_code == 404
    assert client.get("/api/v1/areas/", {"level": "planet"}).json()["code"] == "invalid_level"


def test_agencies_api_lists_puskesmas_with_desa_working_areas(client, kubu_raya):
    body = client.get("/api/v1/agencies/").json()
    agencies = {a["code"]: a for a in body["results"]}
    assert agencies["pkm-padang-tikar"]["parent_code"] == "dinkes"
    assert "61.12.05.2004" in agencies["pkm-padang-tikar"]["service_areas"][0]["area_codes"]
    assert agencies["damkar-pos-sungai-raya"]["service_areas"][0]["has_geometry"] is True
    assert sum(a["is_coordinator"] for a in body["results"]) == 1


SQUARES = """{"type": "FeatureCollection", "features": [
 {"type": "Feature", "properties": {"kode": "99.01", "nama": "Kab Uji"},
  "geometry": {"type": "Polygon", "coordinates": [[[10,0],[12,0],[12,2],[10,2],[10,0]]]}},
 {"type": "Feature", "properties": {"kode": "99.01.01", "nama": "Kec Bowtie"},
  "geometry": {"type": "Polygon", "coordinates": [[[10,0],[11,1],[10,1],[11,0],[10,0]]]}}
]}"""


@pytest.fixture
def test_edition(db):
    call_command("geo_edition", "uji-2026", "--name", "Uji 2026", "--valid-from", "2026-01-01",
                 stdout=StringIO())
    return Edition.objects.get(slug="uji-2026")


def _import(path, *extra):
    out = StringIO()
    call_command("geo_import_areas", str(path), "--edition", "uji-2026", "--level", "kecamatan",
                 "--code-field", "kode", "--name-field", "nama", *extra, stdout=out, verbosity=0)
    return out.getvalue()


def test_import_dry_run_writes_nothing(tmp_path, test_edition):
    path = tmp_path / "uji.geojson"
    path.write_text(SQUARES)
    output = _import(path)
    assert "dry run" in output and "area_added=2" in output
    assert not Area.objects.filter(edition=test_edition).exists()
    assert not AreaBoundary.objects.filter(area__edition=test_edition).exists()


def test_import_commit_repairs_invalid_geometry_and_reimport_is_idempotent(tmp_path, test_edition):
    path = tmp_path / "uji.geojson"
    path.write_text(SQUARES)
    first = _import(path, "--commit")
    assert "area_added=2" in first and "boundary_repaired=1" in first
    assert "99.01.01: invalid geometry made valid" in first
    bowtie = Area.objects.get(edition=test_edition, code="99.01.01")
    assert bowtie.parent.code == "99.01"
    assert bowtie.boundary.geom.valid and bowtie.boundary.was_repaired
    parts_before = AreaPart.objects.filter(area__edition=test_edition).count()
    second = _import(path, "--commit")
    assert "area_unchanged=2" in second and "boundary_unchanged=2" in second
    assert Area.objects.filter(edition=test_edition).count() == 2
    assert AreaPart.objects.filter(area__edition=test_edition).count() == parts_before


def test_new_edition_keeps_the_old_one(tmp_path, kubu_raya, test_edition):
    path = tmp_path / "uji.geojson"
    path.write_text(SQUARES)
    _import(path, "--commit")
    assert Area.objects.filter(edition=kubu_raya, level="desa").count() == 123
    assert kubu_raya.is_current  # importing does not switch the current edition


def test_reloading_kubu_raya_loads_nothing_twice(kubu_raya):
    out = StringIO()
    call_command("geo_load_kubu_raya", "--commit", stdout=out)
    text = out.getvalue()
    assert "area_added" not in text and "boundary_added" not in text and "agency_added" not in text
    assert Area.objects.filter(level="desa").count() == 123


def test_readyz_reports_database_and_postgis_versions(client, db):
    # /healthz is liveness only (no database); readiness names the versions
    body = client.get("/readyz").json()
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["database"]["postgis"].startswith("3.")
