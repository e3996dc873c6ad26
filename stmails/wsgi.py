"""The WSGI application (gunicorn stmails.wsgi).

Two middleware stacks (issue 19): the admin UI's full one, and a lean one for
machine-to-machine webhook posts (POST /webhooks/service/..., and POST
/webhooks/bounce with an Authorization header). Those need no session, CSRF
cookie, login redirect, messages, static files or first-run page: skipping
them is a quarter of the request's CPU time (bench/bench_bounce_webhook.py).
The lean stack keeps the security headers and the input checks. A browser
session posting to /webhooks/bounce (no Authorization header) takes the full
stack, which its CSRF check needs.
"""

import os

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application
from django.urls import set_urlconf

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stmails.settings")
full = get_wsgi_application()


class WebhookUrls:
    """Lean stack only: resolve with stmails.webhook_urls (the lean views)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.urlconf = "stmails.webhook_urls"
        return self.get_response(request)


WEBHOOK_MIDDLEWARE = [
    "stmails.wsgi.WebhookUrls",
    "django.middleware.security.SecurityMiddleware",
    "stmails.content_security.ContentSecurityPolicyMiddleware",
    "stmails.chunked_bodies.ChunkedBodyMiddleware",
    "stmails.input_middleware.BadInputMiddleware",
]


class WebhookHandler(WSGIHandler):
    """Django's handler with WEBHOOK_MIDDLEWARE (same URLs, views and signals)."""

    _bounce_match = None

    def resolve_request(self, request):
        # POST /webhooks/bounce, nearly every request here, resolves to one
        # view: the match is found once, not by walking the patterns each time.
        if request.path_info != "/webhooks/bounce":
            return super().resolve_request(request)
        if self._bounce_match is None:
            self._bounce_match = super().resolve_request(request)
        set_urlconf(request.urlconf)  # WebhookUrls' (reverse() in the view uses it)
        request.resolver_match = self._bounce_match
        return self._bounce_match

    def load_middleware(self, is_async: bool = False) -> None:
        # BaseHandler reads settings.MIDDLEWARE; this runs once, at start-up.
        stack = settings.MIDDLEWARE
        settings.MIDDLEWARE = WEBHOOK_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = stack


webhooks = WebhookHandler()


def is_webhook_post(environ: dict) -> bool:
    if environ.get("REQUEST_METHOD") != "POST":
        return False
    path = environ.get("PATH_INFO", "")
    if path.startswith("/webhooks/service/"):
        return True
    return path == "/webhooks/bounce" and bool(environ.get("HTTP_AUTHORIZATION"))


def application(environ, start_response):
    handler = webhooks if is_webhook_post(environ) else full
    return handler(environ, start_response)
