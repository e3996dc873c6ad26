"""The PyPI `listmonk` client (0.6.32): templates, campaigns and transactional
mail against a live stmails.

Templates (/api/templates) and listmonk's full campaign object are other
branches' work (issue 18 item 3 and the templates issue): until they are merged
the template and campaign tests here fail, naming the missing route or field.
The tx test makes its template in the database, so it runs today.
"""

from __future__ import annotations

import datetime

import pytest

from campaigns.models import Campaign, Template
from stmails.models import OutgoingMail

pytestmark = pytest.mark.slow

CAMPAIGN_TEMPLATE = '<html><body>{{ template "content" . }}</body></html>'


@pytest.fixture
def news(pypi_listmonk, make_list):
    lst = make_list("News")
    ann = pypi_listmonk.create_subscriber(
        "ann@example.com", "Ann", {lst.pk}, pre_confirm=True
    )
    return lst, ann


def test_templates(pypi_listmonk):
    created = pypi_listmonk.create_template("Plain", CAMPAIGN_TEMPLATE, type="campaign")
    assert (created.name, created.type) == ("Plain", "campaign")
    assert created.id in {t.id for t in pypi_listmonk.templates()}
    assert pypi_listmonk.template_by_id(created.id).body == CAMPAIGN_TEMPLATE
    preview = pypi_listmonk.template_preview_by_id(created.id)
    assert "<body>" in preview.preview
    created.name = "Plainer"
    assert pypi_listmonk.update_template(created).name == "Plainer"
    assert pypi_listmonk.set_default_template(created.id) is True
    assert pypi_listmonk.template_by_id(created.id).is_default is True
    other = pypi_listmonk.create_template("Other", CAMPAIGN_TEMPLATE, type="campaign")
    assert pypi_listmonk.delete_template(other.id) is True
    # (template_by_id() of a deleted template raises on listmonk's 404,
    # though its docstring promises None.)
    assert not Template.objects.filter(pk=other.id).exists()


@pytest.mark.xfail(
    strict=True,
    raises=ValueError,
    reason="listmonk 0.6.32 bug: create_template() demands the campaign placeholder "
    '{{ template "content" . }} in every body, tx templates included (listmonk '
    "does not), so it cannot create a transactional template",
)
def test_create_tx_template(pypi_listmonk):
    pypi_listmonk.create_template(
        "Receipt", "<p>Order {{ .Tx.Data.order }}</p>", type="tx", subject="Your order"
    )


def test_campaigns(pypi_listmonk, news):
    lst, ann = news
    created = pypi_listmonk.create_campaign(
        "Hello", "Hello there", list_ids={lst.pk}, body="<p>Hi</p>", tags=["t1"]
    )
    assert (created.name, created.status, created.views, created.clicks) == (
        "Hello",
        "draft",
        0,
        0,
    )
    assert [c.id for c in pypi_listmonk.campaigns()] == [created.id]
    got = pypi_listmonk.campaign_by_id(created.id)
    assert [lst_["id"] for lst_ in got.lists] == [lst.pk]
    assert "Hi" in pypi_listmonk.campaign_preview_by_id(created.id).preview
    got.subject = "Hello again"
    assert pypi_listmonk.update_campaign(got).subject == "Hello again"
    assert pypi_listmonk.test_campaign(created.id, [ann.email]) is True
    # The tests' eager worker may have sent to the one subscriber already.
    assert pypi_listmonk.start_campaign(created.id).status in ("running", "finished")
    later = pypi_listmonk.create_campaign(
        "Later",
        "Later",
        list_ids={lst.pk},
        body="<p>Later</p>",
        send_at=datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC),
    )
    scheduled = pypi_listmonk.set_campaign_status(later.id, "scheduled")
    assert scheduled.status == "scheduled"
    assert pypi_listmonk.pause_campaign(later.id).status == "paused"
    assert pypi_listmonk.cancel_campaign(later.id).status == "cancelled"
    # A running campaign is not deleted (stmails refuses with a 400): the
    # tests' SMTP server is unreachable, so it may still run. Cancel it first.
    if pypi_listmonk.campaign_by_id(created.id).status == "running":
        assert pypi_listmonk.cancel_campaign(created.id).status == "cancelled"
    assert pypi_listmonk.delete_campaign(created.id) is True
    assert not Campaign.objects.filter(pk=created.id).exists()
    assert [c.name for c in pypi_listmonk.campaigns()] == ["Later"]


def test_transactional_mail(pypi_listmonk, news):
    _, ann = news
    tpl = Template.objects.create(
        name="Receipt", type="tx", subject="Your order", body="<p>Order</p>"
    )
    assert (
        pypi_listmonk.send_transactional_email(
            ann.email, tpl.pk, template_data={"order": 42}, content_type="html"
        )
        is True
    )
    # Several addresses, not all subscribers (listmonk v5's subscriber_mode).
    assert (
        pypi_listmonk.send_transactional_email(
            ["ann@example.com", "guest@example.net"],
            tpl.pk,
            subscriber_mode="external",
            content_type="html",
        )
        is True
    )
    sent = sorted(
        OutgoingMail.objects.filter(kind="tx").values_list("to_email", flat=True)
    )
    assert sent == ["ann@example.com", "ann@example.com", "guest@example.net"]
