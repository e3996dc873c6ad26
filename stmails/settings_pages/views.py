"""Settings pages: General (and any registry section), SMTP servers, Users.

A new tab is one entry in TABS; a section whose keys need no special page is
served by `section` from the registry alone (see forms.SectionForm).
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from stmails import auth, config, lockout, services
from stmails.forms import AdminAccountForm, ask_current_password
from stmails.models import ApiUser, SettingsChange
from stmails.settings_keys import SMTP_DEFAULTS
from stmails.settings_pages.forms import (
    ApiUserForm,
    SectionForm,
    SmtpServerForm,
    save_settings,
)
from stmails.smtp_check import SmtpCheckError, try_server


@dataclass(frozen=True)
class Tab:
    slug: str
    title: str
    # Registry sections need no view of their own: `section` renders their keys.
    from_registry: bool = False
    # A tab whose page lives in another app (Bounces) names its URL.
    url_name: str = ""

    @property
    def url(self) -> str:
        if self.url_name:
            return reverse(self.url_name)
        if self.from_registry:
            return reverse("settings:section", args=[self.slug])
        return reverse(f"settings:{self.slug}")


TABS = [
    Tab("general", "General", from_registry=True),
    Tab("smtp", "SMTP"),
    Tab("bounces", "Bounces", url_name="bounce_settings:index"),
    Tab("probe", "Self-test", url_name="probe:settings"),
    Tab("performance", "Sending", from_registry=True),
    Tab("privacy", "Privacy", from_registry=True),
    Tab("users", "Users"),
    Tab("logging", "Logging", from_registry=True),
    Tab("metrics", "Metrics", from_registry=True),
    Tab("alerts", "Alerts", from_registry=True),
    Tab("event-webhooks", "Event webhooks", url_name="settings:event-webhooks"),
    Tab("maintenance", "Maintenance", url_name="maintenance:index"),
    Tab("audit", "Audit log", url_name="settings:audit"),
]
AUDIT_ROWS = 200


def _render(request, template: str, tab: str, context: dict, status: int = 200):
    context = {"nav": "settings", "tabs": TABS, "tab": tab, **context}
    return render(request, template, context, status=status)


def _actor(request) -> str:
    return SettingsChange.actor_for(request.user)


def index(request):
    return redirect(TABS[0].url)


# --- registry sections (General) -------------------------------------------------


@require_http_methods(["GET", "POST"])
def section(request, name: str):
    tab = next((t for t in TABS if t.slug == name and t.from_registry), None)
    if tab is None:
        raise Http404("no such settings section")
    form = SectionForm(name, request.POST or None, values=config.get_masked_settings())
    if request.method == "POST" and form.is_valid() and save_settings(request, form):
        messages.success(request, f"{tab.title} settings saved.")
        return redirect(tab.url)
    status = 400 if form.errors else 200
    return _render(
        request,
        "settings/section.html",
        name,
        {"form": form, "title": tab.title, "summary": _summary(name)},
        status,
    )


def _summary(section_name: str) -> str:
    """What the section's saved values mean in force, when its app says."""
    summary = config.SUMMARIES.get(section_name)
    return summary(config.get_masked_settings()) if summary else ""


# --- SMTP -------------------------------------------------------------------------


def _servers() -> list[dict]:
    return config.get_masked_settings()["smtp"]


def _server_or_404(servers: list[dict], uuid) -> dict:
    for server in servers:
        if server["uuid"] == str(uuid):
            return server
    raise Http404("no such SMTP server")


def smtp(request):
    return _render(request, "settings/smtp.html", "smtp", {"servers": _servers()})


@require_http_methods(["GET", "POST"])
def smtp_server(request, uuid: str | None = None):
    """Add (uuid None) or edit one server; "Test connection" tests the form's values."""
    servers = _servers()
    uuid = str(uuid) if uuid else None
    current = _server_or_404(servers, uuid) if uuid else None
    initial = {k: v for k, v in (current or SMTP_DEFAULTS).items() if k != "uuid"}
    form = SmtpServerForm(request.POST or None, initial=initial)
    server_id = uuid or _new_server_id(request.POST.get("uuid"), servers)
    test_result = None
    if request.method == "POST" and form.is_valid():
        server = form.server(server_id)
        if request.POST.get("action") == "test":
            test_result = _test(
                server, form.cleaned_data.get("test_email") or None, form
            )
        else:
            if current is None:
                servers.append(server)
            else:
                servers[servers.index(current)] = server
            try:
                config.update_settings({"smtp": servers}, actor=_actor(request))
            except config.SettingsError as e:
                form.add_settings_error(e)
            else:
                messages.success(request, f"SMTP server {server['host']} saved.")
                return redirect("settings:smtp")
    context = {
        "form": form,
        "server_id": server_id,
        "is_new": current is None,
        "test_result": test_result,
    }
    status = 400 if form.errors else 200
    return _render(request, "settings/smtp_server.html", "smtp", context, status)


def _new_server_id(posted: str | None, servers: list[dict]) -> str:
    """Keep the id a "Test connection" round trip carried, unless it is taken or bad."""
    try:
        candidate = str(uuidlib.UUID(posted or ""))
    except ValueError:
        return str(uuidlib.uuid4())
    if any(s["uuid"] == candidate for s in servers):
        return str(uuidlib.uuid4())
    return candidate


def _test(server: dict, to: str | None, form=None) -> tuple[bool, str]:
    try:
        try_server(server, to=to)
    except config.SettingsError as e:
        if form is not None:
            form.add_settings_error(e)
        return False, str(e)
    except SmtpCheckError as e:
        return False, e.message
    return True, f"Test mail sent to {to}." if to else "Connection and login succeeded."


@require_POST
def smtp_test(request, uuid: str):
    server = _server_or_404(_servers(), uuid)
    ok, text = _test(server, None)
    # Post/Redirect/Get: the result is a message, so a reload does not test again.
    name = f"SMTP server {server['host']}:{server['port']}"
    if ok:
        messages.success(request, f"{name}: {text}")
    else:
        messages.error(request, f"{name}: test failed: {text}")
    return redirect("settings:smtp")


@require_POST
def smtp_delete(request, uuid: str):
    servers = _servers()
    server = _server_or_404(servers, uuid)
    if len(servers) == 1:
        messages.error(request, "Keep at least one SMTP server; disable it instead.")
        return redirect("settings:smtp")
    servers.remove(server)
    config.update_settings({"smtp": servers}, actor=_actor(request))
    messages.success(request, f"SMTP server {server['host']} deleted.")
    return redirect("settings:smtp")


# --- Users: admins and API users ----------------------------------------------------


def _admins():
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .order_by("username")
    )


def users(request, *, admin_form=None, api_form=None, new_token=None, status=200):
    context = {
        "admins": _admins(),
        "api_users": ApiUser.objects.all(),
        "admin_form": admin_form or _reauthenticated(request, AdminAccountForm()),
        "api_form": api_form or _reauthenticated(request, ApiUserForm()),
        "new_token": new_token,
        "root_url": config.get_value("app.root_url"),
    }
    return _render(request, "settings/users.html", "users", context, status)


def _reauthenticated(request, form):
    """The form with the acting admin's current password asked for again.

    A submitted form counts as an authentication attempt of this admin from
    this address (stmails.lockout), before the password is checked: past the
    limit nothing is checked; a right password gives the attempt back.
    """
    locked_out = False
    if form.is_bound:
        attempt = lockout.count_attempt(
            request.user.get_username(), auth.client_address(request)
        )
        form.lockout_attempt = attempt
        locked_out = not attempt.allowed
    ask_current_password(form, request.user, locked_out=locked_out)
    return form


def _valid(request, form) -> bool:
    """form.is_valid(); a wrong current password stays counted as a failure."""
    valid = form.is_valid()
    attempt = getattr(form, "lockout_attempt", None)
    if (
        attempt is not None
        and attempt.allowed
        and "current_password" not in form.errors
    ):
        lockout.succeeded(attempt)
    return valid


@require_POST
def admin_add(request):
    form = _reauthenticated(request, AdminAccountForm(request.POST))
    if not _valid(request, form):
        return users(request, admin_form=form, status=400)
    user = services.create_admin(
        username=form.cleaned_data["username"],
        email=form.cleaned_data["email"],
        password=form.cleaned_data["password1"],
    )
    messages.success(request, f"Admin {user.username} added.")
    return redirect("settings:users")


@require_POST
def admin_delete(request, pk: int):
    user = get_object_or_404(get_user_model(), pk=pk, is_staff=True)
    try:
        services.delete_admin(user, acting_user=request.user)
    except services.AdminError as e:
        messages.error(request, f"Cannot delete {user.username}: {e}.")
    else:
        messages.success(request, f"Admin {user.username} deleted.")
    return redirect("settings:users")


@require_POST
def api_user_add(request):
    form = _reauthenticated(request, ApiUserForm(request.POST))
    if _valid(request, form):
        try:
            api_user, token = services.create_api_user(form.cleaned_data["name"])
        except services.ApiUserError as e:
            form.add_error("name", str(e).removeprefix("name: "))
        else:
            # Rendered, not redirected: the token must never be stored anywhere,
            # not even in the session, so this response is its only appearance.
            new = {"name": api_user.name, "token": token}
            return users(request, new_token=new)
    return users(request, api_form=form, status=400)


@require_POST
def api_user_revoke(request, pk: int):
    api_user = get_object_or_404(ApiUser, pk=pk)
    services.revoke_api_user(api_user)
    messages.success(
        request, f"API user {api_user.name} revoked: its token no longer works."
    )
    return redirect(reverse("settings:users") + "#api-users")


# --- Audit log ----------------------------------------------------------------------


def audit(request):
    changes = SettingsChange.objects.all()[:AUDIT_ROWS]
    return _render(
        request,
        "settings/audit.html",
        "audit",
        {"changes": changes, "limit": AUDIT_ROWS},
    )
