"""Run the project under gunicorn in a subprocess (real HTTP, real worker process)."""
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import requests
from django.conf import settings

from .pgcluster import free_port


def test_database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgis://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@contextlib.contextmanager
def gunicorn(*, database_url: str | None = None, workers: int = 1, config: str | None = None, **env_extra):
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test",
           "DATABASE_URL": database_url or test_database_url(), "DB_CONNECT_TIMEOUT": "2",
           "LOG_LEVEL": "WARNING", **env_extra}
    args = ["-c", config] if config else []
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", *args, "config.wsgi", "-b", f"127.0.0.1:{port}",
                             "-w", str(workers), "--timeout", "60"], cwd=settings.BASE_DIR, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                # A loaded machine may take seconds to import Django in the worker.
                requests.get(f"{base}/healthz", timeout=30)
                break
            except (requests.ConnectionError, requests.Timeout):
                assert proc.poll() is None, proc.stderr.read().decode()
                time.sleep(0.1)
        else:
            raise AssertionError("gunicorn did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)


def nginx_config(body: str, prefix: str, workers: int | str = 1) -> str:
    """A whole nginx.conf around `body` (the http-level part), every path in `prefix`."""
    user = "user root root;\n" if os.geteuid() == 0 else ""
    return f"""{user}daemon off;
worker_processes {workers};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
{body}
}}
"""


@contextlib.contextmanager
def nginx(*, upstream: str, tiles_snippet: str, edge_dir: str, workers: int | str = 1):
    """nginx on a free loopback port in front of `upstream`, with the project's
    tile snippet (deploy/nginx/kubu-raya-tiles.conf) pointed at `edge_dir`."""
    prefix = tempfile.mkdtemp(prefix="kr-nginx-")
    port = free_port()
    snippet = tiles_snippet.replace("/var/cache/kubu-raya/tile-edge", edge_dir)
    with open(os.path.join(prefix, "tiles.conf"), "w") as f:
        f.write(snippet)
    body = f"""
    upstream app {{ server {upstream.removeprefix('http://')}; keepalive 8; }}
    server {{
        listen 127.0.0.1:{port};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        location /tiles/ {{
            include {prefix}/tiles.conf;
            proxy_pass http://app;
        }}
        location @kr_tiles_app {{ proxy_pass http://app; }}
        location / {{ proxy_pass http://app; }}
    }}"""
    conf = os.path.join(prefix, "nginx.conf")
    with open(conf, "w") as f:
        f.write(nginx_config(body, prefix, workers))
    proc = subprocess.Popen([NGINX, "-p", prefix, "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode()
                time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        shutil.rmtree(prefix, ignore_errors=True)
