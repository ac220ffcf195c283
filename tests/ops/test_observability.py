"""Request ids, JSON logs, /metrics, /readyz."""
import json
import logging

import pytest

from ops.logging import JsonFormatter
from tests.tiles.conftest import tile_cache  # noqa: F401 (fixture)

URL = "/api/v1/areas/covering"
POINT = {"lon": 109.3724, "lat": -0.0715}


@pytest.mark.django_db
def test_request_id_is_kept_when_given_and_made_when_not(client, kubu_raya):
    given = client.get(URL, POINT, HTTP_X_REQUEST_ID="abc-123")
    assert given["X-Request-ID"] == "abc-123"
    made = client.get(URL, POINT)
    assert len(made["X-Request-ID"]) == 32
    # a header that could forge log lines is replaced, not echoed
    forged = client.get(URL, POINT, HTTP_X_REQUEST_ID='x" \n{"level": "CRITICAL"}')
    assert forged["X-Request-ID"] != 'x" \n{"level": "CRITICAL"}' and len(forged["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_access_log_is_one_json_line_with_the_request_id(client, kubu_raya, caplog):
    with caplog.at_level(logging.INFO, logger="kr.request"):
        client.get(URL, POINT, HTTP_X_REQUEST_ID="req-42")
    record = next(r for r in caplog.records if r.name == "kr.request")
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-42"
    assert line["status"] == 200 and line["route"] not in ("unmatched", "unnamed")
    assert line["path"] == URL and "duration_ms" in line


@pytest.mark.django_db
def test_metrics_expose_latency_by_route_tiles_and_reports(client, kubu_raya):
    client.get(URL, POINT)
    body = client.get("/metrics").content.decode()
    assert "kr_http_request_duration_seconds_bucket" in body
    route_lines = [ln for ln in body.splitlines() if ln.startswith("kr_http_request_duration_seconds_count")]
    assert any('method="GET"' in ln and 'status="200"' in ln for ln in route_lines)
    assert not any("109.37" in ln for ln in route_lines)  # labels are routes, never raw URLs
    for name in ("kr_tile_cache_total", "kr_database_unavailable_total", "kr_reports_overdue"):
        assert name in body


@pytest.mark.django_db
def test_metrics_are_refused_to_the_internet(client):
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403


@pytest.mark.django_db
def test_readyz_reports_jobs_and_media(client):
    body = client.get("/readyz").json()
    assert body["status"] == "ok"
    assert body["checks"]["jobs"]["mode"] == "inline"
    assert body["checks"]["media"]["status"] == "ok"


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["parent=%00&level=kecamatan", "level=desa%00", "x%00y=1"])
def test_nul_bytes_in_a_query_are_bad_input_not_a_server_error(client, kubu_raya, query):
    # found by `make fuzz`: PostgreSQL refuses NUL in text, which used to surface as a 500
    response = client.get(f"/api/v1/areas/?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


@pytest.mark.django_db
def test_suspicious_requests_get_a_json_400(client, settings):
    settings.ALLOWED_HOSTS = ["rt.kuburayakab.go.id"]
    response = client.get("/api/v1/areas/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


@pytest.mark.django_db
@pytest.mark.parametrize("body,content_type", [
    ("producer=%00x&title=a", "application/x-www-form-urlencoded"),
    ('{"producer": "a\\u0000b"}', "application/json"),
])
def test_nul_bytes_in_a_body_are_bad_input(client, body, content_type):
    # found by `make fuzz` on a form field that reaches a database lookup
    response = client.generic("POST", "/api/v1/areas/", body, content_type=content_type)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


@pytest.mark.django_db
def test_nul_in_a_multipart_text_field_is_bad_input_and_a_broken_multipart_too(client):
    from django.core.files.uploadedfile import SimpleUploadedFile
    response = client.post("/api/v1/areas/", {"title": "a\x00b", "file": SimpleUploadedFile("f.bin", b"\x00\x01")})
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    broken = client.generic("POST", "/api/v1/areas/", b"--x\r\nnot a part",
                            content_type="multipart/form-data; boundary=")
    assert broken.status_code == 400 and broken.json()["code"] == "invalid"


def _tile_counter(body: str, layer: str, result: str) -> float:
    prefix = "kr_tile_cache_total{"
    for line in body.splitlines():
        if line.startswith(prefix) and f'layer="{layer}"' in line and f'result="{result}"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.mark.django_db
def test_tile_cache_hit_rate_is_counted_per_layer(client, kubu_raya, tile_cache):
    from tests.tiles.conftest import tile_of

    x, y = tile_of(POINT["lon"], POINT["lat"], 12)
    before = client.get("/metrics").content.decode()
    first = client.get(f"/tiles/desa/12/{x}/{y}.mvt")
    second = client.get(f"/tiles/desa/12/{x}/{y}.mvt")
    third = client.get(f"/tiles/desa/12/{x}/{y}.mvt", HTTP_IF_NONE_MATCH=second["ETag"])
    assert (first["X-Tile-Cache"], second["X-Tile-Cache"], third.status_code) == ("miss", "hit", 304)
    after = client.get("/metrics").content.decode()
    for result in ("miss", "hit", "not_modified"):
        assert _tile_counter(after, "desa", result) - _tile_counter(before, "desa", result) == 1, result
