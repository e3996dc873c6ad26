"""The PyPI `klarient-listmonk` client (0.4.0): templates, campaigns and
transactional mail against a live stmails (tests/clients/klarient/driver.py).

Templates (/api/templates), listmonk's full campaign object and
/api/campaigns/running/stats are other branches' work (issue 18 items 3 and 5,
and the templates issue): until they are merged the template and campaign tests
fail, naming the route or field. The tx test makes its template in the
database, so it runs today.
"""

from __future__ import annotations

import pytest

from campaigns.models import Template
from stmails.models import OutgoingMail

pytestmark = pytest.mark.slow


def ok(answer: dict) -> dict:
    assert "error" not in answer, answer
    return answer


def test_templates(klarient_run):
    answer = ok(klarient_run("templates"))
    assert answer["created"] == ["Plain", "campaign"]
    assert answer["updated"] == "Plainer"
    assert "<div>" in answer["preview"]
    assert answer["default"] is True
    assert "Plainer" in answer["listed"]
    assert answer["deleted"] is True


def test_campaigns(klarient_run):
    answer = ok(klarient_run("campaigns"))
    assert answer["created"] == {"name": "Hello", "views": 0, "clicks": 0, "bounces": 0}
    assert answer["got"] == "Hello"
    assert answer["updated"] == "Hello again"
    assert answer["listed"] == ["Hello again"]
    assert "Hey" in answer["preview"]
    assert answer["tested"] is True
    assert "hello-again" in answer["archived"]
    # The tests' eager worker may have sent to the one subscriber already.
    assert answer["started"] in ("running", "finished")
    assert answer["deleted"] == [True, True]
    assert answer["left"] == 0


def test_transactional_mail(klarient_run, make_subscriber):
    make_subscriber(email="ann@example.com", name="Ann")
    tpl = Template.objects.create(
        name="Receipt", type="tx", subject="Order", body="<p>Hi</p>"
    )
    answer = ok(klarient_run("tx", to="ann@example.com", template_id=tpl.pk))
    assert answer["sent"] is True
    mail = OutgoingMail.objects.get(kind="tx")
    assert mail.to_email == "ann@example.com"
