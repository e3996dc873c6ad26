"""A private Exim 4 (Debian's exim4-daemon-light binary) on 127.0.0.1 for the MTA tests.

Debian's exim4-daemon-light conflicts with postfix (both are the
mail-transport-agent), so .ci/run unpacks its .deb into /opt/stmails-exim
and the tests run that binary with their own configuration (`-C`, as root):
private spool and log directories under a short /tmp path, one free port of
127.0.0.1 (never port 25), no DNS, and routers that know only the test
domains, so nothing leaves the machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tests.mta.net import free_port, wait_listening
from tests.server_process import log_tail, stop_process

EXIM = os.environ.get("STMAILS_EXIM", "/opt/stmails-exim/usr/sbin/exim4")
EXIM_USER = "Debian-exim"  # compiled into Debian's binary

COMMON = """\
exim_path = {exim}
primary_hostname = {hostname}
qualify_domain = {hostname}
exim_user = {user}
exim_group = {user}
never_users = root
spool_directory = {base}/spool
log_file_path = {base}/log/%slog
pid_file_path = {base}/exim.pid
daemon_smtp_ports = {port}
local_interfaces = <; 127.0.0.1
keep_environment =
host_lookup =
rfc1413_hosts =
tls_advertise_hosts =
acl_smtp_rcpt = check_recipient
"""


@dataclass
class Exim:
    """One instance: `config` is the role's part (acl, routers, transports,
    retry), used as it is; it finds its files and values through macros (BASE is
    the instance's directory)."""

    hostname: str
    config: str
    files: dict[str, str] = field(default_factory=dict)
    macros: dict[str, object] = field(default_factory=dict)
    base: Path = field(
        default_factory=lambda: Path(tempfile.mkdtemp(prefix="ex-", dir="/tmp"))
    )
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def config_file(self) -> Path:
        return self.base / "exim.conf"

    def exim(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [EXIM, "-C", str(self.config_file), *args],
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )

    def start(self) -> None:
        self.base.chmod(0o755)
        for sub in ("spool", "log"):
            (self.base / sub).mkdir()
            shutil.chown(self.base / sub, EXIM_USER, EXIM_USER)
        for name, text in self.files.items():
            (self.base / name).write_text(text)
        macros = {"BASE": self.base, **self.macros}
        self.config_file.write_text(
            "".join(f"{name} = {value}\n" for name, value in macros.items())
            + COMMON.format(
                exim=EXIM,
                user=EXIM_USER,
                base=self.base,
                hostname=self.hostname,
                port=self.port,
            )
            + self.config
        )
        checked = self.exim("-bV")
        if checked.returncode != 0:
            raise RuntimeError(f"exim -bV: {checked.stdout}{checked.stderr}")
        self.process = subprocess.Popen(
            [EXIM, "-C", str(self.config_file), "-bdf"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        if not wait_listening(self.port, self.process):
            self.stop()
            raise RuntimeError(f"exim did not listen: {self.log_text()}")

    def queue_size(self) -> int:
        counted = self.exim("-bpc")
        return int(counted.stdout.strip() or 0)

    def flush(self) -> None:
        """One forced queue run: retry every queued message now (retry rules decide
        whether a failure is final)."""
        self.exim("-qff")

    def log_text(self) -> str:
        names = ("mainlog", "rejectlog", "paniclog")
        return log_tail((self.base / "log" / name for name in names), 3000)

    def stop(self) -> None:
        stop_process(self.process, timeout=20)
        shutil.rmtree(self.base, ignore_errors=True)
