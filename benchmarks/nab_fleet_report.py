"""Issue 11 closing numbers: a NAB fleet bench, its rerun, and the report (size, render time, screenshot).

    AUGURY_DATA=<data folder> python benchmarks/nab_fleet_report.py --out /tmp/nabgrid --method iforest,pca

Runs ``augury bench --dataset NAB --fleet`` (one process at a time, ``--workers 1``), reruns the
same command to count what it retries, renders ``augury report`` and, when Chromium is on PATH,
a 1280x900 screenshot of the report's first screen. Prints wall times beside the machine load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd


def _augury(*args: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "augury.cli", *args], capture_output=True, text=True, check=True)
    return time.perf_counter() - t0, done.stderr


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--method", default="iforest,pca")
    ap.add_argument("--dataset", default="NAB")
    args = ap.parse_args()
    bench = ("bench", "--dataset", args.dataset, "--method", args.method, "--fleet", "--workers", "1",
             "--compare-paper", "--out", str(args.out))
    first_s, _ = _augury(*bench)
    rows_first = sum(1 for _ in (args.out / "results.jsonl").open())
    again_s, again_err = _augury(*bench)
    rows_again = sum(1 for _ in (args.out / "results.jsonl").open())
    report_s, report_err = _augury("report", str(args.out))
    table = pd.read_csv(args.out / "results.csv")
    summary = pd.read_csv(args.out / "summary.csv")
    page = args.out / "report.html"
    plots = list((args.out / "plots").glob("*.png"))
    out = {
        "load_1_5_15": os.getloadavg(),
        "bench_s": round(first_s, 1), "rerun_s": round(again_s, 1), "report_s": round(report_s, 1),
        "runs": len(table), "status_counts": table["status"].value_counts().to_dict(),
        "failed_runs": table.loc[table["status"] == "failed", [c for c in ("dataset", "method", "error")
                                                               if c in table]].to_dict("records"),
        "jsonl_lines_first": rows_first, "jsonl_lines_after_rerun": rows_again,
        "rerun_says": [line for line in again_err.splitlines() if "resuming" in line],
        "summary": summary[[c for c in ("dataset", "method", "status", "n_entities", "n_excluded", "n_failed",
                                        "auc_roc", "vus_pr", "pa_f1", "pa_f1_train") if c in summary]]
        .round(4).to_dict("records"),
        "html_bytes": page.stat().st_size, "plots": len(plots), "plots_bytes": sum(p.stat().st_size for p in plots),
        "report_progress_lines": [line for line in report_err.splitlines() if line.startswith("rendered")],
    }
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium:
        shot = args.out / "report-first-screen.png"
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--window-size=1280,900", f"--screenshot={shot}", page.resolve().as_uri()],
                       check=True, capture_output=True, timeout=300)
        out["screenshot"] = str(shot)
    print(json.dumps(out, indent=1, default=str))


if __name__ == "__main__":
    main()
