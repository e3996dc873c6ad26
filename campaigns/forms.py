"""The campaign form: parses and converts; campaigns/services.py validates and writes."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from campaigns.models import Campaign
from campaigns.services import CampaignError
from stmails.lib.input_checks import InvalidInput, loads_json
from subscribers.models import MailingList


class ListChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: MailingList) -> str:
        return obj.name


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=500)
    subject = forms.CharField(max_length=1000)
    from_email = forms.CharField(
        label="From",
        max_length=500,
        required=False,
        help_text="Name <you@domain>; empty: the configured From address.",
    )
    lists = ListChoiceField(
        queryset=MailingList.objects.visible().order_by("name", "id"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    type = forms.ChoiceField(
        choices=Campaign.Type.choices,
        initial=Campaign.Type.REGULAR,
        required=False,
        help_text="Opt-in: to the unconfirmed members of the double opt-in lists, "
        "asking them to confirm ({{ OptinURL }}); an empty body gets a default "
        "message.",
    )
    content_type = forms.ChoiceField(choices=Campaign.ContentType.choices)
    body = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
        help_text="{{ subscriber.name }}, {{ subscriber.attribs.city }}, "
        "{{ subscriber.email }}, {{ unsubscribe_url }}",
    )
    altbody = forms.CharField(
        label="Plain-text alternative",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Empty: generated from the HTML.",
    )
    template_body = forms.CharField(
        label="Wrapper template",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
        help_text="Optional HTML around the content, with {{ content }}.",
    )
    headers = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text='JSON, e.g. [{"X-Tag": "spring"}]',
    )
    tags = forms.CharField(required=False, help_text="Comma-separated")
    send_at = forms.DateTimeField(
        label="Send at",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    @classmethod
    def for_campaign(cls, c: Campaign) -> CampaignForm:
        return cls(
            initial={
                "name": c.name,
                "subject": c.subject,
                "from_email": c.from_email,
                "lists": [cl.list_id for cl in c.campaign_lists.all() if cl.list_id],
                "type": c.type,
                "content_type": c.content_type,
                "body": c.body,
                "altbody": c.altbody,
                "template_body": c.template_body,
                "headers": json.dumps(c.headers) if c.headers else "",
                "tags": ", ".join(c.tags),
                "send_at": c.send_at,
            }
        )

    def clean_headers(self) -> Any:
        raw = self.cleaned_data["headers"].strip()
        if not raw:
            return []
        try:
            return loads_json(raw)
        except InvalidInput:
            raise forms.ValidationError("must be valid JSON") from None

    def clean_tags(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data["tags"].split(",") if t.strip()]

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["lists"] = [lst.id for lst in data["lists"]]
        return data

    def add_service_error(self, err: CampaignError) -> None:
        """Show a service error beside the field it names, else above the form."""
        self.add_error(err.field if err.field in self.fields else None, err.message)
