"""The API's error messages in English on request (Accept-Language: en), from
the project catalog locale/en/LC_MESSAGES/django.po, and in Bahasa Indonesia
by default. Both the lean paths (common.lean) and DRF's (?format=json)."""
import json
import uuid

import pytest

from reports.services import categories_seed

REPORTS = "/api/v1/reports/"
COVERING = "/api/v1/areas/covering"
OUTSIDE_EN = "The point is outside Kubu Raya Regency."
OUTSIDE_ID = "Titik berada di luar wilayah Kabupaten Kubu Raya."
SEA = {"lon": 108.30, "lat": -0.05}          # in the sea west of Kubu Raya, beyond the tolerance
JAKARTA = {"lon": "106.8", "lat": "-6.2"}


@pytest.fixture
def taxonomy(kubu_raya):
    categories_seed()


def _submit(client, body, query="", **headers):
    return client.post(f"{REPORTS}{query}", json.dumps({"id": str(uuid.uuid4()), **body}),
                       content_type="application/json", **headers)


@pytest.mark.parametrize("query", ["", "?format=json"], ids=["lean", "drf"])
def test_report_outside_coverage_in_english_on_request(client, taxonomy, query):
    response = _submit(client, {"category": "flood", **SEA}, query, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response["Content-Language"] == "en"
    assert response.json() == {"code": "outside_coverage", "message": OUTSIDE_EN,
                               "fields": {"location": ["outside_coverage"]}}


@pytest.mark.parametrize("query", ["", "?format=json"], ids=["lean", "drf"])
def test_report_outside_coverage_in_indonesian_by_default(client, taxonomy, query):
    response = _submit(client, {"category": "flood", **SEA}, query)
    assert response.status_code == 400
    assert response["Content-Language"] == "id"
    assert response.json()["code"] == "outside_coverage"
    assert response.json()["message"] == OUTSIDE_ID


def test_browser_accept_language_gets_english(client, taxonomy):
    response = _submit(client, {"category": "flood", **SEA}, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9,id;q=0.5")
    assert response.json()["message"] == OUTSIDE_EN


@pytest.mark.parametrize("query", ["", "?format=json"], ids=["lean", "drf"])
def test_unknown_category_in_english(client, taxonomy, query):
    response = _submit(client, {"category": "ufo-sighting", **SEA}, query, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {"code": "unknown_category", "message": "Unknown category.",
                               "fields": {"category": ["unknown"]}}
    default = _submit(client, {"category": "ufo-sighting", **SEA}, query)
    assert default.json()["message"] == "Kategori tidak dikenal."


@pytest.mark.parametrize("extra", [{}, {"format": "json"}], ids=["lean", "drf"])
def test_covering_outside_coverage_in_english(client, kubu_raya, extra):
    response = client.get(COVERING, {**JAKARTA, **extra}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response["Content-Language"] == "en"
    assert response.json() == {"code": "outside_coverage", "message": OUTSIDE_EN, "lon": 106.8, "lat": -6.2}
    assert client.get(COVERING, {**JAKARTA, **extra}).json()["message"] == OUTSIDE_ID


def test_covering_invalid_coordinates_in_english(client, kubu_raya):
    response = client.get(COVERING, {"lon": "abc", "lat": "-0.1"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_coordinates"
    assert response.json()["message"] == (
        "Invalid coordinates: lon -180..180 and lat -90..90 (decimal degrees, EPSG:4326).")
