"""Parity of augury's deep field detectors with TSB-AD: published VUS-PR, tsb-ad 1.5 run here, ours.

    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 flock /tmp/augury-heavy.lock nice -n 5 \
        env AUGURY_DATA=/work/shared/data PYTHONPATH=src python benchmarks/tsbad_parity_deep.py \
        [--methods cnn usad lstmad omnianomaly] [--seeds 3] [--suites M U] [--out parity.csv]

TSB-AD's protocol (``benchmark_exp/Run_Detector_M.py`` / ``_U.py``): fit on the ``tr_N`` prefix
(the dataset's train split), score the whole series; VUS window = TSB-AD's ``find_length_rank`` of
channel 0 (:func:`augury.metrics.estimate_period`). Ours: the ``paper`` preset (for TSB-AD-U with
TSB-AD's univariate choice of window), mean of ``--seeds`` seeds. tsb-ad 1.5: its
``model_wrapper.run_<Name>`` with the same hyper-parameters, one run (torch seeded). Both are scored
with the same VUS-PR (augury's, parity-tested against tsb-ad 1.5's), so the gap between the two
columns is the detectors'; the published rows use TSB-AD's latest VUS (see the rows' README).
Each finished row is appended to ``--out`` at once (a rerun skips rows already there), then the
table is printed with the machine load.
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from pathlib import Path

import numpy as np
import torch

from augury.data.loaders import load_dataset
from augury.detectors.registry import create_detector
from augury.metrics import estimate_period, vus_pr

REF = Path(os.environ.get("AUGURY_REF", "/work/shared/reference"))
#: our name → (TSB-AD's name, its window parameter's name)
TSBAD = {"cnn": ("CNN", "window_size"), "lstmad": ("LSTMAD", "window_size"), "usad": ("USAD", "win_size"),
         "omnianomaly": ("OmniAnomaly", "win_size")}
FIELDS = ["suite", "file", "method", "published", "tsbad", "ours_mean", "ours_sd", "ours_seeds", "fit_s_ours",
          "fit_s_tsbad", "load"]


def _published(suite: str) -> dict[tuple[str, str], float]:
    out = {}
    with open(REF / f"tsbad_rows_{suite}_vus_pr.csv") as fh:
        for row in csv.DictReader(fh):
            for ours, (theirs, _) in TSBAD.items():
                if row.get(theirs):
                    out[(row["file"].removesuffix(".csv"), ours)] = float(row[theirs])
    return out


def _tsbad_params(suite: str, method: str) -> dict:
    from TSB_AD.HP_list import Optimal_Multi_algo_HP_dict, Optimal_Uni_algo_HP_dict

    table = Optimal_Multi_algo_HP_dict if suite == "M" else Optimal_Uni_algo_HP_dict
    return dict(table[TSBAD[method][0]])


def _ours(suite: str, method: str, train: np.ndarray, test: np.ndarray, seed: int) -> np.ndarray:
    hp = _tsbad_params(suite, method)
    params = {"window": hp[TSBAD[method][1]], "lr": hp.get("lr", 0.0008), "seed": seed, "progress": False}
    return create_detector(method, "paper", **params).fit(train).decision_function(test)


def _theirs(suite: str, method: str, train: np.ndarray, test: np.ndarray) -> np.ndarray:
    from TSB_AD import model_wrapper

    if not hasattr(np, "Inf"):  # tsb-ad 1.5's early stopping still uses the alias NumPy 2 removed
        np.Inf = np.inf
    torch.manual_seed(0)
    np.random.seed(0)
    # run_<Name> directly: run_Semisupervise_AD turns every exception into a returned string
    run = getattr(model_wrapper, f"run_{TSBAD[method][0]}")
    return np.asarray(run(train, test, **_tsbad_params(suite, method)), dtype=np.float64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", default=["cnn", "usad", "lstmad", "omnianomaly"])
    parser.add_argument("--suites", nargs="+", default=["M", "U"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--no-tsbad", action="store_true", help="skip running tsb-ad 1.5 locally")
    parser.add_argument("--out", default="tsbad_parity_deep.csv")
    args = parser.parse_args()
    out = Path(args.out)
    done = set()
    if out.exists():
        with open(out) as fh:
            done = {(r["suite"], r["file"], r["method"]) for r in csv.DictReader(fh)}
    root = Path(os.environ["AUGURY_DATA"])
    for suite in args.suites:
        published = _published(suite)
        for folder in sorted(p for p in (root / f"TSB-AD-{suite}").iterdir() if p.is_dir()):
            ds = load_dataset(folder)
            y = ds.test_labels.astype(int)
            window = estimate_period(ds.test[:, 0])
            for method in args.methods:
                if (suite, folder.name, method) in done:
                    continue
                t0 = time.perf_counter()
                ours = [vus_pr(y, _ours(suite, method, ds.train, ds.test, s), window) for s in range(args.seeds)]
                t_ours = (time.perf_counter() - t0) / args.seeds
                theirs, t_theirs = float("nan"), float("nan")
                if not args.no_tsbad:
                    t0 = time.perf_counter()
                    theirs = vus_pr(y, _theirs(suite, method, ds.train, ds.test), window)
                    t_theirs = time.perf_counter() - t0
                row = {"suite": suite, "file": folder.name, "method": method,
                       "published": published.get((folder.name, method), float("nan")), "tsbad": theirs,
                       "ours_mean": float(np.mean(ours)), "ours_sd": float(np.std(ours)),
                       "ours_seeds": " ".join(f"{v:.3f}" for v in ours), "fit_s_ours": t_ours,
                       "fit_s_tsbad": t_theirs, "load": f"{os.getloadavg()[0]:.1f}"}
                new = not out.exists()
                with open(out, "a", newline="") as fh:
                    writer = csv.DictWriter(fh, FIELDS)
                    if new:
                        writer.writeheader()
                    writer.writerow(row)
                print({k: (f"{v:.3f}" if isinstance(v, float) else v) for k, v in row.items()}, flush=True)
    with open(out) as fh:
        rows = list(csv.DictReader(fh))
    print("| suite | file | method | published | tsb-ad 1.5 | ours (mean ± sd) | ours − published | fit s ours / tsb-ad | load |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        gap = float(r["ours_mean"]) - float(r["published"])
        print(f"| {r['suite']} | {r['file'][:24]} | {r['method']} | {float(r['published']):.3f} | {float(r['tsbad']):.3f} "
              f"| {float(r['ours_mean']):.3f} ± {float(r['ours_sd']):.3f} | {gap:+.3f} | "
              f"{float(r['fit_s_ours']):.0f} / {float(r['fit_s_tsbad']):.0f} | {r['load']} |")


if __name__ == "__main__":
    main()
