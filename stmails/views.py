from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from stmails import auth, lockout, services
from stmails.first_run import admin_exists
from stmails.forms import AdminAccountForm


@login_not_required
@require_http_methods(["GET", "POST"])
def setup(request):
    if admin_exists():
        return redirect("login")
    form = AdminAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.create_first_admin(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
            )
        except services.SetupError:
            return redirect("login")
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome! Your admin account is ready.")
        return redirect("dashboard")
    status = 400 if form.errors else 200
    return render(request, "setup.html", {"form": form}, status=status)


class LoginView(auth_views.LoginView):
    """Django's login, with attempts per account and address counted as for the API."""

    template_name = "login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        account = str(request.POST.get("username", ""))
        self.attempt = lockout.count_attempt(account, auth.client_address(request))
        if not self.attempt.allowed:
            form = self.get_form()
            form.add_error(
                None, "Too many failed attempts. Wait a few minutes and try again."
            )
            response = self.render_to_response(
                self.get_context_data(form=form), status=429
            )
            response["Retry-After"] = str(self.attempt.retry_after)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        lockout.succeeded(self.attempt)
        return super().form_valid(form)


@require_http_methods(["GET", "POST"])
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        messages.success(request, "Your password was changed.")
        return redirect("dashboard")
    status = 400 if form.errors else 200
    return render(request, "password_change.html", {"form": form}, status=status)


@login_not_required
def health(request):
    return HttpResponse("ok", content_type="text/plain")
