"""The project's OpenAPI generator (drf-spectacular's AutoSchema, completed).

Every operation of /api/schema/ declares what it answers: its success body
(a JSON object when the view names no serializer), the error bodies in the
one shape of common.api_errors ({"code", "message", "fields"?}) for the
statuses it can answer (400 always; 401/403 when a permission applies; 404
when the path names a record; 429 from the throttles), and a request body
for every write.
"""
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.permissions import AllowAny

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every API error: a stable machine code and a message in the request's language.",
    "properties": {
        "code": {"type": "string", "example": "invalid"},
        "message": {"type": "string", "example": "Permintaan tidak valid."},
        "fields": {"type": "object", "additionalProperties": True,
                   "description": "Per field: the problems found (validation errors only)."},
    },
    "required": ["code", "message"],
    "additionalProperties": True,
}
ANY_OBJECT = {"type": "object", "additionalProperties": True}
ERROR_DESCRIPTIONS = {
    "400": "Invalid parameters or body; nothing changed.",
    "401": "Authentication required (Token or session).",
    "403": "The caller's role does not allow this.",
    "404": "No such record (or not public).",
    "429": "Too many requests; see Retry-After.",
}


class ProjectAutoSchema(AutoSchema):
    def _error_ref(self) -> dict:
        component = ResolvedComponent(name="Error", type=ResolvedComponent.SCHEMA, object="Error",
                                      schema=ERROR_SCHEMA)
        self.registry.register_on_missing(component)
        return component.ref

    def _error_statuses(self) -> list[str]:
        statuses = ["400"]
        permissions = getattr(self.view, "permission_classes", [])
        if any(p is not AllowAny for p in permissions):
            statuses += ["401", "403"]
        if "{" in self.path:
            statuses.append("404")
        statuses.append("429")
        return statuses

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        for status, response in responses.items():
            if status.startswith("2") and status != "204" and not response.get("content"):
                response["content"] = {"application/json": {"schema": dict(ANY_OBJECT)}}
                if response.get("description") in (None, "", "No response body"):
                    response["description"] = "OK"
        error = {"application/json": {"schema": self._error_ref()}}
        for status in self._error_statuses():
            responses.setdefault(status, {"description": ERROR_DESCRIPTIONS[status], "content": error})
        if self.method in ("POST", "PUT", "PATCH") and "requestBody" not in operation:
            operation["requestBody"] = {"content": {
                "application/json": {"schema": dict(ANY_OBJECT)},
                "application/x-www-form-urlencoded": {"schema": dict(ANY_OBJECT)}}}
        return operation
