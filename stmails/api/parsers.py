"""DRF parsers for every API body: the checks of stmails.lib.input_checks, per field.

A body that fails answers 400 {"message": "<field>: ..."} before any view runs.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from stmails.lib.input_checks import InvalidInput, check_text, loads_json


def _check_form(data: QueryDict | MultiValueDict) -> None:
    for key, values in data.lists():
        check_text(key, key)
        for value in values:
            if isinstance(value, str):
                check_text(value, key)


class CheckedJSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise ParseError(f"the body is not valid {encoding}") from None
        try:
            # finite: 1e400 reads as infinity, which no JSON column stores
            # (SQLite answered it with an IntegrityError, a 500).
            return loads_json(text, finite=True)
        except InvalidInput as err:
            field = err.field or "body"
            raise ParseError(f"{field}: {err.message}") from None


class CheckedFormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None) -> QueryDict:
        data = super().parse(stream, media_type, parser_context)
        try:
            _check_form(data)
        except InvalidInput as err:
            raise ParseError(str(err)) from None
        return data


class CheckedMultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        try:
            _check_form(result.data)
        except InvalidInput as err:
            raise ParseError(str(err)) from None
        return result
