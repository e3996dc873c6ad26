"""The pure part: listmonk rows to stmails fields, and the campaign status rule."""

from __future__ import annotations

import uuid

import pytest

from listmonk_import import mapping
from listmonk_import.mapping import Skip

U = uuid.UUID("11111111-2222-3333-4444-555555555555")


@pytest.mark.parametrize(
    ("status", "sent", "kind", "expected"),
    [
        ("draft", 0, "regular", "draft"),
        ("finished", 10, "regular", "finished"),
        ("cancelled", 3, "regular", "cancelled"),
        ("scheduled", 0, "regular", "paused"),
        ("running", 0, "regular", "paused"),
        ("paused", 0, "regular", "paused"),
        ("running", 5, "regular", "cancelled"),
        ("paused", 5, "regular", "cancelled"),
        ("running", 0, "optin", "cancelled"),
        ("finished", 9, "optin", "finished"),
    ],
)
def test_nothing_can_start_sending_because_of_an_import(status, sent, kind, expected):
    row = {"status": status, "sent": sent, "to_send": 10, "type": kind}

    got, note = mapping.campaign_status(row, optin_supported=False)

    assert got == expected
    assert bool(note) == (status not in mapping.SETTLED)  # the paused_reason says why


def test_an_optin_campaign_keeps_its_status_rule_where_stmails_has_the_type():
    row = {"status": "running", "sent": 0, "type": "optin"}
    assert mapping.campaign_status(row, optin_supported=True)[0] == "paused"


def test_a_subscriber_row_keeps_uuid_attribs_and_unicode():
    row = {
        "uuid": U,
        "email": "Ann@EXAMPLE.com",
        "name": "Zoë 日本",
        "attribs": {"a": {"b": [1, {"c": None}]}},
        "status": "blocklisted",
    }
    assert mapping.subscriber(row) == {
        "uuid": U,
        "email": "Ann@example.com",
        "name": "Zoë 日本",
        "attribs": {"a": {"b": [1, {"c": None}]}},
        "status": "blocklisted",
    }


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"uuid": U, "email": "nope", "status": "enabled"}, "address refused"),
        ({"uuid": U, "email": None, "status": "enabled"}, "address refused"),
        ({"uuid": None, "email": "a@example.com", "status": "enabled"}, "no uuid"),
        ({"uuid": U, "email": "a@example.com", "status": "odd"}, "unknown subscriber"),
        (
            {
                "uuid": U,
                "email": "a@example.com",
                "name": "x" * 501,
                "status": "enabled",
            },
            "name refused",
        ),
    ],
)
def test_rows_stmails_refuses_are_skipped_with_a_reason(row, reason):
    got = mapping.subscriber(row)
    assert isinstance(got, Skip)
    assert got.reason.startswith(reason)


def test_a_temporary_list_comes_over_private_with_a_note():
    fields, notes = mapping.mailing_list(
        {"uuid": U, "name": "Tmp", "type": "temporary", "optin": "double", "tags": None}
    )
    assert (fields["type"], fields["optin"], fields["tags"]) == (
        "private",
        "double",
        [],
    )
    assert notes == ["list type 'temporary' came over as private"]
    assert "status" not in fields  # v3: no status column, nothing invented


def test_bounce_meta_that_is_no_object_is_kept_under_value():
    assert mapping.bounce({"type": "soft", "meta": [1, 2]})["meta"] == {"value": [1, 2]}
    assert mapping.bounce({"type": "soft", "meta": None})["meta"] == {}
    assert isinstance(mapping.bounce({"type": "bogus"}), Skip)


def test_a_visual_campaign_comes_over_as_html():
    fields, notes = mapping.campaign(
        {"uuid": U, "name": "V", "status": "draft", "content_type": "visual"}
    )
    assert fields["content_type"] == "html"
    assert notes == ["content type 'visual' came over as html"]
