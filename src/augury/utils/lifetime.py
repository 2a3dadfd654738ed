"""Make a worker process end when the process that started it dies (even by SIGKILL).

A benchmark worker blocked on its result pipe would otherwise outlive a killed driver for
ever. Two mechanisms, since a worker's parent (a fork server) is not always the driver:

- :func:`die_with_parent`: Linux ``prctl(PR_SET_PDEATHSIG)``; the kernel signals the process
  when its parent exits;
- :func:`watch_process`: a daemon thread that polls a given pid (the driver) and ends this
  process when it is gone; portable.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM) -> bool:
    """Ask the kernel to send ``sig`` to this process when its parent dies; ``False`` where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() != parent:  # the parent died before prctl took effect
        os.kill(os.getpid(), sig)
    return True


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (a process of another user counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def watch_process(pid: int, interval_s: float = 0.5, exit_code: int = 143) -> threading.Thread:
    """Start a daemon thread that ends this process (``os._exit``) once process ``pid`` is gone."""

    def _watch() -> None:
        while pid_alive(pid):
            time.sleep(interval_s)
        os._exit(exit_code)

    thread = threading.Thread(target=_watch, name=f"watch-{pid}", daemon=True)
    thread.start()
    return thread
