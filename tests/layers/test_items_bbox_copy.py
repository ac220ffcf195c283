"""Issue 25: a bbox items page of reports counts its matches and picks its
ids on the spatially ordered narrow copy reports_public_point (or walks the
layer by id when the bbox holds many of its rows). Whatever the plan, the
page, its `next` position and numberMatched are what the layer's own bbox
filter answers, points on and next to the bbox's edges included."""
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection

from layers import selectors
from layers.registry import layer_get

pytestmark = pytest.mark.django_db

PLANS = ("copy-sort", "copy-walk", None)


@pytest.fixture
def points(kubu_raya):
    call_command("reports_generate_synthetic", "--target", "400", "--seed", "5", stdout=io.StringIO())
    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_X(location), ST_Y(location) FROM reports_public_report ORDER BY id")
        rows = cursor.fetchall()
    assert len(rows) > 150
    return rows


def _page(bbox, plan, *, limit=1000, offset=0, after=None, count_max=10000):
    filters = {"bbox": list(bbox)}
    if after:
        filters["after"] = after
    first = not offset and not after
    return selectors.features_page(layer=layer_get("reports"), filters=filters, limit=limit, offset=offset,
                                   count_filters={"bbox": list(bbox)}, count_max=count_max if first else None,
                                   plan=plan)


def _boxes(points):
    lon, lat = sorted(points)[len(points) // 2]
    xs, ys = sorted(p[0] for p in points), sorted(p[1] for p in points)
    return [
        (lon - 0.05, lat - 0.05, lon + 0.05, lat + 0.05),
        (lon, lat, lon + 0.2, lat + 0.2),                       # a point on the west and south edges
        (lon - 0.2, lat - 0.2, lon, lat),                       # ... on the east and north edges
        (lon + 1e-9, lat - 0.2, lon + 0.2, lat + 1e-9),         # a hair inside / outside of it
        (lon - 3e-5, lat - 3e-5, lon + 3e-5, lat + 3e-5),       # smaller than the band at the edges
        (xs[0], ys[0], xs[-1], ys[-1]),                         # every point, two of them on edges
        (xs[len(xs) // 3], ys[0], xs[2 * len(xs) // 3], ys[-1]),
    ]


def test_every_plan_answers_what_the_layer_answers(points):
    for bbox in _boxes(points):
        for limit, count_max in ((1000, 10000), (7, 10000), (7, 5)):
            expected = _page(bbox, "layer", limit=limit, count_max=count_max)
            for plan in PLANS:
                assert _page(bbox, plan, limit=limit, count_max=count_max) == expected, (bbox, plan, limit)


def test_keyset_and_offset_pages_agree_across_plans(points):
    bbox = _boxes(points)[-1]
    pages = {}
    for plan in ("layer", *PLANS):
        seen, after = [], None
        while True:
            features, returned, last_id, _ = _page(bbox, plan, limit=9, after=after)
            seen += [f["id"] for f in json.loads(features)]
            if returned < 9:
                break
            after = last_id
        pages[plan] = seen
        assert _page(bbox, plan, limit=9, offset=18)[0] == _page(bbox, "layer", limit=9, offset=18)[0]
    assert len(set(map(tuple, pages.values()))) == 1 and len(pages["layer"]) > 20


def test_number_matched_over_http_is_exact_or_absent(client, points, settings):
    bbox = _boxes(points)[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM reports_public_report WHERE location && ST_MakeEnvelope(%s, %s, %s, %s, 4326)",
                       list(bbox))
        exact = cursor.fetchone()[0]
    assert exact > 3
    query = {"bbox": ",".join(map(str, bbox)), "limit": 2}
    doc = json.loads(client.get("/ogc/collections/reports/items", query).content)
    assert doc["numberMatched"] == exact and doc["numberReturned"] == 2
    # More matches than LAYERS_COUNT_EXACT_MAX: numberMatched is left out, never estimated.
    settings.LAYERS_COUNT_EXACT_MAX = exact - 1
    doc = json.loads(client.get("/ogc/collections/reports/items", query).content)
    assert "numberMatched" not in doc and doc["numberReturned"] == 2
    # A later page (keyset) carries no count.
    nxt = next(link["href"] for link in doc["links"] if link["rel"] == "next")
    assert "numberMatched" not in json.loads(client.get(nxt).content)


def test_the_plan_follows_the_share_of_the_layer_in_the_bbox(points):
    layer = layer_get("reports")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reports_public_point")
    selectors._totals.clear()  # a process reads the new row count within _TOTAL_REUSE_SECONDS
    xs, ys = sorted(p[0] for p in points), sorted(p[1] for p in points)
    # Every point in the bbox: walking by id fills the page at once.
    assert selectors._copy_plan(layer, (xs[0] - 1, ys[0] - 1, xs[-1] + 1, ys[-1] + 1), 10) == "copy-walk"
    # A bbox holding none of them: picking on the copy costs nothing.
    assert selectors._copy_plan(layer, (xs[0] - 1, ys[0] - 1, xs[0] - 0.9, ys[0] - 0.9), 1000) == "copy-sort"
