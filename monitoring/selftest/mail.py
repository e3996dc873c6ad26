"""What the probe looks for in a mail it reads back (pure: no ORM, no network).

- `is_probe_mail`: one run's mail among the others in the mailbox, by any of
  its Message-ID, its token (plus tag of the address, subject, X-Stmails-Probe)
  or an identifying header, so a mail whose headers were rewritten is still
  found and reported, not mistaken for one that never arrived.
- `compare_headers`: per header sent, intact / changed / missing.
- `find_confirm_link` and `parse_confirm_form`: the confirmation link and the
  form on its page, as a person sees them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin

PROBE_HEADER = "X-Stmails-Probe"
# The probe address's plus tag: probe+stp<token>@example.com.
TAG_PREFIX = "stp"
# Headers a forwarding server may set to the original recipient.
RECIPIENT_HEADERS = ("To", "Delivered-To", "X-Original-To", "Envelope-To")

INTACT, CHANGED, MISSING = "intact", "changed", "missing"
URL = re.compile(r"https?://[^\s<>\"'()]+")
VOID_TAGS = frozenset(("br", "hr", "img", "input", "meta", "link", "wbr"))


def tagged_address(address: str, token: str) -> str:
    """address+stp<token>; an address that has a plus tag already is kept."""
    local, _, domain = address.rpartition("@")
    if "+" in local:
        return address
    return f"{local}+{TAG_PREFIX}{token}@{domain}"


def _norm(value: object) -> str:
    # Unfolded, whitespace collapsed: a refolded header is still intact.
    return " ".join(str(value).split())


@dataclass(frozen=True)
class Wanted:
    """How to recognise one run's mail."""

    token: str
    message_id: str = ""
    # Header values only this run's mail has (X-Stmails-Subscriber of the probe).
    headers: dict[str, str] = field(default_factory=dict)


def is_probe_mail(msg: Message, wanted: Wanted) -> bool:
    token = wanted.token.lower()
    if wanted.message_id and _norm(msg.get("Message-ID", "")) == wanted.message_id:
        return True
    if _norm(msg.get(PROBE_HEADER, "")) == wanted.token:
        return True
    for name in (*RECIPIENT_HEADERS, "Subject"):
        if any(token in str(v).lower() for v in msg.get_all(name) or []):
            return True
    return any(
        value and _norm(msg.get(name, "")) == value
        for name, value in wanted.headers.items()
    )


def compare_headers(sent: dict[str, str], msg: Message) -> list[dict]:
    """[{name, sent, received, state}] for every header sent, in order."""
    report = []
    for name, value in sent.items():
        received = msg.get_all(name)
        if not received:
            state, got = MISSING, ""
        else:
            got = _norm(received[0])
            # A header added twice on the way: intact if one copy is ours.
            ours = any(_norm(r) == _norm(value) for r in received)
            state = INTACT if ours else CHANGED
            if ours:
                got = _norm(value)
        report.append(
            {"name": name, "sent": _norm(value), "received": got, "state": state}
        )
    return report


def describe_headers(report: list[dict]) -> str:
    """One readable line: what came back intact and what did not."""
    bad = []
    for entry in report:
        if entry["state"] == MISSING:
            bad.append(f"{entry['name']} missing")
        elif entry["state"] == CHANGED:
            bad.append(
                f"{entry['name']} changed (sent {entry['sent']!r}, "
                f"received {entry['received']!r})"
            )
    if not bad:
        names = ", ".join(e["name"] for e in report)
        return f"all {len(report)} intact: {names}"
    return "; ".join(bad)


def body_text(msg: Message) -> str:
    """The text/plain parts (else the HTML ones), decoded."""
    parts: dict[str, list[str]] = {"plain": [], "html": []}
    for sub in msg.walk():
        kind = sub.get_content_subtype()
        if sub.get_content_maintype() == "text" and kind in parts:
            payload = sub.get_payload(decode=True) or b""
            charset = sub.get_content_charset() or "utf-8"
            try:
                parts[kind].append(payload.decode(charset, "replace"))
            except LookupError:  # an unknown charset name
                parts[kind].append(payload.decode("utf-8", "replace"))
    return "\n".join(parts["plain"] or parts["html"])


def find_confirm_link(msg: Message, path: str) -> str | None:
    """The first URL in the body whose path contains `path` (/subscription/optin/)."""
    for url in URL.findall(body_text(msg)):
        if path in url:
            return url.rstrip(".,;")
    return None


@dataclass(frozen=True)
class ConfirmForm:
    action: str
    fields: list[tuple[str, str]]

    def encoded(self) -> bytes:
        return urlencode(self.fields).encode()


class _FormParser(HTMLParser):
    """The first POST form with a submit button, and the page's alert texts."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._alert_depth = 0
        self.alerts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._form = {"action": a.get("action", ""), "fields": [], "submit": None}
            self._form["id"] = a.get("id", "")
        elif tag == "input" and self._form is not None and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind == "submit":
                self._form["submit"] = self._form["submit"] or (
                    a["name"],
                    a.get("value", ""),
                )
            elif kind == "hidden":
                self._form["fields"].append((a["name"], a.get("value", "")))
        elif tag == "button" and self._form is not None:
            if (
                a.get("type", "submit").lower() == "submit"
                and self._form["submit"] is None
            ):
                self._form["submit"] = (a.get("name", ""), a.get("value", ""))
        if "alert" in a.get("class", "").split():
            self._alert_depth = 1
            self.alerts.append("")
        elif self._alert_depth and tag not in VOID_TAGS:
            self._alert_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None
        if self._alert_depth and tag not in VOID_TAGS:
            self._alert_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._alert_depth and self.alerts:
            self.alerts[-1] += data


def parse_confirm_form(html: str, page_url: str) -> ConfirmForm | None:
    """The confirm button's form (id optin-form, or a POST form whose button is
    named "confirm") as a browser would send it; None when the page has none.
    Never another form: the probe must not press just any button."""
    parser = _FormParser()
    parser.feed(html)
    forms = [
        f
        for f in parser.forms
        if f["submit"] is not None
        and (f["id"] == "optin-form" or f["submit"][0] == "confirm")
    ]
    if not forms:
        return None
    form = forms[0]
    fields = list(form["fields"])
    name, value = form["submit"]
    if name:
        fields.append((name, value))
    return ConfirmForm(urljoin(page_url, form["action"] or page_url), fields)


def page_alerts(html: str) -> str:
    """The page's alert texts (what it tells the person), for a failure detail."""
    parser = _FormParser()
    parser.feed(html)
    return " ".join(_norm(a) for a in parser.alerts if a.strip())
