"""Shared fixtures for the Go template tests: one subscriber, fixed links and clock."""

from __future__ import annotations

from datetime import UTC, datetime

from campaigns.dialects import GoInput
from campaigns.gotemplate import GoTemplate
from campaigns.rendering import MailLinks, build_context

NOW = datetime(2024, 3, 5, 14, 7, 9, 123000, tzinfo=UTC)
SUB = {
    "name": "Ann Marie <b>&",
    "email": "ann@example.com",
    "uuid": "5f1d-u1",
    "status": "enabled",
    "attribs": {
        "city": "Bengaluru",
        "projects": 5,
        "big": 1000000,
        "tags": ["a", "b"],
        "nested": {"plan": {"name": "pro"}},
        "quote": 'O\'Neil "Q"',
        "null": None,
    },
    "created_at": datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC),
}
CAMPAIGN = {
    "uuid": "c-uuid",
    "name": "March news",
    "subject": "News for March",
    "from_email": "News <news@example.com>",
}
LINKS = MailLinks(
    unsubscribe="https://x.test/subscription/c-uuid/5f1d-u1",
    message="https://x.test/campaign/c-uuid/5f1d-u1",
    optin="https://x.test/subscription/optin/5f1d-u1",
    view_pixel="https://x.test/campaign/c-uuid/5f1d-u1/px.png",
    track_link=lambda url: "https://x.test/link/L1/c-uuid/5f1d-u1?u=" + url,
)


def context(sub=None, links=LINKS, tx_data=None):
    return build_context(sub or SUB, CAMPAIGN, links=links, tx_data=tx_data)


def go(source: str, *, html: bool = True, sub=None, links=LINKS, tx_data=None) -> str:
    data = GoInput(context(sub, links, tx_data), lambda: NOW)
    return GoTemplate(source, html=html).render(data.data, data.env)
