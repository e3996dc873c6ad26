"""`manage.py create_api_user NAME`."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from stmails.models import ApiUser
from tests.conftest import basic_auth


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_user", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_prints_only_the_token_which_works(db):
    out, err = run("ci-deploy")
    token = out.strip()
    assert out == token + "\n" and len(token) >= 40
    assert "shown only once" in err and token not in err
    user = ApiUser.objects.get(name="ci-deploy")
    assert user.token_matches(token)
    api = Client(HTTP_AUTHORIZATION=basic_auth("ci-deploy", token))
    assert api.get("/api/settings").status_code == 200


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("has space", "use 1-100 characters"),
        ("a:b", "no spaces or colons"),
        ("", "name"),
    ],
)
def test_it_fails_readably_on_a_bad_name(db, name, message):
    with pytest.raises(CommandError, match=message):
        run(name)
    assert not ApiUser.objects.exists()


def test_it_fails_on_a_duplicate_name(api_user):
    with pytest.raises(CommandError, match="an API user named 'bot' already exists"):
        run("bot")
    assert ApiUser.objects.count() == 1
