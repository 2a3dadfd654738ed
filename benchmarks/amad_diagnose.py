"""Why AMAD ranks near chance: train once per configuration, then compare every score variant.

One run = one dataset + one configuration (``cpu`` preset plus ``--set`` overrides). The model is
trained epoch by epoch with the library's own training step; after each epoch the validation
losses (Max-style, Min-style, reconstruction) are logged and the weights kept. For the
checkpoint of every epoch (the model-selection rules pick among them: epoch 1, last, best
validation reconstruction, AT's both-losses rule) the per-position, per-channel squared reconstruction error and the CAD of
the test windows (non-overlapping, as the detector scores) and of the training windows (stride =
window, every ``--train-every``-th) are cached to ``<out>/<tag>_e<epoch>.npz``. Every score variant is then derived from
those arrays, so no variant needs a second training:

- ``rec``: Σ_c err (the literal reconstruction error); ``rec_norm``: Σ_c err / m_c with m_c the
  mean error of channel c on the training windows (channel-normalised); ``rec_norm_med``: the
  same with m_c floored at the median over channels (only channels above it are scaled down);
- ``cad-`` / ``cad+``: −CAD or +CAD alone;
- ``rec*sm(-kCAD)``: Eq. 21 with sharpness k (k = 1 literal; k = 50·L the Anomaly-Transformer
  equivalent: AT multiplies its divergence by 50 and sums over L layers); ``sm(+kCAD)`` flips the sign;
- the same products on ``rec_norm``; ``input_z2``: Σ_c z² of the input (no model).

Metrics: AUC-ROC and VUS-PR; for each variant PA-F1 under the AT protocol (threshold = percentile
100 − ar of train ∪ test energy, AT point adjustment) with the number of the test anomaly
segments hit; the random baseline of that protocol over ``--random-seeds`` seeds (mean ± sd).
Attention diagnostics: mean row entropy of A and S (ln N = uniform) and the ω range.

    AUGURY_DATA=... python benchmarks/amad_diagnose.py --dataset MSL --tag msl_head --set attn_scale=head \\
        --out-dir scratch/amad
    python benchmarks/amad_diagnose.py --report --out-dir scratch/amad   # markdown tables of all runs
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

import augury
from augury.data.windowing import sliding_windows, windows_to_steps
from augury.detectors.amad.losses import cross_attention_divergence
from augury.detectors.amad.split import split_windows
from augury.detectors.amad.train import _epoch_indices, train_step, validation_losses
from augury.metrics import at_threshold, auc_roc, pa_prf, vus_roc_pr
from augury.metrics._validation import segments

AR = {"MSL": 1.0, "SMD": 0.5}
TRAIN_STRIDE = {"MSL": 1, "SMD": 100}


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


@torch.no_grad()
def cache_errors(model: torch.nn.Module, windows: np.ndarray, batch: int, autocast_mode: str) -> dict:
    """Per-channel squared error ``[N, W, C]`` (float32), CAD ``[N, W]`` and attention entropies."""
    from augury.nn.precision import autocast

    model.eval()
    errs, cads, ent_a, ent_s = [], [], [], []
    for i in range(0, len(windows), batch):
        x = torch.from_numpy(np.ascontiguousarray(windows[i : i + batch]))
        with autocast(autocast_mode):
            recon, a_maps, s_maps = model(x)
        errs.append(((x - recon) ** 2).numpy().astype(np.float32))
        if a_maps:
            cads.append(cross_attention_divergence(a_maps, s_maps).numpy())
            if i == 0:
                ent_a = [float(-(a * torch.log(a + 1e-12)).sum(-1).mean()) for a in a_maps]
        else:
            cads.append(np.zeros(errs[-1].shape[:2], dtype=np.float32))
        if i == 0:
            ent_s = [float(-(s * torch.log(s + 1e-12)).sum(-1).mean()) for s in s_maps]
    return {"err": np.concatenate(errs), "cad": np.concatenate(cads), "ent_a": ent_a, "ent_s": ent_s}


def softmax_rows(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def variants(err: np.ndarray, cad: np.ndarray, m_c: np.ndarray, n_layers: int) -> dict[str, np.ndarray]:
    """Every score variant per window position ``[N, W]`` from cached error and CAD."""
    rec = err.sum(-1)
    rec_norm = (err / m_c).sum(-1)
    k_at = 50.0 * n_layers
    out = {
        "rec": rec,
        "rec_norm": rec_norm,
        "rec_norm_med": (err / np.maximum(m_c, np.median(m_c))).sum(-1),
        "cad-": -cad,
        "cad+": cad,
    }
    for k, name in ((1.0, "1"), (k_at, "AT")):
        out[f"rec*sm(-{name}CAD)"] = rec * softmax_rows(-k * cad)
        out[f"rec*sm(+{name}CAD)"] = rec * softmax_rows(k * cad)
        out[f"recn*sm(-{name}CAD)"] = rec_norm * softmax_rows(-k * cad)
    return out


def segments_hit(y: np.ndarray, pred: np.ndarray) -> int:
    """Number of labelled anomaly segments of ``y`` with at least one predicted step."""
    seg_s, seg_e = segments(y)
    csum = np.concatenate(([0], np.cumsum(pred, dtype=np.int64)))
    return int(np.sum(csum[seg_e + 1] - csum[seg_s] > 0))


def score_metrics(
    y: np.ndarray, test_w: np.ndarray, starts: np.ndarray, train_w: np.ndarray, ar: float, window: int
) -> dict[str, float]:
    """AUC-ROC, VUS-PR and AT-protocol PA-F1 (+ segments hit) of one variant."""
    s = windows_to_steps(test_w, starts, y.size, window)
    delta = at_threshold(train_w.ravel(), s, ar)
    return {
        "auc_roc": auc_roc(y, s),
        "vus_pr": vus_roc_pr(y, s, 100, 250)[1],
        "pa_f1": pa_prf(y, s, delta, at_compat=True)["f1"],
        "segments_hit": segments_hit(y, s > delta),
        "n_segments": int(segments(y)[0].size),
    }


def random_pa(y: np.ndarray, n_train: int, ar: float, n_seeds: int) -> dict[str, float]:
    """PA-F1 (mean, sd) and segments hit of uniform random train/test energies under the AT protocol."""
    f1, hits = [], []
    for seed in range(n_seeds):
        rng = np.random.default_rng(seed)
        tr, te = rng.random(n_train), rng.random(y.size)
        delta = at_threshold(tr, te, ar)
        f1.append(pa_prf(y, te, delta, at_compat=True)["f1"])
        hits.append(segments_hit(y, te > delta))
    return {
        "mean": float(np.mean(f1)),
        "sd": float(np.std(f1)),
        "hits_mean": float(np.mean(hits)),
        "hits_sd": float(np.std(hits)),
        "n": n_seeds,
    }


def checkpoint_metrics(
    test_err: np.ndarray,
    test_cad: np.ndarray,
    train_err: np.ndarray,
    train_cad: np.ndarray,
    starts: np.ndarray,
    y: np.ndarray,
    ar: float,
    n_layers: int,
) -> dict[str, Any]:
    """Channel shares of the test error and the metrics of every variant, from cached arrays."""
    m_c = np.maximum(train_err.mean(axis=(0, 1)), 1e-6)
    share = test_err.sum(axis=(0, 1)) / test_err.sum()
    top = np.argsort(share)[::-1][:5]
    v_te = variants(test_err, test_cad, m_c, n_layers)
    v_tr = variants(train_err, train_cad, m_c, n_layers)
    window = test_err.shape[1]
    return {
        "cad_within_window_sd": float(test_cad.std(axis=1).mean()),
        "top_channels": [(int(c), float(share[c])) for c in top],
        "variants": {k: score_metrics(y, v_te[k], starts, v_tr[k], ar, window) for k in v_te},
    }


def rescore(out_dir: Path, tag: str) -> None:
    """Recompute every variant of run ``tag`` from its cached arrays (no training) and update its JSON."""
    path = out_dir / f"{tag}.json"
    result = json.loads(path.read_text())
    n_layers = int(result.get("n_layers", 2))  # the cpu preset has 2 layers
    for epoch, ck in result["checkpoints"].items():
        z = np.load(out_dir / f"{tag}_e{epoch}.npz")
        ar = AR[result["dataset"]]
        ck.update(
            checkpoint_metrics(
                z["test_err"],
                z["test_cad"],
                z["train_err"],
                z["train_cad"],
                z["starts"],
                z["labels"],
                ar,
                n_layers,
            )
        )
    path.write_text(json.dumps(result, indent=1, default=float))


def run(args: argparse.Namespace) -> None:
    torch.set_num_threads(len(os.sched_getaffinity(0)))
    ds = augury.load_dataset(args.dataset, root=args.data_root)
    overrides: dict[str, Any] = {
        "train_stride": TRAIN_STRIDE[args.dataset],
        "seed": args.seed,
        "progress": False,
    }
    overrides.update({k: _parse_value(v) for k, v in (s.split("=", 1) for s in args.set)})
    det = augury.create_detector("amad", preset="cpu", **overrides)
    torch.manual_seed(det.seed)
    np.random.seed(det.seed)
    det.scaler_ = augury.data.scaling.Scaler(det.scaling).fit(ds.train)
    tr = det.scaler_.transform(ds.train).astype(np.float32)
    te = det.scaler_.transform(ds.test).astype(np.float32)
    train_set, val_set = split_windows(tr, det.val_fraction, det.window, det.train_stride, how=det.val_split)
    model = augury.detectors.amad.model.AMADModel(det._model_config(tr.shape[1]))
    cfg = det._train_config()
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    gen = torch.Generator().manual_seed(cfg.seed)
    hist: dict[str, list] = {"train": [], "val_max": [], "val_min": [], "val_rec": [], "omega": []}
    states = []
    t0 = time.perf_counter()
    model.train()
    for epoch in range(1, cfg.epochs + 1):
        idx = _epoch_indices(len(train_set), cfg.max_train_windows, gen).numpy()
        losses = []
        for b in range(0, len(idx), cfg.batch_size):
            x = torch.from_numpy(train_set[np.sort(idx[b : b + cfg.batch_size])])
            losses.append(train_step(model, opt, x, cfg))
        vm, vn, vr = validation_losses(model, val_set, cfg) if val_set is not None else (math.nan,) * 3
        omega = [float(p.detach().min()) for n, p in model.named_parameters() if n.endswith("omega")]
        for k, v in zip(
            ("train", "val_max", "val_min", "val_rec", "omega"),
            (float(np.mean(losses)), vm, vn, vr, omega),
            strict=True,
        ):
            hist[k].append(v)
        states.append(copy.deepcopy(model.state_dict()))
        print(
            f"epoch {epoch}: train {hist['train'][-1]:.4f} val max/min/rec {vm:.4f}/{vn:.4f}/{vr:.4f} "
            f"t={time.perf_counter() - t0:.0f}s load={os.getloadavg()[0]:.1f}",
            flush=True,
        )
        for g in opt.param_groups:
            g["lr"] = cfg.lr * 0.5 ** (epoch - 1)
    train_s = time.perf_counter() - t0
    at_best, best = 1, (math.inf, math.inf)
    for e, (a, b) in enumerate(zip(hist["val_max"], hist["val_min"], strict=True), 1):
        if a < best[0] and b < best[1]:
            at_best, best = e, (a, b)
    rules = {
        "epoch1": 1,
        "last": cfg.epochs,
        "best_val_rec": int(np.nanargmin(hist["val_rec"])) + 1,
        "at_rule": at_best,
    }
    test_w, starts = sliding_windows(te, det.window, det.window)
    # A subset of the training windows (every k-th) keeps scoring cheap on the large SMD train set.
    train_w = sliding_windows(tr, det.window, det.window)[0][:: args.train_every]
    y = ds.test_labels.astype(np.int8)
    ar = AR[args.dataset]
    z2 = (te**2).sum(-1)
    result: dict[str, Any] = {
        "dataset": args.dataset,
        "tag": args.tag,
        "overrides": overrides,
        "history": hist,
        "rules": rules,
        "n_layers": det.n_layers,
        "train_s": train_s,
        "train_every": args.train_every,
        "load": os.getloadavg(),
        "n_train_windows_total": len(train_set),
        "val_windows": 0 if val_set is None else len(val_set),
        "input_z2": {"auc_roc": auc_roc(y, z2), "vus_pr": vus_roc_pr(y, z2, 100, 250)[1]},
        "random_pa": random_pa(y, train_w.shape[0] * det.window, ar, args.random_seeds),
        "checkpoints": {},
    }
    n_layers = det.n_layers
    for epoch in range(1, cfg.epochs + 1):
        model.load_state_dict(states[epoch - 1])
        t1 = time.perf_counter()
        c_te = cache_errors(model, test_w, det.score_batch_size, cfg.autocast)
        c_tr = cache_errors(model, train_w, det.score_batch_size, cfg.autocast)
        score_s = time.perf_counter() - t1
        np.savez(
            args.out_dir / f"{args.tag}_e{epoch}.npz",
            test_err=c_te["err"],
            test_cad=c_te["cad"],
            train_err=c_tr["err"],
            train_cad=c_tr["cad"],
            starts=starts,
            labels=y,
        )
        ck = {
            "score_s": score_s,
            "ent_a": c_te["ent_a"],
            "ent_s": c_te["ent_s"],
            **checkpoint_metrics(c_te["err"], c_te["cad"], c_tr["err"], c_tr["cad"], starts, y, ar, n_layers),
        }
        result["checkpoints"][str(epoch)] = ck
        print(
            json.dumps({"epoch": epoch, **{k: ck[k] for k in ("score_s", "ent_a", "ent_s", "top_channels")}}),
            flush=True,
        )
        for k, m in ck["variants"].items():
            print(
                f"  e{epoch} {k:20s} auc {m['auc_roc']:.3f} vus_pr {m['vus_pr']:.3f} pa_f1 {m['pa_f1']:.3f} hits {m['segments_hit']}/{m['n_segments']}",
                flush=True,
            )
    (args.out_dir / f"{args.tag}.json").write_text(json.dumps(result, indent=1, default=float))


def _fmt(values: list[float], digits: int = 3) -> str:
    return "[" + ", ".join(f"{v:.{digits}f}" for v in values) + "]"


def report(out_dir: Path) -> None:
    """Markdown tables of every run's JSON in ``out_dir``."""
    for path in sorted(out_dir.glob("*.json")):
        r = json.loads(path.read_text())
        rp = r["random_pa"]
        print(f"\n### {r['tag']} ({r['dataset']}, {r['overrides']})\n")
        print(
            f"train {r['train_s']:.0f} s, load {r['load']}, val windows {r['val_windows']}, rules {r['rules']}"
        )
        print(f"val_rec {_fmt(r['history']['val_rec'])} val_min {_fmt(r['history']['val_min'])}")
        print(
            f"input_z2 AUC {r['input_z2']['auc_roc']:.3f} VUS-PR {r['input_z2']['vus_pr']:.3f}; "
            f"random PA-F1 {rp['mean']:.3f} ± {rp['sd']:.3f} (hits {rp['hits_mean']:.1f}, {rp['n']} seeds)\n"
        )
        for e, ck in r["checkpoints"].items():
            print(
                f"epoch {e}: H(A) {_fmt(ck['ent_a'], 2)} H(S) {_fmt(ck['ent_s'], 2)} "
                f"CAD sd/window {ck['cad_within_window_sd']:.4f} top channels {ck['top_channels'][:3]}\n"
            )
            print("| variant | AUC-ROC | VUS-PR | PA-F1 | hits |\n|---|---|---|---|---|")
            for k, m in ck["variants"].items():
                print(
                    f"| {k} | {m['auc_roc']:.3f} | {m['vus_pr']:.3f} | {m['pa_f1']:.3f} | {m['segments_hit']}/{m['n_segments']} |"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=sorted(AR))
    parser.add_argument("--data-root", default=None, help="default: $AUGURY_DATA")
    parser.add_argument("--tag", default="run")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--random-seeds", type=int, default=100)
    parser.add_argument("--train-every", type=int, default=1, help="score every k-th training window")
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--report", action="store_true", help="print tables of the runs in --out-dir")
    parser.add_argument(
        "--rescore", action="store_true", help="recompute run --tag's variants from its cache"
    )
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    if args.report:
        report(args.out_dir)
    elif args.rescore:
        rescore(args.out_dir, args.tag)
    else:
        run(args)


if __name__ == "__main__":
    main()
