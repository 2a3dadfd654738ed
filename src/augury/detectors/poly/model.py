"""POLY (TSB-AD's polynomial detector), applied per channel (:mod:`augury.detectors.per_channel`).

Batch scoring of one channel ``x`` ``[T]`` with block length W, polynomial degree p and
neighbourhood h = min(max(10·W, 100), T), following TSB-AD's procedure:

- the series is cut into blocks [i·W, (i+1)·W); blocks start at the first multiple of W past the
  warm-up ``min(500, ⌊0.1·T⌋)`` steps, whose scores are 0;
- each block's expected values come from a degree-p least-squares polynomial fitted on the h/2
  steps on each side of it (the block itself left out; near the ends, on the h steps that exist);
- every step of the block scores ``‖FFT(x_block − fit_block)‖₂ / L`` (L the block length), which
  by Parseval is ``‖x_block − fit_block‖₂ / √L``: the residual RMS. The FFT is not computed.

TSB-AD evaluates each full block's polynomial at ``linspace(i·W, (i+1)·W, W)`` (W points spanning
W + 1 steps) and the tail after the last full block only when ``T mod ⌊T/W⌋ ≠ 0``; both quirks
are kept so scores match its published rows. The method is transductive: a series is scored
from its own values (fitting stores only the window), as TSB-AD runs it.

Causal scoring (``decision_function(causal=True)``, streaming): step t scores the RMS residual of
its trailing block ``x[t−W+1..t]`` against the degree-p polynomial fitted on the h steps before
that block and extrapolated over it (``causal_warmup() = h + W − 1``). The fit and extrapolation
are one fixed linear map of the h past values (positions are relative), so all steps are scored
by matrix products over chunks of windows: memory linear in T.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from augury.base.params import Int, Rule
from augury.detectors.per_channel import PER_CHANNEL_RULES, PerChannelDetector

#: causal windows scored at once (bounds the working copy to CHUNK × (h + W) floats)
CHUNK = 4096


def _lstsq_poly(pos: np.ndarray, values: np.ndarray, power: int, centre: float, span: float) -> np.ndarray:
    """Coefficients (increasing powers of ``(pos − centre) / span``) of the least-squares polynomial."""
    u = (pos - centre) / span
    coef, *_ = np.linalg.lstsq(np.vander(u, power + 1, increasing=True), values, rcond=None)
    return coef


def _eval_poly(coef: np.ndarray, pos: np.ndarray, centre: float, span: float) -> np.ndarray:
    return np.vander((pos - centre) / span, coef.size, increasing=True) @ coef


class POLY(PerChannelDetector):
    """POLY per channel.

    Parameters: ``window`` (block length W, ``None`` = the training channel-0 period), ``power``
    (polynomial degree p), ``neighborhood`` (h steps fitted around a block, ``None`` =
    max(10·W, 100)), ``combine``, ``scaling``, ``threshold``, ``seed`` (unused: deterministic).
    """

    name = "poly"
    param_rules: ClassVar[dict[str, Rule]] = {**PER_CHANNEL_RULES, "power": Int(0, 10),
                                              "neighborhood": Int(2, 1_000_000, none_ok=True)}
    presets: ClassVar[dict[str, dict[str, Any]]] = {
        # One least-squares fit per block: cheap at TSB-AD's settings, so cpu = paper.
        "cpu": {"window": None, "power": 4, "neighborhood": None},
        # TSB-AD HP_list (Optimal_Uni_algo_HP_dict): periodicity 1, power 4.
        "paper": {"window": None, "power": 4, "neighborhood": None},
    }

    def __init__(self, window: int | None = None, power: int = 4, neighborhood: int | None = None,
                 combine: str = "mean", scaling: str = "standard", threshold: str = "top:1", seed: int = 0) -> None:
        self.window = window
        self.power = power
        self.neighborhood = neighborhood
        self.combine = combine
        self.scaling = scaling
        self.threshold = threshold
        self.seed = seed

    def _neighborhood(self) -> int:
        return int(self.neighborhood if self.neighborhood is not None else max(10 * self.window_, 100))

    def causal_warmup(self) -> int:
        """Steps before the first causal score: the h fitted steps plus the block, minus one."""
        if not hasattr(self, "window_"):
            return super().causal_warmup()
        return self._neighborhood() + self.window_ - 1

    def _fit_channel(self, x: np.ndarray) -> dict[str, np.ndarray]:
        return {}

    def _block_fit(self, x: np.ndarray, index: int, h: int) -> np.ndarray:
        """Coefficients of the polynomial expected around the block starting at ``index`` (TSB-AD's cases)."""
        n, w, half = x.size, self.window_, h // 2
        if index + half < n and index - half > 0:
            pos = np.r_[index - half : index, index + w : index + half]
        elif index + half >= n and index + w < n:
            pos = np.r_[n - h : index, index + w : n]
        elif index + w >= n:
            pos = np.arange(n - h, index)
        else:  # block within the first h steps: fit on the first h steps around it
            pos = np.r_[0:index, index + w : h]
        return _lstsq_poly(pos.astype(np.float64), x[pos], self.power, float(index), float(h))

    def _score_channel(self, c: int, x: np.ndarray) -> np.ndarray:
        n, w = x.size, self.window_
        h = min(self._neighborhood(), n)
        first = math.ceil(min(500, int(0.1 * n)) / w)
        last = n // w
        estimate = np.zeros(n)
        for i in range(first, last + 1):
            index = i * w
            if i < last:
                coef = self._block_fit(x, index, h)
                estimate[index : index + w] = _eval_poly(coef, np.linspace(index, index + w, w), index, h)
            elif n % last:
                coef = self._block_fit(x, index, h)
                estimate[index:] = _eval_poly(coef, np.arange(index, n, dtype=np.float64), index, h)
        score = np.zeros(n)
        for i in range(first, last + 1):
            block = slice(i * w, min((i + 1) * w, n))
            r = x[block] - estimate[block]
            if r.size:
                score[block] = np.sqrt(np.dot(r, r) / r.size)
        return score

    def _extrapolator(self) -> np.ndarray:
        """Linear map ``[W, h]``: the h past values → the fitted polynomial extrapolated over the next W steps."""
        h, w = self._neighborhood(), self.window_
        past = (np.arange(h, dtype=np.float64) - h) / h
        ahead = np.arange(w, dtype=np.float64) / h
        vander = np.vander(past, self.power + 1, increasing=True)
        return np.vander(ahead, self.power + 1, increasing=True) @ np.linalg.pinv(vander)

    def _causal_channel(self, c: int, x: np.ndarray) -> np.ndarray:
        h, w = self._neighborhood(), self.window_
        op = self._extrapolator()
        windows = sliding_window_view(x, h + w)
        out = np.empty(windows.shape[0])
        for i in range(0, windows.shape[0], CHUNK):
            chunk = windows[i : i + CHUNK]
            r = chunk[:, h:] - chunk[:, :h] @ op.T
            out[i : i + CHUNK] = np.sqrt((r**2).mean(axis=1))
        return out

    def _set_state(self, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> None:
        super()._set_state(arrays, info)
        if any(self.channel_models_):
            raise ValueError("POLY stores no per-channel arrays")
