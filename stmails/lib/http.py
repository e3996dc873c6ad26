"""The one outbound HTTP choke point (tests patch `stmails.lib.http.get`).

urllib with a timeout on every call, an optional https-only rule, redirects
refused unless asked for, and a cap on the response size, so a slow or huge
answer cannot tie up a web worker.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_TIMEOUT = 5.0
DEFAULT_MAX_BYTES = 1024 * 1024
USER_AGENT = "stmails"


class HttpError(Exception):
    """A request that could not be made or was refused; the message is safe to show."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    headers: dict[str, str]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001
        fp.close()
        raise HttpError(f"redirect refused ({code} to {newurl})", status=code)


def _opener(follow_redirects: bool) -> urllib.request.OpenerDirector:
    handlers = [] if follow_redirects else [_NoRedirect()]
    return urllib.request.build_opener(*handlers)


def get(
    url: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    https_only: bool = True,
    follow_redirects: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    headers: dict[str, str] | None = None,
) -> Response:
    """GET url; raise HttpError on a refused scheme, a redirect, >= 400, or too big a body."""
    _check_scheme(url, https_only)
    request = urllib.request.Request(  # noqa: S310 (scheme checked by _check_scheme)
        url, headers={"User-Agent": USER_AGENT, **(headers or {})}
    )
    return _open(request, url, timeout, follow_redirects, max_bytes)


def post(
    url: str,
    body: bytes,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    https_only: bool = False,
    max_bytes: int = 64 * 1024,
    headers: dict[str, str] | None = None,
) -> Response:
    """POST body to url (redirects refused); HttpError as for `get`.

    http:// is allowed by default: admins point alerts and event webhooks at
    their own receivers, often on a private network without TLS.
    """
    _check_scheme(url, https_only)
    request = urllib.request.Request(  # noqa: S310 (scheme checked by _check_scheme)
        url,
        data=body,
        method="POST",
        headers={"User-Agent": USER_AGENT, **(headers or {})},
    )
    return _open(request, url, timeout, False, max_bytes)


def _check_scheme(url: str, https_only: bool) -> None:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https") or (https_only and scheme != "https"):
        raise HttpError(f"refused URL scheme {scheme or '(none)'!r}")


def _open(
    request: urllib.request.Request,
    url: str,
    timeout: float,
    follow_redirects: bool,
    max_bytes: int,
) -> Response:
    try:
        with _opener(follow_redirects).open(request, timeout=timeout) as answer:
            body = answer.read(max_bytes + 1)
            if len(body) > max_bytes:
                raise HttpError(f"response larger than {max_bytes} bytes")
            return Response(answer.status, body, dict(answer.headers.items()))
    except urllib.error.HTTPError as e:
        e.close()
        raise HttpError(f"HTTP {e.code} from {urlsplit(url).netloc}", e.code) from None
    except (urllib.error.URLError, TimeoutError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise HttpError(f"cannot reach {urlsplit(url).netloc}: {reason}") from None
