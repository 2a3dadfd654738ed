"""The picture ``augury detect --plot`` draws: signals of the top channels, scores, threshold, events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

#: channels drawn at most (those named most often in the events' top channels)
MAX_CHANNELS = 3


def plot_detection(path: Path, values: np.ndarray, channels: list[str], scores: np.ndarray, threshold: float,
                   events: Any, index: Any = None) -> None:
    """Write a PNG to ``path``: one panel per top channel (raw values ``[T]``), then the scores
    ``[T]`` with the threshold; every event shaded in all panels. Written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from augury.utils.atomic import atomic_open

    picked = _top_channels(events, channels)
    x = np.arange(len(scores)) if index is None else np.asarray(index)
    # names come from the user's header: never let "$...$" be read as mathtext
    with matplotlib.rc_context({"text.parse_math": False}):
        fig, axes = plt.subplots(len(picked) + 1, 1, sharex=True, figsize=(11, 1.8 * (len(picked) + 1) + 0.6),
                                 squeeze=False)
        for ax, c in zip(axes[:-1, 0], picked, strict=True):
            ax.plot(x, values[:, c], lw=0.8, color="tab:blue")
            ax.set_ylabel(channels[c], fontsize=8)
        ax = axes[-1, 0]
        ax.plot(x, scores, lw=0.8, color="black", label="score")
        ax.axhline(threshold, color="tab:red", lw=0.8, ls="--", label=f"threshold {threshold:.4g}")
        ax.set_ylabel("score", fontsize=8)
        ax.legend(loc="upper left", fontsize=7)
        for a in axes[:, 0]:
            for start, end in zip(events["start"], events["end"], strict=True):
                a.axvspan(x[int(start)], x[int(end)], color="tab:orange", alpha=0.3, lw=0)
        axes[0, 0].set_title(f"{len(events)} events", fontsize=9)
        fig.autofmt_xdate()
        fig.tight_layout()
        with atomic_open(path, "wb", encoding=None) as fh:
            fig.savefig(fh, format="png", dpi=100)
        plt.close(fig)


def _top_channels(events: Any, channels: list[str]) -> list[int]:
    """Indices of the channels named first most often in ``events["top_channels"]`` (else the first ones)."""
    counts: dict[str, int] = {}
    for text in events["top_channels"]:
        for rank, item in enumerate(str(text).split(";")):
            name = item.rpartition(":")[0]
            if name in channels:
                counts[name] = counts.get(name, 0) + (MAX_CHANNELS - rank)
    named = sorted(counts, key=lambda n: -counts[n])[:MAX_CHANNELS]
    return [channels.index(n) for n in named] or list(range(min(MAX_CHANNELS, len(channels))))
