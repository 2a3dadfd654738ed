"""VUS-PR parity of augury's univariate detectors with TSB-AD on the TSB-AD-U files.

    AUGURY_DATA=<data root> python benchmarks/tsbad_parity_uni.py [--methods subpca poly]

TSB-AD's protocol for unsupervised methods: fit on the whole series (``test.npy``) and score it;
VUS window = the channel-0 period (:func:`augury.metrics.estimate_period`, TSB-AD's
``find_length_rank``). For each file and method the table gives augury's VUS-PR (``paper``
preset), tsb-ad 1.5's run locally on the same series and scored with the same VUS, and the
published leaderboard value (``--reference``, default the shared ``tsbad_rows_U_vus_pr.csv``).
Needs ``pip install --no-deps tsb-ad==1.5`` and, for its POLY import, ``pip install arch``. Prints markdown and the machine load.
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from pathlib import Path

import numpy as np

import augury
from augury.data.loaders import load_dataset
from augury.metrics import auc_roc, estimate_period, vus_pr

#: augury name → (TSB-AD leaderboard column, tsb-ad 1.5 runner in TSB_AD.model_wrapper, its HP_list kwargs)
METHODS = {
    "subpca": ("Sub-PCA", "run_Sub_PCA", {"periodicity": 1, "n_components": None}),
    "poly": ("POLY", "run_POLY", {"periodicity": 1, "power": 4}),
    "matrixprofile": ("MatrixProfile", "run_MatrixProfile", {"periodicity": 1}),
}


def _published(path: Path) -> dict[str, dict[str, str]]:
    with path.open() as fh:
        return {row["file"].removesuffix(".csv"): row for row in csv.DictReader(fh)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--collection", default="TSB-AD-U")
    parser.add_argument("--reference", type=Path, default=Path("/work/shared/reference/tsbad_rows_U_vus_pr.csv"))
    args = parser.parse_args()
    from TSB_AD import model_wrapper

    published = _published(args.reference)
    root = Path(os.environ["AUGURY_DATA"]) / args.collection
    print(f"load before: {os.getloadavg()}")
    print("| file | method | augury VUS-PR | tsb-ad 1.5 VUS-PR | published | augury − published | "
          "augury AUC-ROC | random VUS-PR | augury s | tsb-ad s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        ds = load_dataset(folder)
        x, y = ds.test.astype(np.float64), ds.test_labels.astype(int)
        window = estimate_period(x[:, 0])
        rng = np.random.default_rng(0)
        random_vus = vus_pr(y, rng.random(len(y)), window)
        for name in args.methods:
            column, runner, kwargs = METHODS[name]
            start = time.perf_counter()
            ours = augury.create_detector(name, "paper").fit(x).decision_scores_
            t_ours = time.perf_counter() - start
            start = time.perf_counter()
            ref = np.asarray(getattr(model_wrapper, runner)(x, **kwargs), dtype=np.float64)
            t_ref = time.perf_counter() - start
            ours_vus, ref_vus = vus_pr(y, ours, window), vus_pr(y, ref, window)
            pub = float(published[folder.name][column])
            print(f"| {folder.name} | {name} | {ours_vus:.4f} | {ref_vus:.4f} | {pub:.4f} | {ours_vus - pub:+.4f} | "
                  f"{auc_roc(y, ours):.4f} | {random_vus:.4f} | {t_ours:.2f} | {t_ref:.2f} |")
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
