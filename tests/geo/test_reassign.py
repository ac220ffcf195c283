"""geo_reassign_points on real boundaries: a second edition in which part of
Sungai Raya (61.12.01.2001) is given to its neighbour 61.12.01.2017."""
import datetime
import uuid
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.core.management import call_command
from django.db import connection
from shapely import wkb
from shapely.geometry import Point as ShapelyPoint
from shapely.geometry import box

from businesses.models import Business
from businesses.services import business_create
from geo.models import Area, AreaBoundary, Edition
from geo.selectors import desa_centroids, point_locate
from geo.services import area_set_boundary, edition_activate, lookup_cells_refresh
from reports.models import Report
from reports.services import categories_seed, report_submit

LOSER = "61.12.01.2001"
GAINER = "61.12.01.2017"
ELSEWHERE = "61.12.06.2011"  # Kampung Baru, untouched


def _edition_copy(source: Edition) -> Edition:
    """A new edition with the same areas and boundaries (copied in SQL)."""
    edition = Edition.objects.create(slug="uji-2027", name="Edisi uji 2027", valid_from=datetime.date(2027, 1, 1))
    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO geo_area (edition_id, code, name, level, population, population_source, source_centroid)
            SELECT %(new)s, code, name, level, population, population_source, source_centroid
              FROM geo_area WHERE edition_id = %(old)s;
            UPDATE geo_area a SET parent_id = p.id
              FROM geo_area o JOIN geo_area op ON op.id = o.parent_id
              JOIN geo_area p ON p.edition_id = %(new)s AND p.code = op.code
             WHERE a.edition_id = %(new)s AND o.edition_id = %(old)s AND o.code = a.code;
            INSERT INTO geo_areaboundary (area_id, geom, simple_geom, area_km2, source, was_repaired, updated_at)
            SELECT n.id, b.geom, b.simple_geom, b.area_km2, b.source, b.was_repaired, now()
              FROM geo_areaboundary b JOIN geo_area o ON o.id = b.area_id
              JOIN geo_area n ON n.edition_id = %(new)s AND n.code = o.code;
            INSERT INTO geo_areapart (area_id, edition_id, level, code, geom)
            SELECT n.id, %(new)s, p.level, p.code, p.geom
              FROM geo_areapart p JOIN geo_area n ON n.edition_id = %(new)s AND n.code = p.code
             WHERE p.edition_id = %(old)s;
            """, {"new": edition.id, "old": source.id})
    extent = None
    if settings.KR_CITUS:
        # The whole edition's refresh ends with ANALYZE, which Citus refuses after
        # local execution (citus_local_execution): the same cells, by their extent.
        with connection.cursor() as cursor:
            cursor.execute("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) AS e"
                           " FROM geo_areapart WHERE edition_id = %s AND level = 'desa') x", [edition.id])
            extent = cursor.fetchone()
    lookup_cells_refresh(edition=edition, extent=extent)
    return edition


def _shape(edition: Edition, code: str):
    return wkb.loads(bytes(AreaBoundary.objects.get(area__edition=edition, area__code=code).geom.wkb))


@pytest.fixture
def moved(kubu_raya):
    """(new edition, a point that moves from LOSER to GAINER, a point that stays in LOSER)."""
    loser, gainer = _shape(kubu_raya, LOSER), _shape(kubu_raya, GAINER)
    shared = loser.boundary.intersection(gainer.boundary)
    vertex = shared.representative_point()
    square = box(vertex.x - 0.004, vertex.y - 0.004, vertex.x + 0.004, vertex.y + 0.004)
    ceded = loser.intersection(square)
    moving = ceded.representative_point()
    assert loser.covers(moving) and not gainer.covers(moving)
    staying = loser.difference(square.buffer(0.01)).representative_point()
    edition = _edition_copy(kubu_raya)
    for code, shape in ((LOSER, loser.difference(square)), (GAINER, gainer.union(ceded))):
        area = Area.objects.get(edition=edition, code=code)
        assert area_set_boundary(area=area, geom=GEOSGeometry(shape.wkb_hex, srid=4326)) == "changed"
    return edition, moving, staying


def _report(lon, lat) -> Report:
    return report_submit(report_id=uuid.uuid4(), category_code="road-damage", lon=lon, lat=lat,
                         description="Jalan berlubang (uji edisi)", photo_optional=True).report


def _run(*args) -> str:
    out = StringIO()
    call_command("geo_reassign_points", *args, stdout=out)
    return out.getvalue()


# usefixtures come before the arguments' fixtures: local execution is on first.
@pytest.mark.usefixtures("citus_local_execution")
def test_new_edition_moves_points_to_the_changed_desa_and_a_second_run_is_a_no_op(kubu_raya, moved):
    categories_seed()
    new_edition, moving, staying = moved
    kampung_baru = next((lon, lat) for code, lon, lat in desa_centroids() if code == ELSEWHERE)
    r_moving = _report(moving.x, moving.y)
    r_staying = _report(staying.x, staying.y)
    r_elsewhere = _report(*kampung_baru)
    home = business_create(name="Warung Uji Edisi", lon=moving.x, lat=moving.y, is_home_based=True)
    assert r_moving.desa.code == LOSER and r_moving.desa.edition_id == kubu_raya.id
    assert home.desa.code == LOSER
    public_before = home.public_location.clone()

    edition_activate(edition=new_edition)
    # The lookup itself already follows the new edition.
    assert point_locate(lon=moving.x, lat=moving.y).desa.code == GAINER

    dry = _run()
    assert "reports_report: points=3 updated=3 desa_changed=1 outside_coverage_unchanged=0" in dry
    assert "businesses_business: points=1 updated=1 desa_changed=1" in dry
    assert f"{LOSER} -> {GAINER}: 1" in dry
    assert "[dry run" in dry
    r_moving.refresh_from_db()
    assert r_moving.desa.edition_id == kubu_raya.id  # nothing written

    done = _run("--commit")
    assert "[committed]" in done
    assert "public points of home-based businesses changed: 1" in done
    for report, code in ((r_moving, GAINER), (r_staying, LOSER), (r_elsewhere, ELSEWHERE)):
        report.refresh_from_db()
        assert (report.desa.code, report.desa.edition_id) == (code, new_edition.id)
        assert report.kecamatan_id == report.desa.parent_id
        assert report.kecamatan.edition_id == new_edition.id
        assert report.location_approximate is False
    home = Business.objects.get(pk=home.pk)
    assert (home.desa.code, home.desa.edition_id) == (GAINER, new_edition.id)
    # Home-based without consent: shown at the point of its (new) desa.
    gainer_point = next((lon, lat) for code, lon, lat in desa_centroids() if code == GAINER)
    assert (home.public_location.x, home.public_location.y) == pytest.approx(gainer_point)
    assert not home.public_location.equals_exact(public_before, 1e-9)
    # The old edition's areas are kept (and no longer referenced by these points).
    assert Area.objects.filter(edition=kubu_raya, code=LOSER).exists()

    again = _run("--commit")
    assert "reports_report: points=3 updated=0 desa_changed=0" in again
    assert "businesses_business: points=1 updated=0 desa_changed=0" in again
    assert "public points of home-based businesses changed: 0" in again


def test_reassign_dry_run_on_the_current_edition_changes_nothing(kubu_raya):
    categories_seed()
    kampung_baru = next((lon, lat) for code, lon, lat in desa_centroids() if code == ELSEWHERE)
    _report(*kampung_baru)
    out = _run()
    assert "reports_report: points=1 updated=0 desa_changed=0 outside_coverage_unchanged=0" in out


def test_geo_lookup_cells_rebuilds_the_same_cells(kubu_raya):
    from geo.models import AreaLookupCell

    before = set(AreaLookupCell.objects.filter(edition=kubu_raya).values_list("i", "j", "code", "part_id"))
    out = StringIO()
    call_command("geo_lookup_cells", stdout=out)
    after = set(AreaLookupCell.objects.filter(edition=kubu_raya).values_list("i", "j", "code", "part_id"))
    assert before and after == before
    assert f"edition {kubu_raya.slug}: {len(after)} lookup cell rows" in out.getvalue()
