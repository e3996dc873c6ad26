"""The Transactional log's "Send a test transactional mail" form."""

from __future__ import annotations

from typing import Any

from django import forms

from campaigns.models import Template
from stmails.lib.input_checks import InvalidInput, loads_json

# CampaignError fields of campaigns.tx -> the form field shown beside.
FIELD_OF = {"template_id": "template", "subscriber_email": "email", "data": "data"}


class TxTestForm(forms.Form):
    template = forms.ModelChoiceField(
        queryset=Template.objects.filter(type=Template.Type.TX).order_by("name"),
        empty_label="Choose a tx template",
    )
    email = forms.EmailField(
        label="To",
        help_text="A subscriber gets it as one; any other address as in "
        "listmonk's fallback mode (an empty subscriber).",
    )
    data = forms.CharField(
        label="Data (JSON object, optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": '{"order_id": "1234"}'}),
        help_text="In the template as {{ .Tx.Data.* }} or {{ tx_data.* }}.",
    )

    def clean_data(self) -> dict[str, Any]:
        raw = self.cleaned_data["data"].strip()
        if not raw:
            return {}
        try:
            value = loads_json(raw, "data")
        except InvalidInput as err:
            raise forms.ValidationError(err.message) from None
        if not isinstance(value, dict):
            raise forms.ValidationError("must be a JSON object")
        return value

    def tx_request(self) -> dict[str, Any]:
        """The /api/tx request this form stands for."""
        return {
            "subscriber_email": self.cleaned_data["email"],
            "subscriber_mode": "fallback",
            "template_id": self.cleaned_data["template"].pk,
            "data": self.cleaned_data["data"],
        }
