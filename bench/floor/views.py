"""The floor view: token check, JSON parse, one INSERT (issue 19's "minimal view").

What any Django intake must do at least; stmails' endpoints are measured as a
share of it. The token is compared with the one the benchmark put in the
environment (no query); the row goes into a table of the benchmark's own
(FLOOR_TABLE), in autocommit: one statement, one commit.
"""

from __future__ import annotations

import hmac
import json
import os

from django.db import connection
from django.http import HttpResponse, JsonResponse

TOKEN = os.environ.get("FLOOR_TOKEN", "")
TABLE = os.environ.get("FLOOR_TABLE", "bench_floor_events")
INSERT = f"INSERT INTO {TABLE} (payload) VALUES (%s)"  # noqa: S608 (the bench's own name)


def health(request):
    return HttpResponse("ok")


def floor(request):
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not hmac.compare_digest(header.encode(), f"token {TOKEN}".encode()):
        return JsonResponse({"message": "invalid API credentials"}, status=401)
    try:
        data = json.loads(request.body)
    except ValueError:
        return JsonResponse({"message": "invalid JSON"}, status=400)
    with connection.cursor() as cursor:
        cursor.execute(INSERT, [json.dumps(data)])
    return JsonResponse({"data": True})
