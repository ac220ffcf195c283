"""Authorization matrix: every role against every endpoint, generated from the URL resolver.

For each URL pattern of the project (not a sample: the test fails if a pattern
is neither exercised nor explicitly excluded with a reason) and each caller
(anonymous and one user per role in accounts.models.Role, plus a superuser):

- no answer is a server error;
- an unsafe method (POST/PUT/PATCH/DELETE) from an anonymous caller succeeds
  only on the endpoints listed in ANONYMOUS_WRITES (public submissions);
- planted secrets appear only in answers to the roles allowed to read them,
  never to anyone else: a confidential report's description, the reported
  person's name, the reporter's identity; a home-based business owner's name,
  NIK, home address and contact and the business's capital and annual sales
  (domain.md 7.5: only the scale class is public); an information requester's
  name, NIK, address and contact (the PPID staff handling the request only).

URL parameters are filled from several sample sets (the planted report, the
planted business, the planted information request, each export format of the
layers carrying them), so each parameterised endpoint, page, export, OGC
collection and tile is called with the ids, collections, layers, tiles and
formats that carry each planted record; QUERIES adds the query strings that
make list and search endpoints return it. Each secret some role may read must
be seen by one of them, so that no row of the matrix is vacuous.
"""
import re
import uuid
from dataclasses import dataclass

import morecantile
import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve
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
    "ppid-api-requesters",     # registering as a pemohon informasi publik (account + identity)
    "ppid-signup",             # the same as a page
    "open311-requests",        # Open311 POST service request (same rules as reports-list)
    "lapor", "lacak-cari", "peta-cari",  # portal forms posting to the same services
    "set_language",
}
UNSAFE = ("post", "put", "patch", "delete")
REPORT_POINT = (109.3724, -0.0715)     # lon, lat (Sungai Raya)
BUSINESS_POINT = (109.3731, -0.0722)   # a home 100 m away
# Query strings that make list and search endpoints return the planted
# records ({...}: from the first sample set); the bare path is called too.
QUERIES = {
    "businesses-list": ["", "?q=Warung+Uji", f"?near={BUSINESS_POINT[0]},{BUSINESS_POINT[1]}&radius_m=2000"],
    "reports-nearby": ["", f"?lon={REPORT_POINT[0]}&lat={REPORT_POINT[1]}&radius_m=2000"],
    "reports-candidates": ["", f"?lon={REPORT_POINT[0]}&lat={REPORT_POINT[1]}"],
    "peta-cari": ["", "?q=Warung+Uji"],
    "lacak-cari": ["", "?code={tracking_code}"],
    "ogc-items": ["", "?limit=1000"],
    "planner-within": ["", f"?lon={REPORT_POINT[0]}&lat={REPORT_POINT[1]}&radius_m=2000"],
}


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


def _fill(prefix: str, p: URLPattern, samples: dict) -> str:
    full = prefix + str(p.pattern)
    if hasattr(p.pattern, "converters") and p.pattern.converters or "<" not in full:
        def repl(m):
            kind, _, arg = m.group(1).rpartition(":")
            return _sample(arg, kind or "str", samples)
        return "/" + re.sub(r"<([^>]+)>", repl, full).lstrip("^").rstrip("$")
    # re_path: fill named groups
    path = "/" + re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: _sample(m.group(1), "str", samples),
                        full.lstrip("^").rstrip("$"))
    return path.replace("\\.", ".").replace("^", "").replace("$", "")


def routes(scenarios: list[dict]) -> tuple[list[Route], set[str]]:
    """Every URL pattern, once per distinct path its parameters take in the
    sample sets (a set whose values do not fit the pattern is skipped)."""
    out, excluded, seen = [], set(), set()
    for prefix, p in _walk(get_resolver().url_patterns):
        full = prefix + str(p.pattern)
        if any(full.startswith(e) for e in EXCLUDED):
            excluded.add(full)
            continue
        paths = []
        for samples in scenarios:
            path = _fill(prefix, p, samples)
            try:
                if resolve(path).func is not p.callback:
                    continue
            except Resolver404:
                continue
            if path not in paths:
                paths.append(path)
        if not paths:  # no sample set fits: still called (it answers 404, never 5xx)
            paths = [_fill(prefix, p, scenarios[0])]
        for path in paths:
            for query in QUERIES.get(p.name, [""]):
                key = path + query.format(**scenarios[0])
                if key not in seen:
                    seen.add(key)
                    out.append(Route(p.name or full, key, p.pattern.regex.pattern))
    return out, excluded


def _callers(agency, area):
    from ppid.services import requester_register

    User = get_user_model()
    callers = {"anonymous": None}
    for role in Role.values:
        user = User.objects.create_user(username=f"matrix-{role}", password="x" * 12)
        Membership.objects.create(user=user, role=role, agency=agency, area=area)
        if role == Role.REQUESTER:  # another requester, registered with an identity of their own
            requester_register(user=user, identity={
                "kind": "person", "name": "Pemohon Lain", "id_number": "6112010101900009",
                "address": "Jl. Lain No. 1", "email": "lain@example.id"})
        callers[role] = Token.objects.create(user=user).key
    admin = User.objects.create_superuser(username="matrix-root", password="x" * 12)
    callers["superuser"] = Token.objects.create(user=admin).key
    return callers


def _tile(lon: float, lat: float, z: int = 14) -> dict:
    tile = morecantile.tms.get("WebMercatorQuad").tile(lon, lat, z)
    return {"z": tile.z, "x": tile.x, "y": tile.y}


def _amounts(value: int) -> list[str]:
    """A rupiah figure as a body could spell it: 417263951, 417,263,951, 417.263.951."""
    return [str(value), f"{value:,}", f"{value:,}".replace(",", ".")]


def _plant_report(tag: str) -> tuple[dict, dict, object]:
    from reports.models import Category
    from reports.services import categories_seed, report_submit

    categories_seed()
    category = Category.objects.filter(publication_class="P3", photo_required=False).order_by("code").first()
    reporter = get_user_model().objects.create_user(username=f"RAHASIA-PELAPOR-{tag}", password="x" * 12)
    result = report_submit(report_id=uuid.uuid4(), category_code=category.code, lon=REPORT_POINT[0],
                           lat=REPORT_POINT[1], description=f"RAHASIA-URAIAN-{tag}", confidential=True,
                           reporter=reporter, subject={"name": f"RAHASIA-SUBJEK-{tag}", "age": 7,
                                                       "condition": "sakit"})
    report = result.report
    samples = {"report_id": report.id, "tracking_code": report.tracking_code, "feature_id": report.id,
               "service_code": category.code,
               "collection_id": "reports", "layer_id": "reports", "layers": "reports", **_tile(*REPORT_POINT)}
    handling = {"agency_staff", "field_crew", "agency_head", "coordinator"}
    secrets = {
        # the confidential report's text: the handling agency and the coordinator only
        "confidential description": ([f"RAHASIA-URAIAN-{tag}"], handling),
        # the reported person's name: only through the logged subject endpoint with a reason
        "reported person's name": ([f"RAHASIA-SUBJEK-{tag}"], set()),
        # a confidential reporter's identity: nobody but the reporter
        "confidential reporter": ([f"RAHASIA-PELAPOR-{tag}"], set()),
    }
    return samples, secrets, report.agency


def _plant_business(tag: str) -> tuple[dict, dict]:
    """A home-based business without any consent: its owner's identity and its
    figures are personal data (domain.md 7.5); only the scale class is public."""
    from businesses.services import business_create, owner_create

    owner_user = get_user_model().objects.create_user(username=f"pemilik-{tag}", password="x" * 12)
    nik = "6112" + str(int(tag, 16) % 10**12).zfill(12)
    owner = owner_create(user=owner_user, name=f"RAHASIA-PEMILIK-{tag}", nik=nik,
                         home_address=f"RAHASIA-RUMAH-{tag} Gg. Melati", phone="0812" + nik[-8:],
                         email=f"pemilik-{tag}@example.id")
    capital, sales = 417_263_951, 1_738_492_615
    business = business_create(owner=owner, name=f"Warung Uji {tag}", lon=BUSINESS_POINT[0],
                               lat=BUSINESS_POINT[1], is_home_based=True, capital_idr=capital,
                               annual_sales_idr=sales, products="kerupuk basah")
    from businesses.models import Business

    Business.objects.filter(pk=business.pk).update(verification_status="verified", listing_public=True)  # public once verified and listed
    # A second one awaiting verification (the verifier reads its figures in
    # the pending queue; nobody else sees it at all).
    business_create(owner=owner, name=f"Warung Tunggu {tag}", lon=BUSINESS_POINT[0], lat=BUSINESS_POINT[1],
                    is_home_based=True, capital_idr=capital, annual_sales_idr=sales, products="kerupuk basah")
    business.refresh_from_db()
    shown_at = (business.public_location.x, business.public_location.y)  # the desa point: no consent
    samples = {"business_id": business.id, "feature_id": business.id, "collection_id": "businesses",
               "layer_id": "businesses", "layers": "businesses", **_tile(*shown_at),
               "home_tile": _tile(*BUSINESS_POINT)}
    verifier = {"umkm_verifier"}  # verifying the scale class needs the figures
    secrets = {
        "business owner's name": ([owner.name], set()),
        "business owner's NIK": ([nik], set()),
        "business owner's home address": ([f"RAHASIA-RUMAH-{tag}"], set()),
        "business owner's contact": ([owner.phone, owner.email], set()),
        "business capital": (_amounts(capital), verifier),
        "business annual sales": (_amounts(sales), verifier),
    }
    # Where the business's public entry (its name) must reach the anonymous
    # caller: the matrix then provably read the outputs that could leak.
    samples["reach"] = (business.name, [
        "/api/v1/businesses/?q=", f"/api/v1/businesses/{business.id}/", "/ogc/collections/businesses/items?",
        f"/ogc/collections/businesses/items/{business.id}", "/api/v1/layers/businesses/download.geojson",
        "/api/v1/layers/businesses/download.csv", "/api/v1/layers/businesses/download.gpkg",
        "/tiles/businesses/"])
    return samples, secrets


def _plant_request(tag: str, agency) -> tuple[dict, dict]:
    """An information request by a registered requester, handled by the
    matrix agency's PPID Pelaksana (and seen by the atasan PPID)."""
    from ppid.services import request_create

    requester = get_user_model().objects.create_user(username=f"pemohon-{tag}", password="x" * 12)
    nik = "6112" + str(int(tag, 16) % 10**12 + 7).zfill(12)[-12:]
    identity = {"kind": "person", "name": f"RAHASIA-PEMOHON-{tag}", "id_number": nik,
                "address": f"RAHASIA-ALAMAT-PEMOHON-{tag}", "phone": "0813" + nik[-8:],
                "email": f"pemohon-{tag}@example.id"}
    request = request_create(requester=requester, identity=identity, agency=agency,
                             information="Daftar jalan rusak 2025", purpose="Kajian")
    staff = {"ppid_officer", "ppid_superior"}
    secrets = {
        "requester's name": ([identity["name"]], staff),
        "requester's NIK": ([nik], staff),
        "requester's address": ([identity["address"]], staff),
        "requester's contact": ([identity["phone"], identity["email"]], staff),
    }
    return {"number": request.registration_number}, secrets


def _plant(agency):
    """Records that must not leak; returns (sample sets for URL parameters,
    secrets, the agency the role callers act for).

    secrets: kind -> (texts that would reveal it, callers allowed to see it in a GET answer).
    """
    base = {"code": "61.12.01.2001", "layer_id": "desa", "collection_id": "desa", "layers": "desa",
            "z": 14, "x": 13189, "y": 8195, "fmt": "json", "level": "desa", "name": "x"}
    tag = uuid.uuid4().hex[:10]
    report_samples, secrets, report_agency = _plant_report(tag)
    agency = report_agency or agency
    base.update({k: report_samples[k] for k in ("report_id", "tracking_code", "feature_id")})
    business_samples, business_secrets = _plant_business(tag)
    reach = business_samples.pop("reach")
    home_tile = business_samples.pop("home_tile")  # where the home is: the tile shows nothing of it
    request_samples, request_secrets = _plant_request(tag, agency)
    secrets.update(business_secrets)
    secrets.update(request_secrets)
    scenarios = [base, {**base, **report_samples}, {**base, **business_samples},
                 {**base, **business_samples, **home_tile}, {**base, **request_samples},
                 {**base, "code": report_samples["service_code"]}]
    # every export format of the layers carrying a planted record
    scenarios += [{**base, "layer_id": layer, "fmt": fmt}
                  for fmt in ("geojson", "csv", "gpkg") for layer in ("reports", "businesses")]
    return scenarios, secrets, agency, reach


def _body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode(errors="replace")


def test_every_role_against_every_endpoint(kubu_raya, settings, tmp_path):
    # A tile cache private to this run: the test's writes are rolled back
    # without the on-commit invalidation, so a shared cache would serve
    # tiles of an earlier run and the tiles would be read from nothing planted now.
    settings.TILES_REDIS_URL = ""
    # CSRF enforced as in a browser: a form view answering a cross-site POST would be a finding
    client = Client(enforce_csrf_checks=True)
    cache.clear()
    client.raise_request_exception = False  # a server error is a finding, collected with the others
    scenarios, secrets, agency, (public_name, must_reach) = _plant(Agency.objects.order_by("code").first())
    area = Area.objects.filter(level="desa").order_by("code").first()
    all_routes, excluded = routes(scenarios)
    callers = _callers(agency, area)
    assert len(all_routes) >= 4
    failures, shown, reached = [], {kind: set() for kind in secrets}, set()
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
                    body = _body(response)
                    if who == "anonymous" and public_name in body:
                        reached.add(route.path)
                    for kind, (values, readers) in secrets.items():
                        if any(value in body for value in values):
                            shown[kind].add(who)
                            if who not in readers:
                                failures.append(f"{who} GET {route.path} shows {kind}")
    cache.clear()
    assert not failures, "\n".join(failures)
    # The matrix reaches the records: a secret some role may read was seen by
    # one of them (a planted record no endpoint returns would make its rows vacuous).
    for kind, (_values, readers) in secrets.items():
        assert not readers or shown[kind], f"no endpoint showed {kind} even to {sorted(readers)}"
    for prefix in must_reach:
        assert any(path.startswith(prefix) for path in reached), f"the planted business never reached {prefix}"
    # every exclusion still names a real pattern (a stale one would hide nothing, silently)
    assert {e for e in EXCLUDED if any(x.startswith(e) for x in excluded)} == set(EXCLUDED)
