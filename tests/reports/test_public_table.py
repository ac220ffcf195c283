"""The public projection is a table (reports_public_report) kept by triggers
equal to its rule, the view reports_public_report_rule (reports migration
0011): after every kind of write the table holds exactly the rule's rows,
column for column."""
import pytest
from django.core.management import call_command
from django.db import connection

from geo.models import Agency, Area
from reports.models import Category, PublicReport, Report

from .conftest import client_for


def _diff() -> tuple[int, int, int]:
    """(rows in the table, rows only in the table, rows only in the rule)."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT (SELECT count(*) FROM reports_public_report),
                   (SELECT count(*) FROM (SELECT * FROM reports_public_report
                                          EXCEPT ALL SELECT * FROM reports_public_report_rule) a),
                   (SELECT count(*) FROM (SELECT * FROM reports_public_report_rule
                                          EXCEPT ALL SELECT * FROM reports_public_report) b)""")
        return cursor.fetchone()


def _points_diff() -> tuple[int, int]:
    """Rows of reports_public_point (migration 0016, the tiles' narrow copy)
    differing from the table's, both ways."""
    copy = ("SELECT id, ST_Transform(location, 3857) AS m, category_code, category_name, status, supporters_count,"
            " created_at FROM reports_public_report")
    points = ("SELECT id, location_3857, category_code, category_name, status, supporters_count, created_at"
              " FROM reports_public_point WHERE x = ST_X(location_3857) AND y = ST_Y(location_3857)")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT (SELECT count(*) FROM ({copy} EXCEPT ALL {points}) a),"
                       f" (SELECT count(*) FROM ({points} EXCEPT ALL {copy}) b)")
        return cursor.fetchone()


def _assert_equal(min_rows: int = 1) -> int:
    rows, only_table, only_rule = _diff()
    assert (only_table, only_rule) == (0, 0)
    assert _points_diff() == (0, 0)
    assert rows >= min_rows
    return rows


@pytest.fixture
def loaded(kubu_raya, users):
    call_command("reports_generate_synthetic", "--target", "300", "--seed", "11", verbosity=0)
    return _assert_equal(min_rows=50)


def _public_ids():
    return set(PublicReport.objects.values_list("id", flat=True))


def test_the_table_equals_the_rule_after_every_kind_of_write(loaded, users, submit):
    # Inserts: the bulk import (fixture) and a submission through the API.
    submitted = submit(users["resident"], description="Jalan rusak, hubungi 081234567890").json()["id"]
    _assert_equal()
    row = PublicReport.objects.get(id=submitted)
    assert "081234567890" not in row.description  # scrubbed, as the rule says
    assert row.category_code == "road-damage" and row.desa_name and row.agency_code

    # A status change through the workflow, then a rejection (leaves the projection).
    assert client_for(users["coordinator"]).post(f"/api/v1/reports/{submitted}/transitions/",
                                                 {"to": "verified"}).status_code == 200
    _assert_equal()
    assert PublicReport.objects.get(id=submitted).status == "verified"
    some = list(Report.objects.filter(status="received", category__publication_class="P0")
                .values_list("id", flat=True)[:6])
    Report.objects.filter(id=some[0]).update(status="rejected")
    _assert_equal()
    assert some[0] not in _public_ids()
    Report.objects.filter(id=some[0]).update(status="received")
    _assert_equal()
    assert some[0] in _public_ids()

    # Confidential flips, both ways.
    Report.objects.filter(id=some[1]).update(confidential=True)
    _assert_equal()
    assert some[1] not in _public_ids()
    Report.objects.filter(id=some[1]).update(confidential=False)
    _assert_equal()
    assert some[1] in _public_ids()

    # A merge, and an update of what the projection publishes (moved, supported, described).
    Report.objects.filter(id=some[2]).update(status="merged", merged_into_id=some[3])
    Report.objects.filter(id=some[3]).update(supporters_count=7, description="Pak Budi 0812 3456 7890 di sini")
    _assert_equal()
    assert some[2] not in _public_ids()
    assert PublicReport.objects.get(id=some[3]).supporters_count == 7

    # Deletes.
    Report.objects.filter(id__in=some[4:6]).delete()
    _assert_equal()

    # A many-row update in one statement.
    Report.objects.filter(category__code="flood").update(status="in_progress")
    _assert_equal()


def test_the_table_follows_categories_areas_and_agencies(loaded, users):
    road = Category.objects.get(code="road-damage")
    before = PublicReport.objects.filter(category_id=road.id).count()
    assert before > 0
    # A category no longer published as points leaves the projection, and comes back.
    Category.objects.filter(id=road.id).update(publication_class="P1")
    _assert_equal()
    assert PublicReport.objects.filter(category_id=road.id).count() == 0
    Category.objects.filter(id=road.id).update(publication_class="P0", name_id="Jalan rusak (baru)")
    _assert_equal()
    assert set(PublicReport.objects.filter(category_id=road.id).values_list("category_name", flat=True)) == {
        "Jalan rusak (baru)"}

    # Renamed desa, kecamatan and agency: the stored names follow.
    desa_id = PublicReport.objects.values_list("desa_id", flat=True).first()
    Area.objects.filter(id=desa_id).update(name="Desa Baru")
    kecamatan_id = PublicReport.objects.exclude(kecamatan_id=None).values_list("kecamatan_id", flat=True).first()
    Area.objects.filter(id=kecamatan_id).update(code="61.12.99")
    agency_id = PublicReport.objects.exclude(agency_id=None).values_list("agency_id", flat=True).first()
    Agency.objects.filter(id=agency_id).update(name="Dinas Baru")
    _assert_equal()
    assert set(PublicReport.objects.filter(desa_id=desa_id).values_list("desa_name", flat=True)) == {"Desa Baru"}
    assert set(PublicReport.objects.filter(kecamatan_id=kecamatan_id)
               .values_list("kecamatan_code", flat=True)) == {"61.12.99"}
    assert set(PublicReport.objects.filter(agency_id=agency_id).values_list("agency_name", flat=True)) == {
        "Dinas Baru"}


@pytest.mark.django_db(transaction=True)
def test_a_truncate_of_reports_empties_the_table(kubu_raya):
    call_command("reports_generate_synthetic", "--target", "60", "--seed", "3", verbosity=0)
    assert _assert_equal() > 0
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE reports_report CASCADE")
    assert _diff() == (0, 0, 0)
