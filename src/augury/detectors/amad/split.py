"""Validation split for AMAD's model selection: which windows of the training series are held out.

``"blocks"`` (default) cuts the series into ``n_blocks`` equal blocks and holds out the last
``fraction`` of each, so validation covers the whole series (every part of a concatenated
benchmark such as MSL or SMD); ``"tail"`` holds out the last ``fraction`` of the series, which on
a concatenated benchmark is a few whole entities that are then never trained on
(docs/methods/amad.md §1).
"""

from __future__ import annotations

import numpy as np

from augury.data.windowing import window_starts

SPLITS = ("blocks", "tail")


class WindowSet:
    """Windows ``[len, window, C]`` of a series taken at given starts, without copying the series.

    Indexing with an integer array returns a contiguous float array ``[k, window, C]``.
    """

    def __init__(self, X: np.ndarray, starts: np.ndarray, window: int) -> None:
        self.X, self.starts, self.window = X, np.asarray(starts, dtype=np.int64), window

    def __len__(self) -> int:
        return int(self.starts.size)

    def __getitem__(self, idx: np.ndarray | slice) -> np.ndarray:
        rows = self.starts[idx][:, None] + np.arange(self.window)
        return np.ascontiguousarray(self.X[rows])


def split_windows(
    X: np.ndarray, fraction: float, window: int, train_stride: int, *, how: str = "blocks", n_blocks: int = 10
) -> tuple[WindowSet, WindowSet | None]:
    """Training windows (at ``train_stride``) and non-overlapping validation windows of ``X`` ``[T, C]``.

    No window crosses a train/validation cut. Returns ``(train, None)`` (all of ``X`` trained
    on) when the series is too short to hold out ``fraction`` with at least one window per part.
    """
    if how not in SPLITS:
        raise ValueError(f"val_split must be one of {SPLITS}, got {how!r}")
    n = X.shape[0]
    blocks = 1 if how == "tail" else n_blocks
    # Each block must give at least one training and one validation window.
    while blocks > 1 and min(fraction, 1 - fraction) * n / blocks < window:
        blocks -= 1
    edges = np.linspace(0, n, blocks + 1).astype(int)
    train_starts, val_starts = [], []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        n_val = int(round(fraction * (hi - lo)))
        if n_val < window or hi - lo - n_val < window:
            return WindowSet(X, window_starts(n, window, train_stride), window), None
        train_starts.append(lo + window_starts(hi - lo - n_val, window, train_stride))
        val_starts.append(hi - n_val + window_starts(n_val, window, window))
    return (
        WindowSet(X, np.concatenate(train_starts), window),
        WindowSet(X, np.concatenate(val_starts), window),
    )
