"""Time of the window → step aggregation (augury.data.windowing.windows_to_steps) on long series.

It no longer uses a running sum (issue 10, item 4), but one vectorised pass per covering
window: ceil(window / stride) + 1 passes. Prints seconds per call and the machine load.

    PYTHONPATH=src python benchmarks/bench_windows_to_steps.py
"""

from __future__ import annotations

import os
import time

import numpy as np

from augury.data.windowing import window_starts, windows_to_steps


def main() -> None:
    rng = np.random.default_rng(0)
    print(f"load average (1, 5, 15 min): {os.getloadavg()}")
    for n_steps, window, stride in [(100_000, 16, 4), (1_000_000, 16, 4), (1_000_000, 100, 1)]:
        starts = window_starts(n_steps, window, stride)
        scores = rng.random(starts.size)
        t0 = time.perf_counter()
        out = windows_to_steps(scores, starts, n_steps, window)
        dt = time.perf_counter() - t0
        assert out.shape == (n_steps,) and np.all(np.isfinite(out))
        print(f"T={n_steps:>9,} window={window:>3} stride={stride}: {dt:.3f} s")


if __name__ == "__main__":
    main()
