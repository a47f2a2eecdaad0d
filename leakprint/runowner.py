"""Which process owns a scan run, and whether it is provably gone.

Pids are reused; a process's start time since boot, with the boot id, is not. A run
records its owner's host, pid and start time (:mod:`leakprint.runs`), and only a run
whose owner is certainly gone may be closed by another process.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def _boot_id() -> str:
    try:
        return _BOOT_ID.read_text().strip()
    except OSError:
        return ""


def process_started(pid: int) -> str | None:
    """When process ``pid`` started (boot id and clock ticks since boot), or ``None``
    when there is no such (live) process. Outside Linux: ``"?"`` for any live pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return _probe(pid)
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] in ("Z", "X"):  # ended; only its parent has not reaped it yet
        return None
    return f"{_boot_id()}:{fields[19]}"  # field 22 of stat(5): starttime


def _probe(pid: int) -> str | None:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return "?"


@dataclass(frozen=True)
class Owner:
    """The process that owns a run."""

    host: str
    pid: int
    started: str | None

    @classmethod
    def current(cls) -> Owner:
        pid = os.getpid()
        return cls(socket.gethostname(), pid, process_started(pid))

    def is_gone(self) -> bool:
        """True only when this process has certainly ended (same host, and no live
        process with its pid and start time). Another host's process: never."""
        if self.host != socket.gethostname():
            return False
        now = process_started(self.pid)
        if now is None:
            return True
        return bool(self.started) and now != "?" and self.started != "?" and now != self.started
