"""The Analytics page's choice: campaigns, days, bots in or out."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from campaigns.models import Campaign
from stmails.forms import add_date_range_fields, check_date_range

DEFAULT_DAYS = 30
MAX_DAYS = 366
MAX_CAMPAIGNS = 10  # more series than this is no longer a readable chart
CHOICES = 200  # the newest campaigns offered


class AnalyticsForm(forms.Form):
    id = forms.TypedMultipleChoiceField(
        label="Campaigns", coerce=int, required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )  # fmt: skip
    bots = forms.BooleanField(
        label="Include bots, proxies and link scanners", required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        add_date_range_fields(self)
        self.campaigns = {
            c.pk: c
            for c in Campaign.objects.order_by("-id").only("id", "name", "status")[
                :CHOICES
            ]
        }
        self.fields["id"].choices = [
            (pk, f"#{pk} {c.name}") for pk, c in self.campaigns.items()
        ]

    def clean_id(self) -> list[int]:
        ids = self.cleaned_data["id"]
        if len(ids) > MAX_CAMPAIGNS:
            raise forms.ValidationError(f"Choose at most {MAX_CAMPAIGNS} campaigns.")
        return ids

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        check_date_range(self, data)
        first, last = data.get("from"), data.get("to")
        if first and last and (last - first).days >= MAX_DAYS:
            self.add_error("to", f"A period is at most {MAX_DAYS} days.")
        return data

    def chosen(
        self, today: date | None = None
    ) -> tuple[list[Campaign], date, date, bool]:
        """(campaigns, first day, last day, bots); defaults where the input is
        missing or invalid: the three newest campaigns, the last 30 days."""
        data = self.cleaned_data if self.is_valid() else {}
        today = today or timezone.localdate()
        last = data.get("to") or today
        first = data.get("from") or last - timedelta(days=DEFAULT_DAYS - 1)
        ids = data.get("id") or list(self.campaigns)[:3]
        campaigns = [self.campaigns[i] for i in ids if i in self.campaigns]
        return campaigns, first, last, bool(data.get("bots"))
