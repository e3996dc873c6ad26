"""Parse a subscriber CSV (listmonk's import format). Pure: bytes in, rows out; no ORM.

The file has a header row with an `email` column and optional `name` and
`attributes` (a JSON object) columns, in any order. Problems with the whole
file (encoding, columns, emptiness) raise CsvFileError; problems with one row
come back as RowError so the other rows can still be imported.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from stmails.lib.input_checks import InvalidInput, bad_character, loads_json

COLUMNS = ("email", "name", "attributes")
MODES = ("subscribe", "blocklist")
SUBSCRIPTION_STATUSES = ("unconfirmed", "confirmed", "unsubscribed")
MAX_EMAIL_LENGTH = 320
MAX_NAME_LENGTH = 500


class CsvFileError(Exception):
    """The file as a whole cannot be imported; the message is safe to show users."""


class ParamError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ImportParams:
    mode: str = "subscribe"
    subscription_status: str = "unconfirmed"
    overwrite: bool = False
    delim: str = ","
    list_ids: tuple[int, ...] = ()
    # stmails' addition, off as in listmonk (whose importer mails nobody).
    send_confirmations: bool = False


def parse_params(raw: object) -> ImportParams:
    """listmonk's import params {mode, subscription_status, delim, lists, overwrite}
    plus stmails' send_confirmations.

    Raises ParamError naming the field. Whether the lists exist is for the caller.
    """
    if not isinstance(raw, dict):
        raise ParamError("params", "must be a JSON object")
    mode = raw.get("mode") or "subscribe"
    if mode not in MODES:
        raise ParamError("mode", f"must be one of {', '.join(MODES)}")
    sub_status = raw.get("subscription_status") or "unconfirmed"
    if sub_status not in SUBSCRIPTION_STATUSES:
        raise ParamError(
            "subscription_status", f"must be one of {', '.join(SUBSCRIPTION_STATUSES)}"
        )
    overwrite = _flag(raw, "overwrite")
    send_confirmations = _flag(raw, "send_confirmations")
    delim = raw.get("delim")
    delim = "," if delim in (None, "") else delim
    if not isinstance(delim, str) or len(delim) != 1 or delim in ('"', "\r", "\n"):
        raise ParamError("delim", "must be a single character other than a quote")
    lists = raw.get("lists") or []
    if not isinstance(lists, list):
        raise ParamError("lists", "must be a list of list ids")
    ids = []
    for value in lists:
        try:
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise ValueError
            ids.append(int(value))
        except ValueError:
            raise ParamError("lists", f"invalid list id {value!r}") from None
    return ImportParams(
        mode,
        sub_status,
        overwrite,
        delim,
        tuple(dict.fromkeys(ids)),
        send_confirmations,
    )


def _flag(raw: dict, name: str) -> bool:
    value = raw.get(name, False)
    if isinstance(value, str) and value.lower() in ("true", "false", "on", ""):
        value = value.lower() in ("true", "on")
    if not isinstance(value, bool):
        raise ParamError(name, "must be true or false")
    return value


@dataclass(frozen=True)
class CsvRow:
    line: int
    email: str  # normalised: trimmed, domain lower-cased
    name: str
    attribs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RowError:
    line: int
    email: str
    reason: str


def _decoded_lines(stream: Iterable[bytes]) -> Iterator[str]:
    # Decode line by line so an encoding error names its line. A newline byte
    # never occurs inside a multi-byte UTF-8 sequence, so splitting first is safe.
    decoder = codecs.getincrementaldecoder("utf-8")()
    for number, raw in enumerate(stream, start=1):
        try:
            text = decoder.decode(raw)
        except UnicodeDecodeError:
            raise CsvFileError(
                f"line {number} is not valid UTF-8; save the file as UTF-8 and upload it again"
            ) from None
        if number == 1 and text.startswith("\ufeff"):
            text = text[1:]
        yield text


def _header(reader: Iterator[list[str]]) -> dict[str, int]:
    try:
        header = next(reader)
    except StopIteration:
        raise CsvFileError("the file is empty") from None
    names = [h.strip().lower() for h in header]
    unexpected = [h for h in names if h not in COLUMNS]
    if unexpected:
        raise CsvFileError(
            f"unexpected column(s) {', '.join(repr(h) for h in unexpected)}; "
            f"allowed columns are {', '.join(COLUMNS)}"
        )
    if "email" not in names:
        raise CsvFileError("the header row must have an 'email' column")
    duplicated = sorted({h for h in names if names.count(h) > 1})
    if duplicated:
        raise CsvFileError(f"column(s) {', '.join(duplicated)} appear more than once")
    return {name: i for i, name in enumerate(names)}


def normalise_email(raw: str) -> str:
    """Trim and lower-case the domain; raise ValueError when it is not an address."""
    email = raw.strip()
    if not email:
        raise ValueError("the email address is missing")
    if len(email) > MAX_EMAIL_LENGTH:
        raise ValueError("the email address is too long")
    try:
        validate_email(email)
    except ValidationError:
        raise ValueError("invalid email address") from None
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def _parse_row(
    line: int, values: list[str], columns: dict[str, int]
) -> CsvRow | RowError:
    def get(name: str) -> str:
        i = columns.get(name)
        return values[i] if i is not None and i < len(values) else ""

    raw_email = get("email").strip()
    for column, i in columns.items():
        problem = bad_character(values[i]) if i < len(values) else None
        if problem:
            # PostgreSQL cannot store it: one such row must not fail the whole import.
            shown = raw_email.replace("\x00", "") if column != "email" else ""
            return RowError(line, shown, f"{column} {problem}")
    if len(values) > len(columns):
        return RowError(
            line, raw_email, f"{len(values)} fields, but the header has {len(columns)}"
        )
    try:
        email = normalise_email(raw_email)
    except ValueError as e:
        return RowError(line, raw_email, str(e))
    name = get("name").strip() or email.split("@")[0]
    if len(name) > MAX_NAME_LENGTH:
        return RowError(
            line, email, f"the name is longer than {MAX_NAME_LENGTH} characters"
        )
    raw_attribs = get("attributes").strip()
    attribs: object = {}
    if raw_attribs:
        try:
            attribs = loads_json(raw_attribs, "attributes")
        except InvalidInput as e:
            if e.message.startswith("is not valid JSON"):
                return RowError(line, email, "attributes are not valid JSON")
            return RowError(line, email, f"attributes {e.message}")
        if not isinstance(attribs, dict):
            return RowError(line, email, "attributes must be a JSON object")
    return CsvRow(line, email, name, attribs)  # type: ignore[arg-type]


def parse_csv(
    stream: BinaryIO | Iterable[bytes], *, delim: str = ","
) -> Iterator[CsvRow | RowError]:
    """Yield a CsvRow or RowError per data row, in file order.

    Raises CsvFileError (possibly after some rows were yielded, for a bad
    encoding further down) when the file cannot be imported at all. Duplicate
    addresses (case-insensitive) after the first are reported as RowError.
    Line numbers count physical lines, the header being line 1.
    """
    if len(delim) != 1 or delim in ('"', "\r", "\n"):
        raise CsvFileError(
            "the delimiter must be a single character other than a quote"
        )
    reader = csv.reader(_decoded_lines(stream), delimiter=delim, strict=True)
    try:
        columns = _header(reader)
        seen: dict[str, int] = {}
        line = reader.line_num
        for values in reader:
            start, line = line + 1, reader.line_num
            if not any(v.strip() for v in values):
                continue  # blank line
            result = _parse_row(start, values, columns)
            if isinstance(result, CsvRow):
                key = result.email.lower()
                if key in seen:
                    result = RowError(
                        start, result.email, f"duplicate of line {seen[key]}"
                    )
                else:
                    seen[key] = start
            yield result
    except csv.Error as e:
        raise CsvFileError(f"line {reader.line_num}: malformed CSV ({e})") from None


def scan_csv(stream: BinaryIO | Iterable[bytes], *, delim: str = ",") -> int:
    """Check the whole file for file-level errors; return its number of data rows."""
    total = sum(1 for _ in parse_csv(stream, delim=delim))
    if total == 0:
        raise CsvFileError("the file has a header row but no subscribers")
    return total
