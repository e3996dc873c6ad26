"""The one way the admin shows a moment: "2026-12-03 14:05 UTC" (ISO-like, with the
zone of TIME_ZONE). FORMAT_MODULE_PATH points here, so a datetime rendered without
a filter looks the same as one through |when (stmails/templatetags/when.py).
Machine formats (CSV, JSON, <time datetime>) stay ISO 8601 and do not use these."""

DATETIME_FORMAT = "Y-m-d H:i T"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
# A day has no zone of its own: the days of listings and charts are TIME_ZONE's.
DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = DATE_FORMAT
TIME_FORMAT = "H:i T"
