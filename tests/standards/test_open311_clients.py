"""Issue 18, item 5: what an Open311 GeoReport v2 client does, every answer
checked against the spec's schemas (tests/standards/open311_schemas.py)."""
import uuid
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from common.throttles import SubmitRateThrottle
from reports.models import Open311Key, Report, ReportEvent

from . import open311_schemas as schemas
from .conftest import SUNGAI_RAYA, client_for

pytestmark = pytest.mark.django_db
KEY = "kunci-mitra-standar"


def _valid(body, schema):
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(body)
    return body


@pytest.fixture
def open311(taxonomy):
    Open311Key.objects.create(name="aplikasi mitra", key=KEY)
    # A client address of its own: the throttles' counters live in the shared Redis.
    return client_for(None), {"REMOTE_ADDR": f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"}


def _post(client, extra, **data):
    return client.post("/open311/v2/requests.json", {"api_key": KEY, **data}, **extra)


def test_services_list_only_what_can_be_read_back(open311, desa_point):
    client, extra = open311
    services = _valid(client.get("/open311/v2/services.json").json(), schemas.SERVICES)
    codes = {s["service_code"] for s in services}
    assert "flood" in codes and not {"health-visit", "violence", "other"} & codes
    lon, lat = desa_point(SUNGAI_RAYA)
    for code in sorted(codes):
        created = _post(client, extra, service_code=code, lat=lat, long=lon, description=f"uji {code}")
        assert created.status_code == 201, (code, created.content)
        rid = _valid(created.json(), schemas.POST_ANSWER)[0]["service_request_id"]
        read = client.get(f"/open311/v2/requests/{rid}.json")
        assert read.status_code == 200, code
        _valid(read.json(), schemas.REQUESTS)
        _valid(client.get(f"/open311/v2/services/{code}.json").json(), schemas.SERVICE_DEFINITION)
    assert client.get("/open311/v2/services/health-visit.json").status_code == 404


@pytest.mark.parametrize("code", ["health-visit", "civil-registry", "violence", "other", "ufo"])
def test_post_of_a_code_services_json_does_not_list_is_refused_and_changes_nothing(open311, desa_point, code):
    """P1-P3 (and unknown) codes: services.json does not list them, so a POST
    is refused with an Open311 error, JSON and XML, and nothing is stored."""
    client, extra = open311
    lon, lat = desa_point(SUNGAI_RAYA)
    listed = {s["service_code"] for s in client.get("/open311/v2/services.json").json()}
    assert code not in listed
    before = (Report.objects.count(), ReportEvent.objects.count())
    refused = _post(client, extra, service_code=code, lat=lat, long=lon, description="Siti sakit")
    assert refused.status_code == 400, refused.content
    error = _valid(refused.json(), schemas.ERRORS)[0]
    assert error["code"] == 400 and error["description"].startswith("service_code_unknown: ")
    assert "services.json" in error["description"]
    xml = client.post("/open311/v2/requests.xml", {"api_key": KEY, "service_code": code, "lat": lat,
                                                   "long": lon}, **extra)
    assert xml.status_code == 400
    root = ET.fromstring(xml.content)
    assert root.tag == "errors" and root.find("error/code").text == "400"
    assert root.find("error/description").text.startswith("service_code_unknown: ")
    assert (Report.objects.count(), ReportEvent.objects.count()) == before


def test_every_answer_validates_and_media_url_is_omitted(open311, desa_point):
    client, extra = open311
    lon, lat = desa_point(SUNGAI_RAYA)
    rid = _post(client, extra, service_code="flood", lat=lat, long=lon).json()[0]["service_request_id"]
    rows = _valid(client.get("/open311/v2/requests.json").json(), schemas.REQUESTS)
    assert rows and all("media_url" not in r for r in rows)
    _valid(client.get("/open311/v2/requests.json", {"service_request_id": rid}).json(), schemas.REQUESTS)
    for bad in ({"status": "lost"}, {"start_date": "kemarin"}):
        _valid(client.get("/open311/v2/requests.json", bad).json(), schemas.ERRORS)
    _valid(client.get("/open311/v2/requests/nope.json").json(), schemas.ERRORS)
    _valid(client.post("/open311/v2/requests.json", {"api_key": "salah"}).json(), schemas.ERRORS)


def test_service_notice_links_to_the_tracking_page(open311, desa_point):
    client, extra = open311
    lon, lat = desa_point(SUNGAI_RAYA)
    answer = _post(client, extra, service_code="flood", lat=lat, long=lon).json()[0]
    report = Report.objects.get(id=answer["service_request_id"])
    link = f"/lacak/{report.tracking_code}/"
    assert link in answer["service_notice"]
    assert client.get(link).status_code == 200


def test_address_id_or_address_string_alone_locate_the_desa(open311):
    client, extra = open311
    by_id = _post(client, extra, service_code="flood", address_id=SUNGAI_RAYA, description="Banjir")
    assert by_id.status_code == 201, by_id.content
    report = Report.objects.get(id=by_id.json()[0]["service_request_id"])
    assert report.desa.code == SUNGAI_RAYA
    name, kecamatan = report.desa.name, report.kecamatan.name
    by_name = _post(client, extra, service_code="flood", address_string=f"Desa {name}, Kec. {kecamatan}")
    assert by_name.status_code == 201, by_name.content
    assert Report.objects.get(id=by_name.json()[0]["service_request_id"]).desa.code == SUNGAI_RAYA
    before = Report.objects.count()
    for bad in ({"address_string": "Jalan Antah Berantah 12"}, {"address_id": "99.99.99.9999"}, {}):
        refused = _post(client, extra, service_code="flood", **bad)
        assert refused.status_code == 400
        assert _valid(refused.json(), schemas.ERRORS)[0]["description"].count("lat") >= 1
    assert Report.objects.count() == before


def test_descriptions_up_to_4000_characters(open311, desa_point):
    client, extra = open311
    lon, lat = desa_point(SUNGAI_RAYA)
    assert _post(client, extra, service_code="flood", lat=lat, long=lon, description="a" * 4000).status_code == 201
    too_long = _post(client, extra, service_code="flood", lat=lat, long=lon, description="a" * 4001)
    assert too_long.status_code == 400
    _valid(too_long.json(), schemas.ERRORS)


def test_post_is_rate_limited_with_the_report_api(open311, desa_point, monkeypatch):
    client, extra = open311
    monkeypatch.setattr(SubmitRateThrottle, "THROTTLE_RATES", {"report_submit": "3/hour"})
    lon, lat = desa_point(SUNGAI_RAYA)
    statuses = [_post(client, extra, service_code="flood", lat=lat + i * 1e-4, long=lon).status_code
                for i in range(3)]
    assert statuses == [201, 201, 201]
    refused = _post(client, extra, service_code="flood", lat=lat, long=lon)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    _valid(refused.json(), schemas.ERRORS)
    # The same bucket as POST /api/v1/reports/ from that address.
    api = client.post("/api/v1/reports/", {"id": str(uuid.uuid4()), "category": "flood", "lon": lon, "lat": lat},
                      **extra)
    assert api.status_code == 429
    xml = client.post("/open311/v2/requests.xml", {"api_key": KEY, "service_code": "flood", "lat": lat,
                                                   "long": lon}, **extra)
    assert xml.status_code == 429 and ET.fromstring(xml.content).tag == "errors"
