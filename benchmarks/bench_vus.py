"""Speed of augury's VUS against tsb-ad's reference ``opt`` implementation, plus 10^6 steps.

    python benchmarks/bench_vus.py [--sizes 10000 50000 200000] [--tsb-max 200000]
                                   [--tsb-max-dense 50000] [--big 1000000]

"typical" labels mimic TSB-AD series (about 3 % anomalous, segments of 10..300 steps);
"dense" labels are 10 % Bernoulli steps (many short segments: the worst case for our method,
whose per-window work grows with the buffered region size). Scores are a noisy copy of the
labels; window = 100 and 250 thresholds (tsb-ad defaults). For every size the script prints our
time (best of 3), tsb-ad's time (one run; skipped above ``--tsb-max`` / ``--tsb-max-dense`` or
when tsb-ad is not installed), the ratio, and the largest difference of the two results. For
the big size it prints our time and peak traced memory (tracemalloc) for both label kinds.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from augury.metrics import vus_roc_pr

WINDOW, THRESHOLDS = 100, 250


def make_series(n: int, seed: int = 0, dense: bool = False) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if dense:
        y = (rng.random(n) < 0.1).astype(np.int64)
    else:
        y = np.zeros(n, dtype=np.int64)
        for start in rng.integers(0, n - 300, size=max(1, n // 5000)):
            y[start : start + rng.integers(10, 300)] = 1
    return y, y + rng.normal(size=n)


def time_ours(y: np.ndarray, s: np.ndarray, repeats: int = 3) -> tuple[float, tuple[float, float]]:
    best, result = np.inf, (np.nan, np.nan)
    for _ in range(repeats):
        start = time.perf_counter()
        result = vus_roc_pr(y, s, WINDOW, THRESHOLDS)
        best = min(best, time.perf_counter() - start)
    return best, result


def time_tsb(y: np.ndarray, s: np.ndarray) -> tuple[float, tuple[float, float]] | None:
    try:
        from TSB_AD.evaluation.basic_metrics import generate_curve
    except ImportError:
        return None
    start = time.perf_counter()
    # The VUS part of get_metrics(score, labels, slidingWindow=100, version='opt', thre=250).
    *_, roc, pr = generate_curve(y, s, WINDOW, "opt", THRESHOLDS)
    return time.perf_counter() - start, (float(roc), float(pr))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 200_000])
    parser.add_argument("--tsb-max", type=int, default=200_000, help="largest n on which tsb-ad is run")
    # tsb-ad loops over segments in Python for each (window, threshold) pair: with dense labels
    # it needs minutes already at 50k steps.
    parser.add_argument("--tsb-max-dense", type=int, default=50_000, help="the same for dense labels")
    parser.add_argument("--big", type=int, default=1_000_000)
    args = parser.parse_args()

    print(f"VUS-ROC/PR, window={WINDOW}, thresholds={THRESHOLDS}")
    print(
        f"{'n':>9} {'labels':>8} {'anom%':>6} {'augury s':>9} {'tsb-ad s':>9} {'speed-up':>9} {'max |diff|':>11}"
    )
    for n in args.sizes:
        for dense in (False, True):
            y, s = make_series(n, dense=dense)
            ours_s, ours = time_ours(y, s)
            tsb = time_tsb(y, s) if n <= (args.tsb_max_dense if dense else args.tsb_max) else None
            row = f"{n:>9} {'dense' if dense else 'typical':>8} {100 * y.mean():>6.2f} {ours_s:>9.4f}"
            if tsb is None:
                print(f"{row} {'-':>9} {'-':>9} {'-':>11}")
            else:
                diff = max(abs(ours[0] - tsb[1][0]), abs(ours[1] - tsb[1][1]))
                print(f"{row} {tsb[0]:>9.2f} {tsb[0] / ours_s:>8.0f}x {diff:>11.1e}")

    for dense in (False, True):
        y, s = make_series(args.big, seed=1, dense=dense)
        tracemalloc.start()
        ours_s, _ = time_ours(y, s, repeats=1)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        ours_s = min(ours_s, time_ours(y, s, repeats=2)[0])  # timed again without tracing overhead
        label = "dense 10% labels" if dense else "typical labels"
        print(
            f"augury n={args.big} ({label}, {100 * y.mean():.1f}% anomalous): {ours_s:.3f} s, "
            f"peak traced memory {peak / 2**20:.1f} MiB (inputs {(y.nbytes + s.nbytes) / 2**20:.1f} MiB)"
        )


if __name__ == "__main__":
    main()
