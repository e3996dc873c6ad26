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


def _summary(client) -> str:
    html = client.get("/settings/performance").content.decode()
    found = re.search(r'<p class="card" id="section-summary">(.*?)</p>', html, re.S)
    assert found, "the Sending page states the ceiling in force"
    return found[1]


def test_it_states_the_ceiling_in_force(client_alice):
    from stmails.config import update_settings

    assert "at most 100 messages/s in total (concurrency 10 × rate 10)" in _summary(
        client_alice
    )
    assert "sliding window off" in _summary(client_alice)

    update_settings(
        {
            "app.concurrency": 4,
            "app.message_rate": 25,
            "app.message_sliding_window": True,
            "app.message_sliding_window_duration": "30m",
            "app.message_sliding_window_rate": 5000,
        }
    )

    summary = _summary(client_alice)
    assert "at most 100 messages/s in total (concurrency 4 × rate 25)" in summary
    assert "sliding window: at most 5000 per 30m" in summary


def test_other_sections_state_nothing(client_alice):
    html = client_alice.get("/settings/general").content.decode()
    assert 'id="section-summary"' not in html
