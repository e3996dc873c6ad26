"""Standard Webhooks signatures, checked against the reference library and by hand."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from stmails.lib import standard_webhooks as sw

# The test vector of the Standard Webhooks reference implementations.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_it_matches_the_spec_test_vector():
    assert (
        sw.signature(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE
    )


def test_it_signs_as_hmac_sha256_of_id_timestamp_and_body():
    secret = sw.new_secret()
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(
        hmac.new(key, b"msg_1.1700000000.{}", hashlib.sha256).digest()
    ).decode()
    assert sw.signature(secret, "msg_1", 1700000000, b"{}") == f"v1,{expected}"


def test_new_secrets_are_random_32_byte_keys():
    one, two = sw.new_secret(), sw.new_secret()
    assert one.startswith("whsec_") and one != two
    assert len(sw.secret_key(one)) == 32


def test_the_reference_library_verifies_our_headers():
    secret = sw.new_secret()
    body = b'{"type":"test.ping","timestamp":"2026-01-01T00:00:00Z","data":{}}'
    headers = sw.headers([secret], "msg_abc", int(time.time()), body)
    assert Webhook(secret).verify(body, headers) == {
        "type": "test.ping",
        "timestamp": "2026-01-01T00:00:00Z",
        "data": {},
    }


def test_the_reference_library_rejects_a_changed_body_or_another_secret():
    secret = sw.new_secret()
    headers = sw.headers([secret], "msg_abc", int(time.time()), b'{"a":1}')
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(b'{"a":2}', headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(sw.new_secret()).verify(b'{"a":1}', headers)


def test_a_rotation_signs_with_both_secrets_and_either_verifies():
    new, old = sw.new_secret(), sw.new_secret()
    now = int(time.time())
    headers = sw.headers([new, old], "msg_x", now, b"{}")
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (new, old):
        Webhook(secret).verify(b"{}", headers, json_parse=False)
        assert sw.verify(secret, "msg_x", now, b"{}", headers["webhook-signature"])
    assert not sw.verify(
        sw.new_secret(), "msg_x", now, b"{}", headers["webhook-signature"]
    )


def test_the_reference_library_signs_as_we_do():
    secret = sw.new_secret()
    at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    ours = sw.signature(secret, "msg_1", int(at.timestamp()), b'{"x":"\xc3\xa9"}')
    assert Webhook(secret).sign("msg_1", at, '{"x":"é"}') == ours


def test_it_refuses_a_secret_that_is_not_base64():
    with pytest.raises(sw.SecretError):
        sw.secret_key("whsec_not base64!")
