"""The campaigns tables: migration applied, one delivery per subscriber."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from campaigns.models import Campaign, Delivery

pytestmark = pytest.mark.django_db


def test_it_has_no_pending_migrations():
    call_command("makemigrations", "campaigns", "--check", "--dry-run", verbosity=0)


def test_it_refuses_a_second_delivery_to_the_same_subscriber():
    c = Campaign.objects.create(name="C")
    Delivery.objects.create(campaign=c, subscriber_id=7, email="a@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(campaign=c, subscriber_id=7, email="a@example.com")
    other = Campaign.objects.create(name="D")
    Delivery.objects.create(campaign=other, subscriber_id=7, email="a@example.com")
    assert Delivery.objects.count() == 2


def test_it_reports_progress():
    c = Campaign(name="C", to_send=0, sent=0)
    assert (c.progress_percent(), c.send_rate()) == (0, 0.0)
    c.to_send, c.sent = 3, 1
    assert c.progress_percent() == 33
