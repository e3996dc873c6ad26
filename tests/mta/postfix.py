"""A private Postfix instance on 127.0.0.1 (relay or recipients' MX) for the MTA tests.

Each instance has its own config, queue and data directories under a short
/tmp path, listens on one free port of 127.0.0.1 only (never port 25), does
no DNS and sends nothing off the machine: every domain it does not know goes
to the `error` transport. The master runs as a direct child (`postfix
start-fg`), so stopping it is a terminate + wait.
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

MASTER_CF = """\
{listen}  inet  n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
virtual   unix  - n n - - virtual
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {base}/queue
data_directory = {base}/data
maillog_file_prefixes = /tmp
maillog_file = {base}/maillog
myhostname = {hostname}
mydomain = {hostname}
myorigin = {hostname}
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtpd_peername_lookup = no
default_transport = error:nothing leaves the machine in tests
relay_transport = error:nothing leaves the machine in tests
local_transport = error:no local delivery in tests
alias_maps =
alias_database =
biff = no
smtputf8_enable = no
smtpd_banner = $myhostname ESMTP
# Test speed: no waiting between the first attempt and the queue's verdicts.
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
delay_warning_time = 0
"""


@dataclass
class Postfix:
    """One instance; `extra` is appended to main.cf as it is (its role's
    settings; `$config_directory/<name>` finds one of `files`)."""

    hostname: str
    extra: str
    files: dict[str, str] = field(default_factory=dict)
    base: Path = field(
        default_factory=lambda: Path(tempfile.mkdtemp(prefix="pf-", dir="/tmp"))
    )
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def config(self) -> Path:
        return self.base / "etc"

    def postfix(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["postfix", "-c", str(self.config), *args],
            capture_output=True,
            text=True,
            check=False,
        )

    def start(self) -> None:
        self.base.chmod(0o755)
        self.config.mkdir()
        for name, text in self.files.items():
            (self.config / name).write_text(text)
        (self.config / "master.cf").write_text(
            MASTER_CF.format(listen=f"127.0.0.1:{self.port}")
        )
        (self.config / "main.cf").write_text(
            MAIN_CF.format(base=self.base, hostname=self.hostname) + self.extra
        )
        (self.base / "queue").mkdir(mode=0o755)
        (self.base / "data").mkdir(mode=0o755)
        shutil.chown(self.base / "data", "postfix", "postfix")
        # start-fg checks the configuration and creates the queue directories.
        self.process = subprocess.Popen(
            ["postfix", "-c", str(self.config), "start-fg"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        if not wait_listening(self.port, self.process):
            self.stop()
            raise RuntimeError(f"postfix did not listen: {self.log_text()}")

    def queue_size(self) -> int:
        """Messages still queued (active, incoming, deferred, hold)."""
        queue = self.base / "queue"
        return sum(
            len(files)
            for sub in ("incoming", "active", "deferred", "hold", "maildrop")
            for _dir, _subdirs, files in os.walk(queue / sub)
        )

    def flush(self) -> None:
        """Ask the queue manager to retry every deferred message now."""
        self.postfix("flush")

    def log_text(self) -> str:
        return log_tail([self.base / "maillog"], 4000)

    def stop(self) -> None:
        stop_process(self.process, timeout=20, ask=lambda: self.postfix("stop"))
        shutil.rmtree(self.base, ignore_errors=True)
