"""Which layers tiles can serve, and how a request's filters map onto them.

Layers come from the layer registry (layers.registry.layer_get), which
applies the publication policy. A layer object is kept in memory with the
data version it was read under, so a tile served from the server cache asks
neither the registry nor the database; publishing or withdrawing a layer
calls tiles.cache.tiles_invalidate_layer, which changes that version.
"""
from __future__ import annotations

import datetime
import re

from layers import registry

# The filters a tile URL accepts (?category=&status=&period=), mapped below
# to the registry's filters on the layers that publish the field; the cache
# keys a tile by the same names.
FILTER_PARAMS = ("category", "status", "period")

LAYER_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,80}$")


def layer_get(layer_id: str):
    if not LAYER_ID.match(layer_id):
        return None
    return registry.layer_get(layer_id)


def layers_public() -> list:
    return list(registry.layers_public())


def parse_period(value: str) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    """"2026-01-01/2026-03-31", "2026-01-01/.." or "../2026-03-31" (dates are
    whole days in Asia/Pontianak; date-times as given, with a zone)."""
    from django.utils import timezone

    parts = value.split("/")
    if len(parts) != 2:
        raise ValueError(value)
    out = []
    for i, part in enumerate(parts):
        if part in ("", ".."):
            out.append(None)
            continue
        if len(part) == 10:
            day = datetime.date.fromisoformat(part)
            if i == 1:
                day += datetime.timedelta(days=1)
            moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
            out.append(moment - datetime.timedelta(microseconds=1) if i == 1 else moment)
        else:
            moment = datetime.datetime.fromisoformat(part.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                raise ValueError(part)
            out.append(moment)
    if out[0] and out[1] and out[0] > out[1]:
        raise ValueError(value)
    return out[0], out[1]


# A tile filter names the published field it compares (reports publish the
# category as `category_code`).
FILTER_FIELDS = {"category": ("category", "category_code"), "status": ("status",)}


def _filter_field(layer, name: str) -> str | None:
    fields = layer_fields_of(layer)
    return next((f for f in FILTER_FIELDS.get(name, ()) if f in fields), None)


MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _period_is_month(layer) -> bool:
    """A layer without a time field that publishes a `period` (YYYY-MM) field
    (report-counts) takes `period` as a month, not as an interval."""
    return not getattr(layer, "datetime_field", None) and "period" in layer_fields_of(layer)


def layer_fields_of(layer) -> set[str]:
    return set(getattr(layer, "field_types", None) or layer.fields)


def filters_for(layer, query: dict[str, str]) -> dict | None:
    """The registry filters of one layer for the tile filters in `query`,
    keeping only those the layer publishes, plus the layer's tile defaults
    (Layer.tile_default_properties) for what the query leaves out.
    ValueError on a bad value."""
    filters: dict = {}
    props = {}
    for name in FILTER_FIELDS:
        field = _filter_field(layer, name)
        if query.get(name) and field:
            props[field] = query[name]
    if query.get("period") and _period_is_month(layer):
        if not MONTH.match(query["period"]):
            raise ValueError(f"period must be a month YYYY-MM on layer {layer.id}")
        props["period"] = query["period"]
    defaults = getattr(layer, "tile_default_properties", None)
    for name, value in (defaults() if defaults else {}).items():
        props.setdefault(name, value)
    if props:
        filters["properties"] = props
    if query.get("period") and getattr(layer, "datetime_field", None):
        filters["datetime"] = parse_period(query["period"])
    return filters or None


def filter_applies(layer, name: str) -> bool:
    if name == "period":
        return bool(getattr(layer, "datetime_field", None)) or _period_is_month(layer)
    return _filter_field(layer, name) is not None
