"""Settings → Sending: the rate, sliding window and circuit-breaker keys."""

import re

from stmails.config import get_value


def test_it_edits_the_sending_settings(client_alice):
    page = client_alice.get("/settings/performance")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="campaign__breaker_hard_bounce_rate"' in html
    data = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    data.pop("csrfmiddlewaretoken", None)
    data["campaign__breaker_hard_bounce_rate"] = "7.5"
    data["app__message_rate"] = "20"

    response = client_alice.post("/settings/performance", data)

    assert response.status_code == 302, response.content.decode()[:500]
    assert get_value("campaign.breaker_hard_bounce_rate") == 7.5
    assert get_value("app.message_rate") == 20


def test_it_shows_a_bad_rate_beside_its_field(client_alice):
    html = client_alice.get("/settings/performance").content.decode()
    data = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    data.pop("csrfmiddlewaretoken", None)
    data["campaign__breaker_hard_bounce_rate"] = "250"

    response = client_alice.post("/settings/performance", data)

    assert response.status_code == 400
    assert get_value("campaign.breaker_hard_bounce_rate") != 250
