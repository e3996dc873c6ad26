from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model, password_validation


def add_date_range_fields(form: forms.Form) -> None:
    """Optional "from" and "to" date fields (a period filter) on `form`.

    "from" is a Python keyword, so they cannot be class attributes.
    """
    date_input = {"type": "date"}
    for name, label in (("from", "From"), ("to", "To")):
        form.fields[name] = forms.DateField(
            label=label, required=False, widget=forms.DateInput(attrs=date_input)
        )


def check_date_range(form: forms.Form, data: dict) -> None:
    """An inverted range ("to" before "from") is an error beside "to", not an
    empty list."""
    first, last = data.get("from"), data.get("to")
    if first and last and last < first:
        form.add_error("to", "The last day must be on or after the first day.")


class AdminAccountForm(forms.Form):
    """Create an admin account: the first one at setup, or more in Settings → Users."""

    username = forms.CharField(max_length=150)
    email = forms.EmailField(required=False)
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput)
    password2 = forms.CharField(label="Password again", widget=forms.PasswordInput)

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("This username is taken.")
        return username

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        elif p1:
            user = get_user_model()(
                username=data.get("username", ""), email=data.get("email", "")
            )
            try:
                password_validation.validate_password(p1, user)
            except forms.ValidationError as e:
                self.add_error("password1", e)
        return data


LOCKED_OUT_MESSAGE = "Too many wrong passwords: wait a few minutes and try again."


def ask_current_password(form: forms.Form, acting_user, *, locked_out: bool) -> None:
    """Add a "your current password" field that must match `acting_user`'s.

    Adding an admin or an API user creates a lasting credential: a script
    running in an admin's browser session (or someone at an unlocked screen) has
    the session but not the password. `locked_out`: the client has used up its
    failed-password allowance (stmails.auth), so nothing is checked.
    """
    form.fields["current_password"] = forms.CharField(
        label="Your current password",
        widget=forms.PasswordInput,
        strip=False,
        help_text="Adding an account asks for your own password again.",
    )

    def clean_current_password() -> str:
        value = form.cleaned_data.get("current_password", "")
        if locked_out:
            raise forms.ValidationError(LOCKED_OUT_MESSAGE)
        if not acting_user.check_password(value):
            raise forms.ValidationError("This is not your current password.")
        return ""  # checked; never kept or shown again

    form.clean_current_password = clean_current_password
