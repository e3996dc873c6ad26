"""The one outbound HTTP choke point (tests patch `stmails.lib.http.get`).

urllib with a timeout on every call, an optional https-only rule, redirects
refused unless asked for, and a cap on the response size, so a slow or huge
answer cannot tie up a web worker.

Every connection is guarded against SSRF (stmails.lib.destinations): the host
is resolved once, each address is checked, and the socket connects to the
checked address, while TLS still verifies and sends SNI for the host name.
Environment proxies are not used (the guard would check the proxy instead).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlsplit

from stmails.lib import destinations

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


class DestinationRefused(HttpError):
    """The host resolves to an address outgoing requests may not reach."""


def _operator_allowed() -> list[str]:
    from django.conf import settings

    return list(getattr(settings, "STMAILS_ALLOWED_PRIVATE_HOSTS", []))


def guarded_connection(
    address: tuple[str, int],
    timeout: object = socket._GLOBAL_DEFAULT_TIMEOUT,  # noqa: SLF001 (http.client's own default)
    source_address: tuple[str, int] | None = None,
    *,
    also_allowed: Iterable[str] = (),
) -> socket.socket:
    """socket.create_connection, refusing addresses that are not public."""
    host, port = address
    allowed = [*_operator_allowed(), *also_allowed]
    refused, last_error = "", None
    for family, kind, proto, _, sockaddr in socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM
    ):
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        reason = destinations.refusal(host, ip, allowed)
        if reason:
            refused = reason
            continue
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:  # noqa: SLF001
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
        except OSError as e:
            sock.close()
            last_error = e
            continue
        return sock
    if last_error is not None:
        raise last_error
    raise DestinationRefused(f"refused destination: {refused or host}")


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, also_allowed: Iterable[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = partial(guarded_connection, also_allowed=also_allowed)


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, also_allowed: Iterable[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = partial(guarded_connection, also_allowed=also_allowed)


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, also_allowed: tuple[str, ...]):
        super().__init__()
        self.also_allowed = also_allowed

    def http_open(self, req):  # noqa: ANN001, ANN201 (urllib's signature)
        conn = partial(_GuardedHTTPConnection, also_allowed=self.also_allowed)
        return self.do_open(conn, req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, also_allowed: tuple[str, ...]):
        super().__init__()
        self.also_allowed = also_allowed

    def https_open(self, req):  # noqa: ANN001, ANN201 (urllib's signature)
        conn = partial(_GuardedHTTPSConnection, also_allowed=self.also_allowed)
        return self.do_open(conn, req, context=self._context)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001
        fp.close()
        raise HttpError(f"redirect refused ({code} to {newurl})", status=code)


def _opener(
    follow_redirects: bool, also_allowed: tuple[str, ...] = ()
) -> urllib.request.OpenerDirector:
    handlers: list[urllib.request.BaseHandler] = [
        urllib.request.ProxyHandler({}),
        _GuardedHTTPHandler(also_allowed),
        _GuardedHTTPSHandler(also_allowed),
    ]
    if not follow_redirects:
        handlers.append(_NoRedirect())
    return urllib.request.build_opener(*handlers)


def get(
    url: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    https_only: bool = True,
    follow_redirects: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    headers: dict[str, str] | None = None,
    also_allowed: Iterable[str] = (),
) -> Response:
    """GET url; raise HttpError on a refused scheme or destination, a redirect,
    >= 400, or too big a body. `also_allowed`: hosts or CIDRs allowed for this
    call on top of STMAILS_ALLOWED_PRIVATE_HOSTS (e.g. the site's own host)."""
    _check_scheme(url, https_only)
    request = urllib.request.Request(  # noqa: S310 (scheme checked by _check_scheme)
        url, headers={"User-Agent": USER_AGENT, **(headers or {})}
    )
    return _open(request, url, timeout, follow_redirects, max_bytes, also_allowed)


def post(
    url: str,
    body: bytes,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    https_only: bool = False,
    max_bytes: int = 64 * 1024,
    headers: dict[str, str] | None = None,
    also_allowed: Iterable[str] = (),
) -> Response:
    """POST body to url (redirects refused); HttpError as for `get`.

    http:// is allowed by default: admins point alerts and event webhooks at
    their own receivers, often without TLS (private addresses need
    STMAILS_ALLOWED_PRIVATE_HOSTS).
    """
    _check_scheme(url, https_only)
    request = urllib.request.Request(  # noqa: S310 (scheme checked by _check_scheme)
        url,
        data=body,
        method="POST",
        headers={"User-Agent": USER_AGENT, **(headers or {})},
    )
    return _open(request, url, timeout, False, max_bytes, also_allowed)


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
    also_allowed: Iterable[str] = (),
) -> Response:
    opener = _opener(follow_redirects, tuple(also_allowed))
    try:
        with opener.open(request, timeout=timeout) as answer:
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
