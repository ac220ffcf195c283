"""Shared fixtures: a test database with the real Kubu Raya boundaries.

The boundaries are loaded once per session from KR_DATA_DIR (../shared/data)
with the same loader `make demo` uses. Tests that flush the database
(transactional tests, live servers) get them back through `kubu_raya`.
"""
import json
from pathlib import Path

import pytest
from django.conf import settings
from shapely.geometry import shape

from geo.importers import kubu_raya as kubu_raya_loader
from geo.models import Edition


def _ensure_kubu_raya():
    if not Edition.objects.filter(is_current=True, slug=kubu_raya_loader.EDITION_SLUG).exists():
        kubu_raya_loader.run(commit=True)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        _ensure_kubu_raya()


@pytest.fixture
def kubu_raya(db):
    """The current Kubu Raya edition, loaded (again, after a flush) if needed."""
    _ensure_kubu_raya()
    return Edition.objects.get(is_current=True)


@pytest.fixture
def citus_local_execution(db):
    """On Citus (settings.KR_CITUS): local execution for the whole test transaction.
    A staging path (reports.bulk, geo.reassign) turns it on for its own transaction
    (common.citus.local_execution_on), which works only while the transaction has not
    reached the coordinator over a connection; a test wraps everything in one
    transaction, so a test of such a path requests this fixture first. Nothing on
    plain PostgreSQL."""
    from django.db import connection

    from common.citus import local_execution_on

    with connection.cursor() as cursor:
        local_execution_on(cursor)


@pytest.fixture(scope="session")
def desa_shapes() -> dict:
    """code -> (name, shapely geometry) straight from the source file."""
    path = Path(settings.KR_DATA_DIR) / "kubu_raya_desa.geojson"
    data = json.loads(path.read_text())
    return {f["properties"]["code"]: (f["properties"]["name"], shape(f["geometry"])) for f in data["features"]}


@pytest.fixture
def count_drf_dispatches(monkeypatch):
    """count_drf_dispatches(SomeApi) -> the list of paths of the requests
    that reached SomeApi's DRF dispatch (a lean path, common.lean, skips it)."""
    def count(view_class):
        calls = []
        dispatch = view_class.dispatch

        def counting(self, request, *args, **kwargs):
            calls.append(request.get_full_path())
            return dispatch(self, request, *args, **kwargs)

        monkeypatch.setattr(view_class, "dispatch", counting)
        return calls
    return count
