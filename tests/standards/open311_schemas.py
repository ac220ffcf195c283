"""JSON Schemas of the Open311 GeoReport v2 answers, written from the
specification (http://wiki.open311.org/GeoReport_v2, CC BY 3.0 Open311.org):
services, service definition, requests (GET), POST answer, errors. Each
field's type and requirement is the spec's; `media_url` is a URI when
present (the spec has no empty string for "no media"), datetimes are W3C
(ISO 8601 with offset), lat/long are numbers."""

DATETIME = {"type": "string", "format": "date-time"}

SERVICES = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["service_code", "service_name", "metadata", "type"],
        "properties": {
            "service_code": {"type": "string", "minLength": 1},
            "service_name": {"type": "string", "minLength": 1},
            "description": {"type": "string"},
            "metadata": {"type": "boolean"},
            "type": {"enum": ["realtime", "batch", "blackbox"]},
            "keywords": {"type": "string"},
            "group": {"type": "string"},
        },
    },
}

SERVICE_DEFINITION = {
    "type": "object",
    "required": ["service_code", "attributes"],
    "properties": {
        "service_code": {"type": "string", "minLength": 1},
        "attributes": {"type": "array", "items": {
            "type": "object",
            "required": ["variable", "code", "datatype", "required", "order", "description"],
        }},
    },
}

REQUESTS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["service_request_id", "status", "service_code", "requested_datetime"],
        "properties": {
            "service_request_id": {"type": "string", "minLength": 1},
            "status": {"enum": ["open", "closed"]},
            "status_notes": {"type": ["string", "null"]},
            "service_name": {"type": "string"},
            "service_code": {"type": "string"},
            "description": {"type": ["string", "null"], "maxLength": 4000},
            "agency_responsible": {"type": ["string", "null"]},
            "service_notice": {"type": ["string", "null"]},
            "requested_datetime": DATETIME,
            "updated_datetime": {"anyOf": [DATETIME, {"type": "null"}]},
            "expected_datetime": {"anyOf": [DATETIME, {"type": "null"}]},
            "address": {"type": ["string", "null"]},
            "address_id": {"type": ["string", "null"]},
            "zipcode": {"type": ["string", "null"]},
            "lat": {"type": "number", "minimum": -90, "maximum": 90},
            "long": {"type": "number", "minimum": -180, "maximum": 180},
            "media_url": {"type": "string", "format": "uri", "minLength": 1},
        },
    },
}

POST_ANSWER = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "anyOf": [{"required": ["service_request_id"]}, {"required": ["token"]}],
        "properties": {
            "service_request_id": {"type": "string", "minLength": 1},
            "token": {"type": "string"},
            "service_notice": {"type": "string"},
            "account_id": {"type": ["string", "null"]},
        },
    },
}

ERRORS = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string", "minLength": 1}},
    },
}
