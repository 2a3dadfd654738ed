"""VUS-PR parity of augury's univariate detectors with TSB-AD on the TSB-AD-U files.

    AUGURY_DATA=<data root> python benchmarks/tsbad_parity_uni.py [--methods subpca poly]

TSB-AD's protocol for unsupervised methods: fit on the whole series (``test.npy``) and score it;
VUS window = the channel-0 period (:func:`augury.metrics.estimate_period`, TSB-AD's
``find_length_rank``). For each file and method the table gives augury's VUS-PR (``paper``
preset), tsb-ad 1.5's run locally on the same series and scored with the same VUS, and the
published leaderboard value (``--reference``, default the shared ``tsbad_rows_U_vus_pr.csv``).
Needs ``pip install --no-deps tsb-ad==1.5`` and, for its POLY import, ``pip install arch``. Prints markdown and the machine load.

KShapeAD is randomised (k-Shape's random starts; TSB-AD leaves them unseeded): both sides run
``--seeds`` seeds (augury ``seed=s``; tsb-ad after ``numpy.random.seed(s)``, which its unseeded
k-Shape draws from) and the table gives the mean VUS-PR with the range in brackets.
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
    "kshapead": ("KShapeAD", "run_KShapeAD", {"periodicity": 1}),
    "subpca": ("Sub-PCA", "run_Sub_PCA", {"periodicity": 1, "n_components": None}),
    "poly": ("POLY", "run_POLY", {"periodicity": 1, "power": 4}),
    "matrixprofile": ("MatrixProfile", "run_MatrixProfile", {"periodicity": 1}),
}


#: methods whose result depends on the seed
RANDOMISED = {"kshapead"}


def _cell(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.4f}"
    return f"{np.mean(values):.4f} [{min(values):.4f}, {max(values):.4f}]"


def _published(path: Path) -> dict[str, dict[str, str]]:
    with path.open() as fh:
        return {row["file"].removesuffix(".csv"): row for row in csv.DictReader(fh)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--collection", default="TSB-AD-U")
    parser.add_argument("--seeds", type=int, default=3, help="seeds of the randomised methods (mean reported)")
    parser.add_argument("--reference", type=Path, default=Path("/work/shared/reference/tsbad_rows_U_vus_pr.csv"))
    args = parser.parse_args()
    np.Inf = np.inf  # tsb-ad 1.5's SAND predates NumPy 2, which removed this alias
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
            ours_vus, ref_vus, ours_auc, t_ours, t_ref, ref_error = [], [], [], 0.0, 0.0, ""
            for seed in range(args.seeds if name in RANDOMISED else 1):
                start = time.perf_counter()
                ours = augury.create_detector(name, "paper", seed=seed).fit(x).decision_scores_
                t_ours += time.perf_counter() - start
                ours_vus.append(vus_pr(y, ours, window))
                ours_auc.append(auc_roc(y, ours))
                np.random.seed(seed)
                start = time.perf_counter()
                try:
                    ref = np.asarray(getattr(model_wrapper, runner)(x, **kwargs), dtype=np.float64)
                except ValueError as err:  # e.g. tsb-ad's KShapeAD asks for more clusters than subsequences
                    ref_error = f"fails: {err}"
                else:
                    ref_vus.append(vus_pr(y, ref, window))
                t_ref += time.perf_counter() - start
            pub = float(published[folder.name][column])
            print(f"| {folder.name} | {name} | {_cell(ours_vus)} | {_cell(ref_vus) if ref_vus else ref_error} | {pub:.4f} | "
                  f"{np.mean(ours_vus) - pub:+.4f} | {np.mean(ours_auc):.4f} | {random_vus:.4f} | "
                  f"{t_ours / len(ours_vus):.2f} | {t_ref / len(ours_vus):.2f} |")
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
