"""Read-only campaign figures for the API and the campaign page."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

BOUNCE_TYPES = ("hard", "soft", "complaint")
Counts = dict[int, dict[str, int]]


def bounce_counts(campaign_ids: Iterable[int]) -> Counts:
    """Bounces per campaign and type, in one aggregate query.

    Raw SQL on the `bounces` table by name: the bounces app sits above campaigns
    in the import order (bounces imports campaigns), so campaigns must not
    import bounces.models.
    """
    ids = [int(i) for i in campaign_ids]
    counts: Counts = {pk: dict.fromkeys(BOUNCE_TYPES, 0) for pk in ids}
    if not ids:
        return counts
    marks = ", ".join(["%s"] * len(ids))
    # Only "%s" placeholders are interpolated; the ids travel as parameters.
    sql = (
        "SELECT campaign_id, type, COUNT(*) FROM bounces "  # noqa: S608
        f"WHERE campaign_id IN ({marks}) GROUP BY campaign_id, type"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        for campaign_id, kind, n in cursor.fetchall():
            if kind in BOUNCE_TYPES:
                counts[campaign_id][kind] = n
    return counts
