"""Files of a /api/tx multipart request (listmonk's `file` fields), checked
before anything is stored.

The client's filename is reduced to a safe base name (no directories, no
control or shell-special characters) and the content type is guessed from it:
both go into the MIME part only, never into a path, and the client's declared
type is ignored. Caps (per file and per request) keep the message within what
SMTP servers take after base64 (about 4/3 the size): 5 MiB a file, 10 MiB in
all; over them the request is refused with 400 naming `file`.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from campaigns.services import CampaignError

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_TOTAL_BYTES = 10 * 1024 * 1024
MAX_FILES = 20
# Room for the JSON `data` field and the multipart framing around the files:
# a body longer than MAX_TOTAL_BYTES + this is refused before it is read.
FORM_OVERHEAD_BYTES = 1024 * 1024
MAX_NAME_CHARS = 100
_UNSAFE = re.compile(r"[^\w.\-+() ]")


class UploadedFile(Protocol):
    name: str | None
    size: int | None

    def read(self, size: int = -1) -> bytes: ...


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


def safe_filename(raw: str | None) -> str:
    """A base name fit for a Content-Disposition filename: the last path part,
    NFC-normalised, unsafe characters replaced, no leading dots, bounded."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("_", name).strip(" .")
    if len(name) > MAX_NAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: MAX_NAME_CHARS - len(ext) - 1] + "." + ext
        else:
            name = name[:MAX_NAME_CHARS]
    return name or "attachment"


def guess_type(filename: str) -> str:
    content_type, encoding = mimetypes.guess_type(filename, strict=False)
    # A compressed file (x.tar.gz) is sent as what it is: the archive bytes.
    if content_type is None or encoding is not None or "/" not in content_type:
        return "application/octet-stream"
    return content_type


def check_request_size(content_length: str | None) -> None:
    """Refuse a body too large to hold allowed attachments, before it is read."""
    try:
        length = int(content_length or 0)
    except ValueError:
        return
    if length > MAX_TOTAL_BYTES + FORM_OVERHEAD_BYTES:
        raise CampaignError(
            "file", f"attachments may total at most {_mib(MAX_TOTAL_BYTES)}"
        )


def read_attachments(files: Iterable[UploadedFile]) -> list[Attachment]:
    out: list[Attachment] = []
    total = 0
    for upload in files:
        if len(out) >= MAX_FILES:
            raise CampaignError("file", f"at most {MAX_FILES} files")
        filename = safe_filename(upload.name)
        # Read one byte past the cap: the declared size is the client's word.
        data = upload.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise CampaignError(
                "file", f"{filename} is larger than {_mib(MAX_FILE_BYTES)}"
            )
        total += len(data)
        if total > MAX_TOTAL_BYTES:
            raise CampaignError(
                "file", f"attachments may total at most {_mib(MAX_TOTAL_BYTES)}"
            )
        out.append(Attachment(filename, guess_type(filename), data))
    return out


def _mib(n: int) -> str:
    mib = 1024 * 1024
    return f"{n // mib} MiB" if n % mib == 0 else f"{n} bytes"
