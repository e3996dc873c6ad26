"""JSON schemas that API views declare for the OpenAPI description (stmails.api.openapi).

stmails' API views parse bodies by hand (listmonk's shapes) rather than through
DRF serializers, so drf-spectacular cannot infer them. A view describes itself
with two optional attributes, read here:

- `openapi_body`: {"METHOD": JSON schema of the request body};
- `openapi_query`: {"METHOD": {"param": JSON schema}} for query parameters;
- `openapi_success_media_type`: when a success is not JSON ("text/csv");
- `openapi_success_schema`: when a success is not {"data": ...}.

Every operation answers JSON: {"data": ...} on success and {"message": "..."} on
any error (400 naming the field, 401, 404, 405, 409, 413, 415, 429, 503).
"""

from __future__ import annotations

from typing import Any

ERROR = {
    "type": "object",
    "properties": {"message": {"type": "string"}},
    "required": ["message"],
}
SUCCESS = {"type": "object", "properties": {"data": {}}, "required": ["data"]}
ANY_OBJECT = {"type": "object", "additionalProperties": True}
ID = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
ID_LIST = {"type": "array", "items": ID}
PAGING = {
    "page": {"type": "integer", "minimum": 1},
    "per_page": {"type": "string", "pattern": "^([0-9]+|all)$"},
    "order_by": {"type": "string"},
    "order": {"type": "string", "enum": ["asc", "desc"]},
}


def obj(required: tuple[str, ...] = (), **properties: Any) -> dict[str, Any]:
    """A JSON object schema: obj(("email",), email=TEXT, lists=ID_LIST)."""
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


TEXT = {"type": "string"}
BOOL = {"type": "boolean"}
TEXT_LIST = {"type": "array", "items": TEXT}
