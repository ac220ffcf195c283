"""Issue 18, item 1: ordinary input that clients send by themselves answers
a clear 4xx or the data, never a 500; unmatched paths under the machine
interfaces answer JSON 404 in each interface's own error shape."""
import json

import pytest

from tests.reports.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("collection,name", [
    ("desa", "Sungai Raya"), ("kecamatan", "Sungai Raya"), ("service-areas", "x"), ("businesses", "x")])
def test_ogc_name_property_filter_is_a_filter_not_a_500(client, kubu_raya, collection, name):
    response = client.get(f"/ogc/collections/{collection}/items", {"name": name, "limit": 5})
    assert response.status_code == 200, response.content[:300]
    doc = json.loads(response.content)
    assert all(f["properties"]["name"] == name for f in doc["features"])
    self_link = next(link["href"] for link in doc["links"] if link["rel"] == "self")
    assert "name=" in self_link and "f=json" in self_link


def test_ogc_name_filter_finds_the_desa(client, kubu_raya):
    doc = json.loads(client.get("/ogc/collections/kecamatan/items", {"name": "Sungai Raya"}).content)
    assert doc["numberReturned"] == 1 and doc["features"][0]["properties"]["name"] == "Sungai Raya"


@pytest.mark.parametrize("offset", ["1e20", "100000000000000000000", "-1", "9" * 400])
def test_ogc_absurd_offset_is_a_400(client, kubu_raya, offset):
    response = client.get("/ogc/collections/desa/items", {"offset": offset})
    assert response.status_code == 400
    assert json.loads(response.content)["code"] == "InvalidParameterValue"


def test_lacak_search_with_a_slash_is_not_found_not_500(client):
    response = client.get("/lacak/", {"kode": "A/B"})
    assert response.status_code == 404
    assert client.get("/lacak/", {"kode": "kr-abcd-efgh"}).status_code == 302


@pytest.mark.parametrize("params", [
    {"end_date": "0001-01-01T00:00:00Z"}, {"start_date": "0001-01-01T00:00:00Z"},
    {"end_date": "9999-12-31T23:59:59Z"}, {"start_date": "0001-01-01T00:00:00+07:00"},
    {"end_date": "9999-12-31T23:59:59-12:00", "start_date": "0001-01-01T00:00:00Z"}])
def test_open311_extreme_dates_answer_a_list(client, taxonomy, params):
    response = client.get("/open311/v2/requests.json", params)
    assert response.status_code == 200, response.content[:300]
    assert isinstance(json.loads(response.content), list)


@pytest.mark.parametrize("params,field", [({"limit": "-5"}, "limit"), ({"limit": "0"}, "limit"),
                                          ({"offset": "99999999999999999999"}, "offset"),
                                          ({"offset": "-1"}, "offset")])
def test_agency_queue_bad_paging_is_a_400(users, params, field):
    response = client_for(users["pupr"]).get("/api/v1/reports/queue/", params)
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body["code"] == "invalid" and field in body["fields"]


def test_agency_queue_pages(users):
    assert client_for(users["pupr"]).get("/api/v1/reports/queue/", {"limit": "1000"}).status_code == 200


@pytest.mark.parametrize("path,shape", [
    ("/api/nope", "api"), ("/api/v1/tidak-ada/", "api"), ("/tiles/nope/1/2/3.pbf", "api"),
    ("/ogc/collections/desa/items/1/extra", "ogc"), ("/ogc/nope", "ogc"), ("/open311/v2/nope.json", "open311")])
def test_unmatched_machine_paths_answer_json_404(client, path, shape):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    if shape == "api":
        assert body["code"] == "not_found" and body["message"]
    elif shape == "ogc":
        assert body["code"] == "NotFound" and body["description"]
    else:
        assert body[0]["code"] == 404 and body[0]["description"]


def test_unmatched_portal_path_stays_html(client):
    response = client.get("/tidak-ada-halaman/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_json_404_speaks_english_on_request(client):
    response = client.get("/api/nope", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["message"] == "Not found."


def test_queue_paging_error_in_english(users):
    response = client_for(users["pupr"]).get("/api/v1/reports/queue/", {"limit": "-5"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["message"] == "limit must be at least 1 and offset 0-1000000000."
