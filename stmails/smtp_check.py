"""Test an SMTP server's settings: connect, TLS, AUTH, and optionally send a mail.

Errors carry the server's own reply ("535 5.7.8 Authentication credentials
invalid") or the network/TLS failure as the OS reports it, so an admin sees
exactly what went wrong. The password is never logged nor put in a message.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

from stmails import config
from stmails.lib import crypto

log = logging.getLogger(__name__)


class SmtpCheckError(Exception):
    """The server's exact error, safe to show (never contains the password)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def format_reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    # Multi-line replies come joined by newlines; one line reads better on a page.
    return f"{code} {' '.join(text.split())}".strip()


def _tls_context(server: dict) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if server.get("tls_skip_verify"):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _is_timeout(exc: BaseException) -> bool:
    # smtplib turns a read that timed out into SMTPServerDisconnected("Connection
    # unexpectedly closed: timed out"), keeping the TimeoutError as its context.
    return isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError)


def describe_error(
    exc: BaseException,
    host: str,
    port: int,
    timeout: float | None = None,
    *,
    connecting: bool = False,
) -> str:
    """One line for an admin; `connecting` says the greeting had not arrived yet."""
    if _is_timeout(exc):
        within = f" within {timeout:g} s" if timeout else ""
        if connecting:
            return f"could not connect to {host}:{port}{within} (timed out)"
        return f"no reply from {host}:{port}{within} (timed out)"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [
            f"{rcpt}: {format_reply(code, text)}"
            for rcpt, (code, text) in exc.recipients.items()
        ]
        return "; ".join(parts) or "recipient refused"
    if isinstance(exc, smtplib.SMTPResponseException):
        return format_reply(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"the server closed the connection ({exc})"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate verification failed: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or exc}"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve host {host!r}: {exc.strerror}"
    if isinstance(exc, ConnectionRefusedError | socket.herror):
        return f"cannot connect to {host}:{port}: {exc.strerror or exc}"
    if isinstance(exc, OSError):
        return f"connection to {host}:{port} failed: {exc.strerror or exc}"
    return str(exc)


def _login(conn: smtplib.SMTP, server: dict) -> None:
    protocol = server.get("auth_protocol", "login")
    if protocol == "none":
        return
    conn.user = server.get("username", "")
    conn.password = server.get("password", "")
    if protocol == "plain":
        conn.auth("PLAIN", conn.auth_plain)
    elif protocol == "cram":
        conn.auth("CRAM-MD5", conn.auth_cram_md5)
    else:
        # LOGIN without an initial response: the form every server understands.
        conn.auth("LOGIN", conn.auth_login, initial_response_ok=False)


def open_connection(server: dict, timeout: float) -> smtplib.SMTP:
    host, port = server["host"], int(server["port"])
    tls_type = server.get("tls_type", "STARTTLS")
    local = server.get("hello_hostname") or None
    conn: smtplib.SMTP | None = None
    greeted = False
    try:
        # Connecting in the constructor sets the host name TLS verifies against.
        if tls_type == "TLS":
            conn = smtplib.SMTP_SSL(
                host, port, local_hostname=local, timeout=timeout,
                context=_tls_context(server),
            )  # fmt: skip
        else:
            conn = smtplib.SMTP(host, port, local_hostname=local, timeout=timeout)
        greeted = True  # the constructor connected and read the 220 greeting
        conn.ehlo_or_helo_if_needed()
        if tls_type == "STARTTLS":
            conn.starttls(context=_tls_context(server))
            conn.ehlo()
        _login(conn, server)
    except (smtplib.SMTPException, OSError) as e:
        if conn is not None:
            close_connection(conn)
        message = describe_error(e, host, port, timeout, connecting=not greeted)
        raise SmtpCheckError(message) from None
    return conn


def close_connection(conn: smtplib.SMTP) -> None:
    try:
        conn.quit()
    except (smtplib.SMTPException, OSError):
        conn.close()


def check_smtp(server: dict, *, timeout: float = 10) -> None:
    """Connect, negotiate TLS and log in as `server` says; raise SmtpCheckError."""
    close_connection(open_connection(server, timeout))


def send_test_mail(
    server: dict, to: str, from_email: str, *, timeout: float = 10
) -> None:
    """Send a short test mail through `server`; the error names MAIL, RCPT or DATA."""
    conn = open_connection(server, timeout)
    host, port = server["host"], int(server["port"])
    msg = EmailMessage()
    msg["From"] = from_email
    msg["To"] = to
    msg["Subject"] = "stmails SMTP test"
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=_domain(from_email))
    for headers in server.get("email_headers") or []:
        for name, value in headers.items():
            msg[name] = value
    msg.set_content("This is a test mail from stmails: the SMTP settings work.\n")
    # As real sends do (stmails.outbox): a Return-Path header becomes the
    # envelope sender and is removed, so the test's bounces go where real ones go.
    sender = parseaddr(msg["Return-Path"] or from_email)[1]
    del msg["Return-Path"]
    try:
        for stage, call in (
            ("MAIL FROM", lambda: conn.mail(sender)),
            ("RCPT TO", lambda: conn.rcpt(to)),
        ):
            code, text = call()
            if code not in (250, 251):
                raise SmtpCheckError(f"{stage}: {format_reply(code, text)}")
        code, text = conn.data(msg.as_bytes())
        if code != 250:
            raise SmtpCheckError(f"DATA: {format_reply(code, text)}")
    except (smtplib.SMTPException, OSError) as e:
        raise SmtpCheckError(describe_error(e, host, port, timeout)) from None
    finally:
        close_connection(conn)


def _domain(address: str) -> str | None:
    addr = parseaddr(address)[1]
    return addr.rpartition("@")[2] or None


def try_server(data: Any, *, to: str | None = None, timeout: float = 10) -> None:
    """Validate one server's JSON, fill a masked password from the stored server
    with the same uuid, then check it (and send a test mail to `to`).

    Raises config.SettingsError for bad input, SmtpCheckError for the server's error.
    """
    from stmails.settings_keys import SMTP_SERVER

    if not isinstance(data, dict):
        raise config.SettingsError("smtp", "must be a JSON object (one SMTP server)")
    server = SMTP_SERVER("smtp", dict(data))
    if crypto.is_masked(data.get("password", "")):
        stored = {s["uuid"]: s for s in config.get_value("smtp")}
        server["password"] = config.reuse_secret(
            config.REGISTRY["smtp"],
            server,
            stored.get(server["uuid"], {}),
            "password",
            "smtp",
        )
    log.info("testing SMTP server %s:%s", server["host"], server["port"])
    if to:
        to = parseaddr(config.as_email_address("email", to))[1]
        from_email = config.get_value("app.from_email")
        send_test_mail(server, to, from_email, timeout=timeout)
    else:
        check_smtp(server, timeout=timeout)
