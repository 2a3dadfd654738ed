"""Score-over-time plots: the one picture every run gets (raw signal of the top channels, scores,
labelled anomalies, threshold, detected events), on timestamps when the data has them."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

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


def _plain(text: object) -> str:
    # Channel and dataset names come from user files: a "$" pair would be parsed as mathtext
    # (and an unknown command like $\foo$ fails the whole plot). Escaped, it is drawn as typed.
    return str(text).replace("$", r"\$")


def plot_scores(
    path: str | os.PathLike[str],
    scores: np.ndarray,
    labels: np.ndarray | None,
    threshold: float | None = None,
    title: str = "",
    train_len: int | None = None,
    *,
    signal: np.ndarray | None = None,
    channel_names: list[str] | None = None,
    timestamps: np.ndarray | None = None,
    events: list[tuple[int, int]] | None = None,
    xlabel: str | None = None,
    ylabel: str = "anomaly score",
    threshold_name: str = "threshold",
    label_name: str = "labelled anomaly",
) -> Path:
    """Plot per-step ``scores`` ``[T]`` with labelled anomaly segments shaded; write a PNG atomically.

    ``labels`` ``[T]`` (0/1, or None) are shaded red; ``threshold`` is drawn as a dashed line.
    ``train_len``: when ``scores`` is train followed by test, the first ``train_len`` steps are
    the training part and a vertical line marks where test starts (labels then cover the whole
    series, or only the test part — both lengths are accepted).
    ``signal`` ``[T, k]`` (raw values of k channels, named by ``channel_names``) gets one panel per
    channel above the scores; ``timestamps`` ``[T]`` (datetime64 or numbers) replace the step
    index on the time axis; ``events`` (half-open ``(start, stop)`` step ranges, e.g. from
    :func:`augury.events.to_events`) are marked as orange bars under every panel. ``xlabel`` (default:
    "time step" or the timestamps' name), ``ylabel``, ``threshold_name`` and ``label_name`` name the axes
    and legend entries (early-warning risks are per window, their threshold is δ*). Returns the PNG path.
    """
    s = np.asarray(scores, dtype=np.float64).ravel()
    offset = 0
    if labels is not None:
        y = np.asarray(labels).ravel()
        if train_len is not None and y.size == s.size - train_len:
            offset = train_len
        elif y.size != s.size:
            raise DataError(f"plot_scores: {y.size} labels for {s.size} scores")
    sig = None if signal is None else np.asarray(signal, dtype=np.float64).reshape(s.size, -1)
    x = np.arange(s.size) if timestamps is None else np.asarray(timestamps)
    if x.shape != (s.size,):
        raise DataError(f"plot_scores: {x.size} timestamps for {s.size} scores")
    names = list(channel_names) if channel_names is not None else [f"ch{i}" for i in range(0 if sig is None else sig.shape[1])]

    def span(start: int, stop: int) -> tuple[Any, Any]:
        # Half a step either side on the step axis, so a one-step segment is still visible.
        if timestamps is None:
            return start - 0.5, stop - 0.5
        return x[start], x[min(stop, s.size) - 1]

    path = Path(path)
    n_sig = 0 if sig is None else sig.shape[1]
    fig, axes = plt.subplots(n_sig + 1, 1, sharex=True, squeeze=False, dpi=100,
                             figsize=(12, 3.2 + 1.1 * n_sig), height_ratios=[1] * n_sig + [2])
    axes = axes[:, 0]
    try:
        for i in range(n_sig):
            axes[i].plot(x, sig[:, i], lw=0.6, color="tab:gray")
            axes[i].set_ylabel(_plain(names[i]) if i < len(names) else f"ch{i}", fontsize=8)
            axes[i].tick_params(labelsize=7)
        ax = axes[-1]
        ax.plot(x, s, lw=0.6, color="tab:blue", label=ylabel)
        if labels is not None:
            for i, (start, stop) in enumerate(anomaly_segments(y)):
                for a in axes:
                    a.axvspan(*span(offset + start, offset + stop), color="tab:red", alpha=0.25, lw=0,
                              label=label_name if i == 0 and a is ax else None)
        for i, (start, stop) in enumerate(events or []):
            for a in axes:
                a.axvspan(*span(start, stop), ymin=0, ymax=0.06, color="tab:orange", lw=0,
                          label="detected event" if i == 0 and a is ax else None)
        if threshold is not None and np.isfinite(threshold):
            ax.axhline(threshold, color="black", ls="--", lw=0.8, label=f"{threshold_name} {threshold:.4g}")
        if train_len is not None and 0 < train_len < s.size:
            ax.axvline(x[train_len], color="grey", lw=0.8, label="train | test")
        if timestamps is None:
            ax.set_xlim(0, max(s.size - 1, 1))
            ax.set_xlabel(xlabel or "time step")
        else:
            if s.size > 1:
                ax.set_xlim(x[0], x[-1])
            ax.set_xlabel(xlabel or str(getattr(timestamps, "name", None) or "time"))
        ax.set_ylabel(ylabel)
        if title:
            axes[0].set_title(_plain(title), fontsize=10)
        ax.legend(loc="upper right", fontsize=8, framealpha=0.8)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    finally:
        plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
    return path
