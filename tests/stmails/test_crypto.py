"""Encryption at rest of stored credentials (stmails.lib.crypto)."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.test import override_settings

from stmails.lib import crypto


@pytest.fixture
def keys():
    """Swap the encryption keys for a test; the Fernet is cached, so reset it."""

    def use(*ks: bytes):
        crypto._fernet.cache_clear()
        return override_settings(STMAILS_ENCRYPTION_KEYS=list(ks))

    yield use
    crypto._fernet.cache_clear()


def test_it_round_trips_and_hides_the_plaintext():
    stored = crypto.encrypt("hunter2-password")
    assert stored.startswith(crypto.PREFIX)
    assert "hunter2" not in stored
    assert crypto.decrypt(stored) == "hunter2-password"
    # Fresh IV each time: equal secrets do not give equal ciphertexts.
    assert crypto.encrypt("hunter2-password") != stored


def test_it_keeps_empty_as_empty():
    assert crypto.encrypt("") == ""
    assert crypto.decrypt("") == ""


def test_it_refuses_a_plaintext_value():
    with pytest.raises(crypto.DecryptionError, match="not encrypted"):
        crypto.decrypt("plain")


def test_it_decrypts_with_an_old_key_after_rotation(keys):
    old, new = Fernet.generate_key(), Fernet.generate_key()
    with keys(old):
        stored = crypto.encrypt("s3cret")
    with keys(new, old):
        assert crypto.decrypt(stored) == "s3cret"
        assert crypto.decrypt(crypto.encrypt("x")) == "x"
    with (
        keys(new),
        pytest.raises(crypto.DecryptionError, match="STMAILS_ENCRYPTION_KEY"),
    ):
        crypto.decrypt(stored)


@pytest.mark.parametrize(
    ("value", "masked"),
    [("", True), ("\u2022" * 8, True), ("\u2022" * 3, True), ("********", True),
     ("secret", False), ("\u2022x", False), (None, False), (5, False)],
)  # fmt: skip
def test_it_recognises_a_masked_value(value, masked):
    assert crypto.is_masked(value) is masked


def test_it_masks_only_what_is_set():
    assert crypto.mask(crypto.encrypt("x")) == crypto.MASK
    assert crypto.mask("") == ""


def test_it_compares_in_constant_time():
    assert crypto.constant_time_equals("abc", "abc")
    assert not crypto.constant_time_equals("abc", "abd")
