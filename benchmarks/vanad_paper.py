"""Reproduce one VAN-AD row of the paper's Table II with the official evaluation protocol.

Fits ``vanad`` with a ``paper-<dataset>`` preset, scores the test series, keeps the steps the
official code evaluates (non-overlapping windows, tail dropped: ``covered_steps``) and prints
AUC-ROC, AUC-PR, VUS-ROC, VUS-PR (window 100, 250 thresholds, no point adjustment) beside the
paper's values. Needs the pretrained MAE (``AUGURY_MAE_CHECKPOINT`` or ``--mae-checkpoint``);
``--backbone random`` and ``--max-train-windows``/``--test-steps`` run the same pipeline as a
cost/structure check only (its metrics mean nothing).

    AUGURY_MAE_CHECKPOINT=mae_visualize_vit_base.pth python benchmarks/vanad_paper.py --dataset MSL

Cost check of the ``cpu`` preset on MSL channel 0 (random MAE, a documented prefix):

    python benchmarks/vanad_paper.py --dataset MSL --preset cpu --channels 0 --backbone random \
        --max-train-windows 32 --test-steps 3000
"""

from __future__ import annotations

import argparse
import json
import os
import time

from augury import create_detector, load_dataset
from augury.bench.paper import paper_results
from augury.detectors.vanad.detector import covered_steps
from augury.metrics import auc_pr, auc_roc, vus_roc_pr

METRICS = ("auc_roc", "auc_pr", "vus_roc", "vus_pr")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="MSL", help="dataset name under the data root (e.g. MSL, CalIt2)")
    parser.add_argument("--preset", default=None, help="default: paper-<dataset in lower case>")
    parser.add_argument("--data-root", default=os.environ.get("AUGURY_DATA"))
    parser.add_argument("--mae-checkpoint", default=None)
    parser.add_argument("--backbone", default="pretrained", choices=["pretrained", "random"])
    parser.add_argument("--autocast", default=None, choices=["none", "bf16"])
    parser.add_argument("--max-train-windows", type=int, default=None)
    parser.add_argument("--channels", type=int, nargs="+", default=None, help="keep only these channels")
    parser.add_argument("--test-steps", type=int, default=None, help="score only this test prefix (cost check)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    preset = args.preset or f"paper-{args.dataset.lower()}"
    overrides: dict[str, object] = {"backbone": args.backbone}
    if args.mae_checkpoint:
        overrides["mae_checkpoint"] = args.mae_checkpoint
    if args.autocast:
        overrides["autocast"] = args.autocast
    if args.channels is not None:
        overrides["channels"] = args.channels
    if args.max_train_windows:
        overrides["max_train_windows"] = args.max_train_windows
    ds = load_dataset(args.dataset, args.data_root)
    test, labels = ds.test, ds.test_labels
    if args.test_steps:
        test, labels = test[: args.test_steps], labels[: args.test_steps]
    det = create_detector("vanad", preset, **overrides)
    load = os.getloadavg()
    t0 = time.perf_counter()
    det.fit(ds.train)
    t1 = time.perf_counter()
    scores = det.decision_function(test)
    t2 = time.perf_counter()
    n = covered_steps(len(scores), det.window)
    y, s = labels[:n], scores[:n]
    vr, vp = vus_roc_pr(y, s, window=100, thresholds=250)
    n_train_windows = int(det.decision_scores_.size // det.window)
    n_test_windows = -(-len(scores) // det.window)
    res = {"dataset": args.dataset, "preset": preset, "backbone": args.backbone, "n_train_windows": n_train_windows,
           "n_test_windows": n_test_windows, "n_evaluated": n, "fit_s": t1 - t0, "score_s": t2 - t1,
           "load_before": load, "load_after": os.getloadavg(),
           "auc_roc": auc_roc(y, s) if 0 < y.sum() < n else None, "auc_pr": auc_pr(y, s) if y.sum() else None,
           "vus_roc": vr, "vus_pr": vp}
    paper = paper_results()
    row = paper[(paper.paper == "vanad") & (paper.method == "VAN-AD") & (paper.dataset.str.lower() == args.dataset.lower())]
    res["paper"] = {m: float(row[row.metric == m].value.iloc[0]) for m in METRICS if (row.metric == m).any()}
    print(json.dumps(res, indent=2, default=float))
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            json.dump(res, fh, indent=2, default=float)


if __name__ == "__main__":
    main()
