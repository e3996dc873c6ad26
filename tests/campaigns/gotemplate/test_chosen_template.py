"""A campaign's chosen Template row wraps its body (listmonk's template_id)."""

from __future__ import annotations

import pytest

from campaigns.models import Template
from campaigns.services import create_campaign

pytestmark = pytest.mark.django_db


def test_the_preview_wraps_the_body_in_the_chosen_go_template(client_alice, make_list):
    campaign = create_campaign(
        {
            "name": "Go", "subject": "Hi {{ .Subscriber.FirstName }}",
            "lists": [make_list().id], "content_type": "html",
            "body": "<p>Body for {{ .Campaign.Name }}</p>",
            "template_body": "<div>OLD {{ content }}</div>",
        }
    )  # fmt: skip
    campaign.template = Template.objects.create(
        name="Layout", body='<main>{{ template "content" . }}<footer>F</footer></main>'
    )
    campaign.save()
    content = client_alice.get(f"/campaigns/{campaign.pk}/preview").content.decode()
    assert "Body for Go" in content
    assert "OLD" not in content
    # (the preview's iframe srcdoc holds the HTML escaped)
    assert (
        "&lt;main&gt;&lt;p&gt;Body for Go&lt;/p&gt;&lt;footer&gt;F&lt;/footer&gt;"
        in content
    )


def test_a_campaign_body_in_go_syntax_is_accepted(make_list):
    campaign = create_campaign(
        {
            "name": "Go", "subject": "{{ .Subscriber.FirstName }}",
            "lists": [make_list().id], "content_type": "html",
            "body": '{{ if eq .Subscriber.Attribs.city "X" }}x{{ end }}',
        }
    )  # fmt: skip
    assert campaign.pk


def test_a_bad_go_body_is_refused_with_its_line(make_list):
    from campaigns.services import CampaignError

    with pytest.raises(CampaignError) as info:
        create_campaign(
            {
                "name": "Go", "subject": "s", "lists": [make_list().id],
                "content_type": "html", "body": "ok\n{{ .Subscriber.Name",
            }
        )  # fmt: skip
    assert "line 2" in str(info.value)
