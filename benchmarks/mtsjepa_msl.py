"""MTS-JEPA early warning on a real dataset: the ``cpu`` preset, the w/o-codebook ablation and the
three baselines through the same 6:2:2 protocol, with wall time, peak memory and machine load.

    AUGURY_DATA=<data root> python benchmarks/mtsjepa_msl.py --dataset MSL --seeds 5 --out mtsjepa-msl
    ... --entity-aware --label-modes next,onset     # split within each entity (MSL channels, SMD machines)

Each method runs in a fresh (spawned) process, so its peak RSS is its own. Pre-training runs once
per method; the head is re-seeded (0..seeds-1), as in the official code. Writes
``<out>/runs.jsonl`` (one line per method and seed), ``<out>/summary.json`` and prints a
markdown table (mean ± std over seeds; the AUC interval is the mean of the per-seed bootstrap
95 % bounds) beside the paper's Table 1 / Table 3 numbers.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

METHODS = {
    "mtsjepa": ("mtsjepa", {}),
    "mtsjepa-no-codebook": ("mtsjepa", {"codebook": False}),
    "rawfeat": ("rawfeat", {}),
    "random": ("random", {}),
    "detect-now:iforest": ("detect-now:iforest", {}),
    "detect-now:knn": ("detect-now:knn", {}),
}
#: Paper Table 1 (MTS-JEPA) and Table 3 (w/o codebook module; F1 and AUC only), MSL, in [0, 1].
PAPER = {
    "mtsjepa": {"win_f1": 0.3358, "win_auc": 0.6608, "win_precision": 0.3587, "win_recall": 0.4080},
    "mtsjepa-no-codebook": {"win_f1": 0.2182, "win_auc": 0.4302},
}
METRICS = ["win_precision", "win_recall", "win_f1", "win_auc", "win_auc_ci_low", "win_auc_ci_high"]


def _spans(ds) -> list[tuple[int, int]]:
    """Each entity's ``(start, length)`` in the test series (MSL: the manifest's channels; SMD: its machines)."""
    from augury.data.loaders import test_spans

    spans = test_spans(ds)
    if spans is None:
        raise SystemExit(f"{ds.name}: no entities to split within (--entity-aware needs a collection or spans)")
    return spans


def _run_method(label: str, dataset: str, data_root: str | None, preset: str, seeds: int, threads: int,
                label_modes: tuple[str, ...] = ("next",), entity_aware: bool = False) -> dict:
    import torch

    torch.set_num_threads(threads)
    import augury
    from augury.early_warning.protocol import evaluate_predictor

    name, overrides = METHODS[label]
    ds = augury.load_dataset(dataset, data_root)
    pred = augury.create_predictor(name, preset, **overrides)
    load0 = os.getloadavg()
    t0 = time.perf_counter()
    pred.fit(ds.train)
    fit_s = time.perf_counter() - t0
    spans = _spans(ds) if entity_aware else None
    runs = []
    for mode in label_modes:
        for seed in range(seeds):
            t1 = time.perf_counter()
            m, _ = evaluate_predictor(pred, ds.test, ds.test_labels, seed=seed, label_mode=mode, spans=spans)
            m.update(seed=seed, label_mode=mode, head_s=time.perf_counter() - t1)
            runs.append(m)
    out = {"method": label, "fit_s": fit_s, "wall_s": time.perf_counter() - t0, "runs": runs,
           "peak_mem_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "load_start": load0, "load_end": os.getloadavg(), "threads": threads}
    hist = getattr(pred, "pretrain_history_", None)
    if hist is not None:
        out.update(epochs_run=len(hist.train), best_epoch=hist.best_epoch, stop_reason=hist.stop_reason,
                   collapsed=hist.collapsed, diagnostics_first=hist.diagnostics[0], diagnostics_last=hist.diagnostics[-1],
                   diagnostics_best=hist.diagnostics[hist.best_epoch - 1])
    return out


def _fmt(values: list[float]) -> str:
    a = np.asarray(values, dtype=float)
    return f"{np.nanmean(a):.3f} ± {np.nanstd(a, ddof=1) if a.size > 1 else 0.0:.3f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="MSL")
    ap.add_argument("--data-root", default=None, help="default: $AUGURY_DATA")
    ap.add_argument("--preset", default="cpu")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1, help="torch threads per run (1 is fastest on a busy 2-core box)")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--out", type=Path, default=Path("mtsjepa-bench"))
    ap.add_argument("--label-modes", default="next", help="comma list of next, onset")
    ap.add_argument("--entity-aware", action="store_true", help="6:2:2 within each entity, test parts pooled")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    t_all = time.perf_counter()
    ctx = mp.get_context("spawn")
    for label in args.methods.split(","):
        with ProcessPoolExecutor(1, mp_context=ctx) as ex:
            res = ex.submit(_run_method, label, args.dataset, args.data_root, args.preset, args.seeds,
                            args.threads, tuple(args.label_modes.split(",")), args.entity_aware).result()
        results.append(res)
        with open(args.out / "runs.jsonl", "a", encoding="utf-8") as fh:
            for r in res["runs"]:
                fh.write(json.dumps({"method": label, "dataset": args.dataset, "preset": args.preset, **r}) + "\n")
        print(f"{label}: wall {res['wall_s']:.0f} s (fit {res['fit_s']:.0f} s), peak {res['peak_mem_mb']:.0f} MB, "
              f"load {res['load_start'][0]:.1f}→{res['load_end'][0]:.1f}", flush=True)
    (args.out / "summary.json").write_text(json.dumps(results, indent=2, default=float), encoding="utf-8")
    split = "entity-aware" if args.entity_aware else "concatenated"
    print(f"\n{args.dataset}, preset {args.preset}, {args.seeds} head seeds, {split} 6:2:2, "
          f"total {time.perf_counter() - t_all:.0f} s\n")
    print("| method | labels | win_P | win_R | win_F1 | win_AUC | AUC 95 % CI (mean of seeds) | persistence AUC "
          "| warned / events | lead steps | false / 1000 | flat | paper F1 / AUC | wall s (fit) | peak MB | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for res in results:
        for mode in args.label_modes.split(","):
            runs = [r for r in res["runs"] if r["label_mode"] == mode]
            cols = [_fmt([r[m] for r in runs]) for m in METRICS[:4]]
            ci = (f"[{np.nanmean([r['win_auc_ci_low'] for r in runs]):.3f}, "
                  f"{np.nanmean([r['win_auc_ci_high'] for r in runs]):.3f}]")
            pp = PAPER.get(res["method"], {}) if mode == "next" else {}
            paper = " / ".join(f"{pp[m]:.3f}" if m in pp else "–" for m in ("win_f1", "win_auc"))
            print(f"| {res['method']} | {mode} | {' | '.join(cols)} | {ci} | {runs[0]['persistence_win_auc']:.3f} "
                  f"| {np.mean([r['events_warned'] for r in runs]):.1f} / {runs[0]['events']} "
                  f"| {np.nanmean([r['mean_lead_steps'] for r in runs]):.0f} "
                  f"| {np.nanmean([r['false_warnings_per_1000'] for r in runs]):.0f} "
                  f"| {sum(r['flat_risk'] for r in runs)}/{len(runs)} | {paper} "
                  f"| {res['wall_s']:.0f} ({res['fit_s']:.0f}) | {res['peak_mem_mb']:.0f} "
                  f"| {res['load_start'][0]:.1f}→{res['load_end'][0]:.1f} |")
    for res in results:
        if "diagnostics_last" in res:
            print(f"\n{res['method']}: {res['epochs_run']} epochs, best {res['best_epoch']}, stop {res['stop_reason']}, "
                  f"collapsed={res['collapsed']}\n  first epoch {res['diagnostics_first']}\n  best epoch  "
                  f"{res['diagnostics_best']}\n  last epoch  {res['diagnostics_last']}")


if __name__ == "__main__":
    main()
