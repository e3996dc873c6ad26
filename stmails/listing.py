"""Helpers for the admin UI's list pages (subscribers, bounces, ...)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

# Dates read best newest first; everything else starts ascending.
DESC_FIRST = {"created_at", "updated_at"}


def safe_next(request: HttpRequest, default: str) -> str:
    """The POSTed `next` URL when it stays on this site, else the default.

    Only a path ("/subscribers?page=2"): redirect() would read any other word as
    a view name to reverse, and fail.
    """
    target = request.POST.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def sort_links(
    request: HttpRequest,
    columns: list[tuple[str | None, str]],
    order_by: str,
    order: str,
) -> list[dict]:
    """Column headers: clicking sorts by that column, clicking again flips it.

    A column whose key is None is not sortable.
    """
    links = []
    for key, label in columns:
        if key is None:
            links.append({"key": None, "label": label, "url": "", "arrow": ""})
            continue
        query = request.GET.copy()
        query.pop("page", None)
        active = key == order_by
        query["order_by"] = key
        if active:
            query["order"] = "asc" if order == "desc" else "desc"
        else:
            query["order"] = "desc" if key in DESC_FIRST else "asc"
        arrow = ("▲" if order == "asc" else "▼") if active else ""
        links.append(
            {"key": key, "label": label, "url": "?" + query.urlencode(), "arrow": arrow}
        )
    return links
