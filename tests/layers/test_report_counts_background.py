"""Report-counts cells are rebuilt in the background after a change: a read
answers from the previous cells at once (a rebuild takes seconds at a
million reports) and the next read after the rebuild shows the change."""
import json

import pytest

from common.jobs import background_thread
from layers import services
from tests.layers.test_privacy import _report_make, categories, spots  # noqa: F401 (fixtures)

URL = "/ogc/collections/report-counts/items?limit=10000&category_code=uji-warga-sakit"


def _shown(client):
    doc = json.loads(client.get(URL).content)
    return [f["properties"]["count"] for f in doc["features"] if f["properties"]["count"]]


@pytest.mark.django_db(transaction=True)
def test_a_read_after_a_change_answers_from_the_previous_cells_and_a_background_rebuild_follows(
        client, categories, spots, settings):
    from reports.signals import report_changed

    settings.LAYERS_REPORT_COUNTS_REFRESH_INLINE = False
    settings.LAYERS_REPORT_COUNTS_MIN_INTERVAL_S = 0
    lon, lat = spots["other"]
    for i in range(7):
        _report_make(category=categories["sick"], lon=lon + i * 0.0001, lat=lat, description="x")
    assert _shown(client) == [5]               # no cells yet: built in the request (7, rounded)
    report = _report_make(category=categories["sick"], lon=lon, lat=lat, description="x")
    report_changed.send(sender=None, report_id=report.id, old_location=None, new_location=report.location)
    assert _shown(client) == [5]               # the previous cells, at once
    thread = background_thread(services.REFRESH_THREAD)
    assert thread is not None
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert _shown(client) == [10]              # rebuilt by the background thread (8, rounded)
