"""AMAD on real benchmarks (MSL, SMD) under the Anomaly-Transformer protocol, plus honest metrics.

For each run: fit on train (validation windows held out across the series, ``val_split``), score test, then

- AT protocol (docs/methods/amad.md §5): δ = percentile(train energy ∪ test energy, 100 − ar), ar = 1 (MSL) or
  0.5 (SMD); pred = score > δ; AT point adjustment (index-0 quirk kept) → PA precision/recall/F1.
  Train energy = ``decision_scores_`` (every position of the training windows at the detector's
  ``train_score_stride``; AT uses stride 1).
- Threshold-free: AUC-ROC, AUC-PR, VUS-ROC, VUS-PR (``augury.metrics.evaluate``).
- Random baseline: uniform random scores pushed through the *same* AT protocol (uniform random
  train energy of the same size), mean ± sd over ``--random-seeds`` seeds with the number of
  anomaly segments hit, beside the detector's own hits, plus evaluate's random threshold-free values.
- Wall time (fit, score), the load average when it finished, and peak memory (``ru_maxrss``).

Usage (data from ``--data-root`` or ``$AUGURY_DATA``)::

    python benchmarks/amad_real.py --dataset MSL --out amad_msl.json
    python benchmarks/amad_real.py --dataset SMD --set ablation=plain --out amad_smd_plain.json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import time
from pathlib import Path
from typing import Any

from amad_diagnose import random_pa, segments_hit

import augury
from augury.metrics import at_threshold, evaluate

#: Anomaly ratio (percent) of AMAD's Table 4, and the per-dataset training stride of docs/methods/amad.md §1 (AT).
AR = {"MSL": 1.0, "SMD": 0.5}
TRAIN_STRIDE = {"MSL": None, "SMD": 100}
PAPER = {
    "MSL": {"pa_precision": 0.9190, "pa_recall": 0.9569, "pa_f1": 0.9375},
    "SMD": {"pa_precision": 0.9043, "pa_recall": 0.8471, "pa_f1": 0.8748, "plain_pa_f1": 0.7766},
}


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=sorted(AR), required=True)
    parser.add_argument("--data-root", default=None, help="default: $AUGURY_DATA")
    parser.add_argument("--random-seeds", type=int, default=100)
    parser.add_argument("--preset", default="cpu")
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="hyper-parameter override"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--at-compat-val",
        action="store_true",
        help="AT's test-as-validation early stopping (leaks test data)",
    )
    parser.add_argument("--out", type=Path, required=True, help="JSON result file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    ds = augury.load_dataset(args.dataset, root=args.data_root)
    overrides: dict[str, Any] = {"seed": args.seed}
    if TRAIN_STRIDE[args.dataset] is not None:
        overrides["train_stride"] = TRAIN_STRIDE[args.dataset]
    overrides.update({k: _parse_value(v) for k, v in (s.split("=", 1) for s in args.set)})
    det = augury.create_detector("amad", preset=args.preset, **overrides)
    print(f"{args.dataset}: train {ds.train.shape}, test {ds.test.shape}; {det!r}", flush=True)

    t0 = time.perf_counter()
    det.fit(ds.train, validation=ds.test if args.at_compat_val else None)
    t_fit = time.perf_counter() - t0
    print(f"fit {t_fit:.1f}s, history {det.history_.to_dict()}", flush=True)
    t0 = time.perf_counter()
    scores = det.decision_function(ds.test)
    t_score = time.perf_counter() - t0

    ar = AR[args.dataset]
    delta = at_threshold(det.decision_scores_, scores, ar)
    metrics = evaluate(
        ds.test_labels, scores, threshold=delta, threshold_source="at_train_test_energy", at_compat=True
    )
    result = {
        "dataset": args.dataset,
        "preset": args.preset,
        "validation": det.validation_source_,
        "params": det.get_params(),
        "n_train": int(ds.train.shape[0]),
        "n_test": int(ds.test.shape[0]),
        "ar": ar,
        "n_train_energy": int(det.decision_scores_.size),
        "fit_s": t_fit,
        "score_s": t_score,
        "wall_s": t_fit + t_score,
        "load_avg": os.getloadavg(),
        "peak_mem_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "history": det.history_.to_dict(),
        **{k: v for k, v in metrics.items() if not k.endswith("_def")},
        "segments_hit": segments_hit(ds.test_labels, scores > delta),
        "random_at_pa_f1": random_pa(ds.test_labels, det.decision_scores_.size, ar, args.random_seeds),
        "paper": PAPER[args.dataset],
    }
    args.out.write_text(json.dumps(result, indent=2, default=str))
    keys = [
        "wall_s",
        "load_avg",
        "peak_mem_mb",
        "pa_precision",
        "pa_recall",
        "pa_f1",
        "segments_hit",
        "auc_roc",
        "auc_pr",
        "vus_roc",
        "vus_pr",
        "random_at_pa_f1",
        "random_auc_roc",
        "random_auc_pr",
        "random_vus_roc",
        "random_vus_pr",
    ]
    print(json.dumps({k: result[k] for k in keys}, indent=2), flush=True)


if __name__ == "__main__":
    main()
