"""Forms of Settings → Self-test and the header round trip page."""

from __future__ import annotations

from typing import Any

from django import forms

from stmails.settings_pages.forms import SectionForm, field_name

MAILBOX = field_name("probe.mailbox")
ADDRESS = field_name("probe.address")
ENABLED = field_name("probe.enabled")


def mailbox_choices(boxes: list[dict]) -> list[tuple[str, str]]:
    return [("", "— choose a mailbox —")] + [
        (b["uuid"], f"{b['name']}{'' if b['enabled'] else ' (not scanned)'}")
        for b in boxes
    ]


class ProbeSettingsForm(SectionForm):
    """The probe.* keys (the generic section form), the mailbox as a choice."""

    def __init__(self, *args: Any, boxes: list[dict], **kwargs: Any):
        super().__init__("probe", *args, **kwargs)
        old = self.fields[MAILBOX]
        choices = mailbox_choices(boxes)
        if old.initial and old.initial not in {c[0] for c in choices}:
            choices.append((old.initial, f"{old.initial} (removed)"))
        self.fields[MAILBOX] = forms.ChoiceField(
            label=old.label,
            choices=choices,
            required=False,
            help_text=old.help_text,
            initial=old.initial,
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get(ENABLED):
            if not data.get(ADDRESS):
                self.add_error(ADDRESS, "required to run the self-test")
            if not data.get(MAILBOX):
                self.add_error(MAILBOX, "required to run the self-test")
        return data


class RoundTripForm(forms.Form):
    mailbox = forms.ChoiceField(label="Mailbox")
    address = forms.CharField(
        label="Address of that mailbox",
        max_length=320,
        help_text="The test mail goes to this address; stmails reads it back "
        "from the mailbox and deletes it.",
    )

    def __init__(self, *args: Any, boxes: list[dict], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["mailbox"].choices = mailbox_choices(boxes)
