"""Wall time of one benchmark grid under ``--executor local`` and ``--executor ray``.

    python benchmarks/bench_grid_executors.py --data-root "$AUGURY_DATA" --out-prefix /tmp/bench_

Runs the same grid once per executor into ``<out-prefix><executor>`` (which must not exist yet,
so that nothing is resumed) and prints the grid wall times and the main result columns.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console

from augury.bench.grid import expand_grid, run_grid

SHOWN = ["dataset", "method", "status", "wall_s", "peak_mem_mb", "auc_roc", "auc_pr", "vus_roc", "vus_pr", "pa_f1",
         "random_pa_f1"]


def main() -> None:
    """Parse arguments, run the grid under each executor, print a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="MSL,SMD,CalIt2")
    parser.add_argument("--methods", default="iforest,pca,knn")
    parser.add_argument("--preset", default="cpu")
    parser.add_argument("--data-root", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--executors", default="local,ray")
    parser.add_argument("--out-prefix", default="/tmp/bench_")
    args = parser.parse_args()
    console = Console(stderr=True)
    specs = expand_grid(args.datasets.split(","), args.methods.split(","), preset=args.preset, data_root=args.data_root)
    times = {}
    for executor in args.executors.split(","):
        out = Path(f"{args.out_prefix}{executor}")
        if out.exists():
            raise SystemExit(f"{out} exists; remove it or pick another --out-prefix (a resumed grid is not timed)")
        t0 = time.perf_counter()
        table = run_grid(specs, out, executor=executor, workers=args.workers, compare_paper=True, console=console)
        times[executor] = time.perf_counter() - t0
        paper = [c for c in table.columns if c.startswith(("paper_", "ratio_")) and table[c].notna().any()]
        print(f"# executor={executor} workers={args.workers} runs={len(specs)} grid_wall_s={times[executor]:.1f}")
        print(table[[c for c in SHOWN + paper if c in table]].to_csv(index=False, float_format="%.4g"))
    print("# grid wall time (s): " + ", ".join(f"{k}={v:.1f}" for k, v in times.items()))


if __name__ == "__main__":
    main()
