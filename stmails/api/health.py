"""listmonk's GET /api/health: {"data": true} for valid credentials.

Authenticated like every /api path, as in listmonk: the PyPI `listmonk`
client's login() checks its credentials with this call (HTTP basic auth), so
an unauthenticated request must fail (401), not answer true.
"""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class HealthView(APIView):
    def get(self, request: Request) -> Response:
        return Response({"data": True})
