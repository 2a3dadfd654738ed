"""``augury pretrain-mae``: pre-train VAN-AD's small heatmap MAE on datasets (:mod:`augury.detectors.vanad.pretrain_data`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from augury.base.params import SEED, Choice, Float, Int, check_params
from augury.errors import DataError, ParameterError
from augury.nn.precision import AUTOCAST_MODES

_RULES = {"--window": Int(2, 100_000), "--windows": Int(1), "--epochs": Int(1, 100_000), "--batch-size": Int(1, 65_536),
          "--lr": Float(0.0, 10.0, low_open=True), "--autocast": Choice(*AUTOCAST_MODES), "--seed": SEED,
          "--threads": Int(1, 4096, none_ok=True)}


def pretrain_mae_command(
    datasets: Annotated[list[str], typer.Argument(help="Dataset names under the data root, or dataset folders.")],
    out: Annotated[Path, typer.Option(help="Output folder (heatmap_mae.pth, resume state, summary).")],
    data_root: Annotated[Path | None, typer.Option(help="Folder of datasets (default: $AUGURY_DATA).")] = None,
    window: Annotated[int, typer.Option(help="Window length in time steps (VAN-AD's window).")] = 100,
    windows: Annotated[int, typer.Option(help="At most this many windows per dataset, evenly spread.")] = 2048,
    epochs: Annotated[int, typer.Option(help="Passes over all windows.")] = 2,
    batch_size: Annotated[int, typer.Option(help="Images per optimisation step.")] = 16,
    lr: Annotated[float, typer.Option(help="Peak AdamW learning rate (warm-up, then cosine decay).")] = 1.5e-3,
    autocast: Annotated[str, typer.Option(help="none | bf16")] = "bf16",
    seed: Annotated[int, typer.Option(help="Seed of the initialisation, window order and masks.")] = 42,
    arch: Annotated[str | None, typer.Option(help="MAE shapes as JSON MAEConfig fields (default: the small "
                                                   "heatmap MAE).")] = None,
    threads: Annotated[int | None, typer.Option(help="torch threads (default: torch's choice).")] = None,
) -> None:
    """Pre-train the small heatmap MAE (backbone="heatmap-mae", not the paper's ImageNet MAE) on DATASETS."""
    import torch

    from augury.detectors.vanad.backbone import resolve_arch
    from augury.detectors.vanad.pretrain import WEIGHTS_FILE
    from augury.detectors.vanad.pretrain_data import pretrain_datasets

    # Every option is checked before the output folder is created or a dataset is read.
    check_params("pretrain-mae", {"--window": window, "--windows": windows, "--epochs": epochs,
                                  "--batch-size": batch_size, "--lr": lr, "--autocast": autocast, "--seed": seed,
                                  "--threads": threads}, _RULES)
    shapes = None
    if arch is not None:
        try:
            shapes = json.loads(arch)
        except json.JSONDecodeError as exc:
            raise DataError(f"--arch: not JSON ({exc})") from exc
        if not isinstance(shapes, dict):
            raise DataError("--arch: expected a JSON object of MAEConfig fields")
        try:
            resolve_arch(shapes)
        except ValueError as exc:
            raise ParameterError(f"--arch: {exc}") from exc
    if threads is not None:
        torch.set_num_threads(threads)
    summary = pretrain_datasets(datasets, out, data_root=data_root, window=window, windows=windows, arch=shapes,
                                epochs=epochs, batch_size=batch_size, lr=lr, autocast=autocast, seed=seed)
    last = summary["history"][-1]
    print(f"wrote {out / WEIGHTS_FILE} (masked-patch loss {last['loss']:.5f} after {last['epoch']} epochs, "
          f"{last['elapsed_s']:.1f} s)")
