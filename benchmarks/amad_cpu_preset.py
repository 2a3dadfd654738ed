"""What the ``cpu`` preset costs in quality: ``paper`` vs ``cpu`` on a slice of MSL, same epoch budget.

The ``paper`` preset cannot train on full MSL on 2 cores (≈ 180 steps of 12–24 s per epoch), so
both presets are trained on the first ``--train`` steps of MSL train and scored on the first
``--test`` steps of MSL test (MSL is a concatenation of channels' series; these slices cover the
first few of them, with 6 labelled anomaly segments in the default test slice). Both get the
same number of epochs; every other hyper-parameter is the preset's own. Metrics: AUC-ROC,
AUC-PR, VUS-ROC, VUS-PR and PA-F1 under the AT threshold protocol (ar = 1), wall time.

    python benchmarks/amad_cpu_preset.py --out amad_slice.json   # data from $AUGURY_DATA
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import augury
from augury.metrics import at_threshold, evaluate


def run(preset: str, train, test, labels, epochs: int, extra: dict) -> dict:
    """Fit ``preset`` on ``train``; return metrics on ``test`` and the wall time."""
    det = augury.create_detector("amad", preset=preset, epochs=epochs, progress=False, **extra)
    t0 = time.perf_counter()
    det.fit(train)
    scores = det.decision_function(test)
    wall = time.perf_counter() - t0
    delta = at_threshold(det.decision_scores_, scores, 1.0)
    m = evaluate(labels, scores, threshold=delta, at_compat=True)
    keep = ("auc_roc", "auc_pr", "vus_roc", "vus_pr", "pa_precision", "pa_recall", "pa_f1", "random_pa_f1")
    return {
        "preset": preset,
        "overrides": extra,
        "epochs": epochs,
        "wall_s": wall,
        "history": det.history_.to_dict(),
        **{k: m[k] for k in keep},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=3000)
    parser.add_argument("--test", type=int, default=8000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data-root", default=None, help="default: $AUGURY_DATA")
    args = parser.parse_args()
    ds = augury.load_dataset("MSL", root=args.data_root)
    train, test, labels = ds.train[: args.train], ds.test[: args.test], ds.test_labels[: args.test]
    rows = []
    for preset, extra in (("cpu", {}), ("paper", {}), ("paper", {"autocast": "bf16", "lr": 1e-3})):
        rows.append(run(preset, train, test, labels, args.epochs, extra))
        print(json.dumps(rows[-1]), flush=True)
        args.out.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
