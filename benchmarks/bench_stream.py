"""Streaming throughput, per-row latency and memory of :class:`augury.stream.StreamScorer`.

For each detector (cpu preset, fitted on a synthetic 4-channel series, saved and loaded back as
``augury watch`` would): the latency of ``update`` with one arriving row (p50 / p99 over
``--latency-rows`` rows after warm-up), the throughput in steps/s when rows arrive in bursts of
``--burst`` rows, and the resident memory (VmRSS) after 10⁴, 10⁵ and 10⁶ streamed rows (flat =
bounded buffer). AMAD (cpu preset, trained 1 epoch on 1,000 windows) scores one full window per step (≈ ``window``× its batch cost), so it is
streamed over ``--amad-rows`` rows only. Rows are generated burst by burst, so the input itself
does not grow the memory. Machine load (os.getloadavg) is printed beside the timings.

    python benchmarks/bench_stream.py                       # ≈ 5 min on 2 busy cores
    python benchmarks/bench_stream.py --rows 100000 --amad-rows 10000 --latency-rows 500
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from augury.detectors.base import load_detector
from augury.detectors.registry import create_detector
from augury.stream import StreamScorer

N_CHANNELS = 4
#: AMAD cpu preset, trained briefly: the benchmark measures scoring, not model quality
AMAD_FIT = {"epochs": 1, "max_train_windows": 1000, "progress": False}


def series(start: int, n: int, seed: int) -> np.ndarray:
    """Rows ``start..start+n`` of a seasonal 4-channel series with noise ``[n, 4]``."""
    t = np.arange(start, start + n)[:, None]
    noise = np.random.default_rng(seed).normal(size=(n, N_CHANNELS))
    return np.sin(2 * np.pi * t / (50 + 13 * np.arange(N_CHANNELS))) + 0.1 * noise


def rss_mb() -> float:
    """Current resident set size of this process in MiB (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def saved_model(name: str, folder: Path) -> object:
    overrides = AMAD_FIT if name == "amad" else {}
    det = create_detector(name, preset="cpu", **overrides).fit(series(0, 5000, seed=0))
    return load_detector(det.save(folder / name))


def latency(det: object, n_rows: int) -> tuple[float, float]:
    """p50 and p99 milliseconds of ``update`` with a single arriving row (after the warm-up)."""
    scorer = StreamScorer(det)
    scorer.update(series(0, det.causal_warmup() + 1, seed=1))
    rows = series(10**7, n_rows, seed=2)
    times = np.empty(n_rows)
    for i in range(n_rows):
        t0 = time.perf_counter()
        scorer.update(rows[i : i + 1])
        times[i] = time.perf_counter() - t0
    return float(np.percentile(times, 50) * 1e3), float(np.percentile(times, 99) * 1e3)


def throughput_and_memory(det: object, n_rows: int, burst: int) -> tuple[float, dict[int, float]]:
    """Steps/s over ``n_rows`` rows fed in bursts, and RSS (MiB) at 10³…10⁶ rows (those ≤ n_rows) , halfway and at the end."""
    scorer = StreamScorer(det)
    marks = {m: 0.0 for m in sorted({10**3, 10**4, 10**5, 10**6, n_rows // 2 // burst * burst, n_rows}) if 0 < m <= n_rows}
    seen, busy = 0, 0.0
    while seen < n_rows:
        rows = series(seen, min(burst, n_rows - seen), seed=seen)
        t0 = time.perf_counter()
        scorer.update(rows)
        busy += time.perf_counter() - t0
        seen += len(rows)
        for m in marks:
            if seen == m:
                marks[m] = rss_mb()
    return seen / busy, marks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--detectors", default="iforest,knn,amad")
    ap.add_argument("--rows", type=int, default=10**6, help="rows streamed for throughput / memory")
    ap.add_argument("--amad-rows", type=int, default=3000, help="rows streamed for AMAD (≈ 10 ms per window)")
    ap.add_argument("--latency-rows", type=int, default=2000)
    ap.add_argument("--burst", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (the machine is shared)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"load before: {os.getloadavg()}  torch threads: {args.threads}  channels: {N_CHANNELS}")
    rows_out = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in [d.strip() for d in args.detectors.split(",") if d.strip()]:
            t0 = time.perf_counter()
            det = saved_model(name, Path(tmp))
            fit_s = time.perf_counter() - t0
            lat_rows = args.latency_rows if name != "amad" else max(1, args.latency_rows // 4)
            p50, p99 = latency(det, lat_rows)
            n = args.amad_rows if name == "amad" else args.rows
            rate, marks = throughput_and_memory(det, n, args.burst)
            rss = " / ".join(f"{v:.0f}" for v in marks.values())
            rows_out.append(f"| {name} | {det.window} | {n:,} | {rate:,.0f} | {p50:.2f} | {p99:.2f} | "
                            f"{' / '.join(f'{m:.0e}' for m in marks)} | {rss} | {os.getloadavg()[0]:.1f} |")
            print(f"{name}: fit+save+load {fit_s:.1f} s; {rows_out[-1]}", flush=True)
    print("\n| detector | window | rows streamed | steps/s (bursts of "
          f"{args.burst}) | p50 ms/row | p99 ms/row | RSS at rows | RSS MiB | load (1 min) |")
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows_out))
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
