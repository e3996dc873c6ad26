"""The campaign page: asks before start, cancel and delete; progress from deliveries."""

from __future__ import annotations

import pytest
from django.utils import timezone

from campaigns.models import Campaign, Delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(make_list):
    news = make_list("News")
    c = Campaign.objects.create(
        name="Autumn news",
        subject="Hi",
        body='<p>x <a href="{{ unsubscribe_url }}">stop</a></p>',
    )
    c.campaign_lists.create(list=news, list_name=news.name)
    return c


def deliveries(campaign, **counts):
    n = 0
    for status, how_many in counts.items():
        for _ in range(how_many):
            n += 1
            Delivery.objects.create(
                campaign=campaign, subscriber_id=n, email=f"s{n}@example.com",
                status=status,
            )  # fmt: skip


def test_start_and_cancel_ask_first(client_alice, campaign):
    html = client_alice.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'data-confirm="Start sending this campaign to its lists now?"' in html
    assert 'data-confirm="Cancel this campaign?' in html
    assert 'data-confirm="Delete campaign Autumn news?' in html


def test_progress_counts_the_deliveries_not_the_slot_counter(client_alice, campaign):
    # The slots add to Campaign.sent only when a run ends: it still says 0.
    Campaign.objects.filter(pk=campaign.pk).update(
        status="running", to_send=10, sent=0,
        started_at=timezone.now() - timezone.timedelta(seconds=4),
    )  # fmt: skip
    deliveries(campaign, sent=4, failed=1, queued=5)

    data = client_alice.get(f"/campaigns/{campaign.pk}/progress").json()
    assert data | {"sent": 4, "failed": 1, "waiting": 5, "to_send": 10} == data
    assert data["percent"] == 50 and data["running"] is True
    assert 0.9 < data["rate"] <= 1.0  # 4 sent in a little over 4 s
    html = client_alice.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert '<strong class="sent-count" data-field="sent">4</strong>' in html
    assert "js/campaign.js" in html


def test_a_campaign_whose_mail_went_out_is_deleted_only_by_its_name(
    client_alice, campaign
):
    Campaign.objects.filter(pk=campaign.pk).update(status="finished")
    deliveries(campaign, sent=2)
    html = client_alice.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'name="confirm_name"' in html

    r = client_alice.post(f"/campaigns/{campaign.pk}/delete", follow=True)
    assert Campaign.objects.filter(pk=campaign.pk).exists()
    assert "type the campaign&#x27;s name" in r.content.decode()
    client_alice.post(
        f"/campaigns/{campaign.pk}/delete", {"confirm_name": "Autumn news"}
    )
    assert not Campaign.objects.filter(pk=campaign.pk).exists()


def test_a_draft_is_deleted_without_typing(client_alice, campaign):
    html = client_alice.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'name="confirm_name"' not in html
    client_alice.post(f"/campaigns/{campaign.pk}/delete")
    assert not Campaign.objects.filter(pk=campaign.pk).exists()


def test_actions_are_reported_in_words(client_alice, campaign):
    r = client_alice.post(
        f"/campaigns/{campaign.pk}/status", {"action": "cancel"}, follow=True
    )
    assert "Campaign Autumn news cancelled." in r.content.decode()


def test_the_content_type_reads_as_words(client_alice, campaign):
    html = client_alice.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "<dt>Content</dt><dd>Rich text</dd>" in html
    page = client_alice.get(f"/campaigns/{campaign.pk}/edit").content.decode()
    assert ">Rich text</option>" in page and ">Richtext<" not in page
