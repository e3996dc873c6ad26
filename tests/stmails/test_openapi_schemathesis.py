"""Issue 14 item 4: /api/openapi.json describes the API, and schemathesis, driven by
it, finds no 5xx and no response outside the description.

Bounded and reproducible: a fixed number of examples per operation, derandomized
(the same examples every run), no example database, no deadline. Requests go
in-process to the WSGI application, authenticated as an API user.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from stmails.config import update_settings
from tests.bad_input_battery import network_cut
from tests.conftest import basic_auth

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

EXAMPLES_PER_OPERATION = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(autouse=True)
def _local_cache(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    cache.clear()


def test_openapi_json_needs_credentials_and_lists_the_api(api_client, client):
    assert client.get("/api/openapi.json").status_code == 401
    r = api_client.get("/api/openapi.json")
    assert r.status_code == 200
    schema = r.json()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    assert {"/api/subscribers", "/api/tx", "/webhooks/bounce"} <= set(paths)
    post = paths["/api/subscribers"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert "email" in str(body)
    error = post["responses"]["default"]["content"]["application/json"]["schema"]
    assert error["required"] == ["message"]


@pytest.fixture
def _keep_the_test_connection():
    """As Django's test client does: the WSGI handler would close the test's
    database connection (and its transaction) after each request on PostgreSQL."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.usefixtures("_keep_the_test_connection")
def test_schemathesis_finds_no_5xx_and_conforming_responses(api_user, capsys):
    # Bounce processing on: /webhooks/bounce would otherwise answer 503 by design.
    update_settings({"bounce.enabled": True, "bounce.webhooks_enabled": True})
    user, token = api_user
    auth = {"Authorization": basic_auth(user.name, token)}
    app = get_wsgi_application()
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app, headers=auth)
    operations = [result.ok() for result in schema.get_all_operations()]
    examples = 0
    failures: list[str] = []

    def examples_for(operation):
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case):
            nonlocal examples
            examples += 1
            response = case.call(headers=auth)
            try:
                case.validate_response(response, checks=CHECKS, headers=auth)
            except (Exception, BaseExceptionGroup) as err:  # noqa: BLE001
                failures.append(f"{operation.label}: {str(err)[:400]}")

        return check

    with network_cut():
        for operation in operations:
            examples_for(operation)()

    summary = (
        f"schemathesis: {len(operations)} operations, {examples} examples, "
        f"{len(failures)} failures"
    )
    with capsys.disabled():
        print(f"\n{summary}")
    assert len(operations) >= 25, summary
    assert not failures, summary + "\n" + "\n".join(failures[:20])
