"""Content-Security-Policy on every response.

Stored content (campaign bodies, subscriber names from the public form, bounce
texts) is shown on admin pages: if escaping ever fails again, the browser must
still refuse to run it. `script-src 'self'` allows only the files under static/;
inline <script> blocks and on*="" attributes do not run, so templates carry
data-* attributes and static/js/*.js attaches the behaviour.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

DEFAULT_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # Campaign HTML previews (sandboxed srcdoc frames inherit this policy)
        # keep their inline styles and remote images; neither runs code.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: https: http:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def content_security_policy() -> str:
    return getattr(settings, "STMAILS_CONTENT_SECURITY_POLICY", "") or DEFAULT_POLICY


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault(
            "Content-Security-Policy", content_security_policy()
        )
        return response
