"""VAN-AD with the heatmap-pretrained MAE (``backbone="heatmap-mae"``, NOT the paper's ImageNet MAE) on real data.

For each dataset (``msl0`` = MSL channel 0, the official protocol; ``msl`` = all 55 channels;
``smd``; ``calit2``) and method, one child process fits on train, scores test and writes
``RESULTS/<dataset>__<method>.json`` (AUC-ROC, AUC-PR, VUS-ROC, VUS-PR on the steps the official
code evaluates: ``covered_steps``, VUS window 100 and 250 thresholds as ``vanad_paper.py``; wall
time; peak RSS of that process; load average before/after). Methods:

- ``full``: ``vanad`` preset ``cpu`` with ``backbone="heatmap-mae"``; the MAE is pre-trained
  during ``fit`` on the training windows and then saved to ``RESULTS/mae_<dataset>/``;
- ``wo_admm`` (``admm=False``), ``wo_nf`` (``use_nf=False``), ``zero_shot`` (both): the same
  preset loading that saved MAE through ``mae_checkpoint=`` (pre-training is paid once);
- ``iforest``, ``knn`` (preset ``cpu``) and ``random`` (uniform scores, mean over 5 seeds);
- ``shared``: the full pipeline loading the MAE given by ``--mae-checkpoint`` (e.g. one written by
  ``augury pretrain-mae MSL SMD CalIt2``: a backbone pre-trained on several datasets at once).

Existing result files are kept, so an interrupted run continues where it stopped. ``--table``
prints the markdown table of everything in RESULTS beside VAN-AD's Table II / III values where
the data match (MSL: the paper evaluates channel 0 only, so only ``msl0`` is compared).

    AUGURY_DATA=... python benchmarks/vanad_heatmae.py --results runs/heatmae --plan msl0,smd,msl,calit2
    python benchmarks/vanad_heatmae.py --results runs/heatmae --table
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

METRICS = ("auc_roc", "auc_pr", "vus_roc", "vus_pr")
DATASETS: dict[str, tuple[str, list[int] | None]] = {
    "msl0": ("MSL", [0]), "smd": ("SMD", None), "msl": ("MSL", None), "calit2": ("CalIt2", None),
}
VANAD_METHODS = {"full": {}, "wo_admm": {"admm": False}, "wo_nf": {"use_nf": False},
                 "zero_shot": {"admm": False, "use_nf": False}}
METHODS = (*VANAD_METHODS, "iforest", "knn", "random", "shared")
#: Table III's names of the ablations (only MSL and CalIt2 are in that table).
PAPER_NAMES = {"full": "VAN-AD", "wo_admm": "VAN-AD[w/o ADMM]", "wo_nf": "VAN-AD[w/o NF]",
               "zero_shot": "VAN-AD[zero-shot]"}
#: Datasets whose data match the paper's (MSL: channel 0 of the same merged MSL; CalIt2: same
#: UCI series, but the paper's train/test split is unknown, so it is marked as such).
PAPER_DATASETS = {"msl0": "MSL", "calit2": "CalIt2"}


def _load() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def _metrics(labels: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    from augury.metrics import auc_pr, auc_roc, vus_roc_pr

    vr, vp = vus_roc_pr(labels, scores, window=100, thresholds=250)
    return {"auc_roc": auc_roc(labels, scores), "auc_pr": auc_pr(labels, scores), "vus_roc": vr, "vus_pr": vp}


def run_one(tag: str, method: str, results: Path, data_root: str | None, threads: int,
            overrides: dict[str, Any], shared_checkpoint: str | None = None) -> dict[str, Any]:
    """Fit + score one method on one dataset in this process; returns the result record."""
    import torch

    from augury import create_detector, load_dataset
    from augury.detectors.vanad.detector import covered_steps
    from augury.detectors.vanad.pretrain import WEIGHTS_FILE, save_heatmap_mae

    torch.set_num_threads(threads)
    name, channels = DATASETS[tag]
    ds = load_dataset(name, data_root)
    n = covered_steps(ds.test.shape[0], 100)
    labels = ds.test_labels[:n]
    train, test = ds.train, ds.test
    vanad = method in VANAD_METHODS or method == "shared"
    if channels is not None and not vanad:
        train, test = train[:, channels], test[:, channels]
    mae_dir = results / f"mae_{tag}"
    rec: dict[str, Any] = {"dataset": tag, "source": name, "channels": channels, "method": method,
                           "threads": threads, "load_before": _load(), "n_evaluated": n, "overrides": overrides}
    t0 = time.perf_counter()
    if method == "random":
        runs = [_metrics(labels, np.random.default_rng(seed).random(n)) for seed in range(5)]
        rec.update({m: float(np.mean([r[m] for r in runs])) for m in METRICS})
        rec["fit_s"], rec["score_s"] = 0.0, time.perf_counter() - t0
    else:
        if vanad:
            params: dict[str, Any] = {"backbone": "heatmap-mae", "channels": channels,
                                      **VANAD_METHODS.get(method, {})}
            if method == "shared":
                if shared_checkpoint is None:
                    raise SystemExit("method 'shared' needs --mae-checkpoint")
                params["mae_checkpoint"] = rec["mae_checkpoint"] = shared_checkpoint
            elif method != "full":
                if not (mae_dir / WEIGHTS_FILE).is_file():
                    raise SystemExit(f"{mae_dir / WEIGHTS_FILE} is missing: run method 'full' on {tag} first")
                params["mae_checkpoint"] = str(mae_dir)
            det = create_detector("vanad", "cpu", **params, **overrides)
        else:
            det = create_detector(method, "cpu")
        det.fit(train)
        t1 = time.perf_counter()
        scores = det.decision_function(test)
        rec["fit_s"], rec["score_s"] = t1 - t0, time.perf_counter() - t1
        rec.update(_metrics(labels, scores[:n]))
        if vanad:
            rec["mae_digest"] = det.mae_digest_
            rec["pretrain_history"] = det.pretrain_history_
            if det.pretrain_history_:
                rec["pretrain_s"] = det.pretrain_history_[-1]["elapsed_s"]
            if method == "full":
                save_heatmap_mae(mae_dir / WEIGHTS_FILE, det.mae_, {"dataset": tag,
                                                                     "history": det.pretrain_history_})
    rec["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rec["load_after"] = _load()
    return rec


def paper_values() -> dict[tuple[str, str], dict[str, float]]:
    """``(dataset tag, method) → {metric: value}`` from VAN-AD's Tables II and III."""
    from augury.bench.paper import paper_results

    df = paper_results()
    df = df[df.paper == "vanad"]
    out: dict[tuple[str, str], dict[str, float]] = {}
    for tag, ds in PAPER_DATASETS.items():
        for method, name in PAPER_NAMES.items():
            rows = df[(df.dataset == ds) & (df.method == name)]
            if method == "full":
                rows = df[(df.dataset == ds) & (df.method == "VAN-AD") & (df.table == "II")]
            if len(rows):
                out[(tag, method)] = {r.metric: float(r.value) for r in rows.itertuples()}
    return out


def table(results: Path) -> str:
    """Markdown table of every result in ``results`` (with the paper's values where the data match)."""
    recs = [json.loads(p.read_text()) for p in sorted(results.glob("*__*.json"))]
    paper = paper_values()
    lines = ["| dataset | method | AUC-ROC | AUC-PR | VUS-ROC | VUS-PR | paper (A-R / A-P / V-R / V-P) | fit s "
             "(pre-train s) | score s | peak RSS MB | load before → after |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    order = {t: i for i, t in enumerate(DATASETS)}
    recs.sort(key=lambda r: (order.get(r["dataset"], 99), METHODS.index(r["method"])))
    for r in recs:
        p = paper.get((r["dataset"], r["method"]))
        ptxt = " / ".join(f"{p[m]:.3f}" for m in METRICS) if p else ""
        fit = f"{r['fit_s']:.0f}" + (f" ({r['pretrain_s']:.0f})" if "pretrain_s" in r else "")
        lines.append(f"| {r['dataset']} | {r['method']} | " + " | ".join(f"{r[m]:.3f}" for m in METRICS)
                     + f" | {ptxt} | {fit} | {r['score_s']:.0f} | {r['peak_rss_mb']:.0f} | "
                     f"{r['load_before'][0]:.1f} → {r['load_after'][0]:.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, required=True, help="folder of the per-run JSON files")
    parser.add_argument("--plan", default=None, help="comma-separated dataset tags to run: " + ",".join(DATASETS))
    parser.add_argument("--methods", default=",".join(METHODS[:-1]), help="comma-separated, in run order")
    parser.add_argument("--one", nargs=2, metavar=("DATASET", "METHOD"), help="run a single job in this process")
    parser.add_argument("--data-root", default=os.environ.get("AUGURY_DATA"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--mae-checkpoint", default=None, help="heatmap-MAE file or folder for method 'shared'")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="VAN-AD hyper-parameter override (smoke runs only; recorded in the JSON)")
    parser.add_argument("--table", action="store_true", help="print the table of RESULTS and exit")
    args = parser.parse_args()
    overrides = {k: json.loads(v) for k, _, v in (s.partition("=") for s in args.set)}
    args.results.mkdir(parents=True, exist_ok=True)
    if args.table:
        print(f"load average now: {_load()}")
        print(table(args.results))
        return
    if args.one:
        tag, method = args.one
        rec = run_one(tag, method, args.results, args.data_root, args.threads, overrides, args.mae_checkpoint)
        (args.results / f"{tag}__{method}.json").write_text(json.dumps(rec, indent=2, default=float) + "\n")
        print(json.dumps({k: rec[k] for k in (*METRICS, "fit_s", "score_s", "peak_rss_mb", "load_after")}),
              flush=True)
        return
    for tag in (args.plan or "").split(","):
        for method in args.methods.split(","):
            if (args.results / f"{tag}__{method}.json").is_file():
                continue
            print(f"{time.strftime('%H:%M:%S')} {tag} {method} load {_load()}", file=sys.stderr, flush=True)
            cmd = [sys.executable, __file__, "--results", str(args.results), "--one", tag, method,
                   "--threads", str(args.threads), *[a for s in args.set for a in ("--set", s)]]
            if args.data_root:
                cmd += ["--data-root", args.data_root]
            if args.mae_checkpoint:
                cmd += ["--mae-checkpoint", args.mae_checkpoint]
            subprocess.run(cmd, check=False)
    print(table(args.results))


if __name__ == "__main__":
    main()
