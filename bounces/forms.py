"""Forms of the Bounces page and of Settings → Bounces.

They only convert HTML input: bounces.queries.filter_bounces and the settings
registry (via stmails.config.update_settings) decide what is valid, and their
errors are shown beside the field they name.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from bounces.models import BounceType
from bounces.parsing.reasons import REASONS
from bounces.settings_keys import ACTIONS, TYPES
from campaigns.models import Campaign
from stmails.forms import add_date_range_fields, check_date_range


class CampaignChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Campaign) -> str:
        return obj.name


class BounceFilterForm(forms.Form):
    """The filters above the table; its keys are GET /api/bounces' parameters."""

    type = forms.ChoiceField(
        choices=[("", "All types"), *BounceType.choices], required=False
    )
    reason = forms.ChoiceField(
        choices=[("", "All reasons"), *((r, r) for r in REASONS)], required=False
    )
    source = forms.CharField(max_length=200, required=False)
    campaign_id = CampaignChoiceField(
        label="Campaign",
        queryset=Campaign.objects.order_by("-id"),
        required=False,
        empty_label="All campaigns",
    )
    email = forms.CharField(
        max_length=320,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "Part of an address"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        add_date_range_fields(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        check_date_range(self, data)
        return data

    def params(self) -> dict[str, str]:
        """The cleaned filters as filter_bounces (and /api/bounces) take them."""
        data = self.cleaned_data
        out = {
            "type": data.get("type") or "",
            "reason": data.get("reason") or "",
            "source": (data.get("source") or "").strip(),
            "campaign_id": str(data["campaign_id"].id)
            if data.get("campaign_id")
            else "",
            # The page matches part of an address (the API's `email` is exact).
            "email_contains": (data.get("email") or "").strip(),
            "from": data["from"].isoformat() if data.get("from") else "",
            "to": data["to"].isoformat() if data.get("to") else "",
        }
        return {k: v for k, v in out.items() if v}

    def date_range(self) -> tuple[date | None, date | None]:
        data = getattr(self, "cleaned_data", {})
        return data.get("from"), data.get("to")


def rule_field(btype: str, name: str) -> str:
    return f"{btype}_{name}"


class BounceSettingsForm(forms.Form):
    """bounce.enabled, bounce.webhooks_enabled and bounce.actions, one row per type."""

    enabled = forms.BooleanField(label="Enable bounce processing", required=False)
    webhooks_enabled = forms.BooleanField(
        label="Enable bounce webhooks",
        required=False,
        help_text="Accept bounces posted to /webhooks/bounce by scripts (API users).",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for btype in TYPES:
            # No min/max validators here: the registry owns the limits, so the
            # page and PUT /api/settings give the same message.
            self.fields[rule_field(btype, "count")] = forms.IntegerField(
                label="Count",
                widget=forms.NumberInput(attrs={"min": 1, "max": 1000}),
            )
            self.fields[rule_field(btype, "action")] = forms.ChoiceField(
                label="Action", choices=[(a, a) for a in ACTIONS]
            )
            self.fields[rule_field(btype, "window_days")] = forms.IntegerField(
                label="Window (days)",
                help_text="0 = all time",
                widget=forms.NumberInput(attrs={"min": 0}),
            )

    @classmethod
    def from_settings(cls, values: dict[str, Any]) -> BounceSettingsForm:
        initial: dict[str, Any] = {
            "enabled": values["bounce.enabled"],
            "webhooks_enabled": values["bounce.webhooks_enabled"],
        }
        for btype, rule in values["bounce.actions"].items():
            for name in ("count", "action", "window_days"):
                initial[rule_field(btype, name)] = rule.get(name, 0)
        return cls(initial=initial)

    def rows(self) -> list[dict[str, Any]]:
        """One row per bounce type, for the table of thresholds."""
        return [
            {
                "type": btype,
                "fields": [
                    self[rule_field(btype, n)]
                    for n in ("count", "action", "window_days")
                ],
            }
            for btype in TYPES
        ]

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "bounce.enabled": data["enabled"],
            "bounce.webhooks_enabled": data["webhooks_enabled"],
            "bounce.actions": {
                btype: {
                    name: data[rule_field(btype, name)]
                    for name in ("count", "action", "window_days")
                }
                for btype in TYPES
            },
        }

    def add_settings_error(self, field: str, message: str) -> None:
        """Put a SettingsError beside its field ("bounce.actions.soft.count" -> soft_count)."""
        parts = field.split(".")
        target = None
        if field == "bounce.enabled":
            target = "enabled"
        elif field == "bounce.webhooks_enabled":
            target = "webhooks_enabled"
        elif len(parts) >= 4 and parts[:2] == ["bounce", "actions"]:
            name = rule_field(parts[2], parts[3])
            target = name if name in self.fields else None
        self.add_error(target, message if target else f"{field}: {message}")
