"""stmails.lib.http: the one outbound HTTP choke point, against a real local server."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from stmails.lib import http


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/ok")
            self.end_headers()
            return
        if self.path == "/missing":
            self.send_error(404)
            return
        body = b"x" * 5000 if self.path == "/big" else b"hello"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server(allow_loopback_receivers):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_it_gets_a_body(server):
    answer = http.get(f"{server}/ok", https_only=False)
    assert (answer.status, answer.body) == (200, b"hello")


def test_it_refuses_redirects_unless_asked(server):
    with pytest.raises(http.HttpError, match="redirect refused"):
        http.get(f"{server}/redirect", https_only=False)
    assert (
        http.get(f"{server}/redirect", https_only=False, follow_redirects=True).body
        == b"hello"
    )


def test_it_caps_the_response_size(server):
    with pytest.raises(http.HttpError, match="larger than 1000 bytes"):
        http.get(f"{server}/big", https_only=False, max_bytes=1000)


def test_it_reports_http_errors(server):
    with pytest.raises(http.HttpError, match="HTTP 404") as e:
        http.get(f"{server}/missing", https_only=False)
    assert e.value.status == 404


@pytest.mark.parametrize(
    "url", ["http://example.com/x", "file:///etc/passwd", "ftp://x/y"]
)
def test_it_refuses_schemes_it_was_not_asked_for(url):
    with pytest.raises(http.HttpError, match="refused URL scheme"):
        http.get(url)


def test_it_reports_an_unreachable_host(allow_loopback_receivers):
    with pytest.raises(http.HttpError, match="cannot reach"):
        http.get("http://127.0.0.1:9/", https_only=False, timeout=2)
