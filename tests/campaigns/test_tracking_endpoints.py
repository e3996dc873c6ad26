"""GET /link/{link}/{campaign}/{subscriber} and /campaign/{campaign}/{subscriber}/px.png."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from campaigns.tracking import hits
from campaigns.tracking.models import TrackingHit
from stmails.config import update_settings
from tests.campaigns.tracking_helpers import BROWSER, campaign, link

pytestmark = pytest.mark.django_db


@pytest.fixture
def anon():
    return Client(HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="203.0.113.77")


def click_url(lnk, c, s) -> str:
    return f"/link/{lnk.uuid}/{c}/{s}"


def test_it_redirects_at_once_and_stores_one_raw_hit(anon, make_subscriber):
    lnk, c, ann = link("https://example.org/news?a=1"), campaign(), make_subscriber()

    response = anon.get(click_url(lnk, c.uuid, ann.uuid))

    assert response.status_code == 302
    assert response["Location"] == "https://example.org/news?a=1"
    assert response["Cache-Control"] == "no-store"
    hit = TrackingHit.objects.get()
    assert (hit.kind, hit.link_id, hit.campaign_uuid) == ("click", lnk.id, c.uuid)
    assert hit.subscriber_uuid == ann.uuid
    assert hit.ip_net == "203.0.113.0/24"  # never the full address
    assert hit.user_agent == BROWSER


def test_it_answers_the_pixel_uncached(anon, make_subscriber):
    c, ann = campaign(), make_subscriber()

    response = anon.get(f"/campaign/{c.uuid}/{ann.uuid}/px.png")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert "no-store" in response["Cache-Control"]
    assert TrackingHit.objects.get().kind == "view"


def test_an_unknown_link_is_a_404_page(anon):
    response = anon.get(
        click_url(type("L", (), {"uuid": uuid.uuid4()}), uuid.uuid4(), uuid.uuid4())
    )

    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert not TrackingHit.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/link/not-a-uuid/{c}/{s}",
        "/link/{l}/{c}/x",
        "/link/{l}/{c}/{s}/extra",
        "/link/{l}/{c}",
        "/campaign/{c}/zz/px.png",
        "/campaign/{c}/{s}/px.gif",
        "/link/{L}/{c}/{s}",  # upper case: not how stmails writes them
    ],
)
def test_malformed_uuids_are_404_never_5xx(anon, path):
    lnk = link()
    url = path.format(
        l=lnk.uuid, L=str(lnk.uuid).upper(), c=uuid.uuid4(), s=uuid.uuid4()
    )

    assert anon.get(url).status_code == 404
    assert not TrackingHit.objects.exists()


def test_a_nul_byte_is_a_400_from_the_input_guard(anon):
    url = f"/link/{link().uuid}/{uuid.uuid4()}/{uuid.uuid4()}%00"

    assert anon.get(url).status_code == 400
    assert not TrackingHit.objects.exists()


def test_unknown_campaign_and_subscriber_still_redirect_and_are_stored(anon):
    lnk = link()

    response = anon.get(click_url(lnk, uuid.uuid4(), uuid.uuid4()))

    assert response.status_code == 302
    assert TrackingHit.objects.count() == 1  # the fold records it without them


def test_it_is_no_open_redirect(anon):
    # Only registered URLs: nothing in the path or query names the target.
    lnk = link("https://example.org/a")

    response = anon.get(
        click_url(lnk, uuid.uuid4(), uuid.uuid4()) + "?url=https://evil.example"
    )
    assert response["Location"] == "https://example.org/a"
    assert anon.get("/link/https://evil.example").status_code == 404


def test_disable_tracking_redirects_old_links_but_records_nothing(
    anon, make_subscriber
):
    update_settings({"privacy.disable_tracking": True})
    lnk, c, ann = link(), campaign(), make_subscriber()

    assert anon.get(click_url(lnk, c.uuid, ann.uuid)).status_code == 302
    assert anon.get(f"/campaign/{c.uuid}/{ann.uuid}/px.png").status_code == 200
    assert not TrackingHit.objects.exists()


def test_individual_tracking_is_noted_on_the_hit(anon, make_subscriber):
    lnk, c, ann = link(), campaign(), make_subscriber()
    anon.get(click_url(lnk, c.uuid, ann.uuid))
    update_settings({"privacy.individual_tracking": True})
    anon.get(click_url(lnk, c.uuid, ann.uuid))  # still the value read before
    hits.forget_settings()  # as SETTINGS_TTL seconds later
    anon.get(click_url(lnk, c.uuid, ann.uuid))

    individual = TrackingHit.objects.order_by("id").values_list("individual", flat=True)
    assert list(individual) == [False, False, True]


def test_the_dummy_subscriber_of_test_sends_is_never_recorded(anon):
    lnk, c = link(), campaign()

    assert anon.get(click_url(lnk, c.uuid, hits.DUMMY)).status_code == 302
    assert anon.get(f"/campaign/{c.uuid}/{hits.DUMMY}/px.png").status_code == 200
    assert not TrackingHit.objects.exists()


def test_head_requests_of_link_checkers_redirect_without_a_hit(anon):
    lnk = link()

    response = anon.head(click_url(lnk, uuid.uuid4(), uuid.uuid4()))

    assert response.status_code == 302
    assert not TrackingHit.objects.exists()


def test_post_is_refused(anon):
    lnk = link()
    assert anon.post(click_url(lnk, uuid.uuid4(), uuid.uuid4())).status_code == 405


def test_endpoints_need_no_admin_account_yet(anon):
    # First run (no admin) sends every page to /setup, but not mail links.
    lnk = link()
    assert anon.get(click_url(lnk, uuid.uuid4(), uuid.uuid4())).status_code == 302


def test_ipv6_addresses_are_kept_as_their_48(make_subscriber):
    c, ann = campaign(), make_subscriber()
    Client(REMOTE_ADDR="2001:db8:1234:5678::1").get(
        f"/campaign/{c.uuid}/{ann.uuid}/px.png"
    )

    assert TrackingHit.objects.get().ip_net == "2001:db8:1234::/48"


def test_a_long_user_agent_is_cut(make_subscriber):
    c, ann = campaign(), make_subscriber()
    Client(HTTP_USER_AGENT="x" * 5000).get(f"/campaign/{c.uuid}/{ann.uuid}/px.png")

    assert len(TrackingHit.objects.get().user_agent) == 300


def test_a_nul_in_the_user_agent_is_dropped(make_subscriber):
    c, ann = campaign(), make_subscriber()
    Client(HTTP_USER_AGENT="Mail\x00Client").get(
        f"/campaign/{c.uuid}/{ann.uuid}/px.png"
    )

    assert TrackingHit.objects.get().user_agent == "MailClient"


def test_a_hit_that_cannot_be_stored_still_redirects(anon, monkeypatch, caplog):
    lnk = link()
    hits._link(lnk.uuid)  # the URL is cached, as in a warm process
    monkeypatch.setattr(hits, "_INSERT", "INSERT INTO no_such_table VALUES (%s)")

    response = anon.get(click_url(lnk, uuid.uuid4(), uuid.uuid4()))

    assert response.status_code == 302
    assert "tracking hit not stored" in caplog.text
