"""Sliding windows over a series and the inverse map from window scores back to time steps.

The inverse map is what makes every detector return *one score per time step*: a step's score
is the mean of the scores that the windows covering it gave it. With ``stride == window`` this
is plain concatenation. When ``T - window`` is not a multiple of ``stride`` the last window
would stop short of the end, so one extra window aligned to the end of the series is added;
the tail steps are then covered too (averaged with the previous window where they overlap).
With ``stride > window`` (subsampled windows) the steps between windows take the score of the
nearest preceding scored step, so every step still gets a score.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from augury.errors import DataError


def window_starts(n_steps: int, window: int, stride: int = 1) -> np.ndarray:
    """Start indices of the windows that cover all ``n_steps`` steps (last one end-aligned).

    Returns an int64 array ``[N]``. Raises ``DataError`` if the series is shorter than one window.
    """
    if window < 1 or stride < 1:
        raise DataError(f"window and stride must be >= 1 (got window={window}, stride={stride})")
    if n_steps < window:
        raise DataError(f"series has {n_steps} time steps, shorter than one window of {window} steps")
    starts = np.arange(0, n_steps - window + 1, stride, dtype=np.int64)
    if starts[-1] != n_steps - window:
        starts = np.append(starts, n_steps - window)
    return starts


def sliding_windows(x: np.ndarray, window: int, stride: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Windows of a series ``x`` ``[T, C]`` (or ``[T]``).

    Returns ``(windows, starts)``: ``windows`` is ``[N, window, C]`` (``[N, window]`` for 1-D input),
    a read-only view when possible (copy before writing), and ``starts`` ``[N]`` as in
    :func:`window_starts`.
    """
    x = np.asarray(x)
    starts = window_starts(x.shape[0], window, stride)
    view = sliding_window_view(x, window, axis=0)  # [T-W+1, (C,) W]
    if x.ndim == 2:
        view = view.transpose(0, 2, 1)
    return view[starts], starts


def windows_to_steps(
    scores: np.ndarray, starts: np.ndarray, n_steps: int, window: int
) -> np.ndarray:
    """Map window scores back to one score per time step by averaging over covering windows.

    ``scores`` is ``[N]`` (one score per window, spread over its ``window`` steps) or
    ``[N, window]`` (one score per position of each window). ``starts`` are the window starts.
    Returns float64 ``[n_steps]``. Steps no window covers (only when ``stride > window``) take
    the value of the nearest preceding covered step.
    """
    scores = np.asarray(scores, dtype=np.float64)
    starts = np.asarray(starts, dtype=np.int64)
    if scores.shape[0] != starts.shape[0]:
        raise DataError(f"got {scores.shape[0]} window scores for {starts.shape[0]} windows")
    counts = np.zeros(n_steps + 1, dtype=np.float64)
    np.add.at(counts, starts, 1.0)
    np.add.at(counts, starts + window, -1.0)
    counts = np.cumsum(counts)[:n_steps]
    if scores.ndim == 1:
        sums = _covering_sums(scores, starts, n_steps, window)
    elif scores.ndim == 2 and scores.shape[1] == window:
        sums = np.zeros(n_steps, dtype=np.float64)
        for k in range(window):
            np.add.at(sums, starts + k, scores[:, k])
    else:
        raise DataError(f"window scores must be [N] or [N, {window}], got shape {scores.shape}")
    covered = counts > 0.5
    if not covered[0]:
        raise DataError(f"time step 0 is not covered by any window (first start {int(starts.min())})")
    out = np.divide(sums, counts, out=np.zeros(n_steps), where=covered)
    if not covered.all():
        last = np.maximum.accumulate(np.where(covered, np.arange(n_steps), 0))
        out = out[last]
    return out


def _covering_sums(scores: np.ndarray, starts: np.ndarray, n_steps: int, window: int) -> np.ndarray:
    """Per step, the sum of the scores ``[N]`` of exactly the windows covering it.

    Not a running (prefix) sum over the series: there, one huge score (1e18) wipes out the
    precision of every later step. Here each step adds only its own covering windows, so a
    huge score changes nothing outside the steps its window covers. With sorted starts the
    windows covering step t are a contiguous index range [lo(t), hi(t)], at most
    ceil(window / stride) + 1 long, so this is that many vectorised passes over the series.
    """
    order = np.argsort(starts, kind="stable")
    st, sc = starts[order], scores[order]
    t = np.arange(n_steps, dtype=np.int64)
    hi = np.searchsorted(st, t, side="right") - 1
    lo = np.searchsorted(st, t - window, side="right")
    n_cover = np.maximum(hi - lo + 1, 0)
    # Steps with fewer covering windows than the pass number read a trailing 0.0: a plain gather
    # over the whole series is ~5× faster than masked updates, and adding 0.0 changes no sum.
    padded = np.append(sc, 0.0)
    sums = np.zeros(n_steps, dtype=np.float64)
    for j in range(int(n_cover.max()) if n_steps else 0):
        sums += padded[np.where(n_cover > j, hi - j, sc.shape[0])]
    return sums
