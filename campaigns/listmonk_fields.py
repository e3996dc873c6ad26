"""Rules for listmonk's campaign fields that stmails stores as they are:
type, messenger, attribs, body_source and media (campaigns.services applies
them with the others)."""

from __future__ import annotations

from typing import Any

from campaigns.errors import CampaignError
from campaigns.models import Campaign

MESSENGERS = ("email",)  # listmonk's default messenger; stmails has no others


def clean_attribs(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise CampaignError("attribs", "must be a JSON object")
    return raw


def clean_body_source(raw: Any) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise CampaignError("body_source", "must be a string or null")
    return raw


def clean_messenger(raw: Any) -> str:
    if raw in (None, ""):
        return MESSENGERS[0]
    if raw not in MESSENGERS:
        raise CampaignError("messenger", f"unknown messenger {str(raw)[:40]!r}")
    return raw


def clean_media(raw: Any) -> None:
    # listmonk's media library ids; stmails has no media library, so only the
    # empty list clients send by default is accepted.
    if raw in (None, ""):
        return
    if not isinstance(raw, list):
        raise CampaignError("media", "must be a list of media ids")
    if raw:
        raise CampaignError("media", "stmails has no media library: send []")


def clean_type(raw: Any) -> str:
    if raw in (None, ""):
        return Campaign.Type.REGULAR
    if raw not in Campaign.Type.values:
        choices = ", ".join(Campaign.Type.values)
        raise CampaignError("type", f"must be one of {choices}")
    return raw
