"""Rate limits, login throttling, production hardening."""
import os
import subprocess
import sys

import pytest
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache

from .servers import gunicorn

POINT = {"lon": 109.3724, "lat": -0.0715}


@pytest.mark.slow
@pytest.mark.django_db
def test_anonymous_clients_are_throttled_per_ip(kubu_raya):
    with gunicorn(THROTTLE_ANON="3/min") as base:
        codes = [requests.get(f"{base}/api/v1/areas/covering", params=POINT, timeout=10) for _ in range(4)]
    assert [r.status_code for r in codes] == [200, 200, 200, 429]
    assert codes[-1].json()["code"] == "throttled"
    assert int(codes[-1].headers["Retry-After"]) > 0


@pytest.fixture
def officer(db):
    cache.clear()
    user = get_user_model().objects.create_user(username="petugas", password="benar-sekali-123")
    yield user
    cache.clear()


def test_repeated_failed_logins_lock_the_account_even_for_the_right_password(client, officer):
    for _ in range(settings.OPS_LOGIN_MAX_FAILURES):
        assert not client.login(username="petugas", password="salah")
    assert not client.login(username="petugas", password="benar-sekali-123")
    cache.clear()  # the window passes
    assert client.login(username="petugas", password="benar-sekali-123")


def test_admin_login_form_is_throttled_too(client, officer):
    for _ in range(settings.OPS_LOGIN_MAX_FAILURES):
        client.post("/admin/login/", {"username": "PETUGAS", "password": "salah"})  # case-folded key
    response = client.post("/admin/login/", {"username": "petugas", "password": "benar-sekali-123"})
    assert response.status_code in (200, 403)
    assert "_auth_user_id" not in client.session


def test_production_settings_pass_the_deploy_checks():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production",
           "SECRET_KEY": "k" * 20 + "Zq9!xV2#mP7@rT4$wY6%uI8^oL1&aS3*dF5(gH0)", "ALLOWED_HOSTS": "rt.kuburayakab.go.id",
           "SECURE_HSTS_PRELOAD": "true"}
    out = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING",
                          "--tag", "security"], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    probe = subprocess.run([sys.executable, "-c", (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS >= 31536000, "
        "'statement_timeout=15000' in s.DATABASES['default']['OPTIONS']['options'], "
        "s.AUTH_PASSWORD_VALIDATORS[1]['OPTIONS']['min_length'] >= 12)")],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60)
    assert probe.stdout.split() == ["True"] * 5, probe.stderr
