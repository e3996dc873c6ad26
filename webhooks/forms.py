"""Settings → Bounces → Provider webhooks: one form per provider, built from its class.

Object-key providers (bounce.<slug> {enabled, fields...}) need nothing here;
SES and SendGrid map to listmonk's flat keys. Secrets are never sent back to the
browser: the input shows a mask placeholder, and an empty input keeps the stored
value (the settings registry treats empty and masked as "unchanged").
"""

from __future__ import annotations

from typing import Any

from django import forms

from stmails.lib import crypto
from webhooks.providers.base import Provider


class ProviderForm(forms.Form):
    enabled = forms.BooleanField(required=False, label="Enabled")

    def __init__(
        self, provider: type[Provider], *args: Any, masked: dict, **kwargs: Any
    ):
        self.provider = provider
        self.masked = masked
        kwargs.setdefault("prefix", provider.slug)
        super().__init__(*args, **kwargs)
        for name, label, secret in self.credential_fields():
            if secret:
                widget = forms.PasswordInput(
                    render_value=False,
                    attrs={
                        "placeholder": crypto.MASK if self.stored(name) else "not set",
                        "autocomplete": "off",
                    },
                )
                help_text = "Stored encrypted. Leave empty to keep the stored value."
            else:
                widget = forms.TextInput(attrs={"autocomplete": "off"})
                help_text = ""
            self.fields[name] = forms.CharField(
                required=False,
                label=label,
                widget=widget,
                help_text=help_text,
                max_length=2000,
            )
        if provider.slug == "ses":
            self.fields["topic_arns"] = forms.CharField(
                required=False,
                label="Allowed SNS topic ARNs (one per line)",
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    def credential_fields(self) -> list[tuple[str, str, bool]]:
        if self.provider.slug == "ses":
            return []
        if self.provider.slug == "sendgrid":
            return [
                ("key", "Verification key (base64)", True),
                ("previous_key", "Previous verification key (rotation)", True),
            ]
        return [
            (f.name, f.label or f.name, f.secret) for f in self.provider.all_fields()
        ]

    def stored(self, name: str) -> bool:
        if self.provider.slug == "sendgrid":
            return bool(self.masked.get(f"bounce.sendgrid_{name}"))
        return bool((self.masked.get(self.provider.settings_key) or {}).get(name))

    @classmethod
    def initial_from(cls, provider: type[Provider], masked: dict) -> dict[str, Any]:
        if provider.slug == "ses":
            return {
                "enabled": masked["bounce.ses_enabled"],
                "topic_arns": "\n".join(masked["bounce.ses_topic_arns"]),
            }
        if provider.slug == "sendgrid":
            return {"enabled": masked["bounce.sendgrid_enabled"]}
        value = masked.get(provider.settings_key) or {}
        secret = {f.name for f in provider.all_fields() if f.secret}
        return {k: v for k, v in value.items() if k not in secret}

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        if self.provider.slug == "ses":
            arns = [a.strip() for a in data["topic_arns"].splitlines() if a.strip()]
            return {
                "bounce.ses_enabled": data["enabled"],
                "bounce.ses_topic_arns": arns,
            }
        if self.provider.slug == "sendgrid":
            return {
                "bounce.sendgrid_enabled": data["enabled"],
                "bounce.sendgrid_key": data["key"],
                "bounce.sendgrid_previous_key": data["previous_key"],
            }
        value = {"enabled": data["enabled"]}
        for name, _, _ in self.credential_fields():
            value[name] = data[name]
        return {self.provider.settings_key: value}

    def add_settings_error(self, field: str, message: str) -> None:
        """Put a registry error (bounce.postmark.password, bounce.ses_topic_arns[1]) beside its field."""
        last = field.split("[")[0].rsplit(".", 1)[-1]
        for prefix in ("ses_", "sendgrid_"):
            if last.startswith(prefix):
                last = last[len(prefix) :]
        name = last if last in self.fields else None
        self.add_error(name, f"{field}: {message}" if name is None else message)
