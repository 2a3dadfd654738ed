"""Could a better head rescue learned early warning? Two probes on the entity-aware 6:2:2 split (issue 22).

``ew_model_diagnosis.py`` found MTS-JEPA's validation risk flat and its frozen features nearly constant
(per-dimension std 0.006 on MSL, 0.0002 on SMD, against 0.6–0.9 for raw-window statistics). Two
ways out a user might try, each scored on the pooled test part with 5 head seeds and chosen by
nothing but their own validation AUC:

1. **Standardised JEPA features.** The code probabilities ``[N, 5, K]`` z-scored per dimension on the
   head-train windows (or their logs, z-scored), then the shared head (``attention`` and ``mlp_bce``).
2. **A supervised head on detector scores.** Per window: iforest and knn (``cpu`` presets, fitted on
   train) mean / max / last-20-step mean score, and three raw statistics (mean |z|, mean std, mean
   |Δz|); logistic regression (balanced) and gradient boosting (depth 3, balanced), both on the
   head-train windows. Beside them, each single feature's AUC on head-train / validation / test.

    OMP_NUM_THREADS=1 flock /tmp/augury-heavy.lock nice -n 5 python benchmarks/ew_head_probes.py --datasets MSL,SMD

Progress on stderr, markdown tables on stdout.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
from sklearn.metrics import roc_auc_score

W = 100
SEEDS = 5
FEATURE_NAMES = ["iforest mean", "iforest max", "iforest last 20", "knn mean", "knn max", "knn last 20",
                 "mean |z|", "mean std", "mean |Δz|"]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def pooled(part, fn) -> tuple[np.ndarray, np.ndarray]:
    """Per-window features ``fn(x)`` ``[n, …]`` of every entity's part, the last window dropped (it has no
    next window), and the next-window labels."""
    from augury.early_warning.windows import sample_labels

    xs, ys = [], []
    for x, lab in part:
        y, keep = sample_labels(lab, W, "next")
        xs.append(fn(x)[:-1][keep])
        ys.append(y[keep])
    return np.concatenate(xs), np.concatenate(ys)


def zscore(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    mu, sd = train.mean(0, keepdims=True), train.std(0, keepdims=True)
    sd = np.where(sd > 1e-12, sd, 1.0)
    return [((a - mu) / sd).astype(np.float32) for a in (train, *others)]


def jepa_probe(ds, parts) -> list[dict]:
    import augury
    from augury.early_warning.head import HeadConfig, head_proba, train_head

    t0 = time.perf_counter()
    pred = augury.create_predictor("mtsjepa", "cpu", progress=False).fit(ds.train)
    log(f"{ds.name}: MTS-JEPA pre-trained in {time.perf_counter() - t0:.0f} s")

    def feats(x: np.ndarray) -> np.ndarray:
        return pred._features(pred._windows(x, "part"))

    (ftr, ytr), (fva, yva), (fte, yte) = (pooled(p, feats) for p in (parts.train, parts.val, parts.test))
    logs = [np.log(a + 1e-8) for a in (ftr, fva, fte)]
    inputs = {"as is": (ftr, fva, fte), "z-scored": tuple(zscore(ftr, fva, fte)), "log, z-scored": tuple(zscore(*logs))}
    rows = []
    for tag, (tr, va, te) in inputs.items():
        for clf in ("attention", "mlp_bce"):
            val, test, sd = [], [], []
            for seed in range(SEEDS):
                head, _ = train_head(tr, ytr, va, yva, HeadConfig(classifier=clf), seed)
                p_va, p_te = head_proba(head, va), head_proba(head, te)
                val.append(roc_auc_score(yva, p_va))
                test.append(roc_auc_score(yte, p_te))
                sd.append(float(np.std(p_va)))
            rows.append({"features": f"JEPA codes, {tag}", "head": clf, "val_auc": np.mean(val),
                         "test_auc": np.mean(test), "test_sd": np.std(test, ddof=1), "val_risk_std": np.mean(sd)})
            log(f"{ds.name} JEPA {tag} {clf}: val {np.mean(val):.3f} test {np.mean(test):.3f}")
    rows.append({"features": "(per-dimension std of the head-train features)", "head": "",
                 "val_auc": np.nan, "test_auc": np.nan, "test_sd": np.nan,
                 "val_risk_std": float(ftr.reshape(len(ftr), -1).std(0).mean())})
    return rows


def detector_probe(ds, parts) -> tuple[list[dict], list[dict]]:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import augury
    from augury.data.scaling import Scaler

    dets = {d: augury.create_detector(d, "cpu").fit(ds.train) for d in ("iforest", "knn")}
    scaler = Scaler("standard").fit(ds.train)

    def feats(x: np.ndarray) -> np.ndarray:
        n = x.shape[0] // W
        cols = []
        for det in dets.values():
            s = det.decision_function(x)[: n * W].reshape(n, W)
            cols += [s.mean(1), s.max(1), s[:, -20:].mean(1)]
        z = scaler.transform(x)[: n * W].reshape(n, W, -1)
        cols += [np.abs(z).mean((1, 2)), z.std(1).mean(1), np.abs(np.diff(z, axis=1)).mean((1, 2))]
        return np.stack(cols, 1)

    t0 = time.perf_counter()
    (xtr, ytr), (xva, yva), (xte, yte) = (pooled(p, feats) for p in (parts.train, parts.val, parts.test))
    log(f"{ds.name}: detector features in {time.perf_counter() - t0:.0f} s")
    single = [{"feature": name, **{part: roc_auc_score(y, x[:, j]) for part, x, y in
                                   (("head-train", xtr, ytr), ("validation", xva, yva), ("test", xte, yte))}}
              for j, name in enumerate(FEATURE_NAMES)]
    rows = []
    models = {
        "logistic regression": lambda s: LogisticRegression(class_weight="balanced", max_iter=2000),
        "gradient boosting": lambda s: HistGradientBoostingClassifier(max_depth=3, max_iter=200, learning_rate=0.05,
                                                                      class_weight="balanced", random_state=s),
    }
    for name, make in models.items():
        val, test = [], []
        for seed in range(SEEDS):
            m = make_pipeline(StandardScaler(), make(seed)).fit(xtr, ytr)
            val.append(roc_auc_score(yva, m.predict_proba(xva)[:, 1]))
            test.append(roc_auc_score(yte, m.predict_proba(xte)[:, 1]))
        rows.append({"features": "detector scores + raw statistics (9)", "head": name, "val_auc": np.mean(val),
                     "test_auc": np.mean(test), "test_sd": np.std(test, ddof=1), "val_risk_std": np.nan})
    rows.append({"features": f"head-train / val / test windows (positive): {len(ytr)} ({int(ytr.sum())}) / "
                             f"{len(yva)} ({int(yva.sum())}) / {len(yte)} ({int(yte.sum())})", "head": "",
                 "val_auc": np.nan, "test_auc": np.nan, "test_sd": np.nan, "val_risk_std": np.nan})
    return rows, single


def fmt(v: float) -> str:
    return "–" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:.3g}" if abs(v) < 0.01 else f"{v:.3f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default="MSL,SMD")
    ap.add_argument("--data-root", default=None, help="default: $AUGURY_DATA")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    import augury
    from augury.data.loaders import test_spans
    from augury.early_warning.protocol import split_entities

    load0, t0 = os.getloadavg()[0], time.perf_counter()
    for name in args.datasets.split(","):
        ds = augury.load_dataset(name, args.data_root or os.environ.get("AUGURY_DATA"))
        parts = split_entities(ds.test, ds.test_labels, test_spans(ds), W)
        rows, single = detector_probe(ds, parts)
        rows = jepa_probe(ds, parts) + rows
        print(f"\n### {name}: entity-aware 6:2:2, {SEEDS} head seeds, window AUC\n")
        print("| features | head | val AUC | test AUC (mean ± sd) | val risk std |\n|---|---|---|---|---|")
        for r in rows:
            spread = "" if np.isnan(r["test_sd"]) else f" ± {r['test_sd']:.3f}"
            print(f"| {r['features']} | {r['head']} | {fmt(r['val_auc'])} | {fmt(r['test_auc'])}{spread} "
                  f"| {fmt(r['val_risk_std'])} |")
        print("\n| single feature | head-train AUC | validation AUC | test AUC |\n|---|---|---|---|")
        for r in single:
            print(f"| {r['feature']} | {r['head-train']:.3f} | {r['validation']:.3f} | {r['test']:.3f} |")
    print(f"\ntotal {time.perf_counter() - t0:.0f} s, load {load0:.1f}→{os.getloadavg()[0]:.1f} (2 cores)")


if __name__ == "__main__":
    main()
