"""Pre-training the heatmap MAE ahead of time on one or more datasets (``augury pretrain-mae``).

Each dataset's training split is standard-scaled on its own (as a detector's ``fit`` does),
cut into at most ``windows`` windows of ``window`` steps evenly spread over it, and imaged;
the datasets' channel counts may differ (the heatmap resize absorbs them). The output folder
holds ``heatmap_mae.pth`` (load it with ``create_detector("vanad", ..., backbone="heatmap-mae",
mae_checkpoint="DIR")``), the per-epoch resume state ``pretrain_state.pt`` and a summary
``pretrain.json``. Rerunning the same command continues after the last finished epoch.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from augury.errors import DataError
from augury.utils.paths import check_output_dir


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
    check_output_dir(out)
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
