"""AMAD training: Max-Min + local-global contrastive losses, Adam with halving, early stopping.

Documented in docs/methods/amad.md §3. Per batch, one forward pass; ``L_max + L_con`` is
back-propagated with the graph retained, then ``L_min``; one optimizer step (as AT's solver).
"""

from __future__ import annotations

import copy
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from torch.nn import functional as F

from augury.detectors.amad.losses import contrastive_loss, cross_attention_divergence, maxmin_cad, reduce_cad
from augury.detectors.amad.model import AMADModel
from augury.nn.precision import autocast

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation hyper-parameters (see the detector's docstring for their meaning)."""

    lambda_cad: float = 3.0
    tau: float = 0.35
    con_norm: str = "layers"
    cad_reduction: str = "mean"
    lr: float = 0.02
    batch_size: int = 256
    epochs: int = 10
    patience: int = 3
    max_train_windows: int | None = None
    autocast: str = "none"
    plain: bool = False
    maxmin: str = "eq18"
    select: str = "rec"
    seed: int = 0
    progress: bool = True

    def __post_init__(self) -> None:
        if self.maxmin not in MAXMIN:
            raise ValueError(f"maxmin must be one of {MAXMIN}, got {self.maxmin!r}")
        if self.select not in SELECT:
            raise ValueError(f"select must be one of {SELECT}, got {self.select!r}")


#: Max-Min directions: ``"eq18"`` pulls A toward S and pushes S away from A (Eq. 18, AT's
#: prior/series roles); ``"fig4"`` the reverse (the prose of the paper's Fig. 4).
MAXMIN = ("eq18", "fig4")
#: Model-selection rules: ``"rec"`` best validation reconstruction MSE (early stopping on it);
#: ``"at"`` AT's rule (both Max- and Min-style validation losses must improve); ``"last"`` none.
SELECT = ("rec", "at", "last")


@dataclass
class TrainHistory:
    """Per-epoch losses, the epoch whose weights were kept, and why training stopped."""

    train_loss: list[float] = field(default_factory=list)
    val_max: list[float] = field(default_factory=list)
    val_min: list[float] = field(default_factory=list)
    val_rec: list[float] = field(default_factory=list)
    best_epoch: int = 0
    stop_reason: str = "max_epochs"

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return dict(self.__dict__)


@dataclass
class BatchLosses:
    """Scalar losses of one batch: reconstruction, both Max-Min phases and the contrastive term."""

    rec: torch.Tensor
    l_max: torch.Tensor
    l_min: torch.Tensor
    con: torch.Tensor | None


def batch_losses(
    model: AMADModel, x: torch.Tensor, cfg: TrainConfig, *, with_contrastive: bool = True
) -> BatchLosses:
    """Losses of windows ``x`` ``[B, N, C]`` (Eq. 18 with the λ sign of Eq. 17, Eqs. 19–20).

    Min phase ``rec + λ·CAD(A, sg(S))`` pulls A toward S; Max phase ``rec − λ·CAD(sg(A), S)`` pushes
    S away from A (``maxmin="fig4"`` swaps the roles). The plain ablation has no A: both phases
    are the reconstruction loss.
    """
    with autocast(cfg.autocast):
        recon, a_maps, s_maps = model(x)
    rec = F.mse_loss(recon, x)
    if cfg.plain:
        return BatchLosses(rec, rec, rec, None)
    cad_min = reduce_cad(cross_attention_divergence(a_maps, s_maps, detach_s=True), cfg.cad_reduction)
    cad_max = reduce_cad(cross_attention_divergence(a_maps, s_maps, detach_a=True), cfg.cad_reduction)
    if cfg.maxmin == "fig4":
        cad_min, cad_max = cad_max, cad_min
    con = contrastive_loss(a_maps, s_maps, cfg.tau, cfg.con_norm) if with_contrastive else None
    return BatchLosses(rec, rec - cfg.lambda_cad * cad_max, rec + cfg.lambda_cad * cad_min, con)


def train_step(model: AMADModel, opt: torch.optim.Optimizer, x: torch.Tensor, cfg: TrainConfig) -> float:
    """One optimizer step on a batch ``[B, N, C]``; returns the batch's Max-phase loss (AT's logged loss).

    AT back-propagates ``L_max + L_con`` (graph retained) and then ``L_min`` before one step. The
    summed gradient is that of ``2·rec + L_con + λ·CAD(A, sg(S)) − λ·CAD(sg(A), S)``, which one
    backward pass through :func:`maxmin_cad` computes exactly (tested against the two-pass form).
    """
    opt.zero_grad(set_to_none=True)
    with autocast(cfg.autocast):
        recon, a_maps, s_maps = model(x)
    rec = F.mse_loss(recon, x)
    if cfg.plain:
        rec.backward()
        opt.step()
        return float(rec.detach())
    # JS is symmetric; swapping the arguments swaps which map is pulled and which is pushed.
    cad = maxmin_cad(a_maps, s_maps) if cfg.maxmin == "eq18" else maxmin_cad(s_maps, a_maps)
    con = contrastive_loss(a_maps, s_maps, cfg.tau, cfg.con_norm)
    (2.0 * rec + con + cfg.lambda_cad * reduce_cad(cad, cfg.cad_reduction)).backward()
    opt.step()
    return float(rec.detach() - cfg.lambda_cad * reduce_cad(cad.detach(), cfg.cad_reduction))


@torch.no_grad()
def validation_losses(model: AMADModel, windows: Any, cfg: TrainConfig) -> tuple[float, float, float]:
    """Mean Max-style, Min-style (AT's ``vali``) and reconstruction losses over windows ``[N, W, C]``."""
    model.eval()
    l_max, l_min, rec, n = 0.0, 0.0, 0.0, 0
    for i in range(0, len(windows), cfg.batch_size):
        x = torch.from_numpy(np.ascontiguousarray(windows[i : i + cfg.batch_size]))
        losses = batch_losses(model, x, cfg, with_contrastive=False)
        l_max += float(losses.l_max) * len(x)
        l_min += float(losses.l_min) * len(x)
        rec += float(losses.rec) * len(x)
        n += len(x)
    model.train()
    return l_max / n, l_min / n, rec / n


class EarlyStopping:
    """An epoch counts as an improvement only if *every* tracked validation loss improves.

    AT's criterion tracks (Max-style, Min-style); the ``"rec"`` rule tracks the reconstruction
    loss alone, which the Max phase does not push up.
    """

    def __init__(self, patience: int) -> None:
        self.patience = patience
        self.best: tuple[float, ...] | None = None
        self.counter = 0

    def update(self, *losses: float) -> bool:
        """Record an epoch's losses; return True if all improved (save a checkpoint then)."""
        if self.best is None or all(v < b for v, b in zip(losses, self.best, strict=True)):
            self.best, self.counter = tuple(losses), 0
            return True
        self.counter += 1
        return False

    @property
    def should_stop(self) -> bool:
        """True after ``patience`` epochs in a row without improvement."""
        return self.counter >= self.patience


def _epoch_indices(n_windows: int, cap: int | None, gen: torch.Generator) -> torch.Tensor:
    """Shuffled window indices of one epoch, subsampled to ``cap`` windows if given."""
    perm = torch.randperm(n_windows, generator=gen)
    return perm if cap is None else perm[:cap]


def fit_model(
    model: AMADModel, train_windows: Any, val_windows: Any | None, cfg: TrainConfig
) -> TrainHistory:
    """Train ``model`` in place on windows ``[N, W, C]``; keep the checkpoint chosen by ``cfg.select``.

    Windows are arrays or :class:`~augury.detectors.amad.split.WindowSet`. Without validation
    windows, or with ``select="last"``, every epoch counts as an improvement (the last is kept).
    A non-finite loss stops training (the lr is probably too high) and Ctrl-C stops it early;
    in both cases the best checkpoint so far is restored, so the model is always usable.
    """
    gen = torch.Generator().manual_seed(cfg.seed)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    stopper = EarlyStopping(cfg.patience)
    best_state = copy.deepcopy(model.state_dict())
    history = TrainHistory()
    model.train()
    progress = Progress(
        TextColumn("AMAD epoch {task.fields[epoch]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("loss {task.fields[loss]:.4f}"),
        disable=not cfg.progress,
        transient=True,
        # stderr: the bar only shows on a terminal, the per-epoch lines below reach a log file too
        console=Console(stderr=True),
    )
    t0 = time.perf_counter()
    try:
        with progress:
            for epoch in range(1, cfg.epochs + 1):
                idx = _epoch_indices(len(train_windows), cfg.max_train_windows, gen).numpy()
                n_batches = math.ceil(len(idx) / cfg.batch_size)
                task = progress.add_task("train", total=n_batches, epoch=epoch, loss=float("nan"))
                total = 0.0
                for b in range(n_batches):
                    chunk = np.sort(idx[b * cfg.batch_size : (b + 1) * cfg.batch_size])
                    x = torch.from_numpy(np.ascontiguousarray(train_windows[chunk]))
                    loss = train_step(model, opt, x, cfg)
                    if not math.isfinite(loss):
                        history.stop_reason = f"non-finite loss at epoch {epoch}"
                        log.warning(
                            "AMAD diverged (%s, lr=%g); keeping epoch %d",
                            history.stop_reason,
                            cfg.lr,
                            history.best_epoch,
                        )
                        return history
                    total += loss
                    progress.update(task, advance=1, loss=total / (b + 1))
                progress.remove_task(task)
                history.train_loss.append(total / n_batches)
                improved = True
                if val_windows is not None:
                    v_max, v_min, v_rec = validation_losses(model, val_windows, cfg)
                    history.val_max.append(v_max)
                    history.val_min.append(v_min)
                    history.val_rec.append(v_rec)
                    if cfg.select == "at":
                        improved = stopper.update(v_max, v_min)
                    elif cfg.select == "rec":
                        improved = stopper.update(v_rec)
                if improved:
                    best_state = copy.deepcopy(model.state_dict())
                    history.best_epoch = epoch
                val = (f"max/min/rec {history.val_max[-1]:.5f}/{history.val_min[-1]:.5f}/{history.val_rec[-1]:.5f}"
                       if history.val_max else "-")
                log.info("AMAD epoch %d: train %.5f val %s", epoch, history.train_loss[-1], val)
                if cfg.progress:
                    progress.console.print(f"AMAD epoch {epoch}/{cfg.epochs}: train loss {history.train_loss[-1]:.5f}, "
                                           f"val {val}{' *' if improved else ''} ({time.perf_counter() - t0:.0f} s)",
                                           soft_wrap=True, highlight=False)
                if stopper.should_stop:
                    history.stop_reason = f"early stopping at epoch {epoch}"
                    break
                # AT's adjust_learning_rate: after epoch e, lr = lr0 * 0.5^(e-1).
                for group in opt.param_groups:
                    group["lr"] = cfg.lr * 0.5 ** (epoch - 1)
    except KeyboardInterrupt:
        history.stop_reason = "interrupted"
        log.warning("AMAD training interrupted; keeping the best checkpoint (epoch %d)", history.best_epoch)
    finally:
        model.load_state_dict(best_state)
        model.eval()
    return history
