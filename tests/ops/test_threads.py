"""Thread-safety of gthread workers (issue 17, 5a and 5b)."""
import os
import subprocess
import sys
import threading

import pytest
from django.conf import settings
from django.contrib.gis.geos import Point

from common import db
from ops.startup import EAGER_MODULES


def _converter_readers(model):
    """The GEOS readers the geometry converters of model_from_row use."""
    _, _, converters = db._layout(model)
    readers = []
    for _pos, convs, _column in converters:
        for convert in convs:
            for cell in convert.__closure__ or ():
                value = cell.cell_contents
                if callable(value) and hasattr(value, "__self__"):
                    readers.append(value.__self__)
    return readers


def test_each_thread_converts_geometries_with_its_own_geos_reader():
    from geo.models import AreaPart

    main = _converter_readers(AreaPart)
    assert main, "AreaPart has a geometry converter"
    other = []
    thread = threading.Thread(target=lambda: other.extend(_converter_readers(AreaPart)))
    thread.start()
    thread.join()
    assert other and all(r is not m for r in other for m in main)


@pytest.mark.django_db
def test_concurrent_threads_read_geometries_from_rows_without_errors():
    """Many threads turning EWKB rows into instances at once, as gthread
    workers do: with one shared reader this failed with GEOSException /
    'Unexpected EOF parsing WKB'."""
    from django.db import connection

    from reports.models import Report

    fields = Report._meta.concrete_fields
    geom_pos = [i for i, f in enumerate(fields) if f.attname == "location"][0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_SetSRID(ST_MakePoint(109.2, -0.3), 4326)")
        big = cursor.fetchone()[0]  # as the ORM reads a geometry column (hex EWKB)
        cursor.execute("SELECT ST_SetSRID(ST_MakePoint(109.4, -0.07), 4326)")
        point = cursor.fetchone()[0]
    row = [None] * len(fields)
    row[[i for i, f in enumerate(fields) if f.primary_key][0]] = "6f1c2c52-0b8e-4b0e-9a55-7d0b1e2f3a4b"
    db._layout(Report)  # built by this thread first, as the first request of a worker did
    errors = []

    def work(wkb):
        values = list(row)
        values[geom_pos] = wkb
        try:
            for _ in range(5000):
                instance = db.model_from_row(Report, values)
                assert round(instance.location.x, 1) in (109.2, 109.4)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(big if i % 2 else point,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert isinstance(db.model_from_row(Report, [*row[:geom_pos], point, *row[geom_pos + 1:]]).location, Point)


def test_the_wsgi_application_imports_what_request_threads_would_import_lazily():
    code = ("import sys, config.wsgi; mods = %r; missing = [m for m in mods if m not in sys.modules]; "
            "print('missing', missing)" % (EAGER_MODULES,))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "REDIS_URL": "redis://127.0.0.1:1/0"}
    out = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "missing []" in out.stdout
