"""First run: with no admin account yet, every page leads to "create the admin account"."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.shortcuts import redirect

EXEMPT_PREFIXES = (
    "/setup",
    "/static/",
    "/api/",
    "/webhooks/",
    "/health",
    "/metrics",
    "/subscription/",
    # Tracking links and pixels in mail (campaigns.tracking).
    "/link/",
    "/campaign/",
)


def admin_exists() -> bool:
    return get_user_model().objects.exists()


class FirstRunMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        # Once an admin exists there is no way back to zero from the UI, so the
        # check stops costing a query after it first succeeds in this process.
        self.ready = False

    def __call__(self, request):
        if not self.ready and not request.path.startswith(EXEMPT_PREFIXES):
            if admin_exists():
                self.ready = True
            else:
                return redirect("setup")
        return self.get_response(request)
