"""Regencies as tenants (issue 23) on one PostgreSQL: loading another kabupaten/kota
is one command and creates its agencies from the template; every row of a report
carries the regency of its desa; routing uses the regency's own rules; a regency's
staff see only their regency. Kubu Raya stays as it was (61.12)."""
import json
from functools import lru_cache

import pytest
from django.conf import settings
from django.core.management import call_command
from shapely.geometry import shape

from accounts.models import Membership, Role
from geo.models import Agency, Area, ServiceArea
from reports.models import Report, ReportEvent, ReportPhoto, RoutingDecision, RoutingRule
from reports.selectors import report_access, reports_queue

from .conftest import SUNGAI_RAYA, client_for

PONTIANAK = "61.71"
PONTIANAK_DESA = "61.71.01.1002"  # Benuamelayu Laut, Kecamatan Pontianak Selatan


@lru_cache
def inside(code: str) -> tuple[float, float]:
    """A point inside a desa of the province file (not its centroid: always inside)."""
    path = settings.KR_DATA_DIR / "kalbar" / "kalbar_desa.geojson"
    features = json.loads(path.read_text())["features"]
    p = shape(next(f for f in features if f["properties"]["code"] == code)["geometry"]).representative_point()
    return p.x, p.y


@pytest.fixture
def pontianak(kubu_raya, taxonomy, capsys):
    call_command("geo_load_kalbar", PONTIANAK, "--commit")
    return capsys.readouterr().out


@pytest.mark.usefixtures("pontianak")
def test_loading_a_regency_creates_its_agencies_from_the_template():
    kecamatan = list(Area.objects.filter(edition__is_current=True, level="kecamatan", code__startswith="61.71.")
                     .values_list("code", flat=True))
    assert len(kecamatan) == 6
    agencies = {a.code: a for a in Agency.objects.filter(regency_code=PONTIANAK)}
    for code in ("6171-diskominfo", "6171-pupr", "6171-dinkes", "6171-bpbd", "6171-damkar", "6171-polres"):
        assert code in agencies, code
    assert agencies["6171-diskominfo"].is_coordinator
    assert {c for c in agencies if "-kec-" in c} == {f"6171-kec-{k[-2:]}" for k in kecamatan}
    puskesmas = {c: a for c, a in agencies.items() if "-pkm-" in c}
    assert len(puskesmas) == 6 and all(a.parent == agencies["6171-dinkes"] for a in puskesmas.values())
    # Their service areas are the regency's, and so are the areas loaded.
    assert set(ServiceArea.objects.filter(agency__in=agencies.values()).values_list("regency_code", flat=True)) \
        == {PONTIANAK}
    assert ServiceArea.objects.get(agency=agencies["6171-pkm-01"]).area_codes == ["61.71.01"]
    assert Area.objects.get(edition__is_current=True, code=PONTIANAK_DESA).regency_code == PONTIANAK
    # The regency's routing rules name its own agencies only.
    rules = RoutingRule.objects.filter(regency_code=PONTIANAK).select_related("agency")
    assert rules.exists() and {r.agency.regency_code for r in rules} == {PONTIANAK}
    assert "6171-pupr" in {r.agency.code for r in rules.filter(category__code="road-damage")}
    # Kubu Raya's agencies are untouched; running the command again adds nothing.
    assert set(Agency.objects.filter(code__in=["pupr", "dinkes"]).values_list("regency_code", flat=True)) == {"61.12"}
    before = (Agency.objects.count(), RoutingRule.objects.count())
    call_command("geo_load_kalbar", PONTIANAK, "--commit")
    assert (Agency.objects.count(), RoutingRule.objects.count()) == before


@pytest.mark.usefixtures("pontianak")
def test_a_report_and_its_rows_carry_the_regency_of_its_desa(submit, users):
    response = submit(users["resident"], category="road-damage", point=inside(PONTIANAK_DESA))
    assert response.status_code == 201, response.content
    report = Report.objects.get(id=response.json()["id"])
    assert report.desa.code == PONTIANAK_DESA and report.regency_code == PONTIANAK
    assert report.agency.code == "6171-pupr"  # the regency's own rule, not Kubu Raya's PUPR
    for model in (ReportEvent, ReportPhoto, RoutingDecision):
        assert set(model.objects.filter(report=report).values_list("regency_code", flat=True)) == {PONTIANAK}
    # Kubu Raya (the default) as today.
    kr = submit(users["resident"], category="road-damage", desa=SUNGAI_RAYA)
    kr_report = Report.objects.get(id=kr.json()["id"])
    assert (kr_report.regency_code, kr_report.agency.code) == ("61.12", "pupr")
    assert set(ReportEvent.objects.filter(report=kr_report).values_list("regency_code", flat=True)) == {"61.12"}


@pytest.mark.usefixtures("pontianak")
def test_a_regencys_staff_see_only_their_regency(submit, users, make_user):
    # A category without a default agency in either regency: both reports go to triage.
    ids = {}
    for regency, point in (("61.12", None), (PONTIANAK, inside(PONTIANAK_DESA))):
        kwargs = {"point": point} if point else {"desa": SUNGAI_RAYA}
        response = submit(users["resident"], category="road-damage", **kwargs)
        ids[regency] = response.json()["id"]
    Report.objects.filter(id__in=ids.values()).update(agency=None)  # in triage
    kr_coordinator = users["coordinator"]
    pnk_coordinator = make_user("koordinator_pontianak", Role.COORDINATOR, "6171-diskominfo")
    pnk_pupr = make_user("staf_pupr_pontianak", Role.AGENCY_STAFF, "6171-pupr")
    assert Membership.objects.get(user=pnk_coordinator).regency_code == PONTIANAK

    def queue(user):
        return {str(r.id) for r in reports_queue(user=user)}

    assert ids["61.12"] in queue(kr_coordinator) and ids[PONTIANAK] not in queue(kr_coordinator)
    assert ids[PONTIANAK] in queue(pnk_coordinator) and ids["61.12"] not in queue(pnk_coordinator)
    pnk_report = Report.objects.get(id=ids[PONTIANAK])
    assert not report_access(user=kr_coordinator, report=pnk_report).any
    assert report_access(user=pnk_coordinator, report=pnk_report).coordinator

    # Through the API: the other regency's report does not exist for Kubu Raya's coordinator,
    # and Pontianak's coordinator cannot dispatch to an agency of Kubu Raya.
    url = f"/api/v1/reports/{ids[PONTIANAK]}/transitions/"
    refused = client_for(kr_coordinator).post(url, {"to": "dispatched", "agency": "6171-pupr"},
                                              content_type="application/json")
    assert refused.status_code == 404, refused.content
    foreign = client_for(pnk_coordinator).post(url, {"to": "dispatched", "agency": "pupr"},
                                               content_type="application/json")
    assert foreign.status_code == 400 and foreign.json()["code"] == "unknown_agency", foreign.content
    done = client_for(pnk_coordinator).post(url, {"to": "dispatched", "agency": "6171-pupr"},
                                            content_type="application/json")
    assert done.status_code == 200, done.content
    assert ids[PONTIANAK] in queue(pnk_pupr) and ids[PONTIANAK] not in queue(users["pupr"])


@pytest.mark.usefixtures("pontianak")
def test_outside_coverage_names_every_regency_served(client, submit, users):
    served = "Titik berada di luar wilayah layanan: Kabupaten Kubu Raya, Kota Pontianak."
    lookup = client.get("/api/v1/areas/covering", {"lon": "106.8", "lat": "-6.2"})  # Jakarta
    assert lookup.status_code == 404 and lookup.json()["message"] == served, lookup.content
    response = submit(users["resident"], category="road-damage", point=(106.8, -6.2))
    assert response.status_code == 400 and response.json()["message"] == served, response.content
    english = client.get("/api/v1/areas/covering", {"lon": "106.8", "lat": "-6.2"}, HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["message"] == "The point is outside the area served: Kabupaten Kubu Raya, Kota Pontianak."
