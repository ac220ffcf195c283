"""Issue 18, item 3: /api/schema/ is a valid OpenAPI 3 document
(openapi-spec-validator) in which every operation declares its success and
error answers and every write its request body; /api/docs/ needs no CDN."""
import re

import pytest
import yaml
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.test import Client
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def test_schema_is_valid_openapi(schema):
    validate(schema)
    assert schema["openapi"].startswith("3.")


def test_every_operation_declares_success_and_error_answers(schema):
    operations = list(_operations(schema))
    assert len(operations) > 60
    missing = []
    for method, path, operation in operations:
        responses = operation["responses"]
        successes = {s: r for s, r in responses.items() if s.startswith("2")}
        errors = {s: r for s, r in responses.items() if s.startswith("4")}
        if not successes or any(s != "204" and not r.get("content") for s, r in successes.items()):
            missing.append(f"{method} {path}: success body")
        if "400" not in errors or "429" not in errors:
            missing.append(f"{method} {path}: 400/429")
        if "{" in path and "404" not in errors:
            missing.append(f"{method} {path}: 404")
        for status, response in errors.items():
            if response["content"]["application/json"]["schema"] != {"$ref": "#/components/schemas/Error"}:
                missing.append(f"{method} {path}: {status} is not the Error shape")
        if method in ("post", "put", "patch") and "requestBody" not in operation:
            missing.append(f"{method} {path}: request body")
    assert not missing, missing
    assert set(schema["components"]["schemas"]["Error"]["required"]) == {"code", "message"}


def test_business_search_parameters_are_described(schema):
    names = {p["name"] for p in schema["paths"]["/api/v1/businesses/"]["get"]["parameters"]}
    assert {"q", "sector", "scale", "certificate", "desa", "kecamatan", "near", "radius_m", "bbox",
            "limit", "offset"} <= names


def test_error_statuses_match_what_the_api_answers(client, schema):
    """The declared error shape is the one the API sends."""
    body = client.get("/api/v1/businesses/", {"limit": "0"}).json()
    required = schema["components"]["schemas"]["Error"]["required"]
    assert all(key in body for key in required) and "limit" in body["fields"]


def test_swagger_ui_is_served_from_the_project(client):
    html = client.get("/api/docs/").content.decode()
    assert "cdn.jsdelivr" not in html and "unpkg" not in html
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert any("swagger-ui-bundle" in a for a in assets), assets
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
