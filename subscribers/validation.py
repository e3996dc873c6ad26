"""Checks of subscriber input shared by the services, opt-in and imports: each
returns the clean value or raises SubscriberError naming the field."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email as django_validate_email

from stmails.lib.input_checks import InvalidInput, loads_json
from subscribers.models import Subscriber


class SubscriberError(Exception):
    """A message safe to show users; `field` names the input at fault."""

    def __init__(self, field: str, message: str, *, status: int = 400):
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message
        self.status = status


def validate_subscriber_email(raw: Any, field: str = "email") -> str:
    """A subscriber's address as stored (domain lowercased), or SubscriberError."""
    if not isinstance(raw, str) or not raw.strip():
        raise SubscriberError(field, "an email address is required")
    email = raw.strip()
    if len(email) > 320:
        raise SubscriberError(field, "the email address is too long")
    try:
        django_validate_email(email)
    except ValidationError:
        raise SubscriberError(field, f"invalid email address {email!r}") from None
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def clean_name(raw: Any, email: str, field: str = "name") -> str:
    if raw is None or raw == "":
        return email.split("@")[0]
    if not isinstance(raw, str):
        raise SubscriberError(field, "must be a string")
    name = raw.strip()
    if len(name) > 500:
        raise SubscriberError(field, "must be at most 500 characters")
    return name


def clean_attribs(raw: Any, field: str = "attribs") -> dict:
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        try:
            raw = loads_json(raw, field)
        except InvalidInput:
            raise SubscriberError(field, "must be a JSON object") from None
    if not isinstance(raw, dict):
        raise SubscriberError(field, "must be a JSON object")
    return raw


def clean_status(raw: Any, field: str = "status") -> str:
    if raw in (None, ""):
        return Subscriber.Status.ENABLED
    if raw not in Subscriber.Status.values:
        raise SubscriberError(
            field, f"must be one of {', '.join(Subscriber.Status.values)}"
        )
    return raw
