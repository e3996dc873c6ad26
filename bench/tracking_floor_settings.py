"""bench_tracking's settings: stmails' own, with a URLconf that adds the floor
route, so the tracking endpoint and the floor run in the same server with the
same middleware."""

from stmails.settings import *  # noqa: F403

ROOT_URLCONF = "tracking_floor_urls"
