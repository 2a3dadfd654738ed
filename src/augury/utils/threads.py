"""Keep torch's thread count across calls into numba-compiled libraries (stumpy, tslearn)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def keep_torch_threads() -> Iterator[None]:
    """Put torch's intra-op thread count back after the block, if the block changed it.

    numba's parallel kernels reset the OpenMP thread count that torch shares (e.g. 1 → all
    cores). A deep detector fitted afterwards in the same process (an ensemble member, the next
    test, the next run of a worker) would silently run on other threads and, with them, change
    its floating-point sums. torch is not imported here: without it there is nothing to keep.
    """
    torch = sys.modules.get("torch")
    threads = torch.get_num_threads() if torch is not None else None
    try:
        yield
    finally:
        if threads is not None and torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
