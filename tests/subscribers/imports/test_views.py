"""The import pages: upload form, progress page and JSON, stop, error report."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from subscribers.models import ImportJob, Subscriber, Subscription

pytestmark = pytest.mark.django_db

UPLOAD = "/subscribers/import"


@pytest.fixture(autouse=True)
def _import_dir(settings, tmp_path):
    settings.STMAILS_IMPORT_DIR = tmp_path / "imports"


def form(text: str | bytes, **fields):
    data = text.encode() if isinstance(text, str) else text
    return {
        "file": SimpleUploadedFile("people.csv", data, content_type="text/csv"),
        "mode": "subscribe",
        "subscription_status": "unconfirmed",
        "delim": ",",
        **fields,
    }


def test_it_shows_the_form_with_lists(client_alice, make_list):
    make_list("Weekly news")
    r = client_alice.get(UPLOAD)
    assert r.status_code == 200
    html = r.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert "Weekly news" in html and 'name="overwrite"' in html


def test_it_requires_login(alice):
    r = Client().get(UPLOAD)
    assert r.status_code == 302 and "/login" in r["Location"]


def test_it_uploads_and_redirects_to_progress(
    client_alice, make_list, django_capture_on_commit_callbacks
):
    news = make_list()
    with django_capture_on_commit_callbacks(execute=True):
        r = client_alice.post(
            UPLOAD,
            form(
                "email,name\na@example.com,A\nnope,B\n",
                lists=[news.id],
                subscription_status="confirmed",
            ),
        )
    job = ImportJob.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/subscribers/import/{job.id}"
    assert Subscription.objects.get(list=news).status == "confirmed"

    page = client_alice.get(r["Location"]).content.decode()
    assert 'class="progress"' in page and "js/import.js" in page
    assert "nope" in page and "invalid email address" in page
    assert f"/subscribers/import/{job.id}/errors.csv" in page

    status = client_alice.get(f"/subscribers/import/{job.id}/status").json()
    assert (
        status
        | {
            "state": "finished",
            "imported": 1,
            "failed_rows": 1,
            "total": 2,
            "percent": 100,
            "running": False,
        }
        == status
    )

    report = client_alice.get(f"/subscribers/import/{job.id}/errors.csv")
    assert b"".join(report.streaming_content).decode().splitlines()[1] == (
        "3,nope,invalid email address"
    )


def test_it_shows_file_errors_beside_the_file_field(client_alice):
    r = client_alice.post(UPLOAD, form("email,phone\na@example.com,1\n"))
    assert r.status_code == 400
    html = r.content.decode()
    assert 'id="id_file-error"' in html
    assert "unexpected column(s) &#x27;phone&#x27;" in html
    assert not ImportJob.objects.exists() and not Subscriber.objects.exists()


def test_it_shows_param_errors_beside_their_fields(client_alice):
    r = client_alice.post(UPLOAD, form("email\na@example.com\n", delim="ab"))
    assert r.status_code == 400
    html = r.content.decode()
    assert 'id="id_delim-error">must be a single character' in html
    r = client_alice.post(UPLOAD, form("email\na@example.com\n", mode="drop"))
    assert r.status_code == 400
    assert "Select a valid choice. drop is not one of" in r.content.decode()
    assert not ImportJob.objects.exists()


def test_it_accepts_a_typed_tab_delimiter(
    client_alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        r = client_alice.post(
            UPLOAD, form("email\tname\nt@example.com\tTee\n", delim=r"\t")
        )
    assert r.status_code == 302
    assert Subscriber.objects.get().name == "Tee"


def test_it_says_when_an_import_is_running(client_alice):
    ImportJob.objects.create(name="busy.csv", file_path="/x", status="importing")
    r = client_alice.post(UPLOAD, form("email\na@example.com\n"))
    assert r.status_code == 400
    assert "an import is already running" in r.content.decode()


def test_it_stops_a_running_import(client_alice):
    job = ImportJob.objects.create(name="busy.csv", file_path="/x", status="importing")
    page = client_alice.get(f"/subscribers/import/{job.id}").content.decode()
    assert 'id="stop-import"' in page and 'data-running="1"' in page
    r = client_alice.post(f"/subscribers/import/{job.id}/stop")
    assert r.status_code == 302
    job.refresh_from_db()
    assert job.status == "stopping"


def test_it_404s_for_unknown_jobs(client_alice):
    assert client_alice.get("/subscribers/import/999/status").status_code == 404


def test_confirmation_mails_are_an_explicit_choice_that_the_result_reports(
    client_alice, make_list, django_capture_on_commit_callbacks
):
    double = make_list("Double", optin="double")
    html = client_alice.get(UPLOAD).content.decode()
    assert 'name="send_confirmations"' in html and "import-rows" in html
    assert f'data-double-optin-lists="{double.id} "' in html

    with django_capture_on_commit_callbacks(execute=True):
        r = client_alice.post(
            UPLOAD,
            form("email\na@example.com\nb@example.com\n", lists=[double.id]),
        )
    job = ImportJob.objects.get()
    assert not job.send_confirmations
    page = client_alice.get(r["Location"]).content.decode()
    assert "No confirmation emails sent (not asked for)." in page

    job.delete()
    with django_capture_on_commit_callbacks(execute=True):
        r = client_alice.post(
            UPLOAD,
            form(
                "email\nc@example.com\nd@example.com\n",
                lists=[double.id],
                send_confirmations="on",
            ),
        )
    job = ImportJob.objects.get()
    assert (job.send_confirmations, job.confirmations) == (True, 2)
    page = client_alice.get(r["Location"]).content.decode()
    assert "2</span> confirmation emails queued." in page
