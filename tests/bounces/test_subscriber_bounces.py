"""The subscriber page's bounce section ({% subscriber_bounces %}), badge and reset."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from bounces.models import Bounce, BounceAction
from bounces.recording import record_bounce
from bounces.services import NewBounce
from campaigns.models import Campaign
from subscribers.models import Subscriber

pytestmark = pytest.mark.django_db


def render(source: str, **context) -> str:
    request = RequestFactory().get("/subscribers/1/")
    return Template("{% load bounce_tags %}" + source).render(
        Context({"request": request, "csrf_token": "tok", **context})
    )


def test_it_renders_history_and_action_trace(bounces_on, make_subscriber):
    bounces_on(hard={"count": 2, "action": "blocklist"})
    sub = make_subscriber("zed@example.com")
    camp = Campaign.objects.create(name="Launch")
    for _ in range(2):
        record_bounce(
            NewBounce(
                type="hard",
                source="my_script",
                email=sub.email,
                campaign_id=camp.pk,
                meta={"reason": "mailbox full"},
            )
        )
    sub.refresh_from_db()
    html = render("{% subscriber_bounces subscriber %}", subscriber=sub)
    assert 'Bounces <span class="muted">(2)</span>' in html
    assert html.count("bounce-hard") == 2
    assert "my_script" in html and "Launch" in html
    assert "mailbox full" in html
    assert "action-blocklist" in html
    assert "2 hard bounce(s) reached the threshold of 2" in html
    assert f'action="/bounces/subscribers/{sub.pk}/reset"' in html
    assert 'name="csrfmiddlewaretoken" value="tok"' in html


def test_it_says_when_there_is_nothing(make_subscriber):
    html = render("{% subscriber_bounces subscriber %}", subscriber=make_subscriber())
    assert "No bounces recorded." in html
    assert "No action was taken" in html
    assert "Reset bounce count" not in html


def test_it_shows_the_badge_only_for_bounce_blocklists(bounces_on, make_subscriber):
    bounces_on()  # hard: 1 -> blocklist
    by_bounce, by_hand, fine = (make_subscriber() for _ in range(3))
    record_bounce(NewBounce(type="hard", source="api", email=by_bounce.email))
    Subscriber.objects.filter(pk=by_hand.pk).update(status="blocklisted")
    for sub in (by_bounce, by_hand, fine):
        sub.refresh_from_db()
    badge = "{% bounce_badge subscriber %}"
    assert "blocklisted by bounces" in render(badge, subscriber=by_bounce)
    assert render(badge, subscriber=by_hand) == ""
    assert render(badge, subscriber=fine) == ""
    # Re-enabled by an admin: the old action no longer explains the status.
    Subscriber.objects.filter(pk=by_bounce.pk).update(status="enabled")
    by_bounce.refresh_from_db()
    assert render(badge, subscriber=by_bounce) == ""


def test_it_resets_the_bounce_count(client_alice, make_subscriber, bounces_on):
    bounces_on(hard={"count": 5, "action": "blocklist"})
    sub, other = make_subscriber(), make_subscriber()
    for s in (sub, sub, other):
        record_bounce(NewBounce(type="hard", source="api", email=s.email))
    response = client_alice.post(f"/bounces/subscribers/{sub.pk}/reset")
    assert response.status_code == 302
    assert response["Location"] == f"/subscribers/{sub.pk}/"
    assert not Bounce.objects.filter(subscriber=sub).exists()
    assert Bounce.objects.filter(subscriber=other).count() == 1
    follow = client_alice.get(response["Location"])
    assert "Deleted 2 bounce(s)" in follow.content.decode()


def test_it_404s_resetting_an_unknown_subscriber(client_alice):
    assert client_alice.post("/bounces/subscribers/999/reset").status_code == 404


def test_it_keeps_the_trace_after_reset(client_alice, make_subscriber, bounces_on):
    bounces_on()
    sub = make_subscriber()
    record_bounce(NewBounce(type="hard", source="api", email=sub.email))
    client_alice.post(f"/bounces/subscribers/{sub.pk}/reset")
    assert BounceAction.objects.filter(subscriber=sub).count() == 1
    html = render("{% subscriber_bounces subscriber %}", subscriber=sub)
    assert "No bounces recorded." in html and "action-blocklist" in html


def test_it_badges_subscribers_blocklisted_by_bounces_on_the_list_page(
    bounces_on, make_subscriber, client_alice
):
    bounces_on(hard={"count": 1, "action": "blocklist"})
    bounced = make_subscriber("bounced@example.com")
    make_subscriber("manual@example.com", status=Subscriber.Status.BLOCKLISTED)
    record_bounce(NewBounce(type="hard", source="api", email=bounced.email))
    html = client_alice.get("/subscribers/").content.decode()
    rows = {
        email: html.split(email, 1)[1].split("</tr>", 1)[0]
        for email in ("bounced@example.com", "manual@example.com")
    }
    assert "blocklisted by bounces" in rows["bounced@example.com"]
    assert "blocklisted by bounces" not in rows["manual@example.com"]
