"""Keep secrets out of log lines: the access log and the application's logs.

Providers put credentials in URLs (Azure Event Grid delivers to `?code=<secret>`
on every event, others take `?token=` or `?key=`), and gunicorn's access log
writes the whole request line. Two rules, applied to every line:

- the value of any query parameter whose name says "secret" (code, key, token,
  secret, signature, password, api_key, ...) becomes [redacted];
- any configured secret (provider webhook keys, custom endpoint secrets, the
  metrics token: every settings key registered as secret) is replaced wherever
  it appears, also URL-encoded. runtime_logging refreshes that list with the
  log settings (every few seconds), so a new secret is covered without restart.

No Django import here: gunicorn's master loads this (stmails.gunicorn_logging)
before the application.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

REDACTED = "[redacted]"
# Shorter configured values are left alone: replacing "abc" everywhere would
# garble lines and tell a reader more than it hides.
MIN_SECRET_LENGTH = 6

# Parameter names that say "secret" (names, not secrets: hence the noqa).
_SECRET_WORDS = r"token|secret|passw(?:or)?d|signature|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credential|session[_-]?id"  # noqa: S105, E501
SECRET_PARAMETER = re.compile(
    r"(?P<name>[?&;]"
    r"(?:[\w.\-\[\]%]*?(?:" + _SECRET_WORDS + r")[\w.\-\[\]%]*"
    r"|code|key|sig|auth|pass|pwd|pw|x-functions-key)"
    r"=)"
    r"(?P<value>[^&;\s\"'#<>]+)",
    re.IGNORECASE,
)

# One alternation of every configured secret (longest first): a single scan
# per line, where a loop of `in` tests cost about twenty times as much.
_secret_pattern: re.Pattern[str] | None = None
# Attributes every LogRecord has; others came from `extra=` and are redacted too.
_RECORD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
}


def remember_secrets(values: Iterable[str]) -> None:
    """The configured secrets to hide (their URL-encoded forms too), longest first."""
    global _secret_pattern
    forms: set[str] = set()
    for value in values:
        if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH:
            forms.update({value, quote(value, safe=""), quote_plus(value)})
    ordered = sorted(forms, key=len, reverse=True)
    _secret_pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None


def redact(text: str) -> str:
    """The text with secret query parameters and configured secrets hidden."""
    if "=" in text and ("?" in text or "&" in text or ";" in text):
        text = SECRET_PARAMETER.sub(lambda m: m.group("name") + REDACTED, text)
    if _secret_pattern is not None:
        text = _secret_pattern.sub(REDACTED, text)
    return text


class RedactSecretsFilter(logging.Filter):
    """Rewrites a record's message, extras and traceback through `redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 (a bad format string is the formatter's to report)
            return True
        # Formatted once here; the formatter then has nothing left to merge.
        record.msg, record.args = redact(message), ()
        fields = vars(record)
        for name in fields.keys() - _RECORD_FIELDS:  # extras, if any
            if isinstance(fields[name], str):
                fields[name] = redact(fields[name])
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
