"""Query parameters of the items request, parsed in one place.

Every problem raises OgcError("InvalidParameterValue", ...); the views turn it
into {"code": ..., "description": ...} with status 400 in one handler.
"""
import datetime
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from common.times import to_utc
from layers.registry import CRS84, Layer, field_value_coerce

RESERVED = {"f", "limit", "offset", "after", "bbox", "bbox-crs", "datetime", "crs"}
# PostgreSQL's OFFSET is a bigint; no collection comes near this.
MAX_OFFSET = 10**9
CRS84_ALIASES = {CRS84, CRS84.replace("http://", "https://")}


class OgcError(Exception):
    def __init__(self, code: str, description, status: int = 400):
        super().__init__(str(description))
        self.code = code
        self.description = str(description)
        self.status = status


def invalid(description) -> OgcError:
    return OgcError("InvalidParameterValue", description)


@dataclass
class ItemsQuery:
    limit: int
    offset: int
    filters: dict
    fmt: str


def _int(params, name: str, default: int, minimum: int, maximum: int | None = None) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (ValueError, OverflowError):
        raise invalid(_("%(name)s harus bilangan bulat.") % {"name": name}) from None
    if value < minimum:
        raise invalid(_("%(name)s minimal %(min)s.") % {"name": name, "min": minimum})
    if maximum is not None and value > maximum:
        raise invalid(_("%(name)s maksimal %(max)s.") % {"name": name, "max": maximum})
    return value


def bbox_parse(raw: str) -> tuple[float, float, float, float]:
    parts = raw.split(",")
    if len(parts) == 6:
        # minLon,minLat,minZ,maxLon,maxLat,maxZ: the features are 2D, so the
        # heights select nothing out.
        parts = [parts[0], parts[1], parts[3], parts[4]]
    if len(parts) != 4:
        raise invalid(_("bbox harus berisi 4 angka: minLon,minLat,maxLon,maxLat (CRS84)."))
    try:
        minx, miny, maxx, maxy = (float(p) for p in parts)
    except ValueError:
        raise invalid(_("bbox harus berisi angka desimal.")) from None
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90):
        raise invalid(_("bbox di luar rentang bujur -180..180 / lintang -90..90."))
    if miny > maxy:
        raise invalid(_("bbox: nilai minimum lebih besar dari maksimum."))
    return minx, miny, maxx, maxy


def _instant(raw: str, *, end: bool) -> datetime.datetime | None:
    if raw in ("", ".."):
        return None
    text = raw.strip()
    try:
        if len(text) == 10:
            day = datetime.date.fromisoformat(text)
            moment = datetime.datetime.combine(day, datetime.time.max if end else datetime.time.min)
            return moment.replace(tzinfo=datetime.timezone.utc)
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.timezone.utc)
        return to_utc(moment)
    except ValueError:
        raise invalid(_("datetime tidak sesuai RFC 3339, mis. 2026-01-31T00:00:00Z atau "
                        "2026-01-01/2026-01-31.")) from None


def datetime_parse(raw: str) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    if "/" in raw:
        start_raw, _sep, end_raw = raw.partition("/")
        start, end = _instant(start_raw, end=False), _instant(end_raw, end=True)
        if start is None and end is None:
            raise invalid(_("datetime: interval tanpa awal dan akhir."))
        if start and end and start > end:
            raise invalid(_("datetime: awal interval setelah akhir."))
        return start, end
    if raw in ("", ".."):
        raise invalid(_("datetime kosong."))
    start = _instant(raw, end=False)
    end = _instant(raw, end=True) if len(raw.strip()) == 10 else start
    return start, end


def format_parse(request) -> str:
    fmt = request.GET.get("f")
    if fmt:
        fmt = fmt.lower()
        if fmt in ("json", "geojson", "application/json", "application/geo+json"):
            return "json"
        if fmt in ("html", "text/html"):
            return "html"
        raise OgcError("InvalidParameterValue", _("f harus json atau html."))
    preferred = request.get_preferred_type(["application/json", "application/geo+json", "text/html"])
    return "html" if preferred == "text/html" else "json"


def _id_valid(layer: Layer, value: str) -> bool:
    if layer.id_type == "integer":
        return value.isdigit() and len(value) <= 18
    if layer.id_type == "uuid":
        try:
            uuid.UUID(value)
        except ValueError:
            return False
    return len(value) <= 200


def items_query_parse(request, layer: Layer) -> ItemsQuery:
    params = request.GET
    unknown = [name for name in params if name not in RESERVED and name not in layer.field_types]
    if unknown:
        raise invalid(_("Parameter tidak dikenal: %(names)s. Parameter yang diterima: %(known)s.") % {
            "names": ", ".join(sorted(unknown)),
            "known": ", ".join(sorted(RESERVED | set(layer.field_types)))})
    for name in ("bbox-crs", "crs"):
        if params.get(name) and params[name] not in CRS84_ALIASES:
            raise invalid(_("Hanya CRS84 yang didukung untuk %(name)s.") % {"name": name})
    filters: dict = {}
    if params.get("bbox"):
        filters["bbox"] = bbox_parse(params["bbox"])
    if params.get("datetime"):
        if not layer.datetime_field:
            raise invalid(_("Layer ini tidak memiliki atribut waktu; datetime tidak berlaku."))
        filters["datetime"] = datetime_parse(params["datetime"])
    properties = {}
    for name in params:
        if name in layer.field_types:
            properties[name] = params[name]
    if properties:
        # Check the values now so that a bad value is a 400, not a SQL error.
        try:
            for name, value in properties.items():
                field_value_coerce(layer.field_types[name], value)
        except ValueError:
            raise invalid(_("Nilai filter %(name)s tidak sesuai tipenya.") % {"name": name}) from None
        filters["properties"] = properties
    after = params.get("after")
    if after:
        if params.get("offset"):
            raise invalid(_("Gunakan offset atau after, tidak keduanya."))
        if not _id_valid(layer, after):
            raise invalid(_("after harus id fitur dari koleksi ini."))
        filters["after"] = after
    return ItemsQuery(
        # Above the maximum the limit is clamped, as pygeoapi does (Part 1
        # allows either); numberReturned and `next` tell the client.
        limit=min(_int(params, "limit", settings.LAYERS_DEFAULT_ITEMS, 1), settings.LAYERS_MAX_ITEMS),
        offset=_int(params, "offset", 0, 0, MAX_OFFSET),
        filters=filters,
        fmt=format_parse(request),
    )
