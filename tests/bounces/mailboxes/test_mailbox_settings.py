"""bounce.mailboxes through /api/settings: listmonk's shape, password masked."""

from __future__ import annotations

import json

from stmails.config import get_value
from stmails.lib.crypto import MASK

BOX = {
    "enabled": True,
    "type": "pop",
    "host": "pop.example.com",
    "port": 995,
    "auth_protocol": "userpass",
    "username": "bounces@example.com",
    "password": "s3cret-pass",
    "return_path": "bounces@example.com",
    "scan_interval": "15m",
    "tls_enabled": True,
    "tls_skip_verify": False,
}


def _put(client, value):
    return client.put(
        "/api/settings",
        data=json.dumps({"bounce.mailboxes": value}),
        content_type="application/json",
    )


def test_it_round_trips_listmonks_shape_with_the_password_masked(api_client):
    assert _put(api_client, [BOX]).status_code == 200

    shown = api_client.get("/api/settings").json()["data"]["bounce.mailboxes"]

    [box] = shown
    assert box["password"] == MASK
    assert {k: box[k] for k in BOX if k != "password"} == {
        k: v for k, v in BOX.items() if k != "password"
    }
    assert (box["tls_type"], box["name"]) == (
        "TLS",
        "bounces@example.com@pop.example.com",
    )
    # Sending the masked value back keeps the stored password.
    box["scan_interval"] = "1h"
    assert _put(api_client, [box]).status_code == 200
    [stored] = get_value("bounce.mailboxes")
    assert (stored["password"], stored["scan_interval"]) == ("s3cret-pass", "1h")


def test_it_keeps_tls_enabled_in_step_with_tls_type(api_client):
    _put(api_client, [dict(BOX, tls_type="STARTTLS", tls_enabled=True, port=110)])
    [box] = get_value("bounce.mailboxes")
    assert (box["tls_type"], box["tls_enabled"]) == ("STARTTLS", True)

    # A listmonk client only knows the switch: turning it off means no TLS.
    _put(api_client, [dict(box, tls_enabled=False)])
    [box] = get_value("bounce.mailboxes")
    assert (box["tls_type"], box["tls_enabled"]) == ("none", False)


def test_it_refuses_bad_values_naming_the_field(api_client):
    cases = [
        (
            dict(BOX, scan_interval="30s"),
            "bounce.mailboxes[0].scan_interval: must be at least 1m",
        ),
        (
            dict(BOX, after_bounce="move"),
            "bounce.mailboxes[0].after_bounce: move needs IMAP",
        ),
        (
            dict(BOX, non_bounce="delete"),
            "bounce.mailboxes[0].non_bounce: must be one of leave, move",
        ),
        (dict(BOX, type="smtp"), "bounce.mailboxes[0].type: must be one of pop, imap"),
        (dict(BOX, port=0), "bounce.mailboxes[0].port: must be between 1 and 65535"),
    ]
    for value, message in cases:
        response = _put(api_client, [value])
        assert response.status_code == 400
        assert response.json() == {"message": message}
    assert get_value("bounce.mailboxes") == []


def test_it_refuses_two_mailboxes_with_one_name(api_client):
    response = _put(api_client, [dict(BOX, name="a"), dict(BOX, name="A")])

    assert response.status_code == 400
    assert (
        response.json()["message"]
        == "bounce.mailboxes[1].name: is used by another mailbox"
    )
