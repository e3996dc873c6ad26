"""Settings → Bounces: the bounce.* keys, and re-applying the thresholds on demand."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from bounces import services
from bounces.forms import BounceSettingsForm
from stmails import config
from stmails.models import SettingsChange
from stmails.settings_pages.views import TABS

DONE = {
    "blocklist": "blocklisted",
    "unsubscribe": "unsubscribed from all lists",
    "delete": "deleted",
}
KEYS = ("bounce.enabled", "bounce.webhooks_enabled", "bounce.actions")


@require_http_methods(["GET", "POST"])
def bounce_settings(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = BounceSettingsForm(request.POST)
        if form.is_valid():
            try:
                changed = config.update_settings(
                    form.changes(), actor=SettingsChange.actor_for(request.user)
                )
            except config.SettingsError as e:
                form.add_settings_error(e.field, e.message)
            else:
                if changed:
                    messages.success(request, "Bounce settings saved.")
                else:
                    messages.info(request, "Nothing changed.")
                return redirect("bounce_settings:index")
    else:
        form = BounceSettingsForm.from_settings(config.get_values(*KEYS))
    context = {"nav": "settings", "tabs": TABS, "tab": "bounces", "form": form}
    status = 400 if form.errors else 200
    return render(request, "bounces/settings.html", context, status=status)


def _summary(result: services.ReapplyResult) -> str:
    if not result.actions:
        return (
            f"Thresholds re-applied: {result.checked} subscriber(s) checked, "
            "no action was needed."
        )
    done = ", ".join(
        f"{n} {DONE.get(action, action)}"
        for action, n in sorted(result.actions.items())
    )
    text = f"Thresholds re-applied: {result.checked} subscriber(s) checked; {done}."
    if result.deleted_bounces:
        text += (
            f" {result.deleted_bounces} bounce(s) were deleted with the deleted "
            "subscribers."
        )
    return text


@require_POST
def reapply(request: HttpRequest) -> HttpResponse:
    if not config.get_value("bounce.enabled"):
        messages.warning(
            request,
            "Bounce processing is disabled: enable it to re-apply the thresholds.",
        )
        return redirect("bounce_settings:index")
    result = services.reapply_thresholds()
    messages.success(request, _summary(result))
    return redirect("bounce_settings:index")
