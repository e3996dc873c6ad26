"""The template editor's form: parses; campaigns/template_services.py validates."""

from __future__ import annotations

from typing import Any

from django import forms

from campaigns.errors import CampaignError
from campaigns.models import Template


class TemplateForm(forms.Form):
    name = forms.CharField(max_length=500)
    type = forms.ChoiceField(
        choices=Template.Type.choices, initial=Template.Type.CAMPAIGN
    )
    subject = forms.CharField(
        max_length=1000,
        required=False,
        help_text="Transactional templates only: campaigns have their own subject.",
    )
    body = forms.CharField(
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 22, "spellcheck": "false", "class": "code"}
        ),
        help_text="A campaign template places the campaign with {{ content }} "
        '(or listmonk\'s {{ template "content" . }}); also {{ subscriber.name }}, '
        "{{ unsubscribe_url }}, {{ manage_url }}, {{ message_url }}, {{ site_name }}.",
    )

    @classmethod
    def for_template(cls, t: Template) -> TemplateForm:
        return cls(
            initial={
                "name": t.name,
                "type": t.type,
                "subject": t.subject,
                "body": t.body,
            }
        )

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)

    def add_service_error(self, err: CampaignError) -> None:
        """Beside the field it names (a syntax error: beside the body)."""
        self.add_error(err.field if err.field in self.fields else None, err.message)
