"""GET /api/campaigns/analytics/{views|clicks|bounces|links}, listmonk's shapes."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from monitoring.analytics.queries import analytics, parse_query
from stmails.api.paging import reject_unknown_params
from stmails.api.schema import BOOL, ID, TEXT

PARAMS = {"id", "from", "to", "bots"}


class AnalyticsView(APIView):
    """?id=1&id=2&from=2024-01-01&to=2024-02-01[&bots=true]; bad input: 400
    naming the field (an InvalidInput, turned into one by the API's handler)."""

    openapi_query = {"GET": {"id": ID, "from": TEXT, "to": TEXT, "bots": BOOL}}
    kind = ""

    def get(self, request: Request) -> Response:
        params = request.query_params
        reject_unknown_params(params, PARAMS)
        return Response({"data": analytics(self.kind, parse_query(params))})
