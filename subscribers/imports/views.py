"""The import pages (upload, progress, error report) and the CSV export, for admins."""

from __future__ import annotations

from django import forms
from django.http import HttpResponseBadRequest, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from subscribers.exports import export_params, export_subscribers
from subscribers.imports import jobs
from subscribers.models import ImportJob, MailingList, Subscription
from subscribers.services import SubscriberError

# The progress page lists this many row errors; the CSV report has them all.
ERRORS_SHOWN = 500


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file", help_text="Columns: email, name, attributes (JSON)."
    )
    mode = forms.ChoiceField(
        choices=ImportJob.Mode.choices,
        initial=ImportJob.Mode.SUBSCRIBE,
        widget=forms.RadioSelect,
    )
    subscription_status = forms.ChoiceField(
        choices=Subscription.Status.choices, initial=Subscription.Status.UNCONFIRMED
    )
    lists = forms.ModelMultipleChoiceField(
        queryset=MailingList.objects.visible(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    overwrite = forms.BooleanField(
        required=False,
        help_text="Replace the name and attributes of existing subscribers.",
    )
    send_confirmations = forms.BooleanField(
        label="Send confirmation emails",
        required=False,
        help_text=(
            "Mail each new unconfirmed member of a double opt-in list a "
            "confirmation link: one mail per such subscriber. Off: nobody is "
            "mailed, as in listmonk."
        ),
        widget=forms.CheckboxInput(attrs={"data-rows-count": "import-rows"}),
    )
    delim = forms.CharField(
        label="Delimiter",
        initial=",",
        max_length=2,
        strip=False,
        help_text=r"One character; \t for tab.",
    )

    def clean_delim(self) -> str:
        value = self.cleaned_data["delim"]
        return "\t" if value == r"\t" else value

    def import_params(self) -> dict:
        data = self.cleaned_data
        return {
            "mode": data["mode"],
            "subscription_status": data["subscription_status"],
            "lists": [lst.id for lst in data["lists"]],
            "overwrite": data["overwrite"],
            "send_confirmations": data["send_confirmations"],
            "delim": data["delim"],
        }


@require_http_methods(["GET", "POST"])
def upload(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = jobs.start_import(form.cleaned_data["file"], form.import_params())
        except SubscriberError as e:
            form.add_error(e.field if e.field in form.fields else None, e.message)
        else:
            return redirect("imports:progress", job_id=job.id)
    context = {"form": form, "job": jobs.latest_job(), "nav": "import"}
    return render(
        request, "subscribers/import.html", context, status=400 if form.errors else 200
    )


@require_GET
def progress(request, job_id: int):
    job = get_object_or_404(ImportJob, pk=job_id)
    context = {"job": job, "errors": job.errors[:ERRORS_SHOWN], "nav": "import"}
    return render(request, "subscribers/import_progress.html", context)


@require_GET
def status(request, job_id: int):
    job = get_object_or_404(ImportJob, pk=job_id)
    return JsonResponse(
        {**jobs.describe_job(job), "state": job.status, "running": job.is_running}
    )


@require_POST
def stop(request, job_id: int):
    get_object_or_404(ImportJob, pk=job_id)
    jobs.stop_import()
    return redirect("imports:progress", job_id=job_id)


@require_GET
def errors_csv(request, job_id: int):
    job = get_object_or_404(ImportJob, pk=job_id)
    response = StreamingHttpResponse(
        jobs.error_report(job), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="import-{job.id}-errors.csv"'
    )
    return response


@require_GET
def export(request):
    try:
        chunks = export_subscribers(export_params(request.GET))
    except SubscriberError as e:
        return HttpResponseBadRequest(str(e), content_type="text/plain")
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="subscribers.csv"'
    return response
