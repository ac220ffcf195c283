"""The edge mirror behind real nginx: cached unfiltered tiles are files nginx
sends without Django, and the request that changes data under a tile removes
its file at every zoom, so nginx never serves a stale or unlawful tile."""
import gzip
import os
import subprocess
import tempfile
import time

import pytest
import requests
from django.conf import settings

from tests.ops.servers import NGINX, nginx, nginx_config
from tests.reports.conftest import SUNGAI_RAYA, desa_point, submit, taxonomy  # noqa: F401 (fixtures)
from tests.tiles.conftest import decode, tile_cache, tile_of  # noqa: F401 (fixture)
from tiles import cache

pytestmark = [pytest.mark.skipif(NGINX is None, reason="nginx is not installed (make edge-deps)"),
              pytest.mark.django_db(transaction=True)]

SNIPPET = (settings.BASE_DIR / "deploy" / "nginx" / "kubu-raya-tiles.conf").read_text()
GZ = {"Accept-Encoding": "gzip"}


@pytest.fixture
def edge(settings, tile_cache):
    # nginx's workers read the files: a world-readable folder outside pytest's private tmp.
    folder = tempfile.mkdtemp(prefix="kr-edge-")
    os.chmod(folder, 0o755)
    settings.TILES_EDGE_DIR = folder
    yield folder
    cache.tiles_purge()
    os.rmdir(folder) if os.path.isdir(folder) and not os.listdir(folder) else None


@pytest.fixture
def edge_server(live_server, edge, kubu_raya):
    with nginx(upstream=live_server.url, tiles_snippet=SNIPPET, edge_dir=edge) as base:
        yield base


def fetch(base, layer, z, x, y, headers=GZ, query=""):
    response = requests.get(f"{base}/tiles/{layer}/{z}/{x}/{y}.mvt{query}", headers=headers, timeout=30)
    body = response.content  # requests undoes Content-Encoding: gzip
    if response.headers.get("X-Tile-Cache") == "miss":
        _kept(layer, z, x, y, query, mirrored=not query and response.status_code == 200)
    return response, (decode(body) if response.status_code == 200 else {})


def _kept(layer, z, x, y, query, mirrored, seconds=5.0):
    """A miss is kept (and mirrored) after its response was sent
    (write-behind): wait for it."""
    params = dict(p.split("=", 1) for p in query.lstrip("?").split("&") if p)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = cache.tile_lookup(layer, z, x, y, params, body=None)
        if found is not None and found[0] is not None and (
                not mirrored or cache.edge_path(layer, z, x, y).exists()):
            return
        time.sleep(0.02)


def report_ids_in(layers: dict) -> set:
    return {f["properties"].get("id") for f in layers.get("reports", {}).get("features", [])}


def test_second_request_is_served_by_nginx_and_a_new_report_removes_the_file_at_every_zoom(
        edge_server, edge, taxonomy, desa_point, submit):  # noqa: F811
    lon, lat = desa_point(SUNGAI_RAYA)
    assert submit(point=(lon, lat)).status_code == 201
    x, y = tile_of(lon, lat, 16)

    first, layers = fetch(edge_server, "reports", 16, x, y)
    assert first.headers["X-Tile-Cache"] == "miss" and len(report_ids_in(layers)) == 1
    assert cache.edge_path("reports", 16, x, y).exists()

    second, again = fetch(edge_server, "reports", 16, x, y)
    assert second.headers["X-Tile-Cache"] == "edge"
    assert second.headers["Content-Encoding"] == "gzip"
    assert second.headers["Content-Type"] == "application/vnd.mapbox-vector-tile"
    assert report_ids_in(again) == report_ids_in(layers)
    plain, plain_layers = fetch(edge_server, "reports", 16, x, y, headers={"Accept-Encoding": "identity"})
    assert plain.headers["X-Tile-Cache"] == "edge" and "Content-Encoding" not in plain.headers
    assert report_ids_in(plain_layers) == report_ids_in(layers)
    revalidated = requests.get(f"{edge_server}/tiles/reports/16/{x}/{y}.mvt", timeout=30,
                               headers={**GZ, "If-None-Match": second.headers["ETag"]})
    assert revalidated.status_code == 304

    # Warm the point's tile at every zoom, then one new report nearby.
    for z in range(0, 21):
        fetch(edge_server, "reports", z, *tile_of(lon, lat, z))
    mirrored = [z for z in range(0, 21) if cache.edge_path("reports", z, *tile_of(lon, lat, z)).exists()]
    assert 16 in mirrored and 8 in mirrored
    assert submit(point=(lon + 0.00002, lat + 0.00002)).status_code == 201
    assert [z for z in range(0, 21) if cache.edge_path("reports", z, *tile_of(lon, lat, z)).exists()] == []

    fresh, fresh_layers = fetch(edge_server, "reports", 16, x, y)
    assert fresh.headers["X-Tile-Cache"] == "miss" and len(report_ids_in(fresh_layers)) == 2
    assert fetch(edge_server, "reports", 16, x, y)[0].headers["X-Tile-Cache"] == "edge"


def test_filtered_tiles_and_restricted_reports_never_come_from_the_edge(edge_server, edge, taxonomy,  # noqa: F811
                                                                        desa_point, submit):  # noqa: F811
    lon, lat = desa_point(SUNGAI_RAYA)
    assert submit(point=(lon, lat)).status_code == 201
    assert submit(point=(lon, lat), category="health-visit", photo=False).status_code == 201
    assert submit(point=(lon + 0.0001, lat), category="street-light").status_code == 201
    x, y = tile_of(lon, lat, 16)
    for _ in range(2):
        response, layers = fetch(edge_server, "reports", 16, x, y, query="?category=road-damage")
        assert response.headers["X-Tile-Cache"] in ("miss", "hit")
        assert {f["properties"]["category_code"] for f in layers["reports"]["features"]} == {"road-damage"}
    assert not os.path.exists(str(cache.edge_path("reports", 16, x, y)) + "?category=road-damage")
    for _ in range(2):
        response, layers = fetch(edge_server, "reports", 16, x, y)
    assert response.headers["X-Tile-Cache"] == "edge"
    categories = {f["properties"].get("category_code") for f in layers["reports"]["features"]}
    assert categories == {"road-damage", "street-light"}   # the P1 health visit is only ever a count


def test_a_new_layer_version_removes_the_layer_from_the_edge(edge_server, edge):
    x, y = tile_of(109.3724, -0.0715, 10)
    fetch(edge_server, "desa", 10, x, y)
    assert fetch(edge_server, "desa", 10, x, y)[0].headers["X-Tile-Cache"] == "edge"
    fetch(edge_server, "desa,kecamatan", 10, x, y)
    assert cache.edge_path("desa,kecamatan", 10, x, y).exists()
    cache.tiles_invalidate_layer("desa")
    assert not cache.edge_path("desa", 10, x, y).exists()
    assert not cache.edge_path("desa,kecamatan", 10, x, y).exists()
    assert fetch(edge_server, "desa", 10, x, y)[0].headers["X-Tile-Cache"] == "miss"


def test_the_deployed_site_configuration_is_valid_for_debian_nginx(tmp_path):
    """`nginx -t` on deploy/nginx/kubu-raya.conf as shipped, with a throwaway
    certificate in place of Let's Encrypt's and the snippet from this checkout."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                    "-days", "1", "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True)
    site = (settings.BASE_DIR / "deploy" / "nginx" / "kubu-raya.conf").read_text()
    site = site.replace("/etc/letsencrypt/live/rt.kuburayakab.go.id/fullchain.pem", str(tmp_path / "cert.pem"))
    site = site.replace("/etc/letsencrypt/live/rt.kuburayakab.go.id/privkey.pem", str(tmp_path / "key.pem"))
    site = site.replace("/srv/kubu-raya/deploy/nginx/", str(settings.BASE_DIR / "deploy" / "nginx") + "/")
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(nginx_config(f"include {tmp_path}/site.conf;", str(tmp_path)))
    result = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "gzip_static always" in SNIPPET and "error_page 404 418 = @kr_tiles_app" in SNIPPET
