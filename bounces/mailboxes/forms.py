"""The form of one bounce mailbox (an item of bounce.mailboxes).

It only converts HTML input; the registry validator (as_mailbox, via
config.update_settings) decides what is valid, and `add_settings_error` puts
its error beside the field it names.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms

from bounces.mailboxes.validation import MAILBOX_DEFAULTS
from stmails import config
from stmails.settings_pages.forms import form_field

LABELS = {
    "enabled": "Enabled",
    "name": "Name",
    "type": "Protocol",
    "host": "Host",
    "port": "Port",
    "auth_protocol": "Authentication",
    "username": "Username",
    "password": "Password",
    "return_path": "Return path",
    "scan_interval": "Scan interval",
    "tls_type": "TLS",
    "tls_skip_verify": "Skip TLS verification",
    "folder": "IMAP folder",
    "after_bounce": "After a bounce is processed",
    "processed_folder": "Folder for processed bounces",
    "non_bounce": "Messages that are not bounces",
    "non_bounce_folder": "Folder for messages that are not bounces",
}
HELP = {
    "name": "Shown in the UI and used by scan_mailboxes --mailbox; default user@host.",
    "port": "POP3: 110 (none, STARTTLS) or 995 (TLS); IMAP: 143 or 993.",
    "return_path": "The address bounces are sent to (informational).",
    "scan_interval": 'How often to scan, e.g. "15m" or "1h" (at least "1m").',
    "tls_skip_verify": "Accept any certificate (self-signed servers only).",
    "folder": "IMAP only; POP3 always reads the inbox.",
    "after_bounce": "move and flag_seen need IMAP. Bounces are removed only "
    "once recorded.",
    "processed_folder": "IMAP, with move; created when missing.",
    "non_bounce": "They are never deleted; move needs IMAP.",
    "non_bounce_folder": "IMAP, with move; created when missing.",
}
CHOICES = {
    "type": ("pop", "imap"),
    "auth_protocol": ("userpass", "none"),
    "tls_type": ("TLS", "STARTTLS", "none"),
    "after_bounce": ("delete", "move", "flag_seen"),
    "non_bounce": ("leave", "move"),
}
# tls_enabled follows tls_type (listmonk's clients only); uuid is in the URL.
SKIP = {"uuid", "tls_enabled"}
ERROR_FIELD = re.compile(r"^(bounce\.mailboxes\[\d+\]|mailbox)\.?")


class MailboxForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for fname, default in MAILBOX_DEFAULTS.items():
            if fname in SKIP:
                continue
            if fname == "password":
                field: forms.Field = forms.CharField(
                    label=LABELS[fname],
                    required=False,
                    strip=False,
                    widget=forms.PasswordInput(
                        render_value=True, attrs={"autocomplete": "off"}
                    ),
                    help_text="Leave as is to keep the stored value.",
                )
            else:
                field = form_field(
                    LABELS.get(fname, fname),
                    default,
                    help_text=HELP.get(fname, ""),
                    choices=CHOICES.get(fname),
                )
                if fname in ("port",):
                    field.required = True
            self.fields[fname] = field

    def mailbox(self, uuid: str) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["tls_enabled"] = data["tls_type"] != "none"
        return {"uuid": uuid, **data}

    def add_settings_error(self, error: config.SettingsError) -> None:
        name = ERROR_FIELD.sub("", error.field)
        fname = re.split(r"[.\[]", name, maxsplit=1)[0]
        if fname in self.fields:
            self.add_error(fname, error.message)
        else:
            self.add_error(None, str(error))
