"""listmonk's paging for every API listing: page, per_page (or "all") and its envelope."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stmails.api.errors import BadRequest
from stmails.lib.input_checks import InvalidInput, parse_bounded_int

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 1000
# Far beyond any real listing, and small enough that (page - 1) * per_page stays
# a 64-bit offset on every database.
MAX_PAGE = 1_000_000_000
PAGING_PARAMS = frozenset({"page", "per_page", "order_by", "order"})


def reject_unknown_params(
    params: Any, allowed: Iterable[str], prefixes: tuple[str, ...] = ()
) -> None:
    """400 naming the first parameter a listing does not know.

    Ignoring it would answer a different question than the one asked:
    ?id=27 on /api/subscribers returned every subscriber.
    """
    known = PAGING_PARAMS | set(allowed)
    for key in params:
        if key not in known and not (prefixes and key.startswith(prefixes)):
            raise BadRequest(key, "unknown parameter")


def parse_paging(params: Any) -> tuple[int, int | None]:
    """(page, per_page); per_page None means "all"."""
    raw_page = (params.get("page") or "").strip()
    page = (
        parse_bounded_int(raw_page, "page", minimum=-MAX_PAGE, maximum=MAX_PAGE)
        if raw_page
        else 1
    )
    raw = (params.get("per_page") or "").strip().lower()
    if raw == "all":
        return 1, None
    try:
        per_page = (
            parse_bounded_int(raw, "per_page", minimum=-(2**31), maximum=2**31)
            if raw
            else DEFAULT_PER_PAGE
        )
    except InvalidInput:
        raise BadRequest("per_page", "must be a number or all") from None
    # As listmonk: out-of-range values fall back to the default or the maximum.
    if per_page < 1:
        per_page = DEFAULT_PER_PAGE
    return max(page, 1), min(per_page, MAX_PER_PAGE)


def page_envelope(
    results: list,
    *,
    total: int,
    page: int,
    per_page: int | None,
    search: str = "",
    query: str = "",
) -> dict[str, Any]:
    return {
        "data": {
            "results": results,
            "search": search,
            "query": query,
            "total": total,
            "per_page": total if per_page is None else per_page,
            "page": page,
        }
    }
