"""Choose the ensemble's default members from a finished leaderboard folder (docs/methods/ensemble.md).

    python benchmarks/ensemble_members.py --out leaderboard-results [--max-members 3] [--max-corr 0.7]

Rule (uses the test labels only through the leaderboard's aggregate, never per series): order the
single methods by mean VUS-PR over the suite; take the best; then walk down the order and add a
method when its test scores' Spearman correlation with every chosen member, averaged over the
suite's series, is below ``--max-corr``; stop at ``--max-members``. Correlations use scores only.
Prints the ordered table with the mean correlation to the chosen set and the chosen members.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from augury.bench.suite import RANDOM, leaderboard


def mean_correlation(results: pd.DataFrame, scores: Path, a: str, b: str) -> float:
    """Spearman correlation of the test scores of methods ``a`` and ``b``, averaged over the series both ran."""
    ok = results[(results["status"] == "ok") & results["method"].isin([a, b])]
    values = []
    for _, group in ok.groupby("dataset"):
        ids = dict(zip(group["method"], group["run_id"], strict=True))
        if len(ids) < 2:
            continue
        sa = np.load(scores / f"{ids[a]}.npz")["scores"]
        sb = np.load(scores / f"{ids[b]}.npz")["scores"]
        if np.ptp(sa) > 0 and np.ptp(sb) > 0:
            values.append(spearmanr(sa, sb).statistic)
    return float(np.mean(values)) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--max-members", type=int, default=3)
    parser.add_argument("--max-corr", type=float, default=0.7)
    args = parser.parse_args()
    parts = pd.read_csv(args.out / "leaderboard_parts.csv")
    results = pd.read_csv(args.out / "results.csv")
    board = leaderboard(parts[~parts["method"].isin([RANDOM, "ensemble"])])
    chosen: list[str] = []
    rows = []
    for method in board["method"]:
        corr = max((mean_correlation(results, args.out / "scores", method, c) for c in chosen), default=0.0)
        take = len(chosen) < args.max_members and corr < args.max_corr
        if take:
            chosen.append(method)
        rows.append({"method": method, "mean_vus_pr": board.set_index("method").loc[method, "mean_vus_pr"],
                     "max_corr_to_chosen": corr, "chosen": take})
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print("members:", ",".join(f"{m}:cpu" for m in chosen))


if __name__ == "__main__":
    main()
