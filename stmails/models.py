from __future__ import annotations

import hashlib
import secrets

from django.db import models
from django.utils import timezone


class Setting(models.Model):
    """One settings key (listmonk's flat key map), its value as JSON.

    Keys and their types live in stmails.config; credentials inside values are
    stored encrypted (stmails.lib.crypto).
    """

    key = models.CharField(max_length=100, primary_key=True)
    value = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "settings"

    def __str__(self) -> str:
        return self.key


def hash_token(token: str) -> str:
    # Tokens are 32 random bytes, so a fast hash is enough (no password stretching).
    return hashlib.sha256(token.encode()).hexdigest()


class ApiUser(models.Model):
    """A named API user: scripts authenticate as `name:token`."""

    name = models.CharField(max_length=100, unique=True)
    token_hash = models.CharField(max_length=64)
    token_hint = models.CharField(max_length=8, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "api_users"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    # DRF and LoginRequired-style checks treat an API user as an authenticated principal.
    is_authenticated = True
    is_anonymous = False
    is_active = True

    @property
    def username(self) -> str:
        return self.name

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    def set_token(self, token: str) -> None:
        self.token_hash = hash_token(token)
        self.token_hint = token[:4]

    def token_matches(self, token: str) -> bool:
        return secrets.compare_digest(self.token_hash, hash_token(token))

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class Heartbeat(models.Model):
    """The last sign of life of a background process (worker, beat)."""

    name = models.CharField(max_length=50, primary_key=True)
    seen_at = models.DateTimeField()

    class Meta:
        db_table = "heartbeats"

    def __str__(self) -> str:
        return self.name
