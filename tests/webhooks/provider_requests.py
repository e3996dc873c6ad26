"""Signed requests for the providers posted through these helpers (Mailgun ...
Azure): posting helpers and their entries for the contract suite.

`CONTRACTS` rows are (slug, enable, build, email, reject_status, missing_status),
turned into `Contract`s by tests/webhooks/test_contract.py. Each `build(kind)`
returns (body, headers) as that suite describes, or None when the kind does not
apply (only Mailgun, Resend and Lettermint sign a timestamp that can be replayed).
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from functools import cache
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.test import Client

from stmails.config import update_settings
from tests.conftest import basic_auth
from tests.webhooks.conftest import sample
from webhooks.providers.lettermint import sign as lettermint_sign
from webhooks.providers.resend import svix_signature
from webhooks.providers.verification import hmac_sha256_hex

Request = tuple[bytes, dict[str, str]]
OLD = 3 * 24 * 3600  # a replay from three days ago


def enable(settings_key: str, **config: Any) -> None:
    update_settings({"bounce.enabled": True, settings_key: {"enabled": True, **config}})


def post(
    provider: str, body: bytes, headers: dict[str, str] | None = None, query: str = ""
) -> Any:
    """POST the raw body to the provider's webhook; headers by their HTTP names."""
    extra = {
        "HTTP_" + name.upper().replace("-", "_"): value
        for name, value in (headers or {}).items()
    }
    url = f"/webhooks/service/{provider}" + (f"?{query}" if query else "")
    return Client().post(url, data=body, content_type="application/json", **extra)


# --- contract builders ---------------------------------------------------------------


def _settings(settings_key: str, **config: Any):
    return lambda: update_settings({settings_key: {"enabled": True, **config}})


MAILGUN_KEY = "mailgun-key"


def mailgun_build(kind: str) -> Request | None:
    if kind == "malformed":
        return b"{oops", {}
    data = json.loads(sample("mailgun", "failed_permanent_anymail"))
    if kind == "unauthenticated":
        del data["signature"]
        return json.dumps(data).encode(), {}
    ts = str(int(time.time()) - (OLD if kind == "replayed" else 0))
    token = secrets.token_hex(25)
    key = "forged" if kind == "forged" else MAILGUN_KEY
    data["signature"] = {
        "timestamp": ts,
        "token": token,
        "signature": hmac_sha256_hex(key, f"{ts}{token}".encode()),
    }
    return json.dumps(data).encode(), {}


RESEND_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def resend_build(kind: str) -> Request | None:
    body = b"{oops" if kind == "malformed" else sample("resend", "bounced_anymail")
    if kind == "unauthenticated":
        return body, {}
    ts = str(int(time.time()) - (OLD if kind == "replayed" else 0))
    secret = "whsec_" + "Zm9yZ2Vk" * 4 if kind == "forged" else RESEND_SECRET
    return body, {
        "svix-id": "msg_contract",
        "svix-timestamp": ts,
        "svix-signature": svix_signature(secret, "msg_contract", ts, body),
    }


def _hmac_build(provider: str, name: str, header: str, secret: str):
    def build(kind: str) -> Request | None:
        if kind == "replayed":
            return None
        body = b"{oops" if kind == "malformed" else sample(provider, name)
        if kind == "unauthenticated":
            return body, {}
        key = "forged" if kind == "forged" else secret
        return body, {header: hmac_sha256_hex(key, body)}

    return build


def _basic_build(provider: str, name: str, user: str, password: str):
    def build(kind: str) -> Request | None:
        if kind == "replayed":
            return None
        body = b"{oops" if kind == "malformed" else sample(provider, name)
        if kind == "unauthenticated":
            return body, {}
        return body, {
            "Authorization": basic_auth(user, "nope" if kind == "forged" else password)
        }

    return build


@cache
def postal_keys() -> tuple[rsa.RSAPrivateKey, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return key, base64.b64encode(der).decode()


def postal_enable() -> None:
    update_settings(
        {"bounce.postal": {"enabled": True, "public_key": postal_keys()[1]}}
    )


def postal_build(kind: str) -> Request | None:
    if kind == "replayed":
        return None
    body = (
        b"{oops"
        if kind == "malformed"
        else sample("postal", "delivery_failed_hardfail_anymail")
    )
    if kind == "unauthenticated":
        return body, {}
    key = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if kind == "forged"
        else postal_keys()[0]
    )
    signature = key.sign(body, padding.PKCS1v15(), hashes.SHA256())
    return body, {"X-Postal-Signature-256": base64.b64encode(signature).decode()}


LETTERMINT_KEY = "lettermint-key"


def lettermint_build(kind: str) -> Request | None:
    body = (
        b"{oops"
        if kind == "malformed"
        else sample("lettermint", "hard_bounced_DERIVED")
    )
    if kind == "unauthenticated":
        return body, {}
    ts = str(int(time.time()) - (OLD if kind == "replayed" else 0))
    key = "forged" if kind == "forged" else LETTERMINT_KEY
    return body, {
        "X-Lettermint-Signature": f"t={ts},v1={lettermint_sign(key, ts, body)}"
    }


AZURE_SECRET = "azure-code"


def azure_build(kind: str) -> Request | None:
    if kind == "replayed":
        return None
    # One event of the batch: the suite expects one stored event.
    first = json.loads(sample("azure", "bounced_DERIVED"))[:1]
    body = b"{oops" if kind == "malformed" else json.dumps(first).encode()
    if kind == "unauthenticated":
        return body, {}
    secret = "nope" if kind == "forged" else AZURE_SECRET
    return body, {"X-Listmonk-Webhook-Secret": secret}


CONTRACTS: list[tuple] = [
    (
        "mailgun",
        _settings("bounce.mailgun", signing_key=MAILGUN_KEY),
        mailgun_build,
        "invalid@example.com",
        406,
        None,
    ),
    (
        "resend",
        _settings("bounce.resend", secret=RESEND_SECRET),
        resend_build,
        "bounced@resend.dev",
        401,
        None,
    ),
    (
        "mailersend",
        _settings("bounce.mailersend", secret="ms-secret"),
        _hmac_build("mailersend", "hard_bounced_anymail", "Signature", "ms-secret"),
        "invalid@example.com",
        401,
        None,
    ),
    (
        "brevo",
        _settings("bounce.brevo", username="bv", password="bv-pw", token="bv-token"),
        _basic_build("brevo", "hard_bounce_anymail", "bv", "bv-pw"),
        "not-a-user@example.com",
        401,
        None,
    ),
    (
        "mailjet",
        _settings("bounce.mailjet", username="mj", password="mj-pw"),
        _basic_build("mailjet", "bounce_hard_anymail", "mj", "mj-pw"),
        "invalid@invalid",
        401,
        None,
    ),
    (
        "sparkpost",
        _settings("bounce.sparkpost", username="sp", password="sp-pw"),
        _basic_build("sparkpost", "bounce_class10_anymail", "sp", "sp-pw"),
        "bounce@example.com",
        401,
        None,
    ),
    ("postal", postal_enable, postal_build, "failed@example.com", 401, None),
    (
        "mailtrap",
        _settings("bounce.mailtrap", secret="mt-secret"),
        _hmac_build(
            "mailtrap", "bounce_hard_anymail", "Mailtrap-Signature", "mt-secret"
        ),
        "invalid@example.com",
        401,
        None,
    ),
    (
        "lettermint",
        _settings("bounce.lettermint", key=LETTERMINT_KEY),
        lettermint_build,
        "gone.user@example.test",
        400,
        None,
    ),
    (
        "azure",
        _settings("bounce.azure", shared_secret=AZURE_SECRET),
        azure_build,
        "gone@example.com",
        401,
        None,
    ),
]
