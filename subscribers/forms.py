"""Forms for the subscribers and lists admin pages.

They parse and convert; the services in subscribers/services.py validate
again and do every write, so the API and the UI share one set of rules.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.http import QueryDict

from subscribers.models import MailingList, Subscriber, Subscription
from subscribers.query_language import MAX_LENGTH
from subscribers.services import (
    SubscriberError,
    clean_attribs,
    validate_subscriber_email,
)


class ListChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: MailingList) -> str:
        return obj.name


class SubscriberForm(forms.Form):
    # A CharField, not an EmailField: the service owns the email rules, so
    # the UI shows exactly the message the API returns.
    email = forms.CharField(max_length=320)
    name = forms.CharField(max_length=500, required=False)
    status = forms.ChoiceField(
        choices=Subscriber.Status.choices, initial=Subscriber.Status.ENABLED
    )
    attribs = forms.CharField(
        label="Attributes (JSON)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text='A JSON object, e.g. {"city": "Berlin"}',
    )
    lists = ListChoiceField(
        queryset=MailingList.objects.visible().order_by("name", "id"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    preconfirm = forms.BooleanField(
        label="Preconfirm subscriptions",
        required=False,
        help_text="Add double opt-in lists as confirmed, without a confirmation email.",
    )

    @classmethod
    def for_subscriber(cls, subscriber: Subscriber) -> SubscriberForm:
        return cls(
            initial={
                "email": subscriber.email,
                "name": subscriber.name,
                "status": subscriber.status,
                "attribs": json.dumps(subscriber.attribs, indent=2, ensure_ascii=False),
                "lists": list(
                    Subscription.objects.filter(subscriber=subscriber).values_list(
                        "list_id", flat=True
                    )
                ),
            }
        )

    def clean_email(self) -> str:
        try:
            return validate_subscriber_email(self.cleaned_data["email"])
        except SubscriberError as e:
            raise forms.ValidationError(e.message) from None

    def clean_attribs(self) -> dict[str, Any]:
        try:
            return clean_attribs(self.cleaned_data["attribs"].strip())
        except SubscriberError as e:
            raise forms.ValidationError(e.message) from None

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "email": data["email"],
            "name": data["name"],
            "status": data["status"],
            "attribs": data["attribs"],
            "list_ids": [lst.id for lst in data["lists"]],
            "preconfirm": data["preconfirm"],
        }


class ListForm(forms.Form):
    name = forms.CharField(max_length=200)
    type = forms.ChoiceField(
        choices=MailingList.Type.choices, initial=MailingList.Type.PRIVATE
    )
    optin = forms.ChoiceField(
        label="Opt-in",
        choices=MailingList.Optin.choices,
        initial=MailingList.Optin.SINGLE,
        help_text="Double opt-in asks new subscribers to confirm by email.",
    )
    status = forms.ChoiceField(
        required=False,
        choices=MailingList.Status.choices,
        initial=MailingList.Status.ACTIVE,
        help_text="An archived list keeps its members but is no longer offered "
        "on the public subscription form.",
    )
    tags = forms.CharField(required=False, help_text="Comma-separated")
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    @classmethod
    def for_list(cls, lst: MailingList) -> ListForm:
        return cls(
            initial={
                "name": lst.name,
                "type": lst.type,
                "optin": lst.optin,
                "status": lst.status,
                "tags": ", ".join(lst.tags),
                "description": lst.description,
            }
        )


class SubscriberFilterForm(forms.Form):
    """The GET filters of /subscribers/; keys match filter_subscribers()."""

    search = forms.CharField(required=False)
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *Subscriber.Status.choices]
    )
    list_id = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    subscription_status = forms.ChoiceField(
        label="Subscription",
        required=False,
        choices=[("", "Any subscription"), *Subscription.Status.choices],
    )
    # listmonk's SQL-style expression, parsed by subscribers.query_language:
    # its errors name the part that is not supported and show beside the box.
    query = forms.CharField(
        label="Advanced query", required=False, max_length=MAX_LENGTH
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["list_id"].choices = [
            ("", "Any list"),
            *MailingList.objects.visible()
            .order_by("name", "id")
            .values_list("id", "name"),
        ]

    def params(self) -> dict[str, Any]:
        params = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        # The admin's search box also looks in attribute values (the API's
        # `search` keeps listmonk's email-or-name meaning).
        return {**params, "search_attribs": True}


class IdsField(forms.Field):
    """Checked row ids, posted as repeated `ids` inputs."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        try:
            return [int(v) for v in value or []]
        except (TypeError, ValueError):
            raise forms.ValidationError("invalid subscriber id") from None


BULK_ACTIONS = [
    ("blocklist", "Blocklist"),
    ("delete", "Delete"),
    ("add", "Add to list"),
    ("remove", "Remove from list"),
    ("unsubscribe", "Unsubscribe from list"),
]


class BulkActionForm(forms.Form):
    """Either the checked `ids`, or scope=matching with the page's filter (its
    query string) and the count the admin was asked to confirm."""

    ids = IdsField(required=False)
    scope = forms.ChoiceField(
        choices=[("selected", "Selected"), ("matching", "All matching")],
        required=False,
    )
    filter = forms.CharField(required=False)
    expected = forms.IntegerField(required=False, min_value=0)
    action = forms.ChoiceField(
        choices=BULK_ACTIONS, error_messages={"required": "Choose an action."}
    )
    list = forms.ModelChoiceField(
        queryset=MailingList.objects.visible(), required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("action") in ("add", "remove", "unsubscribe") and not data.get(
            "list"
        ):
            self.add_error("list", "Choose a list.")
        if data.get("scope") == "matching":
            if data.get("expected") is None:
                self.add_error("expected", "The confirmed count is missing.")
            filters = SubscriberFilterForm(QueryDict(data.get("filter") or ""))
            if filters.is_valid():
                data["filter_params"] = filters.params()
            else:
                self.add_error("filter", "The filter is invalid.")
        elif not data.get("ids") and "ids" not in self.errors:
            self.add_error("ids", "Select at least one subscriber.")
        return data


class MembershipForm(forms.Form):
    """Add to, remove from or unsubscribe from one list, on the detail page."""

    action = forms.ChoiceField(
        choices=[("add", "Add"), ("remove", "Remove"), ("unsubscribe", "Unsubscribe")]
    )
    list = forms.ModelChoiceField(
        queryset=MailingList.objects.visible().order_by("name", "id")
    )
    # Blank means "as the list's opt-in says"; a status re-subscribes.
    status = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Per the list's opt-in"),
            (Subscription.Status.CONFIRMED, "Confirmed"),
            (Subscription.Status.UNCONFIRMED, "Unconfirmed"),
        ],
    )


def add_service_error(
    form: forms.Form, err: SubscriberError, aliases: dict[str, str] | None = None
) -> None:
    """Show a service error beside the field it names, else above the form."""
    field = (aliases or {}).get(err.field, err.field)
    form.add_error(field if field in form.fields else None, err.message)
