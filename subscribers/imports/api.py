"""listmonk's import API (/api/import/subscribers) and /api/subscribers/export."""

from __future__ import annotations

from django.http import HttpResponse, StreamingHttpResponse
from rest_framework.response import Response
from rest_framework.views import APIView

from stmails.api.errors import BadRequest
from stmails.lib.input_checks import loads_json
from subscribers.exports import export_params, export_subscribers
from subscribers.imports import jobs
from subscribers.services import SubscriberError


def _error(e: SubscriberError) -> Response:
    return Response({"message": str(e)}, status=e.status)


class ImportSubscribersView(APIView):
    def get(self, request):
        return Response({"data": jobs.describe_job(jobs.latest_job())})

    def post(self, request):
        if not hasattr(request.data, "get"):
            raise BadRequest("", "send multipart/form-data with file and params")
        raw = request.data.get("params") or "{}"
        if not isinstance(raw, str | dict):
            raise BadRequest("params", "must be a JSON object")
        params = loads_json(raw, "params") if isinstance(raw, str) else raw
        try:
            job = jobs.start_import(request.FILES.get("file"), params)
        except SubscriberError as e:
            return _error(e)
        return Response({"data": jobs.describe_job(job)})

    def delete(self, request):
        return Response({"data": jobs.describe_job(jobs.stop_import(clear=True))})


class ImportLogsView(APIView):
    def get(self, request):
        job = jobs.latest_job()
        return Response({"data": job.log if job else ""})


class ImportErrorsView(APIView):
    """stmails' extra: the latest import's per-row error report as CSV."""

    openapi_success_media_type = "text/csv"

    def get(self, request):
        job = jobs.latest_job()
        body = "".join(jobs.error_report(job)) if job else "line,email,error\r\n"
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="import-errors.csv"'
        return response


class ExportSubscribersView(APIView):
    openapi_success_media_type = "text/csv"

    def get(self, request):
        try:
            chunks = export_subscribers(export_params(request.query_params))
        except SubscriberError as e:
            return _error(e)
        response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="subscribers.csv"'
        return response
