"""The settings reference page (docs/settings.md), generated from the registry.

`manage.py settings_reference` writes the page; `--check` fails when the
committed page differs from what the registry generates, and so does
tests/stmails/test_settings_reference.py. Edit a key's label or help where it
is declared (its app's settings_keys.py), never the page.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings

from stmails.config.keys import REGISTRY, WHOLE_VALUE, Key
from stmails.config.listmonk_keys import LISTMONK_KEYS, SMTP_FIELDS

PAGE = Path(settings.BASE_DIR) / "docs" / "settings.md"
# Where each section is edited in the UI; a section missing here shows its slug.
SECTION_TITLES = {
    "general": "Settings → General",
    "smtp": "Settings → SMTP",
    "performance": "Settings → Sending",
    "privacy": "Settings → Privacy",
    "logging": "Settings → Logging",
    "metrics": "Settings → Metrics",
    "alerts": "Settings → Alerts",
    "bounces": "Settings → Bounces",
    "bounce_mailboxes": "Settings → Bounces → Mailboxes",
    "bounce_providers": "Settings → Bounces → Provider webhooks",
    "probe": "Settings → Self-test",
    "deliverability": "Deliverability",
}
# Defaults longer than this go in a code block under the key.
INLINE_DEFAULT = 60

HEADER = """\
# Settings reference

<!-- Generated from the settings registry by `manage.py settings_reference`:
     edit the keys (each app's settings_keys.py), not this page. -->

Every key stored in the database, as `GET /api/settings` lists it and
`PUT /api/settings` takes it (listmonk's names where listmonk has them), grouped
by the Settings page that edits it. Secrets are encrypted at rest and masked
on read; a masked value sent back means "unchanged". Environment variables are
on [Configuration](configuration.md).
"""


def _default(key: Key) -> list[str]:
    if key.default_doc:
        return [f"- Default: {key.default_doc}"]
    text = json.dumps(key.default, ensure_ascii=False)
    if len(text) <= INLINE_DEFAULT:
        return [f"- Default: `{text}`"]
    block = json.dumps(key.default, ensure_ascii=False, indent=2)
    return ["- Default: below", "", "```json", *block.splitlines(), "```"]


def _secret(key: Key) -> list[str]:
    if not key.secret:
        return []
    if key.secret == WHOLE_VALUE:
        what = "the value"
    else:
        what = ", ".join(f"`{name}`" for name in key.secret)
    lines = [f"- Secret: {what} (encrypted, masked on read)"]
    if key.bound_to:
        tied = ", ".join(f"`{name}`" for name in key.bound_to)
        lines.append(
            f"- A masked secret is kept only while these are unchanged: {tied}"
        )
    return lines


def _key(key: Key) -> list[str]:
    lines = [f"### `{key.name}`", ""]
    label = key.label if key.label.endswith((".", "?")) else f"{key.label}."
    text = " ".join(part for part in (label if key.label else "", key.help) if part)
    if text:
        lines += [text, ""]
    lines += _secret(key)
    if key.outbound_url:
        lines.append(
            "- A URL stmails sends requests to: API users may change it only "
            "when `STMAILS_API_USERS_SET_URLS` is on"
        )
    # Last: a long default is a code block after the list.
    return [*lines, *_default(key), ""]


LISTMONK_HEADER = """\
## listmonk settings

A settings map exported from listmonk (or sent by a listmonk client) works
unchanged: `PUT /api/settings` with every key answers 200. The keys stmails
implements take effect, validated as above (a bad value is a 400 naming the
key); the others are stored as sent, given back by `GET /api/settings`, and
named in the answer's `unused_keys`. In stored-only values, fields whose name
ends in `password`, `key`, `secret` or `token` are encrypted and masked like
the credentials above. A key that a later stmails version implements takes
effect with its stored value after `manage.py migrate`. An unknown key in one
of stmails' own namespaces (`alerts.`, `probe.`, `campaign.`...) is still
refused: there it can only be a typo.
"""


def _listmonk_section() -> list[str]:
    used = [k for k in LISTMONK_KEYS if k in REGISTRY]
    stored = [k for k in LISTMONK_KEYS if k not in REGISTRY]
    lines = [LISTMONK_HEADER, f"Take effect ({len(used)}):", ""]
    lines += [f"- [`{k}`](#{_anchor(k)})" for k in used]
    lines += ["", f"Stored only ({len(stored)}):", ""]
    lines += [f"- `{k}`" for k in stored]
    lines += ["", "listmonk's fields of each `smtp` server:", ""]
    lines += [f"- `{name}`: {text}" for name, text in SMTP_FIELDS.items()]
    return [*lines, ""]


def _anchor(name: str) -> str:
    # MkDocs' heading ids: lower case, punctuation dropped (dots too).
    return "".join(c for c in name.lower() if c.isalnum() or c in "_-")


def render_reference() -> str:
    """The page for the keys registered now, in registration order per section."""
    sections: dict[str, list[Key]] = {}
    for key in REGISTRY.values():
        sections.setdefault(key.section, []).append(key)
    lines = [HEADER]
    for section, keys in sections.items():
        lines += [f"## {SECTION_TITLES.get(section, section)}", ""]
        for key in keys:
            lines += _key(key)
    lines += _listmonk_section()
    return "\n".join(lines).rstrip() + "\n"
