"""Run torch on exactly the CPU cores this process may use (its affinity mask), no more."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import torch


def allowed_cores() -> int:
    """Number of CPU cores in this process's affinity mask (``os.cpu_count()`` where unsupported)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


@contextmanager
def core_threads() -> Iterator[int]:
    """Cap torch's intra-op threads at :func:`allowed_cores` inside the block; restore them after.

    torch defaults to the machine's core count, which oversubscribes a process pinned (by
    taskset, a container or a scheduler) to fewer cores. A lower setting chosen by the caller
    (``OMP_NUM_THREADS=1``, ``torch.set_num_threads(1)`` for parallel test workers) is kept, never
    raised. Yields the thread count used.
    """
    before = torch.get_num_threads()
    n = min(allowed_cores(), before)
    torch.set_num_threads(n)
    try:
        yield n
    finally:
        torch.set_num_threads(before)
