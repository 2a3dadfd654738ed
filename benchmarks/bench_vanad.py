"""VAN-AD speed: windows/s and achieved GFLOP/s of the ViT-Base MAE (random weights), fp32 vs bf16.

In one run: (1) GFLOP/s of a plain fp32 and bf16 matrix multiplication with the MAE's MLP
shapes (the reference rate), (2) windows/s and GFLOP/s of the full VAN-AD reconstruction
(heatmap → 224² image → both checkerboard passes in one batch → series) in fp32, bf16 autocast
over fp32 weights, and a bf16 copy of the weights (what ``autocast="bf16"`` uses), interleaved
so load changes hit all alike, (3) the score difference bf16 causes: a ``cpu``
preset detector (``backbone="random"``, so the AUC itself means nothing) scores the same test
steps in both precisions. With ``AUGURY_DATA`` (or ``--data-root``) set, (3) uses MSL channel 0
(the paper's protocol), a training prefix and a test slice with anomalies; otherwise a
synthetic series. Machine load (``os.getloadavg``) is printed beside the timings: on a shared
machine the absolute numbers move with it; the ratios measured in the same run are the result.

    python benchmarks/bench_vanad.py --threads 2 --batch 8 --reps 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np
import torch

from augury.detectors.vanad.backbone import ARCHS, MaskedAutoencoder
from augury.detectors.vanad.imaging import make_imaging
from augury.detectors.vanad.model import bf16_copy, reconstruct


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load avg {one:.2f} / {five:.2f} / {fifteen:.2f}"


def matmul_gflops(dtype: torch.dtype, m: int = 1568, k: int = 768, n: int = 3072, reps: int = 10) -> float:
    """Achieved GFLOP/s of ``[m,k] @ [k,n]`` (the MAE's fc1 shape for 8 images × 196 tokens)."""
    a, b = torch.randn(m, k, dtype=dtype), torch.randn(k, n, dtype=dtype)
    a @ b
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t0)
    return 2 * m * k * n / statistics.median(times) / 1e9


def mae_rates(batch: int, reps: int, window: int, channels: int) -> dict[str, dict[str, float]]:
    """fp32, bf16 autocast (fp32 weights) and bf16 weights (what ``autocast="bf16"`` uses), interleaved."""
    torch.manual_seed(0)
    mae = MaskedAutoencoder(ARCHS["mae_base"]).eval()
    runs = {"fp32": (mae, "none"), "bf16_autocast": (mae, "bf16"), "bf16": (bf16_copy(mae), "bf16")}
    imaging = make_imaging("heatmap")
    x = torch.randn(batch, window, channels)
    flops = mae.flops_per_image() * batch
    times: dict[str, list[float]] = {k: [] for k in runs}
    with torch.inference_mode():
        for model, mode in runs.values():
            reconstruct(model, imaging, x, mode)  # warm-up
        for _ in range(reps):
            for key, (model, mode) in runs.items():
                t0 = time.perf_counter()
                reconstruct(model, imaging, x, mode)
                times[key].append(time.perf_counter() - t0)
    out: dict[str, dict[str, float]] = {}
    for key, ts in times.items():
        t = statistics.median(ts)
        out[key] = {"s_per_batch": t, "windows_per_s": batch / t, "gflops": flops / t / 1e9}
    out["gflop_per_window"] = {"value": mae.flops_per_image() / 1e9}
    return out


def score_drift(data_root: str | None, train_steps: int, test_range: tuple[int, int]) -> dict[str, float | str]:
    from augury import create_detector
    from augury.metrics import auc_roc

    if data_root:
        from augury.data.loaders import load_dataset

        ds = load_dataset("MSL", data_root)
        train, test, labels, source = ds.train[:train_steps], ds.test, ds.test_labels, "MSL channel 0"
        test, labels = test[test_range[0]:test_range[1]], labels[test_range[0]:test_range[1]]
        channels = [0]
    else:
        rng = np.random.default_rng(0)
        train = rng.normal(size=(train_steps, 3)).astype(np.float32)
        test = rng.normal(size=(test_range[1] - test_range[0], 3)).astype(np.float32)
        labels = np.zeros(test.shape[0], dtype=np.uint8)
        labels[300:350] = 1
        test[300:350] += 3
        source, channels = "synthetic", None
    det = create_detector("vanad", "cpu", backbone="random", autocast="none", channels=channels,
                          max_train_windows=16, mae_batch_size=8).fit(train)
    t0 = time.perf_counter()
    s32 = det.decision_function(test)
    t32 = time.perf_counter() - t0
    det.set_params(autocast="bf16")
    t0 = time.perf_counter()
    s16 = det.decision_function(test)
    t16 = time.perf_counter() - t0
    return {
        "source": source, "n_steps": int(test.shape[0]),
        "max_abs_diff": float(np.max(np.abs(s16 - s32))),
        "rel_diff_median": float(np.median(np.abs(s16 - s32) / (np.abs(s32) + 1e-12))),
        "auc_fp32": auc_roc(labels, s32), "auc_bf16": auc_roc(labels, s16),
        "auc_abs_change": abs(auc_roc(labels, s16) - auc_roc(labels, s32)),
        "score_s_fp32": t32, "score_s_bf16": t16,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=8, help="windows per MAE batch")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--channels", type=int, default=1)
    parser.add_argument("--data-root", default=os.environ.get("AUGURY_DATA"))
    parser.add_argument("--train-steps", type=int, default=3000)
    parser.add_argument("--test-range", type=int, nargs=2, default=(0, 2500))
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    res: dict[str, object] = {"threads": args.threads, "load_start": load()}
    print(f"threads {args.threads}; {res['load_start']}")
    res["matmul_gflops_fp32"] = matmul_gflops(torch.float32)
    res["matmul_gflops_bf16"] = matmul_gflops(torch.bfloat16)
    print(f"matmul: fp32 {res['matmul_gflops_fp32']:.1f} GFLOP/s, bf16 {res['matmul_gflops_bf16']:.1f} GFLOP/s; {load()}")
    rates = mae_rates(args.batch, args.reps, args.window, args.channels)
    res["mae"] = rates
    f32 = rates["fp32"]
    print(f"MAE-Base both passes: {rates['gflop_per_window']['value']:.1f} GFLOP/window, batch {args.batch}")
    print(f"  fp32: {f32['windows_per_s']:.2f} windows/s, {f32['gflops']:.1f} GFLOP/s "
          f"({f32['gflops'] / res['matmul_gflops_fp32']:.0%} of fp32 matmul)")
    for key in ("bf16_autocast", "bf16"):
        r = rates[key]
        print(f"  {key}: {r['windows_per_s']:.2f} windows/s, {r['gflops']:.1f} GFLOP/s "
              f"({r['windows_per_s'] / f32['windows_per_s']:.2f}x fp32)")
    print(f"  {load()}")
    res["drift"] = score_drift(args.data_root, args.train_steps, tuple(args.test_range))
    d = res["drift"]
    print(f"bf16 score drift on {d['source']} ({d['n_steps']} steps): max |Δ| {d['max_abs_diff']:.3g}, "
          f"median relative {d['rel_diff_median']:.3g}, AUC-ROC {d['auc_fp32']:.4f} → {d['auc_bf16']:.4f} "
          f"(|Δ| {d['auc_abs_change']:.4f}); scoring {d['score_s_fp32']:.1f} s fp32, {d['score_s_bf16']:.1f} s bf16")
    res["load_end"] = load()
    print(res["load_end"])
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            json.dump(res, fh, indent=2)


if __name__ == "__main__":
    main()
