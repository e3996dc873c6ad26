"""The npm `listmonk` client (1.0.2): transactional mail (its only call in the
campaigns/templates/tx area) against a live stmails."""

from __future__ import annotations

import pytest

from campaigns.models import Template
from stmails.models import OutgoingMail

pytestmark = pytest.mark.slow


def test_transactional_mail(node_run, make_subscriber):
    make_subscriber(email="ann@example.com", name="Ann")
    tpl = Template.objects.create(
        name="Receipt",
        type="tx",
        subject="Order",
        body="<p>Order {{ tx_data.order }}</p>",
    )
    answer = node_run(
        "tx",
        to="ann@example.com",
        template_id=tpl.pk,
        data={"order": 42},
        content_type="html",
    )
    assert answer["sent"] == {"status": 200, "data": {"data": True}}
    mail = OutgoingMail.objects.get(kind="tx")
    assert mail.to_email == "ann@example.com"


def test_unknown_template_is_a_404_naming_it(node_run, make_subscriber):
    make_subscriber(email="ann@example.com")
    answer = node_run("tx", to="ann@example.com", template_id=999, data={})
    assert answer["sent"]["status"] == 404
    assert "template_id" in answer["sent"]["data"]["message"]
