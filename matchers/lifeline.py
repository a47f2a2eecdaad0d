"""Child processes that die with their parent, whatever signal killed it.

A crawl runs in its own session (``setsid``: Ctrl-C in a terminal goes to the CLI,
which stops the crawl gracefully) and matcher workers are spawned processes: none
of them gets the signal that kills their parent, and SIGKILL cannot be relayed.
On Linux the kernel can send a signal to a process when its parent dies
(``prctl(PR_SET_PDEATHSIG)``): each child asks for it as it starts, then checks
that its parent is still the one it expects (it may have died before the call).

The "parent" is the *thread* that started the child: children are started from a
thread that lives as long as their work (the CLI's main thread, a scan job's thread
in ``serve``, the crawl's reactor thread).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None = None, sig: int = signal.SIGKILL) -> bool:
    """Have this process get ``sig`` when its parent dies; returns whether the kernel
    does that here (Linux). When the parent (``parent``, if given) is already gone,
    the signal is sent at once."""
    armed = False
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            armed = libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
    if parent is not None and os.getppid() != parent:
        os.kill(os.getpid(), sig)  # the parent died before we could ask
    return armed
