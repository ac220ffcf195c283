"""Load shedding: past the queueing bound, 503 + Retry-After at once (issue 17, 8)."""
import time

import pytest
from django.conf import settings

from config.celery import app


@pytest.mark.django_db
def test_a_request_that_queued_too_long_is_shed_with_503_and_retry_after(client, kubu_raya):
    url, point = "/api/v1/areas/covering", {"lon": 109.3724, "lat": -0.0715}
    waited = time.time() - (settings.OPS_SHED_QUEUE_MS / 1000.0) * 3  # stamped by nginx long ago
    shed = client.get(url, point, HTTP_X_REQUEST_START=f"t={waited:.3f}")
    assert shed.status_code == 503 and shed.json()["code"] == "overloaded" and int(shed["Retry-After"]) > 0
    fresh = client.get(url, point, HTTP_X_REQUEST_START=f"t={time.time():.3f}")
    assert fresh.status_code == 200
    assert client.get(url, point).status_code == 200  # no stamp (no nginx in front): never shed
    assert client.get("/healthz", HTTP_X_REQUEST_START=f"t={waited:.3f}").status_code == 200


def test_nginx_stamps_the_request_start_for_it():
    site = (settings.BASE_DIR / "deploy" / "nginx" / "kubu-raya.conf").read_text()
    assert 'proxy_set_header X-Request-Start "t=${msec}";' in site


def test_a_killed_workers_tasks_come_back_within_minutes_not_an_hour():
    options = app.conf.broker_transport_options
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert options["visibility_timeout"] <= 600 and options["socket_timeout"] > 0
