"""Forms of the Settings pages, built from the settings registry.

The forms only convert HTML input to JSON values; the registry validators (via
config.update_settings) decide what is valid, and `add_settings_error` puts a
SettingsError beside the field it names.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms

from stmails import config
from stmails.lib.input_checks import InvalidInput, loads_json
from stmails.settings_keys import SMTP_DEFAULTS


def field_name(key: str) -> str:
    # Dots in form field names break template lookups and CSS selectors.
    return key.replace(".", "__")


class JSONTextField(forms.CharField):
    """A JSON value edited as text (lists and objects without a dedicated form)."""

    widget = forms.Textarea(attrs={"rows": 4, "spellcheck": "false"})

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        return json.dumps(value, indent=2, ensure_ascii=False)

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if text.strip() == "":
            return []
        try:
            return loads_json(text)
        except InvalidInput as e:
            raise forms.ValidationError(e.message.removeprefix("is ")) from None


def _secret_field(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "off"}),
        help_text=help_text or "Leave as is to keep the stored value.",
    )


def form_field(
    label: str, default: Any, *, help_text: str = "", choices=None
) -> forms.Field:
    """A form field for a JSON value, chosen by the type of its default."""
    if choices:
        return forms.ChoiceField(
            label=label, choices=[(c, c) for c in choices], help_text=help_text
        )
    if isinstance(default, bool):
        return forms.BooleanField(label=label, required=False, help_text=help_text)
    if isinstance(default, int):
        return forms.IntegerField(label=label, help_text=help_text)
    if isinstance(default, float):
        return forms.FloatField(label=label, help_text=help_text)
    if isinstance(default, list | dict):
        return JSONTextField(label=label, required=False, help_text=help_text)
    return forms.CharField(label=label, required=False, help_text=help_text)


def _humanize(name: str) -> str:
    return name.rsplit(".", 1)[-1].replace("_", " ").capitalize()


class SectionForm(forms.Form):
    """Every registry key of one section (Settings → General, and later ones)."""

    def __init__(self, section: str, *args, values: dict[str, Any], **kwargs):
        super().__init__(*args, **kwargs)
        self.keys = [k for k in config.REGISTRY.values() if k.section == section]
        for key in self.keys:
            label = key.label or _humanize(key.name)
            if key.secret == config.WHOLE_VALUE:
                field = _secret_field(label, key.help)
            else:
                field = form_field(
                    label,
                    key.default,
                    help_text=key.help,
                    choices=key.extra.get("choices"),
                )
            if key.extra.get("textarea"):
                # Multi-line text such as a mail template (Key.extra textarea=True).
                field.widget = forms.Textarea(attrs={"rows": 10})
            field.initial = values.get(key.name, key.default)
            self.fields[field_name(key.name)] = field

    def changes(self) -> dict[str, Any]:
        return {k.name: self.cleaned_data[field_name(k.name)] for k in self.keys}


def save_settings(request, form: forms.Form) -> bool:
    """Store `form.changes()` as the request's user (audit log); a refused
    value goes beside its field and nothing is stored."""
    from stmails.models import SettingsChange

    try:
        config.update_settings(
            form.changes(), actor=SettingsChange.actor_for(request.user)
        )
    except config.SettingsError as e:
        add_settings_error(form, e)
        return False
    return True


def add_settings_error(form: forms.Form, error: config.SettingsError) -> None:
    """Put the error beside the field of the key it names, else at the top."""
    for key in sorted(config.REGISTRY, key=len, reverse=True):
        name = field_name(key)
        # "key.field" (an object's field) or "key[2]" (a list's item) is the key's.
        if name in form.fields and (error.field + ".").startswith(
            (key + ".", key + "[")
        ):
            rest = error.field[len(key) :].lstrip(".")
            form.add_error(name, f"{rest}: {error.message}" if rest else error.message)
            return
    form.add_error(None, str(error))


SMTP_LABELS = {
    "name": "Name",
    "enabled": "Enabled",
    "host": "Host",
    "port": "Port",
    "auth_protocol": "Auth protocol",
    "username": "Username",
    "password": "Password",
    "hello_hostname": "HELO hostname",
    "tls_type": "TLS",
    "tls_skip_verify": "Skip TLS verification",
    "max_conns": "Max. connections",
    "idle_timeout": "Idle timeout",
    "wait_timeout": "Wait timeout",
    "max_msg_retries": "Retries",
    "msg_retry_delay": "Retry delay",
    "email_headers": "Custom headers",
    "from_addresses": "From addresses",
}
SMTP_HELP = {
    "hello_hostname": "Name sent with EHLO; empty uses this machine's name.",
    "tls_skip_verify": "Accept any certificate (self-signed servers only).",
    "idle_timeout": 'e.g. "15s"',
    "wait_timeout": 'e.g. "5s"',
    "email_headers": 'JSON list, e.g. [{"Return-Path": "bounces@example.com"}]',
    "name": "Optional, e.g. email-primary (listmonk's messenger name).",
    "msg_retry_delay": 'Pause after a failed attempt that is retried, e.g. "10ms", "2s".',
    "from_addresses": 'JSON list of addresses or domains, e.g. ["news@example.com", '
    '"example.org"]: mail from these goes through this server. Empty: mail '
    "from any address no other server claims.",
}
SMTP_CHOICES = {
    "auth_protocol": ("login", "plain", "cram", "none"),
    "tls_type": ("STARTTLS", "TLS", "none"),
}
SMTP_FIELD = re.compile(r"^smtp(\[\d+\])?\.?")


class SmtpServerForm(forms.Form):
    """One entry of the `smtp` list; its fields follow SMTP_DEFAULTS."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for fname, default in SMTP_DEFAULTS.items():
            if fname == "uuid":
                continue
            if fname == "password":
                field = _secret_field(SMTP_LABELS[fname])
            else:
                field = form_field(
                    SMTP_LABELS.get(fname, _humanize(fname)),
                    default,
                    help_text=SMTP_HELP.get(fname, ""),
                    choices=SMTP_CHOICES.get(fname),
                )
            self.fields[fname] = field
        self.fields["test_email"] = forms.EmailField(
            label="Send a test mail to",
            required=False,
            help_text="Optional: with “Test connection”, also send a mail here.",
        )

    def server(self, uuid: str) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "test_email"}
        return {"uuid": uuid, **data}

    def add_settings_error(self, error: config.SettingsError) -> None:
        name = SMTP_FIELD.sub("", error.field)
        fname = re.split(r"[.\[]", name, maxsplit=1)[0]
        if fname in self.fields:
            rest = name[len(fname) :].lstrip(".")
            self.add_error(fname, f"{rest}: {error.message}" if rest else error.message)
        else:
            self.add_error(None, str(error))


class ApiUserForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="Letters, digits, dashes; no spaces or colons."
    )
