"""Cache invalidation on writes. The reports and businesses services send
their *_changed signals from transaction.on_commit, so the tiles are
dropped after the new data is visible and within the same request."""
from __future__ import annotations

from django.conf import settings

from tiles import cache

# Polygon layers whose features count reports/businesses: any write changes
# a count somewhere in them, so the whole layer gets a new version.
REPORT_COUNT_LAYERS = ("report-counts",)


def _coords(point) -> tuple[float, float] | None:
    if point is None:
        return None
    if hasattr(point, "x"):
        return float(point.x), float(point.y)
    return float(point[0]), float(point[1])


def _invalidate_points(layer_id: str, *points) -> None:
    seen = set()
    for point in points:
        lon_lat = _coords(point)
        if lon_lat is not None and lon_lat not in seen:
            seen.add(lon_lat)
            cache.tiles_invalidate_point(layer_id, *lon_lat)


def on_report_changed(sender, report_id=None, old_location=None, new_location=None, **kwargs):
    _invalidate_points(settings.TILES_REPORTS_LAYER, old_location, new_location)
    # Also needed where a beat worker rebuilds the counts on schedule: on an
    # install without one, the rebuild starts from a report-counts read that
    # misses the cache (layers.services.report_counts_prepare_read), so a
    # cached tile would hold the old counts until it expires.
    _invalidate_report_counts()


def on_report_counts_rebuilt(sender, **kwargs):
    """The counts a report-counts tile shows changed only now: a tile built
    between the report's commit and this rebuild showed the previous counts."""
    _invalidate_report_counts()


def _invalidate_report_counts() -> None:
    for layer_id in REPORT_COUNT_LAYERS:
        cache.tiles_invalidate_layer(layer_id)


def on_business_changed(sender, business_id=None, old_location=None, new_location=None, **kwargs):
    _invalidate_points("businesses", old_location, new_location)


def on_businesses_bulk_written(sender, **kwargs):
    """Bulk writes send no per-row signal; the whole layer is invalidated."""
    cache.tiles_invalidate_layer("businesses")


def on_dataset_layer_changed(sender, layer_id, **kwargs):
    cache.tiles_invalidate_layer(layer_id)


def connect() -> None:
    from businesses.signals import business_changed, businesses_bulk_written
    from datasets.signals import dataset_layer_changed
    from layers.signals import report_counts_rebuilt
    from reports.signals import report_changed

    report_changed.connect(on_report_changed, dispatch_uid="tiles.report_changed")
    report_counts_rebuilt.connect(on_report_counts_rebuilt, dispatch_uid="tiles.report_counts_rebuilt")
    business_changed.connect(on_business_changed, dispatch_uid="tiles.business_changed")
    businesses_bulk_written.connect(on_businesses_bulk_written, dispatch_uid="tiles.businesses_bulk_written")
    dataset_layer_changed.connect(on_dataset_layer_changed, dispatch_uid="tiles.dataset_layer_changed")
