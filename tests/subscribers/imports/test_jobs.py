"""The import service: start (validation, enqueue), run (modes, batches), stop, cleanup."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from subscribers.imports import jobs
from subscribers.models import ImportJob, Subscriber, Subscription
from subscribers.services import SubscriberError

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _import_dir(settings, tmp_path):
    settings.STMAILS_IMPORT_DIR = tmp_path / "imports"


def csv_file(text: str | bytes, name: str = "people.csv") -> SimpleUploadedFile:
    data = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def run(text, capture, **params) -> ImportJob:
    """Start an import and let the (eager) task run on commit."""
    with capture(execute=True):
        job = jobs.start_import(csv_file(text), params)
    job.refresh_from_db()
    return job


def emails() -> set[str]:
    return set(Subscriber.objects.values_list("email", flat=True))


def test_it_subscribes_new_addresses_to_lists(
    make_list, django_capture_on_commit_callbacks
):
    news, promo = make_list("News"), make_list("Promo")
    job = run(
        'email,name,attributes\na@example.com,Anna,"{""city"":""Berlin""}"\nb@example.com,,\n',
        django_capture_on_commit_callbacks,
        lists=[news.id, promo.id],
        subscription_status="confirmed",
    )
    assert (job.status, job.total, job.imported, job.failed) == ("finished", 2, 2, 0)
    anna = Subscriber.objects.get(email="a@example.com")
    assert (anna.name, anna.attribs, anna.status) == (
        "Anna",
        {"city": "Berlin"},
        "enabled",
    )
    assert Subscriber.objects.get(email="b@example.com").name == "b"
    assert Subscription.objects.filter(status="confirmed").count() == 4
    assert "finished: imported 2" in job.log


def test_it_keeps_existing_subscribers_without_overwrite(
    make_list, make_subscriber, django_capture_on_commit_callbacks
):
    news = make_list()
    old = make_subscriber("Old@Example.com", name="Old name", attribs={"keep": 1})
    run(
        "email,name\nold@example.com,New name\n",
        django_capture_on_commit_callbacks,
        lists=[news.id],
    )
    old.refresh_from_db()
    assert (old.email, old.name, old.attribs) == (
        "Old@Example.com",
        "Old name",
        {"keep": 1},
    )
    assert Subscriber.objects.count() == 1
    assert Subscription.objects.get(subscriber=old).list_id == news.id


def test_it_overwrites_name_and_attributes_when_asked(
    make_subscriber, django_capture_on_commit_callbacks
):
    old = make_subscriber("old@example.com", name="Old", attribs={"a": 1})
    run(
        'email,name,attributes\nOLD@example.com,New,"{""b"":2}"\n',
        django_capture_on_commit_callbacks,
        overwrite=True,
    )
    old.refresh_from_db()
    assert (old.name, old.attribs) == ("New", {"b": 2})


def test_it_keeps_existing_membership_status(
    make_list, make_subscriber, django_capture_on_commit_callbacks
):
    news = make_list()
    sub = make_subscriber("m@example.com")
    Subscription.objects.create(subscriber=sub, list=news, status="unsubscribed")
    run(
        "email\nm@example.com\n",
        django_capture_on_commit_callbacks,
        lists=[news.id],
        subscription_status="confirmed",
        overwrite=True,
    )
    assert Subscription.objects.get(subscriber=sub).status == "unsubscribed"


def test_it_does_not_add_blocklisted_subscribers_to_lists(
    make_list, make_subscriber, django_capture_on_commit_callbacks
):
    news = make_list()
    make_subscriber("bl@example.com", status="blocklisted")
    run("email\nbl@example.com\n", django_capture_on_commit_callbacks, lists=[news.id])
    assert not Subscription.objects.exists()


def test_it_blocklists_new_and_existing_and_unsubscribes_them(
    make_list, make_subscriber, django_capture_on_commit_callbacks
):
    news = make_list()
    old = make_subscriber("old@example.com")
    Subscription.objects.create(subscriber=old, list=news, status="confirmed")
    job = run(
        "email\nold@example.com\nnew@example.com\n",
        django_capture_on_commit_callbacks,
        mode="blocklist",
        lists=[news.id],
    )
    assert job.status == "finished"
    assert set(Subscriber.objects.values_list("status", flat=True)) == {"blocklisted"}
    assert Subscription.objects.get(subscriber=old).status == "unsubscribed"
    new = Subscriber.objects.get(email="new@example.com")
    assert not Subscription.objects.filter(subscriber=new).exists()


def test_it_reports_row_errors_and_imports_the_rest(django_capture_on_commit_callbacks):
    text = "email,attributes\nok@example.com,{}\nbad,\nx@example.com,[1]\nOK@example.com,\n"
    job = run(text, django_capture_on_commit_callbacks)
    assert (job.total, job.imported, job.failed) == (4, 1, 3)
    assert emails() == {"ok@example.com"}
    assert [(e["line"], e["email"]) for e in job.errors] == [
        (3, "bad"),
        (4, "x@example.com"),
        (5, "OK@example.com"),
    ]
    report = "".join(jobs.error_report(job)).splitlines()
    assert report[0] == "line,email,error"
    assert report[3] == "5,OK@example.com,duplicate of line 2"


def test_it_imports_in_batches_with_progress(
    monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(jobs, "BATCH_SIZE", 3)
    rows = "".join(f"u{i}@example.com\n" for i in range(8))
    job = run("email\n" + rows, django_capture_on_commit_callbacks)
    assert (job.imported, job.total, job.percent) == (8, 8, 100)
    assert (
        job.log.count("imported ") == 3 + 1
    )  # three batches, then "finished: imported"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"mode": "nope"}, "mode"),
        ({"subscription_status": "maybe"}, "subscription_status"),
        ({"delim": ";;"}, "delim"),
        ({"overwrite": "yes please"}, "overwrite"),
        ({"lists": "1"}, "lists"),
        ({"lists": [999999]}, "lists"),
    ],
)
def test_it_rejects_bad_params_by_field(params, field):
    with pytest.raises(SubscriberError) as e:
        jobs.start_import(csv_file("email\na@example.com\n"), params)
    assert e.value.field == field
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"email,phone\na@example.com,1\n", "unexpected column"),
        (
            b"email\nok@example.com\nm\xfcller@example.com\n",
            "line 3 is not valid UTF-8",
        ),
        (b"", "empty"),
    ],
)
def test_it_fails_bad_files_up_front(content, message, settings):
    with pytest.raises(SubscriberError, match=message) as e:
        jobs.start_import(csv_file(content), {})
    assert e.value.field == "file"
    assert not ImportJob.objects.exists()
    assert not any(Path(settings.STMAILS_IMPORT_DIR).glob("*"))


def test_it_refuses_files_over_the_size_limit(settings):
    settings.STMAILS_MAX_UPLOAD_BYTES = 10
    with pytest.raises(SubscriberError, match="upload limit") as e:
        jobs.start_import(csv_file("email\nlong-enough@example.com\n"), {})
    assert e.value.field == "file"
    assert not ImportJob.objects.exists()


def test_it_refuses_a_second_import_while_one_runs():
    ImportJob.objects.create(name="busy", file_path="/nowhere", status="importing")
    with pytest.raises(SubscriberError) as e:
        jobs.start_import(csv_file("email\na@example.com\n"), {})
    assert e.value.status == 409


def test_it_enqueues_the_task_on_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = jobs.start_import(csv_file("email\na@example.com\n"), {})
    assert len(callbacks) == 1
    assert job.status == "queued"
    assert not Subscriber.objects.exists()


def test_it_stops_between_batches(monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(jobs, "BATCH_SIZE", 2)
    with django_capture_on_commit_callbacks(execute=False):
        job = jobs.start_import(
            csv_file("email\n" + "".join(f"s{i}@example.com\n" for i in range(6))), {}
        )
    real_write = jobs._write_batch

    def write_then_stop(job, items, lists):
        done = real_write(job, items, lists)
        jobs.stop_import()
        return done

    monkeypatch.setattr(jobs, "_write_batch", write_then_stop)
    job = jobs.run_import(job.id)
    assert (job.status, job.imported) == ("stopped", 2)
    assert Subscriber.objects.count() == 2
    assert "stop requested" in job.log


def test_it_stops_a_queued_job_before_it_starts(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        job = jobs.start_import(csv_file("email\na@example.com\n"), {})
    assert jobs.stop_import().status == "stopped"
    assert jobs.run_import(job.id).status == "stopped"
    assert not Subscriber.objects.exists()


def test_clear_dismisses_a_finished_job(django_capture_on_commit_callbacks):
    run("email\na@example.com\n", django_capture_on_commit_callbacks)
    assert jobs.stop_import(clear=True) is None
    assert jobs.latest_job() is None
    assert jobs.describe_job(None)["status"] == "none"


def test_it_fails_when_a_target_list_vanished(
    make_list, django_capture_on_commit_callbacks
):
    news = make_list()
    with django_capture_on_commit_callbacks(execute=False):
        job = jobs.start_import(
            csv_file("email\na@example.com\n"), {"lists": [news.id]}
        )
    news.delete()
    job = jobs.run_import(job.id)
    assert job.status == "failed"
    assert not Subscriber.objects.exists()


def test_it_cleans_stale_jobs_and_old_files(tmp_path):
    now = timezone.now()
    stale = ImportJob.objects.create(
        name="stale",
        file_path="x",
        status="importing",
        progress_at=now - timedelta(hours=2),
    )
    fresh = ImportJob.objects.create(
        name="fresh", file_path="y", status="importing", progress_at=now
    )
    upload = tmp_path / "old.csv"
    upload.write_text("email\n")
    old = ImportJob.objects.create(
        name="old",
        file_path=str(upload),
        status="finished",
        finished_at=now - timedelta(days=8),
    )
    assert jobs.clean_stale_imports(now) == 2
    stale.refresh_from_db(), fresh.refresh_from_db(), old.refresh_from_db()
    assert (stale.status, fresh.status) == ("failed", "importing")
    assert old.file_path == "" and not upload.exists()
    assert jobs.clean_stale_imports(now) == 0


def test_the_task_runs_the_import(django_capture_on_commit_callbacks):
    from subscribers import tasks

    with django_capture_on_commit_callbacks(execute=False):
        job = jobs.start_import(csv_file("email\nt@example.com\n"), {})
    assert tasks.run_import.apply(kwargs={"job_id": job.id}).get() == "finished"
    assert emails() == {"t@example.com"}
