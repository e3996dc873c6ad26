"""Defensive MIME helpers shared by the parsers: decoding, walking, field blocks.

Everything here tolerates what real mailboxes hold: unknown or lying charsets,
8-bit bytes in headers, payloads that are strings where lists were expected,
and broken boundaries (compat32 then leaves the body as one text payload).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from email.header import decode_header
from email.message import Message

from .budget import check_budget

# Linear-time HTML stripping: a tag may not contain '<', so a long run of '<'
# (or an unclosed "<br") is read once, not once per '<'.
_TAG_RE = re.compile(r"<[^<>]*>")
_BR_RE = re.compile(r"<(?:br|/p|/div|/tr|/li|p|div|tr|li)\b[^<>]*>", re.I)
_CODE_OPEN_RE = re.compile(r"<(script|style)\b", re.I)
_CODE_CLOSE_RE = {
    "script": re.compile(r"</script[^<>]*>", re.I),
    "style": re.compile(r"</style[^<>]*>", re.I),
}
_ENTITIES = {"&nbsp;": " ", "&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"'}
# A header or DSN field worth reading is short; beyond this it is noise (or an
# attack): every value is cut here before any pattern sees it.
MAX_FIELD = 2_000
MAX_HEADER = 4_000


def header_text(msg: Message, name: str) -> str | None:
    """A header value decoded to text (RFC 2047 words included), or None.

    Each encoded word is decoded on its own: an unknown charset or a broken
    word costs that word (read as UTF-8 with replacement), never the header.
    """
    value = msg.get(name)
    if value is None:
        return None
    value = str(value)[:MAX_HEADER]
    if "=?" not in value:
        return " ".join(value.split()) or None  # no encoded words: skip decoding
    try:
        chunks = decode_header(value)
    except Exception:  # noqa: BLE001 - a broken encoded word leaves the raw text
        chunks = [(value, None)]
    text = "".join(_chunk_text(data, charset) for data, charset in chunks)
    return " ".join(text.split()) or None


def _chunk_text(data: bytes | str, charset: str | None) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode(codecs.lookup(charset or "ascii").name, "replace")
    except Exception:  # noqa: BLE001 - unknown charset name, or a codec that raises
        return data.decode("utf-8", "replace")


def charset_of(part: Message) -> str:
    name = part.get_content_charset() or "utf-8"
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        # An unknown charset (or a name with a NUL in it): UTF-8 with
        # replacement keeps every ASCII byte readable.
        return "utf-8"


def part_text(part: Message) -> str:
    """The decoded text of a non-multipart part (never raises)."""
    try:
        raw = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - broken transfer encodings must not stop a scan
        raw = None
    if raw is None:
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    if not isinstance(raw, bytes):
        return str(raw)
    try:
        return raw.decode(charset_of(part), "replace")
    except Exception:  # noqa: BLE001 - some codecs raise on odd input despite "replace"
        return raw.decode("latin-1")


def html_to_text(html: str) -> str:
    text = _BR_RE.sub("\n", _drop_code(html))
    text = _TAG_RE.sub(" ", text)
    for entity, char in _ENTITIES.items():
        text = text.replace(entity, char)
    return text


def _drop_code(html: str) -> str:
    """The HTML without <script>/<style> elements; one forward pass.

    An element with no closing tag is left to be stripped as tags; once a
    closing tag is missing, later openers of that name are not searched again
    (each search would read to the end).
    """
    out: list[str] = []
    pos = search = 0
    unclosed: set[str] = set()
    while (m := _CODE_OPEN_RE.search(html, search)) is not None:
        name = m.group(1).lower()
        close = None if name in unclosed else _CODE_CLOSE_RE[name].search(html, m.end())
        if close is None:
            unclosed.add(name)
            search = m.end()
            continue
        out.append(html[pos : m.start()])
        pos = search = close.end()
    out.append(html[pos:])
    return " ".join(out)


def notification_parts(msg: Message) -> Iterator[Message]:
    """Leaf parts of the bounce itself, not descending into returned messages."""
    stack = [msg]  # depth first, in document order: children pushed reversed
    while stack:
        check_budget()
        part = stack.pop()
        ctype = part.get_content_type()
        if part.is_multipart():
            # Only a multipart's payload is read here: a leaf's get_payload()
            # decodes by its charset parameter, which may be any bytes at all.
            if ctype.startswith("message/"):
                continue  # the returned original (or a report block list)
            payload = part.get_payload()
            stack.extend(reversed([p for p in payload if isinstance(p, Message)]))
        else:
            yield part


def notification_text(msg: Message) -> str:
    """The human-readable text of the bounce: text/plain parts, else text/html."""
    plain: list[str] = []
    html: list[str] = []
    for part in notification_parts(msg):
        # "Content-Type: text/plain" folded onto "charset=..." with no ";" reads
        # as one odd type: its first word is the type.
        ctype = (part.get_content_type().split() or [""])[0]
        if ctype == "text/plain" or (ctype == "text/enriched"):
            plain.append(part_text(part))
        elif ctype == "text/html":
            html.append(part_text(part))
    if plain and any(t.strip() for t in plain):
        return "\n".join(plain)
    return "\n".join(html_to_text(h) for h in html)


def field_blocks(part: Message) -> list[dict[str, str]]:
    """The header blocks of a message/delivery-status or message/feedback-report part.

    Keys are lower-cased; continuation lines are unfolded. compat32 gives a list
    of Message objects for delivery-status and one Message for feedback-report;
    a part built oddly or with a broken structure gives a string: parse that.
    """
    payload = part.get_payload()
    if (
        isinstance(payload, list)
        and payload
        and all(isinstance(p, Message) for p in payload)
    ):
        blocks = []
        for block in payload:
            blocks.extend(
                _split_recipients(
                    (k.lower(), " ".join(str(v)[:MAX_FIELD].split()))
                    for k, v in block.items()
                )
            )
            # A feedback-report parsed as one message keeps later blocks in its body.
            rest = block.get_payload()
            if isinstance(rest, str) and rest.strip():
                blocks.extend(parse_blocks(rest))
        return [b for b in blocks if b]
    return parse_blocks(part_text(part))


# A second one of these in a block starts the next recipient: AOL writes all its
# recipients in one block, with no blank line between them.
_RECIPIENT_FIELDS = frozenset({"final-recipient", "original-recipient"})


def _split_recipients(fields: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for name, value in fields:
        if name in _RECIPIENT_FIELDS and name in current:
            blocks.append(current)
            current = {}
        current.setdefault(name, value)
    blocks.append(current)
    return blocks


def parse_blocks(text: str) -> list[dict[str, str]]:
    """Parse "Name: value" blocks separated by blank lines."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last: str | None = None
    for n, line in enumerate(text.splitlines()):
        if not n % 1024:
            check_budget()
        if not line.strip():
            if current:
                blocks.append(current)
            current, last = {}, None
        elif line[0] in " \t" and last:
            # Values are capped: appending to a huge folded field would copy it
            # once per continuation line.
            if len(current[last]) < MAX_FIELD:
                current[last] += " " + line.strip()[:MAX_FIELD]
        elif ":" in line:
            name, _, value = line.partition(":")
            last = name.strip().lower()[:100]
            if last in _RECIPIENT_FIELDS and last in current:
                blocks.append(current)  # recipients not parted by a blank line
                current = {}
            current.setdefault(last, value.strip()[:MAX_FIELD])
    if current:
        blocks.append(current)
    return blocks


# The standard library reads a Content-Type/-Disposition's parameters in time
# quadratic in their number (email.message._parseparam): a header of 55,000 ';'
# took 3 s of CPU. Runs of separators (';', blanks) are squeezed to one ';' and
# such a header, folded lines included, is cut at MAX_PARAM_HEADER bytes (a real
# one, boundary and charset included, is < 300).
MAX_PARAM_HEADER = 2_000
_SEMICOLON_RUN_RE = re.compile(rb";[; \t]{30,}")
_PARAM_HEADER_RE = re.compile(
    rb"^content-(?:type|disposition)[ \t]{0,8}:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*",
    re.I | re.M,
)


def bounded_params(data: bytes) -> bytes:
    """The raw message with its parameter headers made cheap to read (see above)."""
    data = _SEMICOLON_RUN_RE.sub(b";", data)
    return _PARAM_HEADER_RE.sub(lambda m: m.group(0)[:MAX_PARAM_HEADER], data)
