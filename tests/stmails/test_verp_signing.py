"""VERP tokens: short, signed, and unreadable without the key."""

from __future__ import annotations

import pytest

from stmails.lib.signing import MAC_CHARS, derive_key, make_verp_token, read_verp_token

KEY = derive_key("a-test-secret-key-that-is-long-enough-0123", "verp-tests")


@pytest.mark.parametrize("delivery_id", [0, 1, 35, 36, 123_456, 2**63 - 1])
def test_it_reads_back_the_id_it_signed(delivery_id):
    token = make_verp_token(delivery_id, key=KEY)
    assert read_verp_token(token, key=KEY) == delivery_id


def test_it_reads_a_token_whose_case_a_mail_server_changed():
    token = make_verp_token(4242, key=KEY)
    assert read_verp_token(token.upper(), key=KEY) == 4242


def test_it_derives_the_same_key_from_the_same_secret():
    assert derive_key("s" * 40, "salt") == derive_key("s" * 40, "salt")
    assert derive_key("s" * 40, "salt") != derive_key("s" * 40, "other salt")


def test_it_rejects_a_forged_mac():
    token = make_verp_token(77, key=KEY)
    last = "a" if token[-1] != "a" else "b"
    assert read_verp_token(token[:-1] + last, key=KEY) is None


def test_it_rejects_another_id_with_a_valid_mac():
    # The MAC of id 77 does not vouch for id 78.
    token = make_verp_token(77, key=KEY)
    other = make_verp_token(78, key=KEY)
    assert read_verp_token(other[:-MAC_CHARS] + token[-MAC_CHARS:], key=KEY) is None


@pytest.mark.parametrize("cut", [1, MAC_CHARS, MAC_CHARS + 1])
def test_it_rejects_a_truncated_token(cut):
    token = make_verp_token(123_456, key=KEY)
    assert read_verp_token(token[:-cut], key=KEY) is None


@pytest.mark.parametrize(
    "token", ["", "bounces", "abc_def0123456789", "0" + "x" * 12, "a+b", "é" * 14]
)
def test_it_rejects_malformed_tokens(token):
    assert read_verp_token(token, key=KEY) is None


def test_it_rejects_a_token_padded_with_leading_zeros():
    token = make_verp_token(5, key=KEY)
    assert read_verp_token("0" + token, key=KEY) is None


def test_it_rejects_a_token_signed_with_another_key():
    other = derive_key("another-secret-key-that-is-long-enough-0123", "verp-tests")
    assert read_verp_token(make_verp_token(99, key=other), key=KEY) is None


def test_it_fits_the_local_part_for_the_largest_ids():
    local = "bounces+" + make_verp_token(2**63 - 1, key=KEY)
    assert len(local) <= 64
    assert local == local.lower()
