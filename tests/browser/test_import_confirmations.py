"""The import form says, before anything is sent, how many confirmation mails
the "Send confirmation emails" checkbox would send."""

from __future__ import annotations

import pytest

from subscribers.models import MailingList
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_form_counts_the_confirmation_mails_it_would_send(
    live_server, page, alice, tmp_path
):
    double = MailingList.objects.create(name="Double", optin="double")
    MailingList.objects.create(name="Single", optin="single")
    csv = tmp_path / "people.csv"
    csv.write_text(
        "email,name\n" + "".join(f"p{i}@example.com,P{i}\n" for i in range(7))
    )
    log_in(page, live_server.url)
    page.goto(live_server.url + "/subscribers/import")

    page.set_input_files("#id_file", str(csv))
    note = page.locator("#import-rows")
    note.get_by_text(
        "No confirmation email will be sent (7 rows in the file)."
    ).wait_for()

    page.check("#id_send_confirmations")
    assert "choose a double opt-in list" in note.inner_text()
    page.check(f'input[name="lists"][value="{double.id}"]')
    assert note.inner_text() == (
        "Up to 7 confirmation emails will be sent, one per new unconfirmed subscriber."
    )
    page.select_option("#id_subscription_status", "confirmed")
    assert "No confirmation email will be sent" in note.inner_text()
