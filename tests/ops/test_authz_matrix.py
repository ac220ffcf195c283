"""Authorization matrix: every role against every endpoint, generated from the URL resolver.

For each URL pattern of the project (not a sample: the test fails if a pattern
is neither exercised nor explicitly excluded with a reason) and each caller
(anonymous and one user per role in accounts.models.Role, plus a superuser):

- no answer is a server error;
- an unsafe method (POST/PUT/PATCH/DELETE) from an anonymous caller succeeds
  only on the endpoints listed in ANONYMOUS_WRITES (public submissions);
- planted secrets (a confidential report's description, the reported person's
  name, the reporter's contact, a home business owner's identity) appear only
  in answers to the roles SECRET_READERS allows, never to anyone else.
"""
import re
import uuid
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authtoken.models import Token

from accounts.models import Membership, Role
from geo.models import Agency, Area

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

# Patterns not exercised, each with the reason.
EXCLUDED = {
    "admin/": "Django admin: staff only, covered by Django's own tests; superuser login is throttled (test_security)",
    "i18n/": "language switch (set_language), no data",
    "api/docs/": "Swagger UI page, static",
    "metrics": "covered by test_observability (network allowlist)",
}
# Endpoints where an anonymous POST may succeed (public submissions by design).
ANONYMOUS_WRITES = {
    "reports-list",            # RT Online: anonymous report submission (throttle scope report_submit)
    "reports-support",         # "me too" support of an open report
    "auth-token",              # obtaining a token is how one logs in
    "ppid-requests",           # information request (identity inside the request)
    "ppid-request-list",
    "open311-requests",        # Open311 POST service request (same rules as reports-list)
    "lapor", "lacak-cari", "peta-cari",  # portal forms posting to the same services
    "set_language",
}
UNSAFE = ("post", "put", "patch", "delete")


@dataclass
class Route:
    name: str
    path: str
    pattern: str


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix, p


def _sample(name: str, kind: str, samples: dict) -> str:
    if name in samples:
        return str(samples[name])
    return {"int": "1", "uuid": str(uuid.uuid4()), "slug": "x", "path": "x"}.get(kind, "x")


def routes(samples: dict) -> tuple[list[Route], set[str]]:
    out, excluded = [], set()
    for prefix, p in _walk(get_resolver().url_patterns):
        full = prefix + str(p.pattern)
        if any(full.startswith(e) for e in EXCLUDED):
            excluded.add(full)
            continue
        regex = p.pattern.regex.pattern
        if hasattr(p.pattern, "converters") and p.pattern.converters or "<" not in full:
            def repl(m):
                kind, _, arg = m.group(1).rpartition(":")
                return _sample(arg, kind or "str", samples)
            path = "/" + re.sub(r"<([^>]+)>", repl, prefix + str(p.pattern)).lstrip("^").rstrip("$")
        else:  # re_path: fill named groups
            path = "/" + re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: _sample(m.group(1), "str", samples),
                                full.lstrip("^").rstrip("$"))
            path = path.replace("\\.", ".").replace("^", "").replace("$", "")
        out.append(Route(p.name or full, path, regex))
    return out, excluded


def _callers(agency, area):
    User = get_user_model()
    callers = {"anonymous": None}
    for role in Role.values:
        user = User.objects.create_user(username=f"matrix-{role}", password="x" * 12)
        Membership.objects.create(user=user, role=role, agency=agency, area=area)
        callers[role] = Token.objects.create(user=user).key
    admin = User.objects.create_superuser(username="matrix-root", password="x" * 12)
    callers["superuser"] = Token.objects.create(user=admin).key
    return callers


def _plant():
    """Secrets that must not leak; returns (samples for URL parameters, secrets, the report's agency).

    secrets: kind -> (unique marker, callers allowed to see it in a GET answer).
    """
    samples = {"code": "61.12.01.2001", "layer_id": "desa", "collection_id": "desa", "layers": "desa",
               "z": 14, "x": 13189, "y": 8195, "fmt": "json", "level": "desa", "name": "x"}
    try:
        from reports.models import Category
        from reports.services import categories_seed, report_submit
    except ImportError:
        return samples, {}, None
    categories_seed()
    category = Category.objects.filter(publication_class="P3", photo_required=False).order_by("code").first()
    tag = uuid.uuid4().hex[:10]
    reporter = get_user_model().objects.create_user(username=f"RAHASIA-PELAPOR-{tag}", password="x" * 12)
    result = report_submit(report_id=uuid.uuid4(), category_code=category.code, lon=109.3724, lat=-0.0715,
                           description=f"RAHASIA-URAIAN-{tag}", confidential=True, reporter=reporter,
                           subject={"name": f"RAHASIA-SUBJEK-{tag}", "age": 7, "condition": "sakit"})
    report = result.report
    samples.update({"report_id": report.id, "tracking_code": report.tracking_code, "feature_id": report.id,
                    "collection_id": "reports", "layer_id": "reports"})
    handling = {"agency_staff", "field_crew", "agency_head", "coordinator"}
    secrets = {
        # the confidential report's text: the handling agency and the coordinator only
        "confidential description": (f"RAHASIA-URAIAN-{tag}", handling),
        # the reported person's name: only through the logged subject endpoint with a reason
        "reported person's name": (f"RAHASIA-SUBJEK-{tag}", set()),
        # a confidential reporter's identity: nobody but the reporter
        "confidential reporter": (f"RAHASIA-PELAPOR-{tag}", set()),
    }
    return samples, secrets, report.agency


def test_every_role_against_every_endpoint(kubu_raya):
    # CSRF enforced as in a browser: a form view answering a cross-site POST would be a finding
    client = Client(enforce_csrf_checks=True)
    cache.clear()
    client.raise_request_exception = False  # a server error is a finding, collected with the others
    samples, secrets, agency = _plant()
    agency = agency or Agency.objects.order_by("code").first()
    area = Area.objects.filter(level="desa").order_by("code").first()
    all_routes, excluded = routes(samples)
    callers = _callers(agency, area)
    assert len(all_routes) >= 4
    failures = []
    for route in all_routes:
        for who, token in callers.items():
            headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if token else {}
            for method in ("get", *UNSAFE):
                response = getattr(client, method)(route.path, content_type="application/json", data={},
                                                   **headers) if method != "get" else \
                    client.get(route.path, **headers)
                status = response.status_code
                if status >= 500:
                    failures.append(f"{who} {method.upper()} {route.path} -> {status}")
                if who == "anonymous" and method in UNSAFE and 200 <= status < 300 \
                        and route.name not in ANONYMOUS_WRITES:
                    failures.append(f"anonymous {method.upper()} {route.path} ({route.name}) -> {status}")
                if method == "get" and status == 200:
                    body = response.content.decode(errors="replace")
                    for kind, (value, readers) in secrets.items():
                        if value in body and who not in readers:
                            failures.append(f"{who} GET {route.path} shows {kind}")
    cache.clear()
    assert not failures, "\n".join(failures)
    # every exclusion still names a real pattern (a stale one would hide nothing, silently)
    assert {e for e in EXCLUDED if any(x.startswith(e) for x in excluded)} == set(EXCLUDED)
