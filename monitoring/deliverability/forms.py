"""The deliverability page's settings form: one selector or domain per line."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from monitoring.settings_keys import as_required_domain, as_selector
from stmails.config import SettingsError

SELECTORS = "deliverability.dkim_selectors"
EXTRA_DOMAINS = "deliverability.extra_domains"


def _lines(text: str) -> list[str]:
    return [item.strip() for item in re.split(r"[\n,]", text or "") if item.strip()]


class DeliverabilityForm(forms.Form):
    # Field names follow settings_pages.forms.field_name, so add_settings_error
    # finds them.
    deliverability__dkim_selectors = forms.CharField(
        label="DKIM selectors",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="One per line: the s= of your DKIM-Signature headers. "
        "example.com:s1 checks s1 on example.com only.",
    )
    deliverability__extra_domains = forms.CharField(
        label="Extra domains",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="One per line: domains to check besides the ones stmails sends from.",
    )

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> DeliverabilityForm:
        return cls(
            initial={
                "deliverability__dkim_selectors": "\n".join(values[SELECTORS]),
                "deliverability__extra_domains": "\n".join(values[EXTRA_DOMAINS]),
            }
        )

    def _clean_lines(self, field: str, check) -> list[str]:
        out = []
        for number, item in enumerate(_lines(self.cleaned_data[field]), start=1):
            try:
                out.append(check(f"entry {number}", item))
            except SettingsError as e:
                raise forms.ValidationError(
                    f"{e.field} ({item}): {e.message}"
                ) from None
        return out

    def clean_deliverability__dkim_selectors(self) -> list[str]:
        return self._clean_lines("deliverability__dkim_selectors", as_selector)

    def clean_deliverability__extra_domains(self) -> list[str]:
        return self._clean_lines("deliverability__extra_domains", as_required_domain)

    def changes(self) -> dict[str, list[str]]:
        return {
            SELECTORS: self.cleaned_data["deliverability__dkim_selectors"],
            EXTRA_DOMAINS: self.cleaned_data["deliverability__extra_domains"],
        }
