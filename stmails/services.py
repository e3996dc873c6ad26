"""Writes of the core: admin accounts and API users."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from stmails.auth import forget_verified_tokens
from stmails.models import ApiUser, Setting

FIRST_ADMIN_KEY = "core.first_admin_created"


class SetupError(Exception):
    pass


def create_admin(*, username: str, email: str, password: str):
    return get_user_model().objects.create_user(
        username=username,
        email=email,
        password=password,
        is_staff=True,
        is_superuser=True,
    )


def create_first_admin(*, username: str, email: str, password: str):
    """The one-time setup. The unique settings row makes a second, racing setup fail."""
    try:
        with transaction.atomic():
            if get_user_model().objects.exists():
                raise SetupError("an admin account already exists")
            Setting.objects.create(
                key=FIRST_ADMIN_KEY, value=timezone.now().isoformat()
            )
            return create_admin(username=username, email=email, password=password)
    except IntegrityError:
        raise SetupError("an admin account already exists") from None


class ApiUserError(Exception):
    pass


@transaction.atomic
def create_api_user(name: str) -> tuple[ApiUser, str]:
    """Create an API user; returns it and its token, which is never shown again."""
    name = (name or "").strip()
    if not name or len(name) > 100 or ":" in name or any(c.isspace() for c in name):
        raise ApiUserError("name: use 1-100 characters, no spaces or colons")
    if ApiUser.objects.filter(name=name).exists():
        raise ApiUserError(f"name: an API user named {name!r} already exists")
    token = ApiUser.new_token()
    user = ApiUser(name=name)
    user.set_token(token)
    user.save()
    return user, token


def revoke_api_user(user: ApiUser) -> None:
    ApiUser.objects.filter(pk=user.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    forget_verified_tokens()


class AdminError(Exception):
    pass


@transaction.atomic
def delete_admin(user, *, acting_user) -> None:
    """Delete an admin account; never yourself, never the last admin."""
    if user.pk == acting_user.pk:
        raise AdminError("you cannot delete your own account")
    # Lock the admin rows so two concurrent deletes cannot remove the last two.
    admins = list(
        get_user_model()
        .objects.select_for_update()
        .filter(is_active=True, is_staff=True)
        .values_list("pk", flat=True)
    )
    if user.pk in admins and len(admins) <= 1:
        raise AdminError("the last admin account cannot be deleted")
    user.delete()
