"""Shared base of the small torch window detectors (CNN, LSTMAD, USAD, OmniAnomaly; TSB-AD's deep field).

A subclass defines one *span*: the ``span()`` consecutive steps one model call sees (a forecaster's
``window`` inputs plus the predicted step; a reconstructor's ``window``). It supplies the network
(``_build``), its training loss on a batch of spans (``_loss``) and the per-channel error of each
span (``_span_errors``, ``[N, C]``; the span's score is the mean over channels, as TSB-AD scores).

Everything else is here, written once: the train / validation split (the first
``1 − validation_size`` of the training series trains, the rest validates, as TSB-AD does), seeded
shuffling, Adam(W) + step decay, early stopping on the validation loss, one progress line per epoch
on stderr, optional bf16 autocast (training), and scoring in float64 in chunks of ``score_batch_size``
spans taken from a strided view (memory flat in the series length).

Score alignment (``alignment``): ``"end"`` (default) gives step t the score of the span *ending* at
t, so batch scores equal causal / streaming scores from step ``span − 1`` on, and the first
``span − 1`` steps repeat the first span's score. ``"start"`` gives step t the span *starting* at t
(the last ``span − 1`` steps repeat the last span): TSB-AD's alignment for its reconstruction models
(USAD, OmniAnomaly). For forecasters TSB-AD's alignment is ``"end"``. Causal scoring always uses the
span ending at t. See ``docs/methods/cnn.md`` and siblings.
"""

from __future__ import annotations

import copy
import sys
import time
from typing import Any, ClassVar

import numpy as np
import torch
from numpy.lib.stride_tricks import sliding_window_view
from torch import nn

from augury.base.params import SEED, Bool, Choice, Float, Int, Rule, Text
from augury.detectors.base import Detector
from augury.errors import DataError, ParameterError
from augury.nn.precision import AUTOCAST_MODES, autocast
from augury.nn.serialization import load_numpy_state, state_to_numpy
from augury.nn.threads import core_threads

#: Rules of the parameters every window detector has (subclasses add their architecture's).
COMMON_RULES: dict[str, Rule] = {
    "window": Int(2, 100_000), "epochs": Int(1, 100_000), "batch_size": Int(1, 1 << 20),
    "lr": Float(0, 10, low_open=True), "patience": Int(0), "validation_size": Float(0, 0.9),
    "restore_best": Bool(), "max_train_windows": Int(1, none_ok=True), "alignment": Choice("end", "start"),
    "autocast": Choice(*AUTOCAST_MODES), "score_batch_size": Int(1, 1 << 20), "scaling": Text(),
    "threshold": Text(), "seed": SEED, "progress": Bool(),
}
#: TSB-AD's early-stopping tolerance: a validation loss must drop by more than this to count.
_MIN_DELTA = 1e-4


class TorchWindowDetector(Detector):
    """Base class; see the module docstring. Subclasses set ``_optimizer`` / ``_decay`` as TSB-AD does."""

    tags: ClassVar[dict[str, Any]] = {"deep": True, "supervision": "semi-supervised"}
    #: ``"adam"`` or ``"adamw"`` (AdamW with weight decay 1e-5)
    _optimizer: ClassVar[str] = "adam"
    #: StepLR every 5 epochs by this factor
    _decay: ClassVar[float] = 0.75

    def _store(self, params: dict[str, Any]) -> None:
        """Keep the constructor's arguments unchanged under their own names (the estimator contract)."""
        for key, value in params.items():
            if key not in ("self", "__class__"):
                setattr(self, key, value)

    # ------------------------------------------------------------------ subclass hooks
    def span(self) -> int:
        """Steps one model call sees (default: ``window``)."""
        return int(self.window)

    def _build(self, n_channels: int) -> nn.Module:
        raise NotImplementedError

    def _loss(self, model: nn.Module, spans: torch.Tensor, epoch: int) -> torch.Tensor:
        """Scalar training loss of a batch of spans ``[B, span, C]`` at ``epoch`` (1-based)."""
        raise NotImplementedError

    def _span_errors(self, model: nn.Module, spans: torch.Tensor) -> torch.Tensor:
        """Per-channel error ``[B, C]`` of each span ``[B, span, C]`` (eval mode, no grad)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ contract
    def _min_length(self) -> int:
        return self.span()

    def _fit(self, X: np.ndarray) -> None:
        n_channels = X.shape[1]
        n_train = int((1.0 - self.validation_size) * len(X))
        if n_train < self.span():
            raise DataError(f"{type(self).__name__}: the training part ({n_train} steps after holding out "
                            f"validation_size={self.validation_size}) is shorter than one span ({self.span()} steps)")
        train, valid = X[:n_train], X[n_train:]
        self.model_ = self._build(n_channels)
        if self._optimizer == "adamw":
            opt = torch.optim.AdamW(self.model_.parameters(), lr=self.lr, weight_decay=1e-5)
        else:
            opt = torch.optim.Adam(self.model_.parameters(), lr=self.lr)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=5, gamma=self._decay)
        gen = torch.Generator().manual_seed(int(self.seed))
        train_view = _spans(train, self.span())
        has_valid = len(valid) >= self.span()
        self.history_: dict[str, list[float]] = {"train_loss": [], "valid_loss": []}
        best, best_state, stale = np.inf, None, 0
        name = self.name
        with core_threads():
            for epoch in range(1, self.epochs + 1):
                t0 = time.perf_counter()
                order = torch.randperm(len(train_view), generator=gen).numpy()
                if self.max_train_windows is not None:
                    order = order[: self.max_train_windows]
                self.model_.train()
                total = 0.0
                n_batches = 0
                for i in range(0, len(order), self.batch_size):
                    idx = np.sort(order[i : i + self.batch_size])
                    batch = torch.from_numpy(train_view[idx])
                    with autocast(self.autocast):
                        loss = self._loss(self.model_, batch, epoch)
                    opt.zero_grad()
                    loss.float().backward()
                    opt.step()
                    total += float(loss.detach())
                    n_batches += 1
                train_loss = total / max(n_batches, 1)
                valid_loss = self._eval_loss(valid, epoch) if has_valid else train_loss
                sched.step()
                self.history_["train_loss"].append(train_loss)
                self.history_["valid_loss"].append(valid_loss)
                if self.progress:
                    print(f"{name} epoch {epoch}/{self.epochs}: train loss {train_loss:.5f}, valid loss "
                          f"{valid_loss:.5f} ({time.perf_counter() - t0:.1f} s)", file=sys.stderr, flush=True)
                if valid_loss < best - _MIN_DELTA:
                    best, stale = valid_loss, 0
                    if self.restore_best:
                        best_state = copy.deepcopy(self.model_.state_dict())
                else:
                    stale += 1
                    if stale >= self.patience:
                        break
        if best_state is not None:
            self.model_.load_state_dict(best_state)
        self.model_.eval()

    def _eval_loss(self, valid: np.ndarray, epoch: int) -> float:
        self.model_.eval()
        view = _spans(valid, self.span())
        total, n = 0.0, 0
        with torch.no_grad():
            for i in range(0, len(view), self.batch_size):
                batch = torch.from_numpy(np.array(view[i : i + self.batch_size]))
                with autocast(self.autocast):
                    total += float(self._loss(self.model_, batch, epoch)) * len(batch)
                n += len(batch)
        return total / n

    def _channel_errors(self, X: np.ndarray) -> np.ndarray:
        """Per-channel errors ``[T − span + 1, C]`` of every span of ``X`` (span j ends at step j + span − 1).

        Scored in float64 by a float64 copy of the trained network: in float32 the kernels' results
        depend on the batch size in the last bits (~1e-7), and streaming in bursts of any size must
        equal batch scoring to 1e-9."""
        view = _spans(X, self.span())
        out = np.empty((len(view), X.shape[1]), dtype=np.float64)
        model = self._scoring_model()
        with core_threads(), torch.no_grad():
            for i in range(0, len(view), self.score_batch_size):
                batch = torch.from_numpy(np.array(view[i : i + self.score_batch_size], dtype=np.float64))
                out[i : i + len(batch)] = self._span_errors(model, batch).numpy()
        return out

    def _scoring_model(self) -> nn.Module:
        cached = getattr(self, "_scorer", None)
        if cached is None or cached[0] is not self.model_:
            cached = self._scorer = (self.model_, copy.deepcopy(self.model_).double().eval())
        return cached[1]

    def _aligned(self, per_span: np.ndarray, T: int) -> np.ndarray:
        """Span values ``[N, ...]`` → one row per step ``[T, ...]`` under ``alignment``."""
        steps = np.arange(T)
        if self.alignment == "end":
            idx = np.maximum(steps - self.span() + 1, 0)
        else:
            idx = np.minimum(steps, len(per_span) - 1)
        return per_span[idx]

    def _score(self, X: np.ndarray) -> np.ndarray:
        return self._aligned(self._channel_errors(X).mean(axis=1), len(X))

    def _score_causal(self, X: np.ndarray) -> np.ndarray:
        return self._channel_errors(X).mean(axis=1)

    def _explain(self, X: np.ndarray) -> np.ndarray:
        return self._aligned(self._channel_errors(X), len(X))

    def _explain_causal(self, X: np.ndarray) -> np.ndarray:
        return self._channel_errors(X)

    def _get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        return state_to_numpy(self.model_), {"history": self.history_}

    def _set_state(self, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> None:
        model = self._build(self.n_features_in_)
        load_numpy_state(model, arrays)
        model.eval()
        self.model_ = model
        history = info.get("history", {})
        if not isinstance(history, dict):
            raise ParameterError("saved training history must be an object")
        self.history_ = history


def _spans(X: np.ndarray, span: int) -> np.ndarray:
    """Read-only view ``[T − span + 1, span, C]`` of every span of ``X`` ``[T, C]`` (no copy)."""
    return sliding_window_view(X, span, axis=0).transpose(0, 2, 1)


class ForecastDetector(TorchWindowDetector):
    """Next-step forecasters: ``window`` inputs predict the following step (span = ``window + 1``);
    trained on MSE, scored by each channel's squared forecast error (TSB-AD's CNN and LSTMAD)."""

    def span(self) -> int:
        return int(self.window) + 1

    def _loss(self, model: nn.Module, spans: torch.Tensor, epoch: int) -> torch.Tensor:
        return nn.functional.mse_loss(model(spans[:, :-1]).float(), spans[:, -1])

    def _span_errors(self, model: nn.Module, spans: torch.Tensor) -> torch.Tensor:
        return (model(spans[:, :-1]) - spans[:, -1]) ** 2
