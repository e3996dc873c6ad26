"""Bounce mailboxes over POP3 (stdlib poplib) and IMAP (imapclient): only moves bytes.

`open_mailbox(box)` connects as one `bounce.mailboxes` item says (TLS none,
STARTTLS or TLS; skip verify) and returns a client that lists message keys,
fetches raw bytes in batches and deletes, moves or flags messages. Keys are the
POP3 UIDL or "<UIDVALIDITY>:<UID>" for IMAP, stable across sessions.

Errors are MailboxError with the server's own words ("-ERR [AUTH] Authentication
failed.") or the network/TLS failure; the password never appears in them.
"""

from __future__ import annotations

import imaplib
import poplib
import socket
import ssl
from collections.abc import Iterator
from typing import Any

import imapclient
from imapclient.exceptions import IMAPClientError

# poplib refuses lines over 2,048 bytes; real bounces (HTML parts, long headers)
# have longer ones. Messages are capped by size instead (see fetch).
POP3_MAX_LINE = 1_000_000
# A message larger than this is read only up to it: bounce data sits at the top.
FETCH_CAP = 2 * 1024 * 1024


class MailboxError(Exception):
    """The server's exact error (or the connection failure), safe to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    value = str(value)
    # imapclient's LoginError carries the repr of the server's bytes: b'[AUTH...]'.
    if len(value) > 3 and value[:2] in ("b'", 'b"') and value[-1] == value[1]:
        value = value[2:-1]
    return " ".join(value.split())


def describe(exc: BaseException, host: str, port: int) -> str:
    if isinstance(exc, MailboxError):
        return exc.message
    if isinstance(exc, poplib.error_proto):
        return _text(exc.args[0] if exc.args else exc)
    if isinstance(exc, IMAPClientError | imaplib.IMAP4.error):
        return _text(exc.args[0] if exc.args else exc)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate verification failed: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or exc}"
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"timed out talking to {host}:{port}"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve host {host!r}: {exc.strerror}"
    if isinstance(exc, ConnectionRefusedError):
        return f"cannot connect to {host}:{port}: {exc.strerror or exc}"
    if isinstance(exc, OSError):
        return f"connection to {host}:{port} failed: {exc.strerror or exc}"
    return _text(exc)


def tls_context(box: dict) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if box.get("tls_skip_verify"):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class _LongLines:
    def _getline(self):  # type: ignore[no-untyped-def]
        line = self.file.readline(POP3_MAX_LINE + 1)
        if len(line) > POP3_MAX_LINE:
            raise poplib.error_proto("line too long")
        if not line:
            raise poplib.error_proto("-ERR EOF")
        octets = len(line)
        if line[-2:] == b"\r\n":
            return line[:-2], octets
        if line[:1] == b"\r":
            return line[1:-1], octets
        return line[:-1], octets


class _POP3(_LongLines, poplib.POP3):
    pass


class _POP3_SSL(_LongLines, poplib.POP3_SSL):
    pass


class MailboxClient:
    """One session. `finish()` applies deletions (POP3 QUIT); `abort()` drops them."""

    host: str
    port: int

    def count(self) -> int:
        raise NotImplementedError

    def keys(self) -> list[str]:
        raise NotImplementedError

    def fetch(self, keys: list[str]) -> Iterator[tuple[str, bytes]]:
        raise NotImplementedError

    def delete(self, keys: list[str]) -> None:
        raise NotImplementedError

    def move(self, keys: list[str], folder: str) -> None:
        raise MailboxError("moving messages needs IMAP")

    def flag_seen(self, keys: list[str]) -> None:
        raise MailboxError("flagging messages needs IMAP")

    def finish(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError

    def _call(self, fn, *args):  # type: ignore[no-untyped-def]
        try:
            return fn(*args)
        except (poplib.error_proto, IMAPClientError, imaplib.IMAP4.error, OSError) as e:
            raise MailboxError(describe(e, self.host, self.port)) from None


class Pop3Client(MailboxClient):
    def __init__(self, box: dict, timeout: float):
        self.host, self.port = box["host"], int(box["port"])
        self.conn: poplib.POP3 | None = None
        self._numbers: dict[str, int] = {}
        self._sizes: dict[int, int] = {}
        try:
            if box["tls_type"] == "TLS":
                self.conn = _POP3_SSL(
                    self.host, self.port, timeout=timeout, context=tls_context(box)
                )
            else:
                self.conn = _POP3(self.host, self.port, timeout=timeout)
                if box["tls_type"] == "STARTTLS":
                    self.conn.stls(context=tls_context(box))
            if box.get("auth_protocol", "userpass") != "none":
                self.conn.user(box.get("username", ""))
                self.conn.pass_(box.get("password", ""))
        except (poplib.error_proto, OSError) as e:
            self.abort()
            raise MailboxError(describe(e, self.host, self.port)) from None

    def count(self) -> int:
        return int(self._call(self.conn.stat)[0])

    def keys(self) -> list[str]:
        _, lines, _ = self._call(self.conn.uidl)
        _, sizes, _ = self._call(self.conn.list)
        self._numbers, self._sizes = {}, {}
        for line in lines:
            num, uid = line.decode("ascii", "replace").split(" ", 1)
            self._numbers[uid.strip()] = int(num)
        for line in sizes:
            num, size = line.split()[:2]
            self._sizes[int(num)] = int(size)
        return list(self._numbers)

    def fetch(self, keys: list[str]) -> Iterator[tuple[str, bytes]]:
        for key in keys:
            num = self._numbers[key]
            if self._sizes.get(num, 0) > FETCH_CAP:
                # TOP reads the headers and the first lines only.
                _, lines, _ = self._call(self.conn.top, num, 20_000)
            else:
                _, lines, _ = self._call(self.conn.retr, num)
            yield key, b"\r\n".join(lines)[:FETCH_CAP] + b"\r\n"

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            self._call(self.conn.dele, self._numbers[key])

    def finish(self) -> None:
        if self.conn is not None:
            self._call(self.conn.quit)
            self.conn = None

    def abort(self) -> None:
        # Closing without QUIT: the server keeps every message marked for deletion.
        if self.conn is not None:
            try:
                self.conn.close()
            except OSError:
                pass
            self.conn = None


class ImapClient(MailboxClient):
    BATCH = 100

    def __init__(self, box: dict, timeout: float):
        self.host, self.port = box["host"], int(box["port"])
        self.folder = box.get("folder") or "INBOX"
        self.conn: imapclient.IMAPClient | None = None
        self._deleted: list[int] = []
        try:
            self.conn = imapclient.IMAPClient(
                self.host,
                port=self.port,
                ssl=box["tls_type"] == "TLS",
                ssl_context=tls_context(box),
                timeout=timeout,
            )
            if box["tls_type"] == "STARTTLS":
                self.conn.starttls(tls_context(box))
            if box.get("auth_protocol", "userpass") != "none":
                self.conn.login(box.get("username", ""), box.get("password", ""))
            selected = self.conn.select_folder(self.folder)
        except (IMAPClientError, imaplib.IMAP4.error, OSError) as e:
            self.abort()
            raise MailboxError(describe(e, self.host, self.port)) from None
        self.validity = int(selected.get(b"UIDVALIDITY", 0))
        self.exists = int(selected.get(b"EXISTS", 0))

    def _uid(self, key: str) -> int:
        return int(key.rpartition(":")[2])

    def count(self) -> int:
        return self.exists

    def keys(self) -> list[str]:
        uids = self._call(self.conn.search, ["ALL"])
        return [f"{self.validity}:{uid}" for uid in sorted(uids)]

    def fetch(self, keys: list[str]) -> Iterator[tuple[str, bytes]]:
        # A partial fetch caps what is read; PEEK leaves \\Seen alone.
        item = f"BODY.PEEK[]<0.{FETCH_CAP}>"
        for start in range(0, len(keys), self.BATCH):
            chunk = keys[start : start + self.BATCH]
            data = self._call(self.conn.fetch, [self._uid(k) for k in chunk], [item])
            for key in chunk:
                parts = data.get(self._uid(key))
                if parts is None:
                    continue  # gone meanwhile (another client expunged it)
                body = parts.get(b"BODY[]<0>") or parts.get(b"BODY[]") or b""
                yield key, body

    def _ensure_folder(self, folder: str) -> None:
        if not self._call(self.conn.folder_exists, folder):
            self._call(self.conn.create_folder, folder)

    def delete(self, keys: list[str]) -> None:
        uids = [self._uid(k) for k in keys]
        self._call(self.conn.delete_messages, uids)
        self._deleted.extend(uids)

    def move(self, keys: list[str], folder: str) -> None:
        self._ensure_folder(folder)
        uids = [self._uid(k) for k in keys]
        if self.conn.has_capability("MOVE"):
            self._call(self.conn.move, uids, folder)
        else:
            self._call(self.conn.copy, uids, folder)
            self.delete(keys)

    def flag_seen(self, keys: list[str]) -> None:
        self._call(self.conn.add_flags, [self._uid(k) for k in keys], [imapclient.SEEN])

    def finish(self) -> None:
        if self.conn is None:
            return
        if self._deleted:
            # UID EXPUNGE only removes our messages, not others flagged \\Deleted.
            if self.conn.has_capability("UIDPLUS"):
                self._call(self.conn.uid_expunge, self._deleted)
            else:
                self._call(self.conn.expunge)
            self._deleted = []
        try:
            self.conn.logout()
        except (IMAPClientError, imaplib.IMAP4.error, OSError):
            pass
        self.conn = None

    def abort(self) -> None:
        if self.conn is not None:
            try:
                self.conn.shutdown()
            except OSError:
                pass
            self.conn = None


def open_mailbox(box: dict, *, timeout: float = 30) -> MailboxClient:
    """Connect and log in as one `bounce.mailboxes` item (credentials decrypted)."""
    if box["type"] == "imap":
        return ImapClient(box, timeout)
    return Pop3Client(box, timeout)


def check_mailbox(box: dict, *, timeout: float = 15) -> int:
    """Connect, log in and count the messages; raises MailboxError."""
    client = open_mailbox(box, timeout=timeout)
    try:
        return client.count()
    finally:
        client.abort()
