"""A tracking code names its regency (issue 23): the two-letter prefix of a new code is
the regency of the report's desa (KR for Kubu Raya, PT for Kota Pontianak, ...), so the
tracking page and API find the report in one regency (on Citus one shard:
test_citus_routing). Codes issued before, KR- in any regency, keep working."""
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.regency import REGENCY_OF_TRACKING_PREFIX, TRACKING_PREFIX, by_tracking_code, regency_of_tracking
from reports.models import Report
from residents.selectors import code_normalize
from tenancy.load import REGENCIES

from .conftest import SUNGAI_RAYA
from .test_regencies import PONTIANAK, PONTIANAK_DESA, inside, pontianak  # noqa: F401 (fixture)

TRACK_API = "/api/v1/reports/track/{}/"


def lookups(queries) -> list[str]:
    return [q["sql"] for q in queries if 'FROM "reports_report"' in q["sql"] and '"tracking_code" =' in q["sql"]]


def test_every_regency_of_the_province_has_its_own_prefix_from_the_codes_alphabet():
    assert sorted(TRACKING_PREFIX) == sorted(REGENCIES)
    assert len(REGENCY_OF_TRACKING_PREFIX) == len(TRACKING_PREFIX)
    assert TRACKING_PREFIX["61.12"] == "KR"
    assert not set("".join(TRACKING_PREFIX.values())) & set("ILOU01")
    assert regency_of_tracking("PT-7GQ2-M4XZ") == "61.71" and regency_of_tracking("KR-7GQ2-M4XZ") == "61.12"
    assert regency_of_tracking("XX-7GQ2-M4XZ") is None and regency_of_tracking("7GQ2M4XZ") is None


def test_each_prefix_is_its_regencys_name_in_the_official_code_list():
    import csv

    from django.conf import settings

    with open(settings.KR_DATA_DIR / "kalbar" / "kalbar_wilayah_codes.csv", encoding="utf-8") as f:
        names = {r["code"]: r["name"].removeprefix("Kabupaten ").removeprefix("Kota ")
                 for r in csv.DictReader(f) if r["level"] == "kabupaten"}
    assert set(names) == set(TRACKING_PREFIX)
    capitals = {"61.08": "Ngabang"}  # Landak: its capital (no L in the codes' alphabet)
    for code, prefix in TRACKING_PREFIX.items():
        name = capitals.get(code, names[code]).upper()
        assert name[0] == prefix[0] and prefix[1] in name[1:], (code, names[code], prefix)


def test_typed_codes_are_normalized_with_their_regencys_prefix():
    assert code_normalize("pt7gq2m4xz") == "PT-7GQ2-M4XZ"
    assert code_normalize(" pt 7gq2 m4xz ") == "PT-7GQ2-M4XZ"
    assert code_normalize("kr7gq2m4xz") == "KR-7GQ2-M4XZ"
    assert code_normalize("7GQ2-M4XZ") == "KR-7GQ2-M4XZ"  # the deployment's regency (Kubu Raya)
    assert code_normalize("PT-7GQ2") == "PT-7GQ2"  # too short: not found, not rewritten


@pytest.mark.usefixtures("pontianak")
def test_a_new_code_names_its_regency_and_is_tracked_there(submit, users):
    response = submit(users["resident"], category="road-damage", point=inside(PONTIANAK_DESA))
    assert response.status_code == 201, response.content
    report = Report.objects.get(id=response.json()["id"])
    assert report.regency_code == PONTIANAK and report.tracking_code.startswith("PT-")
    kr = Report.objects.get(id=submit(users["resident"], category="road-damage", desa=SUNGAI_RAYA).json()["id"])
    assert kr.tracking_code.startswith("KR-")  # Kubu Raya's codes look as they always did
    client = Client()
    for code in (report.tracking_code, kr.tracking_code):
        with CaptureQueriesContext(connection) as queries:
            api = client.get(TRACK_API.format(code))
        assert api.status_code == 200 and api.json()["tracking_code"] == code
        # One lookup, in the regency the prefix names.
        sqls = lookups(queries.captured_queries)
        assert len(sqls) == 1 and '"regency_code" =' in sqls[0], sqls
        page = client.get(reverse("portal:lacak", kwargs={"code": code}))
        assert page.status_code == 200 and code in page.content.decode()
    # Typed in lower case without dashes: redirected to the code.
    typed = client.get(reverse("portal:lacak", kwargs={"code": report.tracking_code.replace("-", "").lower()}))
    assert typed.status_code == 302 and typed["Location"].endswith(f"/lacak/{report.tracking_code}/")


@pytest.mark.usefixtures("pontianak")
def test_a_code_issued_before_prefixes_named_regencies_keeps_working(submit, users):
    response = submit(users["resident"], category="road-damage", point=inside(PONTIANAK_DESA))
    report = Report.objects.get(id=response.json()["id"])
    legacy = "KR-" + report.tracking_code[3:]  # every regency's codes were KR- before
    Report.objects.filter(regency_code=PONTIANAK, id=report.id).update(tracking_code=legacy)
    client = Client()
    assert client.get(TRACK_API.format(legacy)).json()["tracking_code"] == legacy
    assert client.get(reverse("portal:lacak", kwargs={"code": legacy})).status_code == 200
    assert by_tracking_code(Report.objects.values_list("id", flat=True), legacy) == report.id


def test_an_unknown_code_is_a_json_404_and_only_a_kr_miss_looks_everywhere(db):
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(TRACK_API.format("PT-2222-3333"))
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
    assert len(lookups(queries.captured_queries)) == 1  # in Kota Pontianak only
    with CaptureQueriesContext(connection) as queries:
        assert client.get(TRACK_API.format("KR-2222-3333")).status_code == 404
    sqls = lookups(queries.captured_queries)
    assert len(sqls) == 2 and '"regency_code" =' not in sqls[1]  # Kubu Raya, then any regency (legacy codes)
    assert client.get(reverse("portal:lacak", kwargs={"code": "SB-2222-3333"})).status_code == 404
