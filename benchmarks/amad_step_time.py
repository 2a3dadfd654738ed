"""Seconds per AMAD training step (forward + fused Max-Min/contrastive backward + Adam), fp32 vs bf16.

Measures the ``paper`` architecture (d_model 512, 3 layers, 8 heads) and the ``cpu`` preset on
random MSL-shaped windows (100 steps × 55 channels), plus the plain-Transformer ablation.
Timings on a shared 2-core machine are noisy: each cell is the median of ``--steps`` steps
after one warm-up step, fp32 and bf16 steps interleaved.

    python benchmarks/amad_step_time.py --out /tmp/amad_step_time.json [--presets cpu --skip-plain]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import torch

from augury.detectors.amad.detector import AMAD
from augury.detectors.amad.model import AMADConfig, AMADModel
from augury.detectors.amad.train import TrainConfig, train_step


def step_seconds(preset: str, batch: int, steps: int, plain: bool = False) -> dict[str, float]:
    """Median wall seconds of one training step of ``preset``'s architecture, fp32 vs bf16.

    The two precisions alternate step by step, so load changes on a shared machine hit both alike.
    """
    p = AMAD.presets[preset]
    x = torch.randn(batch, p["window"], 55)
    runs = {}
    for autocast in ("none", "bf16"):
        torch.manual_seed(0)
        model = AMADModel(
            AMADConfig(
                n_channels=55,
                d_model=p["d_model"],
                n_layers=p["n_layers"],
                n_heads=p["n_heads"],
                use_automask=not plain,
                alpha=0.0 if plain else p["alpha"],
            )
        )
        opt = torch.optim.Adam(model.parameters(), lr=1e-4)
        cfg = TrainConfig(autocast=autocast, plain=plain)
        train_step(model, opt, x, cfg)
        runs[autocast] = (model, opt, cfg)
    times: dict[str, list[float]] = {"none": [], "bf16": []}
    for _ in range(steps):
        for autocast, (model, opt, cfg) in runs.items():
            t0 = time.perf_counter()
            train_step(model, opt, x, cfg)
            times[autocast].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--presets", default="cpu,paper", help="comma-separated: cpu, paper")
    parser.add_argument("--skip-plain", action="store_true", help="leave out the plain-Transformer ablation")
    args = parser.parse_args()
    torch.set_num_threads(2)
    rows = []
    batches = {"cpu": AMAD.presets["cpu"]["batch_size"], "paper": 256}
    for preset in args.presets.split(","):
        batch = batches[preset]
        for plain in (False,) if args.skip_plain else (False, True):
            sec = step_seconds(preset, batch, args.steps, plain)
            rows.append(
                {
                    "preset": preset,
                    "batch": batch,
                    "plain": plain,
                    "fp32_s": sec["none"],
                    "bf16_s": sec["bf16"],
                    # a shared machine: the timings only mean something beside the load
                    "load_1_5_15": [round(v, 2) for v in os.getloadavg()],
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    args.out.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
