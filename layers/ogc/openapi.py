"""The OpenAPI 3.0 definition of /ogc/ (service-desc), generated from the
registry so that every collection and its property filters are described
(GDAL reads the `limit` maximum from it; QGIS lists the filters)."""
from django.conf import settings
from django.urls import reverse

from layers.registry import Layer

_TYPES = {"string": {"type": "string"}, "integer": {"type": "integer"}, "number": {"type": "number"},
          "boolean": {"type": "boolean"}, "date-time": {"type": "string", "format": "date-time"}}

_EXCEPTION = {"description": "Error", "content": {"application/json": {"schema": {
    "type": "object", "required": ["code"],
    "properties": {"code": {"type": "string"}, "description": {"type": "string"}}}}}}

_COLLECTION_ID = {"name": "collectionId", "in": "path", "required": True, "schema": {"type": "string"}}
_FEATURE_ID = {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"}}


def _param(name: str, description: str, schema: dict, style: str | None = None, explode=None) -> dict:
    param = {"name": name, "in": "query", "required": False, "description": description, "schema": schema}
    if style:
        param["style"] = style
    if explode is not None:
        param["explode"] = explode
    return param


def _common_params() -> list[dict]:
    return [
        _param("f", "Encoding: json (GeoJSON) or html.", {"type": "string", "enum": ["json", "html"]}),
        _param("limit", "Features per page.", {"type": "integer", "minimum": 1,
                                               "maximum": settings.LAYERS_MAX_ITEMS,
                                               "default": settings.LAYERS_DEFAULT_ITEMS}, "form", False),
        _param("offset", "Features to skip (ordered by id).", {"type": "integer", "minimum": 0, "default": 0}),
        _param("after", "Keyset paging: features after this id (what `next` links use).", {"type": "string"}),
        _param("bbox", "minLon,minLat,maxLon,maxLat in CRS84.",
               {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}}, "form", False),
        _param("datetime", "RFC 3339 instant or interval (a/b, ../b, a/..).", {"type": "string"}, "form", False),
    ]


def openapi_document(request, layers: list[Layer]) -> dict:
    base = request.build_absolute_uri(reverse("ogc-landing")).rstrip("/")
    ok_json = {"200": {"description": "OK", "content": {"application/json": {}, "text/html": {}}},
               "400": _EXCEPTION}
    paths = {
        "/": {"get": {"summary": "Landing page", "operationId": "getLandingPage", "tags": ["Capabilities"],
                      "parameters": [_common_params()[0]], "responses": ok_json}},
        "/conformance": {"get": {"summary": "Conformance classes", "operationId": "getConformance",
                                 "tags": ["Capabilities"], "parameters": [_common_params()[0]],
                                 "responses": ok_json}},
        "/collections": {"get": {"summary": "Collections", "operationId": "getCollections",
                                 "tags": ["Capabilities"], "parameters": [_common_params()[0]],
                                 "responses": ok_json}},
        # Generic paths: GDAL reads the `limit` maximum from here.
        "/collections/{collectionId}": {"get": {
            "summary": "Describe a collection", "operationId": "describeCollection", "tags": ["Capabilities"],
            "parameters": [_COLLECTION_ID, _common_params()[0]], "responses": {**ok_json, "404": _EXCEPTION}}},
        "/collections/{collectionId}/items": {"get": {
            "summary": "Features of a collection", "operationId": "getFeatures", "tags": ["Data"],
            "parameters": [_COLLECTION_ID, *_common_params()],
            "responses": {"200": {"description": "GeoJSON FeatureCollection",
                                  "content": {"application/geo+json": {}, "text/html": {}}},
                          "400": _EXCEPTION, "404": _EXCEPTION}}},
        "/collections/{collectionId}/items/{featureId}": {"get": {
            "summary": "One feature", "operationId": "getFeature", "tags": ["Data"],
            "parameters": [_COLLECTION_ID, _FEATURE_ID, _common_params()[0]],
            "responses": {"200": {"description": "GeoJSON Feature",
                                  "content": {"application/geo+json": {}, "text/html": {}}},
                          "404": _EXCEPTION}}},
    }
    for layer in layers:
        filters = [_param(name, f"Equality filter on {name}.", _TYPES.get(kind, {"type": "string"}))
                   for name, kind in layer.field_types.items()]
        tag = layer.id
        paths[f"/collections/{layer.id}"] = {"get": {
            "summary": f"{layer.title}", "description": str(layer.description), "tags": [tag],
            "operationId": f"describe-{layer.id}", "parameters": [_common_params()[0]],
            "responses": {**ok_json, "404": _EXCEPTION}}}
        paths[f"/collections/{layer.id}/items"] = {"get": {
            "summary": f"Features of {layer.id}", "tags": [tag], "operationId": f"getFeatures-{layer.id}",
            "parameters": _common_params() + filters,
            "responses": {"200": {"description": "GeoJSON FeatureCollection",
                                  "content": {"application/geo+json": {}, "text/html": {}}},
                          "400": _EXCEPTION, "404": _EXCEPTION}}}
        paths[f"/collections/{layer.id}/items/{{featureId}}"] = {"get": {
            "summary": f"One feature of {layer.id}", "tags": [tag], "operationId": f"getFeature-{layer.id}",
            "parameters": [_FEATURE_ID, _common_params()[0]],
            "responses": {"200": {"description": "GeoJSON Feature",
                                  "content": {"application/geo+json": {}, "text/html": {}}},
                          "404": _EXCEPTION}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Kubu Raya Smart City: OGC API - Features", "version": "1.0.0",
                 "description": "Public layers of Kabupaten Kubu Raya under the publication policy "
                                "(UU 14/2008, UU 27/2022).",
                 "license": {"name": "CC BY 4.0 (data); boundaries MIT (cahyadsn/wilayah_boundaries)"}},
        "servers": [{"url": base}],
        "tags": [{"name": "Capabilities"}, {"name": "Data"}] + [{"name": layer.id, "description": str(layer.title)}
                                              for layer in layers],
        "paths": paths,
    }
