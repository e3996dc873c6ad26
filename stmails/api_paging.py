"""listmonk's paging for every API listing: page, per_page (or "all") and its envelope."""

from __future__ import annotations

from typing import Any

from stmails.api_errors import BadRequest

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 1000


def parse_paging(params: Any) -> tuple[int, int | None]:
    """(page, per_page); per_page None means "all"."""
    raw_page = (params.get("page") or "").strip()
    try:
        page = int(raw_page) if raw_page else 1
    except ValueError:
        raise BadRequest("page", "must be a number") from None
    raw = (params.get("per_page") or "").strip().lower()
    if raw == "all":
        return 1, None
    try:
        per_page = int(raw) if raw else DEFAULT_PER_PAGE
    except ValueError:
        raise BadRequest("per_page", "must be a number or all") from None
    # As listmonk: out-of-range values fall back to the default or the maximum.
    if per_page < 1:
        per_page = DEFAULT_PER_PAGE
    return max(page, 1), min(per_page, MAX_PER_PAGE)


def page_envelope(
    results: list, *, total: int, page: int, per_page: int | None, search: str = ""
) -> dict[str, Any]:
    return {
        "data": {
            "results": results,
            "search": search,
            "query": "",
            "total": total,
            "per_page": total if per_page is None else per_page,
            "page": page,
        }
    }
