"""Refuses bad query strings and impossible path ids before any view runs.

Query strings: a NUL (%00) in a parameter's name or value is refused with 400
naming the parameter (PostgreSQL cannot compare text with NUL: it was a 500 in
every search box). Path ids: <int:pk> accepts any number of digits, SQLite and
PostgreSQL only 64-bit ones (an OverflowError on SQLite): a larger id cannot
exist, so it answers 404. Last, a value that still reaches the database and is
refused there answers 400 instead of 500 (see process_exception).
"""

from __future__ import annotations

import logging

from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest

from stmails.error_views import is_machine_path, json_error
from stmails.lib.input_checks import MAX_ID, bad_character

log = logging.getLogger(__name__)


class BadInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = bad_character(request.path)
        if problem:
            return self._bad_request(request, f"path: {problem}")
        for key, values in request.GET.lists():
            for text in (key, *values):
                problem = bad_character(text)
                if problem:
                    return self._bad_request(request, f"{key}: {problem}")
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        for value in (*view_args, *view_kwargs.values()):
            if isinstance(value, int) and not -MAX_ID <= value <= MAX_ID:
                if is_machine_path(request.path):
                    return json_error(404, "not found")
                raise Http404("not found")
        return None

    def process_exception(self, request: HttpRequest, exception: Exception):
        """The last line for values no check above caught: the database refused a
        value (too long, out of range, unstorable characters), or SQLite an integer
        beyond 64 bits (OverflowError, raised before the query runs). Nothing was
        stored (the failed statement's transaction is rolled back), so the answer
        is 400, and the warning names the path so a check can be added."""
        if isinstance(exception, DataError | OverflowError):
            log.warning(
                "bad input reached the database on %s %s: %s",
                request.method,
                request.path[:200],
                type(exception).__name__,
            )
            return self._bad_request(
                request, "a value is out of range or cannot be stored"
            )
        return None

    @staticmethod
    def _bad_request(request: HttpRequest, message: str) -> HttpResponse:
        if is_machine_path(request.path):
            return json_error(400, message)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
