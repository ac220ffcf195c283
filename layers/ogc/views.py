"""OGC API - Features Part 1 views (pygeoapi and pg_featureserv are the anchors).

JSON documents are small and built here; feature pages are built in
PostgreSQL (layers.selectors) and spliced into the response as text. Every
error leaves through OgcView.dispatch as {"code": ..., "description": ...}.
"""
import datetime
import json
from urllib.parse import urlencode

from django.conf import settings
from django.db.utils import OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from layers import selectors
from layers.registry import CRS84, Layer, LayerFilterError, layer_get, layers_public

from .openapi import openapi_document
from .params import CRS84_ALIASES, OgcError, format_parse, items_query_parse

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]
GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA_JSON = "application/schema+json"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
_GEOMETRY_FORMATS = {"Point": "geometry-point", "MultiPoint": "geometry-multipoint",
                     "Polygon": "geometry-polygon", "MultiPolygon": "geometry-multipolygon",
                     "LineString": "geometry-linestring", "MultiLineString": "geometry-multilinestring"}


def _url(request, url_name: str, *args, query: dict | None = None, **more) -> str:
    """Absolute URL of `url_name` with a query string. Pass client parameters
    in `query` (a property filter may be called `name`, `f` or anything)."""
    url = request.build_absolute_uri(reverse(url_name, args=args))
    query = {k: v for k, v in {**(query or {}), **more}.items() if v is not None}
    return f"{url}?{urlencode(query)}" if query else url


def _link(href: str, rel: str, media_type: str, title: str) -> dict:
    return {"href": href, "rel": rel, "type": media_type, "title": str(title)}


def _self_and_alternate(request, url_name: str, *args, fmt: str, json_type: str = JSON,
                        query: dict | None = None) -> list[dict]:
    json_link = _url(request, url_name, *args, query={**(query or {}), "f": "json"})
    html_link = _url(request, url_name, *args, query={**(query or {}), "f": "html"})
    if fmt == "html":
        return [_link(html_link, "self", HTML, _("Dokumen ini")),
                _link(json_link, "alternate", json_type, _("Dokumen ini sebagai JSON"))]
    return [_link(json_link, "self", json_type, _("Dokumen ini")),
            _link(html_link, "alternate", HTML, _("Dokumen ini sebagai HTML"))]


def _layer_or_404(collection_id: str) -> Layer:
    layer = layer_get(collection_id)
    if layer is None:
        raise OgcError("NotFound", _("Koleksi %(id)s tidak ada.") % {"id": collection_id}, status=404)
    return layer


class OgcView(View):
    """Base view: the one place that turns errors into OGC exception JSON."""

    http_method_names = ["get", "head", "options"]

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except OgcError as exc:
            return JsonResponse({"code": exc.code, "description": exc.description}, status=exc.status)
        except LayerFilterError as exc:
            return JsonResponse({"code": "InvalidParameterValue", "description": str(exc)}, status=400)
        except OperationalError as exc:
            if "statement timeout" not in str(exc):
                raise
            return JsonResponse({"code": "ServiceUnavailable", "description": _(
                "Kueri melebihi batas waktu; persempit bbox atau kurangi limit.")}, status=503)

    def render_html(self, request, template: str, context: dict) -> HttpResponse:
        return render(request, f"layers/ogc/{template}", context)


def collection_document(request, layer: Layer, *, fmt: str = "json") -> dict:
    extent = selectors.regency_extent()
    document = {
        "id": layer.id,
        "title": str(layer.title),
        "description": str(layer.description),
        "keywords": layer.keywords,
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            *_self_and_alternate(request, "ogc-collection", layer.id, fmt=fmt),
            # No query string on this link: GDAL's OAPIF driver (3.6) appends
            # "/{id}" to it when it fetches one feature.
            _link(_url(request, "ogc-items", layer.id), "items", GEOJSON, _("Fitur (GeoJSON)")),
            _link(_url(request, "ogc-items", layer.id, f="html"), "items", HTML, _("Fitur (HTML)")),
            # GDAL's OAPIF driver types its fields from this schema (it
            # read population and count as String). It matches the relation
            # spelled "describedBy" only; relation types are case-insensitive
            # (RFC 8288), so the spelling is correct for every other client.
            _link(_url(request, "ogc-schema", layer.id), "describedBy", SCHEMA_JSON,
                  _("Skema fitur GeoJSON (JSON Schema)")),
            _link(_url(request, "ogc-queryables", layer.id), QUERYABLES_REL, SCHEMA_JSON,
                  _("Atribut yang dapat disaring")),
            # The same, under the short name GDAL 3.6 looks for.
            _link(_url(request, "ogc-queryables", layer.id), "queryables", SCHEMA_JSON,
                  _("Atribut yang dapat disaring")),
            _link(_url(request, "layers-metadata", layer.id), "describedby", JSON,
                  _("Metadata Satu Data")),
            _link(_url(request, "layers-licence", layer.id), "license", "text/plain", layer.licence),
        ],
        "extent": {"spatial": {"bbox": [extent] if extent else [], "crs": CRS84}},
        # Satu Data metadata, also in the catalogue (domain.md 7.6).
        "metadata": layer.metadata(),
    }
    if layer.datetime_field:
        document["extent"]["temporal"] = {"interval": [[None, None]],
                                          "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
    return document


class LandingView(OgcView):
    def get(self, request):
        fmt = format_parse(request)
        document = {
            "title": _("Kubu Raya Smart City: OGC API - Features"),
            "description": _("Layer publik Kabupaten Kubu Raya (batas wilayah, wilayah kerja OPD, laporan "
                             "RT Online yang terbuka, jumlah laporan per desa, UMKM) menurut kebijakan "
                             "publikasi UU 14/2008 dan UU 27/2022."),
            "links": [
                *_self_and_alternate(request, "ogc-landing", fmt=fmt),
                _link(_url(request, "ogc-openapi"), "service-desc", OPENAPI, _("Definisi API (OpenAPI 3.0)")),
                _link(_url(request, "ogc-service-doc"), "service-doc", HTML, _("Dokumentasi API")),
                _link(_url(request, "ogc-conformance", f="json"), "conformance", JSON, _("Kelas kesesuaian")),
                _link(_url(request, "ogc-collections", f="json"), "data", JSON, _("Koleksi")),
            ],
        }
        if fmt == "html":
            return self.render_html(request, "landing.html", {"doc": document})
        return JsonResponse(document)


class ConformanceView(OgcView):
    def get(self, request):
        document = {"conformsTo": CONFORMANCE}
        if format_parse(request) == "html":
            return self.render_html(request, "conformance.html", {"doc": document})
        return JsonResponse(document)


class OpenApiView(OgcView):
    def get(self, request):
        document = openapi_document(request, layers_public())
        if request.GET.get("f", "").lower() in ("html", "text/html"):
            return self.render_html(request, "service_doc.html", {"doc": document})
        return HttpResponse(json.dumps(document), content_type=OPENAPI)


class ServiceDocView(OgcView):
    def get(self, request):
        document = openapi_document(request, layers_public())
        return self.render_html(request, "service_doc.html", {"doc": document})


class CollectionsView(OgcView):
    def get(self, request):
        fmt = format_parse(request)
        document = {
            "links": _self_and_alternate(request, "ogc-collections", fmt=fmt),
            "collections": [collection_document(request, layer) for layer in layers_public()],
        }
        if fmt == "html":
            return self.render_html(request, "collections.html", {"doc": document})
        return JsonResponse(document)


class CollectionView(OgcView):
    def get(self, request, collection_id: str):
        layer = _layer_or_404(collection_id)
        fmt = format_parse(request)
        document = collection_document(request, layer, fmt=fmt)
        if fmt == "html":
            return self.render_html(request, "collection.html", {"doc": document})
        return JsonResponse(document)


def _property_schema(kind: str) -> dict:
    if kind == "date-time":
        return {"type": "string", "format": "date-time"}
    return {"type": kind}


def layer_json_schema(request, layer: Layer, *, queryables: bool) -> dict:
    """JSON Schema of the layer: for queryables (OGC API - Features Part 3)
    the filterable properties; otherwise a GeoJSON Feature of the layer,
    whose `properties` give each field's type. One type per field (GDAL 3.6
    reads no type lists); any field may also be null when unknown."""
    fields = {name: {"title": name, **_property_schema(kind)} for name, kind in layer.field_types.items()}
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": _url(request, "ogc-queryables" if queryables else "ogc-schema", layer.id),
        "type": "object",
        "title": str(layer.title),
    }
    if queryables:
        return {**document, "properties": fields, "additionalProperties": False}
    id_type = {"integer": "integer"}.get(layer.id_type, "string")
    return {**document, "required": ["type", "geometry", "properties"], "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "id": {"type": id_type},
        "geometry": {"format": _GEOMETRY_FORMATS.get(layer.geometry_type, "geometry-any"),
                     "x-ogc-role": "primary-geometry"},
        "properties": {"type": "object", "properties": fields},
    }}


class SchemaView(OgcView):
    queryables = False

    def get(self, request, collection_id: str):
        layer = _layer_or_404(collection_id)
        format_parse(request)
        document = layer_json_schema(request, layer, queryables=self.queryables)
        return HttpResponse(json.dumps(document), content_type=SCHEMA_JSON)


class QueryablesView(SchemaView):
    queryables = True


class ItemsView(OgcView):
    def get(self, request, collection_id: str):
        layer = _layer_or_404(collection_id)
        query = items_query_parse(request, layer)
        unfiltered = {k: v for k, v in query.filters.items() if k != "after"}
        first_page = not query.offset and "after" not in query.filters
        # numberMatched: exact for layers cheap to count; for a large layer
        # (reports, businesses, report-counts) only on the first page (GDAL
        # reads the feature count there instead of walking every page) and
        # only up to LAYERS_COUNT_EXACT_MAX matches, counted in the page's
        # own statement; more than that: left out (OGC allows it; a count is
        # never an estimate).
        # A cheap layer is counted in a statement of its own (its page may be
        # costly: service areas are unions), only when the page is full.
        count_max = settings.LAYERS_COUNT_EXACT_MAX if first_page and not layer.count_is_cheap else None
        features, returned, last_id, matched = selectors.features_page(
            layer=layer, filters=query.filters, limit=query.limit, offset=query.offset,
            count_filters=unfiltered, count_max=count_max)
        if layer.count_is_cheap and matched is None:
            matched = selectors.features_count(layer=layer, filters=unfiltered)
        passthrough = {k: v for k, v in request.GET.items() if k not in ("f", "offset", "limit", "after")}
        links = _self_and_alternate(request, "ogc-items", layer.id, fmt=query.fmt, json_type=GEOJSON,
                                    query={**passthrough, "limit": query.limit, "offset": query.offset or None,
                                           "after": request.GET.get("after")})
        if returned == query.limit:
            # Keyset `next` (after the last id) unless the client pages by
            # offset: following it never re-reads skipped rows.
            position = {"offset": query.offset + query.limit} if query.offset else {"after": last_id}
            links.append(_link(_url(request, "ogc-items", layer.id,
                                    query={**passthrough, "f": "json", "limit": query.limit, **position}),
                               "next", GEOJSON, _("Halaman berikutnya")))
        if query.offset > 0:
            links.append(_link(_url(request, "ogc-items", layer.id,
                                    query={**passthrough, "f": "json", "limit": query.limit,
                                           "offset": max(query.offset - query.limit, 0) or None}),
                               "prev", GEOJSON, _("Halaman sebelumnya")))
        links.append(_link(_url(request, "ogc-collection", layer.id, f="json"), "collection", JSON,
                           layer.title))
        head = {"type": "FeatureCollection"}
        tail = {"numberReturned": returned,
                "timeStamp": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "links": links}
        if matched is not None:
            tail["numberMatched"] = matched
        if query.fmt == "html":
            return self.render_html(request, "items.html", {
                "layer": layer, "features": json.loads(features), "links": links, "tail": tail,
                "next": next((ln["href"].replace("f=json", "f=html") for ln in links if ln["rel"] == "next"), None),
                "prev": next((ln["href"].replace("f=json", "f=html") for ln in links if ln["rel"] == "prev"), None),
            })
        # The features array arrives as JSON text from PostgreSQL and is
        # spliced in unparsed.
        body = (json.dumps(head)[:-1] + ', "features": ' + features + ", " + json.dumps(tail)[1:])
        return HttpResponse(body, content_type=GEOJSON)


class ItemView(OgcView):
    def get(self, request, collection_id: str, feature_id: str):
        layer = _layer_or_404(collection_id)
        fmt = format_parse(request)
        unknown = [name for name in request.GET if name not in ("f", "crs")]
        if request.GET.get("crs") and request.GET["crs"] not in CRS84_ALIASES:
            raise OgcError("InvalidParameterValue", _("Hanya CRS84 yang didukung untuk %(name)s.") % {"name": "crs"})
        if unknown:
            raise OgcError("InvalidParameterValue", _("Parameter tidak dikenal: %(names)s.") % {
                "names": ", ".join(sorted(unknown))})
        feature = selectors.feature_get(layer=layer, feature_id=feature_id)
        if feature is None:
            raise OgcError("NotFound", _("Fitur %(id)s tidak ada di koleksi %(layer)s.") % {
                "id": feature_id, "layer": layer.id}, status=404)
        links = [*_self_and_alternate(request, "ogc-item", layer.id, feature_id, fmt=fmt, json_type=GEOJSON),
                 _link(_url(request, "ogc-collection", layer.id, f="json"), "collection", JSON, layer.title)]
        if fmt == "html":
            return self.render_html(request, "item.html", {"layer": layer, "feature": json.loads(feature),
                                                           "links": links})
        body = feature[:-1] + ', "links": ' + json.dumps(links) + "}"
        return HttpResponse(body, content_type=GEOJSON)
