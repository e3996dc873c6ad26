"""The campaign form: parses and converts; campaigns/services.py validates and writes."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from campaigns.archive import DEFAULT_META
from campaigns.errors import CampaignError
from campaigns.models import Campaign, Template
from stmails.lib.input_checks import InvalidInput, loads_json
from subscribers.models import MailingList


class ListChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: MailingList) -> str:
        return obj.name


SHIPPED_ARCHIVE_TEMPLATE = "Default archive template"


class TemplateChoiceField(forms.ModelChoiceField):
    def __init__(self, **kwargs: Any):
        super().__init__(
            queryset=Template.objects.exclude(type=Template.Type.TX).order_by("id"),
            required=False,
            **kwargs,
        )

    def label_from_instance(self, obj: Template) -> str:
        return f"{obj.name} (default)" if obj.is_default else obj.name


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
    template_id = TemplateChoiceField(
        label="Template",
        empty_label="No template (the body as it is)",
        help_text="The layout around the body: site name, unsubscribe, "
        "preferences and view-in-browser links.",
    )
    template_body = forms.CharField(
        label="Own wrapper (older campaigns)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="Used only without a template: HTML around the content, "
        "with {{ content }}.",
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
    archive = forms.BooleanField(
        label="Publish in the public archive",
        required=False,
        help_text="Shown at /archive once sending starts (with Settings → "
        "public archive on).",
    )
    archive_slug = forms.CharField(
        label="Archive address",
        max_length=200,
        required=False,
        help_text="/archive/<this>; empty: the campaign's UUID.",
    )
    archive_template_id = TemplateChoiceField(
        label="Archive template",
        empty_label="The campaign's own template",
    )
    archive_meta = forms.CharField(
        label="Archive subscriber data",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text='JSON the archive renders with, e.g. {"name": "Reader", '
        '"attribs": {}}: never a real subscriber\'s data.',
    )

    @classmethod
    def for_new(cls, data: Any = None) -> CampaignForm:
        default = Template.objects.filter(is_default=True).first()
        # The shipped archive layout has no subscriber links (an archive page
        # has no subscriber to unsubscribe), so it is the suggestion if kept.
        shipped_archive = Template.objects.filter(
            name=SHIPPED_ARCHIVE_TEMPLATE, type=Template.Type.CAMPAIGN
        ).first()
        initial = {
            "template_id": default,
            "archive_template_id": shipped_archive,
            "archive_meta": json.dumps(DEFAULT_META),
            "content_type": Campaign.ContentType.RICHTEXT,
        }
        return cls(data, initial=initial)

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
                "template_id": c.template_id,
                "archive": c.archive,
                "archive_slug": c.archive_slug or "",
                "archive_template_id": c.archive_template_id,
                "archive_meta": json.dumps(c.archive_meta) if c.archive_meta else "",
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
        for key in ("template_id", "archive_template_id"):
            data[key] = data[key].pk if data[key] is not None else None
        return data

    def add_service_error(self, err: CampaignError) -> None:
        """Show a service error beside the field it names, else above the form."""
        self.add_error(err.field if err.field in self.fields else None, err.message)
