"""Window ↔ time-step mapping and the sample labels of the early-warning task.

Windows are non-overlapping: window i covers steps ``[i·W, (i+1)·W)``; a tail shorter than W is
not a window. The prediction for window i is the probability that window i+1 —
steps ``[(i+1)·W, (i+2)·W)`` — contains an anomalous step.

Two label modes (:func:`sample_labels`): ``"next"`` (the paper's: sample i is positive when window
i+1 holds an anomalous step) and ``"onset"`` (only samples whose own window is clean are kept, so a
positive is an anomaly that *starts* in the next window: "it is already anomalous" earns nothing).
"""

from __future__ import annotations

import numpy as np

from augury.errors import DataError


def n_windows(n_steps: int, window: int) -> int:
    """Number of full non-overlapping windows in ``n_steps`` steps."""
    return n_steps // window


def window_index(n_steps: int, window: int) -> tuple[np.ndarray, np.ndarray]:
    """``(start, end)`` int64 ``[N]``: window i covers steps ``start[i] ≤ t < end[i]``."""
    start = np.arange(n_windows(n_steps, window), dtype=np.int64) * window
    return start, start + window


def next_window_labels(labels: np.ndarray, window: int) -> np.ndarray:
    """Point labels ``[T]`` → uint8 ``[N − 1]``: entry i is 1 when window i+1 has an anomalous step."""
    n = n_windows(labels.shape[0], window)
    if n < 2:
        raise DataError(f"labels cover {labels.shape[0]} steps: fewer than two windows of {window} steps")
    per_window = labels[: n * window].reshape(n, window).max(axis=1)
    return per_window[1:].astype(np.uint8)


#: The label modes of :func:`sample_labels`.
LABEL_MODES = ("next", "onset")


def sample_labels(labels: np.ndarray, window: int, mode: str = "next") -> tuple[np.ndarray, np.ndarray]:
    """Point labels ``[T]`` → (uint8 labels ``[N − 1]``, bool ``keep`` ``[N − 1]``) of the samples.

    ``"next"`` keeps every sample; ``"onset"`` keeps sample i only when window i has no anomalous step.
    """
    if mode not in LABEL_MODES:
        raise DataError(f"label mode {mode!r} is unknown; expected one of {', '.join(LABEL_MODES)}")
    y = next_window_labels(labels, window)
    if mode == "next":
        return y, np.ones(y.size, dtype=bool)
    current = labels[: y.size * window].reshape(y.size, window).max(axis=1)
    return y, current == 0
