"""The OpenAPI 3 description of the API, served at /api/openapi.json (drf-spectacular).

Views declare their bodies and query parameters with the schemas of
stmails.api.schema (see there); this module turns them into operations.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter

from stmails.api.schema import ANY_OBJECT, ERROR, SUCCESS


class ListmonkAutoSchema(AutoSchema):
    def _declared(self, attribute: str) -> Any:
        return getattr(self.view, attribute, {}).get(self.method)

    def _get_request_body(self, direction="request"):
        if self.method not in ("PUT", "PATCH", "POST"):
            return None
        schema = self._declared("openapi_body") or ANY_OBJECT
        return {
            "content": {
                "application/json": {"schema": schema},
            },
            "required": False,
        }

    def get_override_parameters(self):
        declared = self._declared("openapi_query") or {}
        return [
            OpenApiParameter(name, type=schema, location=OpenApiParameter.QUERY)
            for name, schema in declared.items()
        ]

    def _get_response_bodies(self, direction="response"):
        content_type = "application/json"
        success_type = getattr(self.view, "openapi_success_media_type", content_type)
        success = getattr(self.view, "openapi_success_schema", SUCCESS)
        if success_type != content_type:
            success = {"type": "string"}
        return {
            "200": {
                "description": "success",
                "content": {success_type: {"schema": success}},
            },
            "default": {
                "description": 'an error: {"message": "<field>: <what is wrong>"}',
                "content": {content_type: {"schema": ERROR}},
            },
        }
