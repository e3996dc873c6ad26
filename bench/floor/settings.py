"""The floor's Django settings: what a minimal intake view needs, nothing else.

bench/floor/views.py is the "least a Django view can do" that the webhook
benchmarks compare stmails with, under the same gunicorn settings in the same
run (issue 19): no middleware, no apps, one database connection.
"""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

_url = urlsplit(os.environ["DATABASE_URL"])

SECRET_KEY = "bench-floor-only"  # noqa: S105 (a benchmark's throwaway app)
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "bench.floor.urls"
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
USE_TZ = True
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _url.path.lstrip("/"),
        "USER": unquote(_url.username or ""),
        "PASSWORD": unquote(_url.password or ""),
        "HOST": _url.hostname or "",
        "PORT": _url.port or "",
        # As stmails: persistent connections (its CONN_MAX_AGE).
        "CONN_MAX_AGE": int(os.environ.get("FLOOR_CONN_MAX_AGE", "60")),
    }
}
