"""Why learned early-warning heads score near or below chance: hypotheses (b)–(e) of issue 22, with numbers.

``benchmarks/ew_diagnosis.py`` measures (a) entity shift and (f) persistence without training.
This script tests the rest with the MTS-JEPA predictor (``cpu`` preset) and ``rawfeat``, on the
entity-aware 6:2:2 split (MSL channels, SMD machines; ``augury.data.loaders.test_spans``), 5 head seeds,
pre-training MTS-JEPA ONCE per dataset and reusing the frozen encoder for every head variant
(``set_params`` + ``fit_head``; checked: the encoder object, its weights and the pre-training history
are unchanged after all head fits):

- (b) label alignment: the head trained (and selected, δ* on validation) on the CURRENT window's label
  (point labels shifted right by one window inside each part, so sample i's target is window i) vs on
  the next window's; both scored on the next-window test target;
- (c) normalisation: the predictor standardises with TRAIN statistics (``Predictor.scaler_``), then
  MTS-JEPA instance-normalises every variable of every window (RevIN without affine). The
  alternative (the official code's) is each part standardised with its own statistics: emulated
  by re-scaling every pooled part on itself before the predictor sees it;
- (d) kept epoch: best validation AUC (``restore_best=True``) vs the last epoch (official code);
- (e) saturation: validation-risk spread (std, share of windows with risk > .99 / < .01, the
  protocol's flat-risk flag) for ``classifier="attention"`` (focal loss + class weight) vs ``"mlp_bce"``.

Reported per variant: window AUC mean ± std over seeds, mean of the per-seed bootstrap 95 % bounds,
val-risk std / saturated share / flat flags. Progress goes to stderr; the markdown table to stdout.

    OMP_NUM_THREADS=1 flock /tmp/augury-heavy.lock nice -n 5 python benchmarks/ew_model_diagnosis.py
    ... --datasets MSL --seeds 2 --max-entities 6 --epochs 1    # a quick smoke run
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

Part = list[tuple[np.ndarray, np.ndarray]]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def cache_features(pred) -> dict:
    """Memoise ``pred._features`` by the windows' bytes: the encoder is frozen, so every head variant
    and seed reuses the features of the same windows (a cache hit returns the same array)."""
    cache: dict[tuple, np.ndarray] = {}
    inner = pred._features

    def cached(windows: np.ndarray) -> np.ndarray:
        key = (windows.shape, hashlib.blake2b(np.ascontiguousarray(windows).tobytes(), digest_size=16).digest())
        if key not in cache:
            cache[key] = inner(windows)
        return cache[key]

    pred._features = cached
    return cache


def shift_one_window(part: Part, w: int) -> Part:
    """Point labels moved right by one window (zeros first): sample i's "next" label becomes window i's."""
    out = []
    for x, lab in part:
        s = np.zeros_like(lab)
        s[w:] = lab[:-w]
        out.append((x, s))
    return out


def self_scaled(part: Part, pred) -> Part:
    """Each pooled part standardised on its own statistics, then mapped back through the predictor's train
    scaler, so that after ``scaler_.transform`` the predictor sees ``(x − μ_part) / σ_part``."""
    allx = np.concatenate([x for x, _ in part]).astype(np.float64)
    mu, sd = allx.mean(0), allx.std(0)
    sd = np.where(sd > 1e-12, sd, 1.0)
    off, sc = pred.scaler_.offset_, pred.scaler_.scale_
    return [(((x - mu) / sd) * sc + off, lab) for x, lab in part]


def evaluate(pred, train: Part, val: Part, test: Part, seed: int, label_mode: str = "next") -> dict:
    """Fit the head (already pre-trained ``pred``), score the pooled test part; val-risk spread."""
    from augury.early_warning.protocol import flat_risk_reason, window_scores
    from augury.early_warning.windows import sample_labels

    w = pred.window
    pred.fit_head([x for x, _ in train], [y for _, y in train], validation=([x for x, _ in val], [y for _, y in val]),
                  seed=seed, label_mode=label_mode)

    def pooled(part: Part) -> tuple[np.ndarray, np.ndarray]:
        rs, ys = [], []
        for x, lab in part:
            y, keep = sample_labels(lab, w, label_mode)
            rs.append(pred.predict_proba(x)[:-1][keep])
            ys.append(y[keep])
        return np.concatenate(rs), np.concatenate(ys)

    r_val, y_val = pooled(val)
    prob, y = pooled(test)
    m = window_scores(y, prob, pred.threshold_, seed=seed)
    m.update(val_std=float(np.std(r_val)), val_sat_hi=float(np.mean(r_val > 0.99)),
             val_sat_lo=float(np.mean(r_val < 0.01)), val_auc=float(roc_auc_score(y_val, r_val))
             if 0 < y_val.sum() < y_val.size else float("nan"),
             flat=int(flat_risk_reason(r_val, y_val) is not None),
             best_epoch=int(pred.head_history_.get("best_epoch", 0)) if isinstance(pred.head_history_, dict) else 0,
             epochs=len(pred.head_history_.get("val_auc", [])) if isinstance(pred.head_history_, dict) else 0,
             n_test=int(y.size), test_pos=int(y.sum()))
    return m


def summarise(runs: list[dict]) -> dict:
    a = np.array([r["win_auc"] for r in runs], dtype=float)
    s = {"auc": float(np.nanmean(a)), "auc_sd": float(np.nanstd(a, ddof=1)) if a.size > 1 else 0.0,
         "lo": float(np.nanmean([r["win_auc_ci_low"] for r in runs])),
         "hi": float(np.nanmean([r["win_auc_ci_high"] for r in runs])),
         "f1": float(np.nanmean([r["win_f1"] for r in runs])),
         "val_auc": float(np.nanmean([r["val_auc"] for r in runs])),
         "val_std": float(np.mean([r["val_std"] for r in runs])),
         "sat": float(np.mean([r["val_sat_hi"] + r["val_sat_lo"] for r in runs])),
         "sat_hi": float(np.mean([r["val_sat_hi"] for r in runs])),
         "sat_lo": float(np.mean([r["val_sat_lo"] for r in runs])),
         "flat": int(sum(r["flat"] for r in runs)), "n": len(runs),
         "best_epoch": float(np.mean([r["best_epoch"] for r in runs])),
         "epochs": float(np.mean([r["epochs"] for r in runs])),
         "n_test": runs[0]["n_test"], "test_pos": runs[0]["test_pos"]}
    return s


def fmt_auc(s: dict) -> str:
    return f"{s['auc']:.3f} ± {s['auc_sd']:.3f} [{s['lo']:.3f}, {s['hi']:.3f}]"


def fmt_spread(s: dict) -> str:
    return (f"AUC {s['auc']:.3f}; val std {s['val_std']:.2g}, >.99 {s['sat_hi']:.0%}, <.01 {s['sat_lo']:.0%}, "
            f"flat {s['flat']}/{s['n']}")


def run_dataset(name: str, args) -> dict:
    import torch

    torch.set_num_threads(args.threads)
    from mtsjepa_msl import _spans

    import augury
    from augury.early_warning.protocol import split_entities

    t0 = time.perf_counter()
    ds = augury.load_dataset(name, args.data_root)
    spans = _spans(ds)
    if args.max_entities:
        spans = spans[: args.max_entities]
    log(f"{name}: train {ds.train.shape}, test {ds.test.shape}, {len(spans)} entities")
    overrides = {"progress": False}
    if args.epochs:
        overrides.update(epochs=args.epochs, select_after=min(args.epochs, 5), max_pairs_per_epoch=512)
    jepa = augury.create_predictor("mtsjepa", "cpu", **overrides)
    raw = augury.create_predictor("rawfeat", "cpu")
    w = jepa.window
    parts = split_entities(ds.test, ds.test_labels, spans, w)
    tr, va, te = parts.train, parts.val, parts.test
    t1 = time.perf_counter()
    jepa.fit(ds.train)
    fit_s = time.perf_counter() - t1
    hist = jepa.pretrain_history_
    log(f"{name}: MTS-JEPA pre-trained in {fit_s:.0f} s ({len(hist.train)} epochs, best {hist.best_epoch}, "
        f"stop {hist.stop_reason})")
    raw.fit(ds.train)
    model_id = id(jepa.model_)
    weights0 = {k: v.detach().clone() for k, v in jepa.model_.state_dict().items()}
    n_epochs0 = len(hist.train)
    cache_features(jepa)
    cache_features(raw)

    # (variant key, predictor, params, (train, val, test) builder); the base params restore the defaults
    base = {"classifier": "attention", "restore_best": True}
    tr_cur, va_cur = shift_one_window(tr, w), shift_one_window(va, w)
    variants: list[tuple[str, object, dict, Callable[[], tuple[Part, Part, Part]]]] = [
        ("jepa:next", jepa, base, lambda: (tr, va, te)),
        ("jepa:current", jepa, base, lambda: (tr_cur, va_cur, te)),
        ("jepa:last", jepa, {**base, "restore_best": False}, lambda: (tr, va, te)),
        ("jepa:mlp_bce", jepa, {**base, "classifier": "mlp_bce"}, lambda: (tr, va, te)),
        ("jepa:selfscaled", jepa, base, lambda: (self_scaled(tr, jepa), self_scaled(va, jepa), self_scaled(te, jepa))),
        ("raw:next", raw, base, lambda: (tr, va, te)),
        ("raw:current", raw, base, lambda: (tr_cur, va_cur, te)),
        ("raw:last", raw, {**base, "restore_best": False}, lambda: (tr, va, te)),
        ("raw:mlp_bce", raw, {**base, "classifier": "mlp_bce"}, lambda: (tr, va, te)),
        ("raw:selfscaled", raw, base, lambda: (self_scaled(tr, raw), self_scaled(va, raw), self_scaled(te, raw))),
    ]
    out: dict = {"fit_s": fit_s, "pretrain_epochs": n_epochs0, "entities": len(parts.entities),
                 "skipped": len(parts.skipped), "variants": {}}
    for key, pred, params, build in variants:
        t2 = time.perf_counter()
        pred.set_params(**params)
        p_tr, p_va, p_te = build()
        runs = [evaluate(pred, p_tr, p_va, p_te, seed) for seed in range(args.seeds)]
        s = summarise(runs)
        s["runs"] = runs
        out["variants"][key] = s
        log(f"{name} {key}: {fmt_auc(s)}; val std {s['val_std']:.2g} sat {s['sat']:.0%} flat {s['flat']}/{s['n']} "
            f"best epoch {s['best_epoch']:.1f}/{s['epochs']:.1f} ({time.perf_counter() - t2:.0f} s)")
    jepa.set_params(**base)
    raw.set_params(**base)
    # the frozen encoder was never re-trained by set_params + fit_head
    same = id(jepa.model_) == model_id and len(jepa.pretrain_history_.train) == n_epochs0 and all(
        torch.equal(v, weights0[k]) for k, v in jepa.model_.state_dict().items())
    out["encoder_unchanged"] = bool(same)
    # (c) how far the self-scaling moves what MTS-JEPA sees: max |feature difference| on the test part
    from augury.early_warning.protocol import persistence_risk

    x0 = jepa._windows(te[0][0], "t")
    x1 = jepa._windows(self_scaled(te, jepa)[0][0], "t")
    out["selfscale_feature_maxdiff"] = float(np.max(np.abs(jepa._features(x0) - jepa._features(x1))))
    out["selfscale_input_maxdiff"] = float(np.max(np.abs(x0 - x1)))
    per = np.concatenate([persistence_risk(lab, w) for _, lab in te])
    yt = np.concatenate([np.asarray(lab[: (lab.size // w) * w]).reshape(-1, w).max(1)[1:] for _, lab in te])
    out["persistence_auc"] = float(roc_auc_score(yt, per))
    # what the head sees: per-dimension std of the features over the pooled head-train windows
    for tag, p in (("jepa", jepa), ("raw", raw)):
        f = np.concatenate([p._features(p._windows(x, "t")) for x, _ in tr])
        out[f"{tag}_feat_std"] = float(f.reshape(f.shape[0], -1).std(0).mean())
        out[f"{tag}_feat_range"] = float(np.ptp(f))
    out["wall_s"] = time.perf_counter() - t0
    log(f"{name}: done in {out['wall_s']:.0f} s; encoder unchanged: {same}")
    return out


def verdicts(r: dict) -> dict[str, str]:
    v = r["variants"]
    j, jc, jl, jm, js = (v[k] for k in ("jepa:next", "jepa:current", "jepa:last", "jepa:mlp_bce", "jepa:selfscaled"))
    rn, rc, rs = v["raw:next"], v["raw:current"], v["raw:selfscaled"]
    return {
        "b": f"current−next: JEPA {jc['auc'] - j['auc']:+.3f}, rawfeat {rc['auc'] - rn['auc']:+.3f}",
        "c": f"self−train stats: JEPA {js['auc'] - j['auc']:+.3f} (feature max|Δ| {r['selfscale_feature_maxdiff']:.1e}), "
             f"rawfeat {rs['auc'] - rn['auc']:+.3f}",
        "d": f"last−best: JEPA {jl['auc'] - j['auc']:+.3f}, rawfeat {v['raw:last']['auc'] - rn['auc']:+.3f}",
        "e": f"mlp_bce−attention: JEPA {jm['auc'] - j['auc']:+.3f}; saturated share {j['sat']:.0%} → {jm['sat']:.0%}",
    }


def table(results: dict[str, dict]) -> str:
    names = list(results)
    rows = [
        ("b label alignment", "head trained on current window's label vs next; next-window test target",
         [("JEPA next", "jepa:next", fmt_auc), ("JEPA current", "jepa:current", fmt_auc),
          ("rawfeat next", "raw:next", fmt_auc), ("rawfeat current", "raw:current", fmt_auc)]),
        ("c normalisation", "train statistics (+ per-window RevIN) vs each part standardised on itself",
         [("JEPA train-stats", "jepa:next", fmt_auc), ("JEPA self-scaled", "jepa:selfscaled", fmt_auc),
          ("rawfeat train-stats", "raw:next", fmt_auc), ("rawfeat self-scaled", "raw:selfscaled", fmt_auc)]),
        ("d best vs last epoch", "restore_best=True vs False",
         [("JEPA best", "jepa:next", fmt_auc), ("JEPA last", "jepa:last", fmt_auc),
          ("rawfeat best", "raw:next", fmt_auc), ("rawfeat last", "raw:last", fmt_auc)]),
        ("e saturation", "val-risk spread: attention+focal+class weight vs mlp_bce",
         [("JEPA attention", "jepa:next", fmt_spread), ("JEPA mlp_bce", "jepa:mlp_bce", fmt_spread),
          ("rawfeat attention", "raw:next", fmt_spread), ("rawfeat mlp_bce", "raw:mlp_bce", fmt_spread)]),
    ]
    lines = [f"| hypothesis | test | {' | '.join(f'{n} number' for n in names)} | verdict |",
             "|---|---|" + "---|" * len(names) + "---|"]
    vs = {n: verdicts(results[n]) for n in names}
    for hyp, test, items in rows:
        cells = ["<br>".join(f"{lab}: {f(results[n]['variants'][k])}" for lab, k, f in items) for n in names]
        verdict = "; ".join(f"{n}: {vs[n][hyp[0]]}" for n in names)
        lines.append(f"| {hyp} | {test} | {' | '.join(cells)} | {verdict} |")
    lines.append("")
    for n in names:
        r = results[n]
        v = r["variants"]["jepa:next"]
        lines.append(f"{n}: {r['entities']} entities ({r['skipped']} skipped), pooled test {v['n_test']} windows, "
                     f"{v['test_pos']} positive; persistence AUC {r['persistence_auc']:.3f}; pre-training "
                     f"{r['fit_s']:.0f} s ({r['pretrain_epochs']} epochs); encoder unchanged after all head fits: "
                     f"{r['encoder_unchanged']}; head-train feature std per dimension (mean): MTS-JEPA "
                     f"{r['jepa_feat_std']:.2g} (range {r['jepa_feat_range']:.2g}), rawfeat {r['raw_feat_std']:.2g}; "
                     f"self-scaling moves the JEPA input by ≤ {r['selfscale_input_maxdiff']:.2g} and its features by "
                     f"≤ {r['selfscale_feature_maxdiff']:.2g}; wall {r['wall_s']:.0f} s")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default="MSL,SMD")
    ap.add_argument("--data-root", default=None, help="default: $AUGURY_DATA")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-entities", type=int, default=0, help="smoke runs: only the first N entities")
    ap.add_argument("--epochs", type=int, default=0, help="smoke runs: pre-training epochs (0 = the cpu preset)")
    ap.add_argument("--out", type=Path, default=None, help="write the per-seed results as JSON here")
    args = ap.parse_args()
    args.data_root = args.data_root or os.environ.get("AUGURY_DATA")
    t0 = time.perf_counter()
    load0 = os.getloadavg()
    results = {name: run_dataset(name, args) for name in args.datasets.split(",")}
    if args.out:
        args.out.write_text(json.dumps(results, indent=1, default=float), encoding="utf-8")
    print(f"entity-aware 6:2:2, MTS-JEPA cpu preset (pre-trained once per dataset) and rawfeat, {args.seeds} head "
          f"seeds; window AUC mean ± std [mean of per-seed bootstrap 95 % bounds]; total {time.perf_counter() - t0:.0f} s, "
          f"load {load0[0]:.1f}→{os.getloadavg()[0]:.1f}\n")
    print(table(results))


if __name__ == "__main__":
    main()
