"""Score-over-time plots: the one picture every run gets (scores, labelled anomalies, threshold)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import matplotlib

# A headless backend: reports are built on servers and in workers without a display.
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from augury.errors import DataError  # noqa: E402
from augury.utils.atomic import atomic_write_bytes  # noqa: E402


def anomaly_segments(labels: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs of 1 in a 0/1 array as half-open ``(start, stop)`` pairs."""
    y = np.asarray(labels).astype(bool).astype(np.int8)
    edges = np.diff(np.concatenate(([0], y, [0])))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def plot_scores(
    path: str | os.PathLike[str],
    scores: np.ndarray,
    labels: np.ndarray | None,
    threshold: float | None = None,
    title: str = "",
    train_len: int | None = None,
) -> Path:
    """Plot per-step ``scores`` ``[T]`` with labelled anomaly segments shaded; write a PNG atomically.

    ``labels`` ``[T]`` (0/1, or None) are shaded red; ``threshold`` is drawn as a dashed line.
    ``train_len``: when ``scores`` is train followed by test, the first ``train_len`` steps are
    the training part and a vertical line marks where test starts (labels then cover the whole
    series, or only the test part — both lengths are accepted). Returns the PNG path.
    """
    s = np.asarray(scores, dtype=np.float64).ravel()
    offset = 0
    if labels is not None:
        y = np.asarray(labels).ravel()
        if train_len is not None and y.size == s.size - train_len:
            offset = train_len
        elif y.size != s.size:
            raise DataError(f"plot_scores: {y.size} labels for {s.size} scores")
    path = Path(path)
    fig, ax = plt.subplots(figsize=(12, 3.2), dpi=100)
    try:
        ax.plot(np.arange(s.size), s, lw=0.6, color="tab:blue", label="score")
        if labels is not None:
            for i, (start, stop) in enumerate(anomaly_segments(y)):
                # A single-step segment would be invisible without some width.
                ax.axvspan(offset + start - 0.5, offset + stop - 0.5, color="tab:red", alpha=0.25, lw=0,
                           label="labelled anomaly" if i == 0 else None)
        if threshold is not None and np.isfinite(threshold):
            ax.axhline(threshold, color="black", ls="--", lw=0.8, label=f"threshold {threshold:.4g}")
        if train_len is not None and 0 < train_len < s.size:
            ax.axvline(train_len, color="grey", lw=0.8, label="train | test")
        ax.set_xlim(0, max(s.size - 1, 1))
        ax.set_xlabel("time step")
        ax.set_ylabel("anomaly score")
        if title:
            ax.set_title(title, fontsize=10)
        ax.legend(loc="upper right", fontsize=8, framealpha=0.8)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    finally:
        plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
    return path
