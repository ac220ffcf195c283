"""The production configuration builds and starts: collectstatic with the
manifest storage, gunicorn with deploy/gunicorn.conf.py and the production
settings, and the public pages answer (issue 17: they answered 500)."""
import os
import re
import subprocess
import sys

import pytest
import requests
from django.conf import settings

from . import servers
from .servers import gunicorn

pytestmark = pytest.mark.slow
PAGES = ("/", "/peta/", "/dasbor/", "/lapor/", "/data/", "/informasi/", "/ppid/")


@pytest.mark.django_db(transaction=True)
def test_the_production_build_collects_its_static_files_and_serves_the_public_pages(kubu_raya, tmp_path):
    from reports.services import categories_seed

    categories_seed()
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.production", "SECRET_KEY": "x" * 50,
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "STATIC_ROOT": str(tmp_path / "static"),
           "DATABASE_URL": servers.test_database_url(), "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
           "GUNICORN_WORKERS": "1", "GUNICORN_THREADS": "2"}
    built = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                           cwd=settings.BASE_DIR, env={**os.environ, **env}, capture_output=True, text=True,
                           timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]
    manifest = tmp_path / "static" / "staticfiles.json"
    assert manifest.exists()
    with gunicorn(config="deploy/gunicorn.conf.py", **env) as base:
        https = {"X-Forwarded-Proto": "https"}  # nginx terminates TLS (SECURE_PROXY_SSL_HEADER)
        for path in PAGES:
            page = requests.get(base + path, headers=https, timeout=60)
            assert page.status_code == 200, (path, page.status_code, page.text[:500])
        peta = requests.get(base + "/peta/", headers=https, timeout=60).text
        leaflet = re.search(r'/static/portal/vendor/leaflet/leaflet\.[0-9a-f]{12}\.js', peta)
        assert leaflet, "the map page names the hashed Leaflet file"
        asset = requests.get(base + leaflet[0], headers=https, timeout=60)
        assert asset.status_code == 200 and "immutable" in asset.headers.get("Cache-Control", "")
        # issue 19: the project's own scripts minified under their hashed name, and a brotli copy
        lapor = requests.get(base + "/lapor/", headers=https, timeout=60).text
        script = re.search(r'/static/portal/js/lapor\.[0-9a-f]{12}\.js', lapor)
        assert script, "the report form names its hashed script"
        asset = requests.get(base + script[0], headers={**https, "Accept-Encoding": "br"}, timeout=60)
        assert asset.headers.get("Content-Encoding") == "br" and "immutable" in asset.headers["Cache-Control"]
        assert "/*" not in asset.text and "KR.decodePolyline" in asset.text
