"""GET /api/openapi.json (a module of its own: drf-spectacular's views import the
schema class named in settings, stmails.api.openapi, when they are defined)."""

from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework.permissions import IsAuthenticated

from stmails.auth import ListmonkAuthentication


class OpenApiView(SpectacularJSONAPIView):
    """For API users: the same credentials as every other /api route."""

    authentication_classes = [ListmonkAuthentication]
    permission_classes = [IsAuthenticated]
