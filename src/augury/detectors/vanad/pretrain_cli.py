"""``augury pretrain-mae``: pre-train the heatmap MAE ahead of time on one or more datasets.

Each dataset's training split is standard-scaled on its own (as a detector's ``fit`` does),
cut into at most ``windows`` windows of ``window`` steps evenly spread over it, and imaged;
the datasets' channel counts may differ (the heatmap resize absorbs them). The output folder
holds ``heatmap_mae.pth`` (load it with ``create_detector("vanad", ..., backbone="heatmap-mae",
mae_checkpoint="DIR")``), the per-epoch resume state ``pretrain_state.pt`` and a summary
``pretrain.json``. Rerunning the same command continues after the last finished epoch.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from augury.errors import DataError


def check_out_dir(out: Path) -> None:
    """Refuse an output folder that is a file or cannot be created/written, before any work."""
    if out.exists() and not out.is_dir():
        raise DataError(f"{out}: exists and is not a folder; --out expects a folder")
    parent = out
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise DataError(f"{out}: cannot write into {parent} (not a writable folder)")


def dataset_windows(name: str, data_root: str | Path | None, window: int, max_windows: int) -> np.ndarray:
    """Standard-scaled training windows ``[N, window, C]`` (float32) of dataset ``name``."""
    from augury.data.loaders import load_dataset
    from augury.data.scaling import Scaler
    from augury.detectors.vanad.pretrain import spread_starts

    ds = load_dataset(name, data_root, min_length=window)
    train = Scaler("standard").fit(ds.train).transform(ds.train).astype(np.float32)
    starts = spread_starts(train.shape[0], window, max_windows)
    return np.stack([train[s:s + window] for s in starts])


def pretrain_datasets(names: list[str], out: Path, *, data_root: str | Path | None = None, window: int = 100,
                      windows: int = 2048, arch: dict[str, Any] | None = None,
                      epochs: int = 2, batch_size: int = 16, lr: float = 1.5e-3, autocast: str = "bf16",
                      seed: int = 42) -> dict[str, Any]:
    """Pre-train a heatmap MAE on ``names`` and write it to ``out`` (resumable); returns the summary."""
    import torch

    from augury.detectors.vanad.backbone import MaskedAutoencoder, resolve_arch
    from augury.detectors.vanad.checkpoint import state_digest
    from augury.detectors.vanad.pretrain import (
        HEATMAP_ARCH,
        STATE_FILE,
        WEIGHTS_FILE,
        PretrainConfig,
        pretrain_mae,
        save_heatmap_mae,
        stderr_progress,
    )
    from augury.utils.atomic import atomic_write_text

    if not names:
        raise DataError("pretrain-mae needs at least one dataset")
    check_out_dir(out)
    try:
        cfg = PretrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, autocast=autocast, seed=seed)
        mae_cfg = HEATMAP_ARCH if arch is None else resolve_arch(arch)
    except ValueError as exc:
        raise DataError(f"pretrain-mae: {exc}") from exc
    if window < 2 or windows < 1:
        raise DataError(f"pretrain-mae: --window must be >= 2 and --windows >= 1 (got {window}, {windows})")
    sources = [dataset_windows(n, data_root, window, windows) for n in names]
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    mae = MaskedAutoencoder(mae_cfg)
    t0 = time.perf_counter()
    history = pretrain_mae(mae, sources, cfg, state_path=out / STATE_FILE, progress=stderr_progress("pretrain-mae"))
    summary = {
        "datasets": [{"name": n, "windows": int(s.shape[0]), "channels": int(s.shape[2])}
                     for n, s in zip(names, sources, strict=True)],
        "window": window, "pretrain": cfg.__dict__, "mae_config": mae_cfg.to_dict(),
        "history": [h.__dict__ for h in history], "elapsed_s_this_run": time.perf_counter() - t0,
        "digest": state_digest(mae),
    }
    save_heatmap_mae(out / WEIGHTS_FILE, mae, {k: summary[k] for k in ("datasets", "window", "history")})
    atomic_write_text(out / "pretrain.json", json.dumps(summary, indent=2) + "\n")
    return summary


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

    from augury.detectors.vanad.pretrain import WEIGHTS_FILE

    shapes = None
    if arch is not None:
        try:
            shapes = json.loads(arch)
        except json.JSONDecodeError as exc:
            raise DataError(f"--arch: not JSON ({exc})") from exc
        if not isinstance(shapes, dict):
            raise DataError("--arch: expected a JSON object of MAEConfig fields")
    if threads is not None:
        torch.set_num_threads(threads)
    summary = pretrain_datasets(datasets, out, data_root=data_root, window=window, windows=windows, arch=shapes,
                                epochs=epochs, batch_size=batch_size, lr=lr, autocast=autocast, seed=seed)
    last = summary["history"][-1]
    print(f"wrote {out / WEIGHTS_FILE} (masked-patch loss {last['loss']:.5f} after {last['epoch']} epochs, "
          f"{last['elapsed_s']:.1f} s)")
