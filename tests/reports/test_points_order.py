"""reports_public_point back in spatial order by an ordered copy swapped in
(reports.points_order, the nightly beat entry `reports-points-reorder`): the
table stays equal to the projection, keeps its indexes, its triggers go on
writing it, and writes made while the copy was built are caught up."""
import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from reports.models import Report
from reports.points_order import public_points_reorder

from .test_public_table import _assert_equal

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(kubu_raya, users):
    call_command("reports_generate_synthetic", "--target", "300", "--seed", "13", verbosity=0)
    return _assert_equal(min_rows=50)


def _out_of_order() -> int:
    """Rows whose geohash sorts before the previous row's, in physical order."""
    with connection.cursor() as cursor:
        cursor.execute("""SELECT count(*) FROM (
            SELECT g < lag(g) OVER (ORDER BY ctid) AS back
              FROM (SELECT ctid, ST_GeoHash(ST_Transform(location_3857, 4326), 8) AS g FROM reports_public_point) x) y
             WHERE back""")
        return cursor.fetchone()[0]


def _indexes() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'reports_public_point'")
        return {row[0] for row in cursor.fetchall()}


def test_reorder_puts_the_copy_in_spatial_order_and_keeps_it_equal(loaded, users, submit):
    indexes = _indexes()
    # Arrival order: the copy rewritten in a scrambled order.
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE scrambled AS SELECT * FROM reports_public_point ORDER BY md5(id::text)")
        cursor.execute("DELETE FROM reports_public_point")
        cursor.execute("INSERT INTO reports_public_point SELECT * FROM scrambled")
    assert _out_of_order() > 10
    out = io.StringIO()
    call_command("reports_points_reorder", stdout=out)
    assert f"{loaded} rows in spatial order" in out.getvalue()
    assert _out_of_order() == 0
    assert _indexes() == indexes
    with connection.cursor() as cursor:
        cursor.execute("SELECT indisclustered FROM pg_index WHERE indexrelid = 'reports_public_point_order'::regclass")
        assert cursor.fetchone()[0] is True
    _assert_equal()
    # The projection's triggers write the swapped-in table.
    submit(users["resident"])
    _assert_equal(min_rows=loaded + 1)
    assert settings.CELERY_BEAT_SCHEDULE["reports-points-reorder"]["args"] == ["reports_points_reorder"]
    assert "reports_points_reorder" in settings.OPS_JOB_COMMANDS


def test_writes_while_the_copy_is_built_are_caught_up(loaded):
    some = list(Report.objects.filter(status="received", category__publication_class="P0")
                .values_list("id", flat=True)[:3])

    def write_meanwhile(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith("CREATE INDEX reports_public_point_next_order"):
            Report.objects.filter(id=some[0]).update(status="rejected")       # leaves the projection
            Report.objects.filter(id=some[1]).update(status="verified")
        return result

    with connection.execute_wrapper(write_meanwhile):
        result = public_points_reorder()
    assert result["deleted"] == 1 and result["caught_up"] >= 1
    assert result["rows"] == loaded - 1
    _assert_equal()


def test_nothing_to_order_when_the_copy_is_a_view(kubu_raya):
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE reports_public_point RENAME TO reports_public_point_t")
        cursor.execute("CREATE VIEW reports_public_point AS SELECT * FROM reports_public_point_t")
    assert public_points_reorder()["skipped"] == "not a table"
