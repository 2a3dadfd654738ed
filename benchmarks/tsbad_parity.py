"""Every key of TSB-AD's ``get_metrics`` next to augury's value, with the time each side takes.

    AUGURY_DATA=<data root> python benchmarks/tsbad_parity.py \
        [--series TSB-AD-U/001_NAB_id_1_Facility_tr_1007_1st_2014] [--method iforest] [--repeats 3]

Fits the detector (augury's ``cpu`` preset) on the series' train split, scores the test split
(TSB-AD convention: the whole series), and picks the VUS window as TSB-AD's benchmark does
(``find_length_rank`` of the series = :func:`augury.metrics.estimate_period`). Each TSB-AD number is
computed by the ``basic_metricor`` call ``get_metrics`` makes for it (one run: the reference is
slow); augury's time is the best of ``--repeats``. Needs ``pip install --no-deps tsb-ad==1.5``.
Prints a markdown table and the machine load (os.getloadavg) before and after.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import numpy as np

from augury.data.loaders import load_dataset
from augury.detectors.registry import create_detector
from augury.metrics import (
    auc_pr,
    auc_roc,
    estimate_period,
    oracle_affiliation_f,
    oracle_event_f1,
    oracle_pa_f1,
    oracle_range_f1,
    tsbad_metrics,
    vus_roc_pr,
)
from augury.metrics.tsbad import TSBAD_KEYS, tsbad_standard_f1


def _timed(fn: Callable[[], Any], repeats: int) -> tuple[Any, float]:
    """``(result, best wall time in s over repeats)``."""
    best, value = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return value, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", default="TSB-AD-U/001_NAB_id_1_Facility_tr_1007_1st_2014")
    parser.add_argument("--method", default="iforest")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from TSB_AD.evaluation.basic_metrics import basic_metricor, generate_curve

    load_before = os.getloadavg()
    ds = load_dataset(args.series)
    det = create_detector(args.method, preset="cpu").fit(ds.train)
    score = det.decision_function(ds.test).astype(np.float64)
    y = ds.test_labels.astype(int)
    window = estimate_period(ds.test[:, 0])
    g = basic_metricor()

    reference: dict[str, Callable[[], float]] = {
        "AUC-PR": lambda: g.metric_PR(y, score),
        "AUC-ROC": lambda: g.metric_ROC(y, score),
        "VUS-PR": lambda: generate_curve(y, score, window, "opt", 250)[7],
        "VUS-ROC": lambda: generate_curve(y, score, window, "opt", 250)[6],
        "Standard-F1": lambda: g.metric_PointF1(y, score),
        "PA-F1": lambda: g.metric_PointF1PA(y, score),
        "Event-based-F1": lambda: g.metric_EventF1PA(y, score),
        "R-based-F1": lambda: g.metric_RF1(y, score),
        "Affiliation-F": lambda: g.metric_Affiliation(y, score),
    }
    ours: dict[str, Callable[[], float]] = {
        "AUC-PR": lambda: auc_pr(y, score),
        "AUC-ROC": lambda: auc_roc(y, score),
        "VUS-PR": lambda: vus_roc_pr(y, score, window)[1],
        "VUS-ROC": lambda: vus_roc_pr(y, score, window)[0],
        "Standard-F1": lambda: tsbad_standard_f1(y, score),
        "PA-F1": lambda: oracle_pa_f1(y, score),
        "Event-based-F1": lambda: oracle_event_f1(y, score),
        "R-based-F1": lambda: oracle_range_f1(y, score),
        "Affiliation-F": lambda: oracle_affiliation_f(y, score),
    }

    print(f"series {args.series}: T = {y.size}, anomalous steps {int(y.sum())}, method {args.method} (cpu preset), "
          f"slidingWindow = {window} (find_length_rank), thre = 250; tsb-ad {version('tsb-ad')}")
    print(f"load average before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f} "
          f"({os.cpu_count()} cores)\n")
    print("| key | TSB-AD 1.5 | augury | abs diff | TSB-AD s | augury s | speed-up |")
    print("|---|---|---|---|---|---|---|")
    total_ref = total_ours = 0.0
    values: dict[str, float] = {}
    for key in TSBAD_KEYS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref, t_ref = _timed(reference[key], 1)
        got, t_ours = _timed(ours[key], args.repeats)
        ref, got = float(ref), float(got)
        values[key] = got
        total_ref, total_ours = total_ref + t_ref, total_ours + t_ours
        print(f"| {key} | {ref:.12f} | {got:.12f} | {abs(ref - got):.1e} | {t_ref:.3f} | {t_ours:.4f} | "
              f"{t_ref / t_ours:.0f}x |")
    whole, t_whole = _timed(lambda: tsbad_metrics(y, score, window), args.repeats)
    print(f"| (sum of the keys) | | | | {total_ref:.3f} | {total_ours:.4f} | {total_ref / total_ours:.0f}x |")
    print(f"\naugury tsbad_metrics(y, score, {window}) as one call: {t_whole:.4f} s (best of {args.repeats}); "
          f"same values as the augury column: {all(whole[k] == values[k] for k in TSBAD_KEYS)}")
    load_after = os.getloadavg()
    print(f"load average after: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")


if __name__ == "__main__":
    main()
