"""The form of one event webhook endpoint (Settings → Event webhooks)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings

from stmails.event_hooks.services import EVENT_TYPES
from stmails.lib import destinations
from stmails.models import EventHook


class EventHookForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label="Events",
        choices=[(name, f"{name}: {text}") for name, text in EVENT_TYPES.items()],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
    )

    class Meta:
        model = EventHook
        fields = ["name", "url", "events", "enabled"]
        labels = {"name": "Name", "url": "URL", "enabled": "Enabled"}
        help_texts = {
            "url": "http:// or https://; it gets a signed JSON POST per event.",
            "enabled": "A disabled endpoint gets no new events.",
        }
        widgets = {"url": forms.URLInput(attrs={"placeholder": "https://"})}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["name"].error_messages["required"] = "A name is required."
        self.fields["url"].error_messages["required"] = "A URL is required."

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        parts = urlsplit(url)
        # Not Django's URLValidator: it refuses one-label hosts such as a
        # docker-compose service ("http://receiver:8080/hook").
        if parts.scheme.lower() not in ("http", "https"):
            raise forms.ValidationError("Enter an http:// or https:// URL.")
        if not parts.hostname or any(c.isspace() for c in url):
            raise forms.ValidationError("Enter a URL with a host name, no spaces.")
        try:
            parts.port  # noqa: B018 (raises on a bad port)
        except ValueError:
            raise forms.ValidationError("The port is not a number.") from None
        # Names are checked again on each delivery, after resolving.
        refused = destinations.refused_literal(
            url, settings.STMAILS_ALLOWED_PRIVATE_HOSTS
        )
        if refused:
            raise forms.ValidationError(f"Not allowed: {refused}.")
        return url

    def clean_events(self) -> list[str]:
        # In the registry's order, so the list page reads the same every time.
        chosen = set(self.cleaned_data["events"])
        return [name for name in EVENT_TYPES if name in chosen]
