"""MatrixProfile (TSB-AD's univariate detector, on stumpy), applied per channel (:mod:`augury.detectors.per_channel`).

For one channel and window W, the *matrix profile* of a subsequence (W steps) is the z-normalised
Euclidean distance to its nearest neighbour: a subsequence unlike any other scores high. stumpy
computes it (``stumpy.stump``). Two joins are offered (``join``):

- ``"ab"`` (default): a scored subsequence's neighbour is searched among the *training*
  subsequences (``stump(T_A=x, m=W, T_B=train, ignore_trivial=False)``); fitting stores the scaled
  training channels. Scoring the training series itself this way gives 0 everywhere (each
  subsequence finds itself), so the *training scores* (threshold and standardisation) are the
  self-join below on the training series: each training subsequence against the other training
  subsequences.
- ``"self"``: a series is scored against itself (transductive, as POLY), the neighbour searched
  outside stumpy's exclusion zone of ⌈W/4⌉ steps around the subsequence; fitting stores only the
  window. Under TSB-AD's protocol (fit on the scored series) both joins' training scores are
  TSB-AD's MatrixProfile score.

Placement (TSB-AD's): subsequence i's distance is put on step i + ⌊W/2⌋; the first ⌊W/2⌋ and last
⌈W/2⌉ − 1 steps get the minimum distance of the series.

Constant stretches follow stumpy's convention: two constant subsequences are at distance 0, a
constant and a non-constant one at √W, so a channel constant over training scores finitely and
flags any departure from the constant.

Causal scoring (``join="ab"`` only): step t gets the distance of the subsequence ending at t to
its nearest training subsequence (``causal_warmup() = W − 1``), which needs no future step; it
is the batch score shifted by ⌈W/2⌉ − 1 steps. The self-join's neighbour may lie anywhere in the
series, so ``join="self"`` has no causal scores (``ParameterError``).
"""

from __future__ import annotations

import math
import warnings
from typing import Any, ClassVar

import numpy as np

from augury.base.params import Choice, Rule
from augury.detectors.per_channel import PER_CHANNEL_RULES, PerChannelDetector
from augury.errors import DataError, ParameterError
from augury.utils.threads import keep_torch_threads


def stump_profile(a: np.ndarray, m: int, b: np.ndarray | None = None) -> np.ndarray:
    """Matrix profile distances ``[len(a) − m + 1]``: self-join of ``a`` or AB-join of ``a`` against ``b``."""
    import stumpy

    with keep_torch_threads(), warnings.catch_warnings():
        # stumpy warns when many distances are ~0 (an AB-join of a series with itself): expected here.
        warnings.simplefilter("ignore", UserWarning)
        if b is None:
            out = stumpy.stump(a, m)
        else:
            out = stumpy.stump(a, m, T_B=b, ignore_trivial=False)
    return np.asarray(out[:, 0], dtype=np.float64)


def place(profile: np.ndarray, n: int, window: int) -> np.ndarray:
    """TSB-AD's alignment: subsequence i on step i + ⌊W/2⌋, the ends padded with the minimum → ``[n]``."""
    out = np.full(n, profile.min())
    out[window // 2 : window // 2 + profile.size] = profile
    return out


class MatrixProfile(PerChannelDetector):
    """MatrixProfile per channel.

    Parameters: ``window`` (W steps, ``None`` = the training channel-0 period), ``join``
    (``"ab"``: nearest training subsequence; ``"self"``: nearest subsequence of the scored series
    itself), ``combine``, ``scaling``, ``threshold``, ``seed`` (unused: deterministic).
    """

    name = "matrixprofile"
    param_rules: ClassVar[dict[str, Rule]] = {**PER_CHANNEL_RULES, "join": Choice("ab", "self")}
    presets: ClassVar[dict[str, dict[str, Any]]] = {
        # One compiled stumpy join per channel (O(T_test · T_train) distances): cpu = paper.
        "cpu": {"window": None, "join": "ab"},
        # TSB-AD HP_list (Optimal_Uni_algo_HP_dict): periodicity 1.
        "paper": {"window": None, "join": "ab"},
    }

    def __init__(self, window: int | None = None, join: str = "ab", combine: str = "mean",
                 scaling: str = "standard", threshold: str = "top:1", seed: int = 0) -> None:
        self.window = window
        self.join = join
        self.combine = combine
        self.scaling = scaling
        self.threshold = threshold
        self.seed = seed

    @staticmethod
    def _self_join_length(window: int) -> int:
        """Shortest series whose every subsequence has a neighbour outside the exclusion zone."""
        return window + math.ceil(window / 4) + 1

    def _min_fit_length(self, window: int) -> int:
        return self._self_join_length(window)

    def _min_length(self) -> int:
        if self.join == "self" and hasattr(self, "window_"):
            return self._self_join_length(self.window_)
        return super()._min_length()

    def causal_warmup(self) -> int:
        if hasattr(self, "window_"):
            return self.window_ - 1
        return super().causal_warmup()

    def _fit(self, X: np.ndarray) -> None:
        self._fitting = True
        try:
            super()._fit(X)
        finally:
            del self._fitting

    def _fit_channel(self, x: np.ndarray) -> dict[str, np.ndarray]:
        return {"train": x} if self.join == "ab" else {}

    def _score_channel(self, c: int, x: np.ndarray) -> np.ndarray:
        if self.join == "self" or getattr(self, "_fitting", False):
            profile = stump_profile(x, self.window_)
        else:
            profile = stump_profile(x, self.window_, self.channel_models_[c]["train"])
        if not np.all(np.isfinite(profile)):
            raise DataError(f"MatrixProfile: channel {c} gave non-finite distances (window {self.window_})")
        return place(profile, x.size, self.window_)

    def _causal_channel(self, c: int, x: np.ndarray) -> np.ndarray:
        if self.join != "ab":
            raise ParameterError("MatrixProfile: join='self' has no causal scores (the nearest neighbour may "
                                 "lie in the future); use join='ab'")
        return stump_profile(x, self.window_, self.channel_models_[c]["train"])

    def _set_state(self, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> None:
        super()._set_state(arrays, info)
        for c, m in enumerate(self.channel_models_):
            if self.join == "self":
                if m:
                    raise ValueError(f"channel {c}: join='self' stores no arrays; got {sorted(m)}")
            elif (set(m) != {"train"} or m["train"].ndim != 1 or m["train"].size < self.window_
                  or not np.all(np.isfinite(m["train"]))):
                raise ValueError(f"channel {c}: expected a finite 1-D array 'train' of at least {self.window_} steps")
