"""The deployment files: gunicorn config under real load, compose and Dockerfile shape."""
import re

import pytest
import requests
import yaml
from django.conf import settings

from .servers import gunicorn

POINT = {"lon": 109.3724, "lat": -0.0715}


@pytest.mark.slow
@pytest.mark.django_db
def test_gunicorn_config_serves_with_bounded_queries_and_metrics_summed_over_workers(kubu_raya, tmp_path):
    with gunicorn(config="deploy/gunicorn.conf.py", workers=2, PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
                  GUNICORN_THREADS="2") as base:
        for _ in range(12):
            assert requests.get(f"{base}/api/v1/areas/covering", params=POINT, timeout=30).status_code == 200
        body = requests.get(f"{base}/metrics", timeout=30).text
    counts = [float(line.rsplit(" ", 1)[1]) for line in body.splitlines()
              if line.startswith("kr_http_request_duration_seconds_count") and 'status="200"' in line
              and 'route="metrics"' not in line]
    # 12 requests + the start-up /healthz probes, whichever worker answered each
    assert sum(counts) >= 12


def test_compose_waits_for_a_healthy_postgis_and_the_image_uses_system_gdal():
    compose = yaml.safe_load((settings.BASE_DIR / "docker-compose.yml").read_text())
    db, web = compose["services"]["db"], compose["services"]["web"]
    assert db["image"].startswith("postgis/postgis:15")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert web["depends_on"]["db"]["condition"] == "service_healthy"
    dockerfile = (settings.BASE_DIR / "Dockerfile").read_text()
    assert re.search(r"apt-get install .*gdal-bin", dockerfile)
    assert "gunicorn" in dockerfile and "deploy/gunicorn.conf.py" in dockerfile


def test_nginx_site_limits_bodies_hides_private_media_and_serves_edge_tiles():
    site = (settings.BASE_DIR / "deploy" / "nginx" / "kubu-raya.conf").read_text()
    assert re.search(r"client_max_body_size\s+\d+m;", site)
    assert re.search(r"location /protected/ \{\s+internal;", site)
    assert "location /media/ { return 404; }" in site
    assert "include /srv/kubu-raya/deploy/nginx/kubu-raya-tiles.conf;" in site
    assert "location @kr_tiles_app" in site
    assert "Strict-Transport-Security" in site
