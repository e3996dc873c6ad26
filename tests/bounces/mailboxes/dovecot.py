"""A throwaway Dovecot (POP3 + IMAP; plain, STARTTLS and TLS) on loopback.

Used by the mailbox tests and bench/bench_scan_mailbox.py. Follows
/work/shared/recipes/mail-servers.md: short base_dir (socket path limit), every
ancestor 0755, mail uid 5000, no auth failure delay nor anvil penalty, `-F` as
a direct child so stopping it is a plain terminate + wait.
"""

from __future__ import annotations

import mailbox
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.server_process import log_tail, stop_process

MAIL_UID = 5000
USERS = 500
PASSWORD = "secret-pw"  # noqa: S105 (test users)

CONFIG = """
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <{base}/cert.pem
ssl_key = <{base}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:~/Maildir
first_valid_uid = 500
pop3_uidl_format = %08Xu%08Xv
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = {base}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={uid} home={base}/mail/%d/%n
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    port = {imap}
  }}
  inet_listener imaps {{
    port = {imaps}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {pop3}
  }}
  inet_listener pop3s {{
    port = {pop3s}
    ssl = yes
  }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class MailUser:
    server: Dovecot
    email: str
    password: str

    @property
    def maildir(self) -> Path:
        local, _, domain = self.email.partition("@")
        return self.server.base / "mail" / domain / local / "Maildir"

    def deliver(self, raw: bytes) -> None:
        """Write one message into the INBOX as an MTA would (tmp/ then new/)."""
        self.server.ensure_maildir(self.maildir)
        mailbox.Maildir(str(self.maildir), create=False).add(raw)

    def count(self, folder: str = "INBOX") -> int:
        path = self.maildir if folder == "INBOX" else self.maildir / f".{folder}"
        return sum(
            len(os.listdir(path / sub))
            for sub in ("new", "cur")
            if (path / sub).exists()
        )

    def seen_count(self, folder: str = "INBOX") -> int:
        path = self.maildir if folder == "INBOX" else self.maildir / f".{folder}"
        cur = path / "cur"
        if not cur.exists():
            return 0
        return sum(
            1 for n in os.listdir(cur) if ":2," in n and "S" in n.split(":2,")[1]
        )

    def box(self, type: str = "pop", tls_type: str = "none", **extra) -> dict:
        """A bounce.mailboxes item for this user (as the API would take it)."""
        port = self.server.ports[
            {("pop", False): "pop3", ("pop", True): "pop3s",
             ("imap", False): "imap", ("imap", True): "imaps"}[(type, tls_type == "TLS")]
        ]  # fmt: skip
        item = {
            "name": f"{type}-{tls_type}-{self.email}",
            "type": type,
            "host": "127.0.0.1",
            "port": port,
            "username": self.email,
            "password": self.password,
            "tls_type": tls_type,
            "tls_skip_verify": True,
            "scan_interval": "1m",
        }
        item.update(extra)
        return item


@dataclass
class Dovecot:
    base: Path
    ports: dict[str, int]
    process: subprocess.Popen | None = None
    users: int = 0
    _log: object = field(default=None, repr=False)

    @property
    def cert(self) -> Path:
        return self.base / "cert.pem"

    @property
    def config(self) -> Path:
        return self.base / "dovecot.conf"

    def add_user(self) -> MailUser:
        """The next unused user: all are written before the start, because
        Dovecot notices a changed passwd-file by its mtime, in whole seconds."""
        self.users += 1
        if self.users > USERS:
            raise RuntimeError("out of test mail users")
        user = MailUser(self, f"bounces{self.users}@example.test", PASSWORD)
        self.ensure_maildir(user.maildir)
        return user

    def ensure_maildir(self, path: Path) -> None:
        if (path / "new").exists():
            return
        for sub in ("cur", "new", "tmp"):
            (path / sub).mkdir(parents=True, exist_ok=True)
        top = self.base / "mail"
        for dirpath, _dirs, _files in os.walk(top):
            os.chown(dirpath, MAIL_UID, MAIL_UID)
            os.chmod(dirpath, 0o755)  # noqa: S103 (auth and mail processes traverse it)

    def start(self) -> None:
        self.config.write_text(
            CONFIG.format(base=self.base, uid=MAIL_UID, **self.ports)
        )
        self._log = open(self.base / "stderr.log", "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            ["dovecot", "-F", "-c", str(self.config)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.log_text()}")
            if all(_listening(p) for p in self.ports.values()):
                return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"dovecot did not listen: {self.log_text()}")

    def log_text(self) -> str:
        names = ("stderr.log", "dovecot.log")
        return log_tail((self.base / name for name in names), 3000)

    def stop(self) -> None:
        stop_process(self.process, timeout=10)
        if self._log is not None:
            self._log.close()
        shutil.rmtree(self.base, ignore_errors=True)


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def start_dovecot() -> Dovecot:
    # Short: Dovecot's socket paths under base_dir must stay below 108 bytes.
    base = Path(tempfile.mkdtemp(prefix="dv-", dir="/tmp"))
    os.chmod(base, 0o755)  # noqa: S103 (auth reads the passwd-file below)
    for sub in ("run", "state", "mail"):
        (base / sub).mkdir()
        os.chmod(base / sub, 0o755)  # noqa: S103
    (base / "passwd").write_text(
        "".join(
            f"bounces{i}@example.test:{{PLAIN}}{PASSWORD}\n"
            for i in range(1, USERS + 1)
        )
    )
    os.chmod(base / "passwd", 0o644)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(base / "key.pem"), "-out", str(base / "cert.pem")],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.chmod(base / "key.pem", 0o644)
    ports = {name: free_port() for name in ("pop3", "pop3s", "imap", "imaps")}
    server = Dovecot(base=base, ports=ports)
    try:
        server.start()
    except Exception:
        shutil.rmtree(base, ignore_errors=True)
        raise
    return server
