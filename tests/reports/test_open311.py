"""Open311 GeoReport v2: discovery, services, definitions, requests in JSON and XML."""
import xml.etree.ElementTree as ET

import pytest

from reports.models import Open311Key, Report

from .conftest import SUNGAI_RAYA, client_for


def test_discovery_and_services_in_json_and_xml(taxonomy):
    client = client_for(None)
    discovery = client.get("/open311/v2/discovery.json").json()
    assert discovery["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    root = ET.fromstring(client.get("/open311/v2/discovery.xml").content)
    assert root.tag == "discovery" and root.find("endpoints/endpoint/formats/format") is not None
    services = client.get("/open311/v2/services.json").json()
    codes = {s["service_code"] for s in services}
    # Only services whose requests can be read back (P0): issue 18.
    assert {"road-damage", "flood"} <= codes and "health-visit" not in codes
    xml_services = ET.fromstring(client.get("/open311/v2/services.xml").content)
    assert {s.findtext("service_code") for s in xml_services.findall("service")} == codes
    definition = client.get("/open311/v2/services/flood.json").json()
    assert definition == {"service_code": "flood", "attributes": []}
    assert client.get("/open311/v2/services/ufo.json").status_code == 404


def test_post_needs_an_api_key_and_valid_input(taxonomy, desa_point):
    Open311Key.objects.create(name="aplikasi mitra", key="kunci-mitra")
    lon, lat = desa_point(SUNGAI_RAYA)
    client = client_for(None)
    base = {"service_code": "flood", "lat": lat, "long": lon, "description": "Banjir setinggi lutut"}
    assert client.post("/open311/v2/requests.json", base).status_code == 403
    assert client.post("/open311/v2/requests.json", {**base, "api_key": "salah"}).status_code == 403
    bad = client.post("/open311/v2/requests.xml", {**base, "api_key": "kunci-mitra", "lat": 1.0, "long": 112.0})
    assert bad.status_code == 400 and ET.fromstring(bad.content).tag == "errors"
    assert client.post("/open311/v2/requests.json", {**base, "api_key": "kunci-mitra",
                                                     "service_code": "ufo"}).status_code == 400
    assert Report.objects.count() == 0
    created = client.post("/open311/v2/requests.xml", {**base, "api_key": "kunci-mitra"})
    assert created.status_code == 201
    rid = ET.fromstring(created.content).findtext("request/service_request_id")
    assert Report.objects.get(id=rid).channel == "open311"


def test_requests_list_and_by_id_map_statuses_to_open_and_closed(submit, users):
    open_id = submit(users["resident"], category="flood", photo=None).json()["id"]
    closed_id = submit(users["resident"], category="flood", photo=None).json()["id"]
    client_for(users["bpbd"]).post(f"/api/v1/reports/{closed_id}/transitions/", {"to": "dispatched"})
    client_for(users["bpbd"]).post(f"/api/v1/reports/{closed_id}/transitions/",
                                   {"to": "resolved", "note": "Air sudah surut"})
    client = client_for(None)
    rows = {r["service_request_id"]: r for r in client.get("/open311/v2/requests.json").json()}
    assert rows[open_id]["status"] == "open" and rows[closed_id]["status"] == "closed"
    assert rows[closed_id]["status_notes"] == "Air sudah surut"
    assert rows[open_id]["agency_responsible"] == "Badan Penanggulangan Bencana Daerah"
    assert rows[open_id]["address_id"] == SUNGAI_RAYA
    only_closed = client.get("/open311/v2/requests.json", {"status": "closed"}).json()
    assert [r["service_request_id"] for r in only_closed] == [closed_id]
    assert client.get("/open311/v2/requests.json", {"status": "lost"}).status_code == 400
    xml_one = ET.fromstring(client.get(f"/open311/v2/requests/{open_id}.xml").content)
    assert xml_one.findtext("request/service_code") == "flood"
    assert float(xml_one.findtext("request/lat")) < 0  # south of the equator
    assert client.get("/open311/v2/requests/bukan-id.json").status_code == 404
