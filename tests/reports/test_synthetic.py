"""Synthetic data and the bulk import path."""
import datetime
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.db.models import Count
from django.utils import timezone

from reports.bulk import ImportRow, reports_import
from reports.models import Report, ReportEvent
from reports.services import categories_seed

from .conftest import KAMPUNG_BARU, SUNGAI_RAYA


def test_synthetic_top_up_is_idempotent_clustered_and_marked(kubu_raya):
    out = StringIO()
    call_command("reports_generate_synthetic", "--target", "400", "--seed", "7", stdout=out)
    assert Report.objects.filter(is_synthetic=True).count() == 400
    call_command("reports_generate_synthetic", "--target", "400", stdout=out)
    assert Report.objects.count() == 400
    assert not Report.objects.filter(is_synthetic=True).exclude(description__startswith="[SINTETIS]").exists()
    by_kecamatan = dict(Report.objects.values_list("kecamatan__code").annotate(n=Count("id")))
    # Denser next to Pontianak: Sungai Raya alone outweighs remote Terentang many times.
    assert by_kecamatan.get("61.12.01", 0) > 4 * by_kecamatan.get("61.12.04", 0)
    assert Report.objects.filter(status="resolved").count() > 100
    # Every report has the timeline its status implies, oldest event first.
    resolved = Report.objects.filter(status="resolved").first()
    chain = list(resolved.events.order_by("created_at").values_list("to_status", flat=True))
    assert chain == ["received", "verified", "dispatched", "in_progress", "resolved"]
    assert resolved.created_at > timezone.now() - datetime.timedelta(days=366)


def test_bulk_import_assigns_desa_and_routes_like_a_submission(kubu_raya, desa_point):
    categories_seed()
    now = timezone.now()
    sr, kb = desa_point(SUNGAI_RAYA), desa_point(KAMPUNG_BARU)
    rows = [
        ImportRow(id=uuid.uuid4(), tracking_code="KR-TEST-0001", category_code="health-visit",
                  lon=sr[0], lat=sr[1], created_at=now, status="verified",
                  events=(("created", "", "received", "", True, now),
                          ("status", "received", "verified", "dicek", False, now + datetime.timedelta(hours=1)))),
        ImportRow(id=uuid.uuid4(), tracking_code="KR-TEST-0002", category_code="building-fire",
                  lon=sr[0], lat=sr[1], created_at=now),
        ImportRow(id=uuid.uuid4(), tracking_code="KR-TEST-0003", category_code="road-damage",
                  lon=kb[0], lat=kb[1], created_at=now),
        ImportRow(id=uuid.uuid4(), tracking_code="KR-TEST-0004", category_code="other",
                  lon=kb[0], lat=kb[1], created_at=now),
        ImportRow(id=uuid.uuid4(), tracking_code="KR-TEST-0005", category_code="flood",
                  lon=112.0, lat=1.0, created_at=now),  # outside coverage: dropped
    ]
    assert reports_import(rows=rows) == {"read": 5, "inserted": 4, "skipped": 1}
    agencies = dict(Report.objects.values_list("tracking_code", "agency__code"))
    assert agencies == {"KR-TEST-0001": "pkm-sungai-durian", "KR-TEST-0002": "damkar-pos-sungai-raya",
                        "KR-TEST-0003": "pupr", "KR-TEST-0004": None}
    report = Report.objects.get(tracking_code="KR-TEST-0003")
    assert report.desa.code == KAMPUNG_BARU and report.kecamatan.code == "61.12.06"
    # A row's own history as given; a row without one gets the public "created" entry.
    timeline = lambda code: list(ReportEvent.objects.filter(report__tracking_code=code).order_by("created_at")  # noqa: E731
                                 .values_list("kind", "from_status", "to_status", "note", "public", "created_at"))
    assert timeline("KR-TEST-0001") == [("created", "", "received", "", True, now),
                                        ("status", "received", "verified", "dicek", False,
                                         now + datetime.timedelta(hours=1))]
    assert timeline("KR-TEST-0003") == [("created", "", "received", "", True, now)]
    assert ReportEvent.objects.filter(report__in=Report.objects.all()).count() == 5
    # Re-running the same import creates nothing.
    assert reports_import(rows=rows)["inserted"] == 0
    assert ReportEvent.objects.count() == 5


def test_demo_users_are_idempotent_and_can_log_in(kubu_raya, client):
    out = StringIO()
    call_command("demo_users", stdout=out)
    call_command("demo_users", stdout=out)
    from django.contrib.auth import get_user_model

    from accounts.selectors import user_area_ids, user_has_role
    assert get_user_model().objects.filter(username__in=["koordinator", "kru_pupr", "dpo"]).count() == 3
    token = client.post("/api/v1/auth/token/", {"username": "staf_pupr", "password": "demo-kuburaya-2026"})
    assert token.status_code == 200 and token.json()["token"]
    ketua = get_user_model().objects.get(username="ketua_rt")
    assert user_has_role(user=ketua, roles=["ketua_rt"]) and len(user_area_ids(user=ketua, roles=["ketua_rt"])) == 1


@pytest.mark.django_db(transaction=True)
def test_bulk_import_in_parallel_batches_counts_every_row_once(kubu_raya, desa_point):
    """Outside a transaction the batches load on several connections at once;
    the counts, timelines and tile cells are those of a serial import, and a
    failing batch stops the import with its error."""
    from tiles.aggregates import CELL_MAX_ZOOM

    categories_seed()
    now = timezone.now()
    sr, kb = desa_point(SUNGAI_RAYA), desa_point(KAMPUNG_BARU)
    rows = [ImportRow(id=uuid.uuid4(), tracking_code=f"KR-PAR-{i:04d}", category_code="road-damage",
                      lon=(sr if i % 2 else kb)[0], lat=(sr if i % 2 else kb)[1], created_at=now)
            for i in range(70)]
    assert reports_import(rows=rows, batch_size=10, workers=3) == {"read": 70, "inserted": 70, "skipped": 0}
    assert Report.objects.filter(tracking_code__startswith="KR-PAR-").count() == 70
    assert ReportEvent.objects.filter(report__tracking_code__startswith="KR-PAR-").count() == 70
    with connection.cursor() as cursor:
        cursor.execute("SELECT sum(n) FROM tiles_reportcell WHERE z = %s", [CELL_MAX_ZOOM])
        assert cursor.fetchone()[0] == 70
    # Re-run: every id is known, nothing is written twice.
    assert reports_import(rows=rows, batch_size=10, workers=3)["inserted"] == 0
    # A batch with a resolved report without its resolution time fails whole; the error reaches the caller.
    bad = [ImportRow(id=uuid.uuid4(), tracking_code=f"KR-BAD-{i:04d}", category_code="flood", lon=sr[0],
                     lat=sr[1], created_at=now, status="resolved" if i == 5 else "received") for i in range(30)]
    with pytest.raises(IntegrityError):
        reports_import(rows=bad, batch_size=10, workers=3)
    assert not Report.objects.filter(tracking_code__in=[f"KR-BAD-{i:04d}" for i in range(10)]).exists()
