"""CSV formula injection (issue 16): every CSV the service writes goes through
common.csvsafe, which neutralises cells a spreadsheet would run."""
import csv
import io
import pathlib
import uuid

import pytest
from django.contrib.auth import get_user_model

from accounts.models import Membership, Role
from common.csvsafe import csv_cell

ROOT = pathlib.Path(__file__).resolve().parents[2]
FORMULAS = ["=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


@pytest.mark.parametrize("value", FORMULAS)
def test_formula_leading_cells_are_neutralised(value):
    assert csv_cell(value) == "'" + value


def test_numbers_and_plain_text_are_written_as_they_are():
    assert csv_cell(-0.0715) == -0.0715 and csv_cell(12) == 12 and csv_cell("Toko Maju") == "Toko Maju"
    assert csv_cell("") == "" and csv_cell(None) is None


def test_no_module_writes_csv_but_the_helper():
    """A new CSV writer must use common.csvsafe.csv_writer."""
    offenders = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        # .state/ is local, untracked state (bench/peers.py keeps the peers' venvs there).
        if rel.startswith((".venv/", ".state/", "tests/", "common/csvsafe.py")) or "/migrations/" in rel:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if "csv.writer(" in text or "csv.DictWriter(" in text:
            offenders.append(rel)
    assert offenders == []


def _rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.mark.django_db
def test_the_businesses_export_and_the_access_log_neutralise_formulas(client, kubu_raya):
    from businesses.models import Business
    from businesses.services import business_create
    from geo.selectors import desa_centroids
    from reports.models import PersonalDataAccess, Report
    from reports.services import categories_seed, report_submit

    lon, lat = {code: (x, y) for code, x, y in desa_centroids()}["61.12.01.2001"]
    business = business_create(name="=HYPERLINK(\"http://jahat.example\",\"klik\")", lon=lon, lat=lat)
    Business.objects.filter(pk=business.pk).update(verification_status="verified", listing_public=True)
    response = client.get("/api/v1/layers/businesses/download.csv")
    assert response.status_code == 200
    names = [row for row in _rows(b"".join(response.streaming_content))]
    cells = [cell for row in names for cell in row]
    assert "'=HYPERLINK(\"http://jahat.example\",\"klik\")" in cells
    assert not [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r"))]

    categories_seed()
    report = report_submit(report_id=uuid.uuid4(), category_code="flood", lon=lon, lat=lat,
                           photo_optional=True).report
    dpo = get_user_model().objects.create_user(username="dpo-csv", password="x" * 12)
    Membership.objects.create(user=dpo, role=Role.DPO)
    PersonalDataAccess.objects.create(report=Report.objects.get(id=report.id), user=dpo, kind="subject",
                                      reason="@SUM(1+1)*cmd|' /C calc'!A0")
    client.force_login(dpo)
    response = client.get("/api/v1/reports/access-log/?export=csv")
    assert response.status_code == 200
    cells = [cell for row in _rows(response.content) for cell in row]
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in cells
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
