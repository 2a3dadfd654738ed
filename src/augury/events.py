"""From per-step scores to anomaly events: contiguous runs of flagged steps an operator can act on.

:func:`to_events` groups ``score > threshold`` into events (start/end index and timestamp,
length, duration, peak and mean score); :func:`flag_warning` explains a threshold that flags
nothing or everything, which is almost always a units mistake rather than a finding.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from augury.errors import DataError
from augury.metrics._validation import segments

EVENT_COLUMNS = ["start", "end", "start_time", "end_time", "length", "duration", "peak", "peak_step",
                 "peak_time", "mean", "top_channels"]
#: channels named per event in ``top_channels``
TOP_CHANNELS = 3


def _time_index(timestamps: Any, n: int) -> pd.Index | None:
    """The timestamps as an Index of length ``n`` (strings parsed to datetimes when they all parse)."""
    if timestamps is None:
        return None
    index = pd.Index(timestamps)
    if len(index) != n:
        raise DataError(f"timestamps: {len(index)} values for {n} scores")
    if not (isinstance(index, pd.DatetimeIndex) or pd.api.types.is_numeric_dtype(index)):
        try:
            index = pd.DatetimeIndex(pd.to_datetime(index, format="mixed"))
        except (ValueError, TypeError):
            pass  # free-form labels: kept as given, durations left empty
    return index


def to_events(
    scores: Any,
    threshold: float,
    timestamps: Any = None,
    min_gap: int = 0,
    min_length: int = 1,
    contributions: Any = None,
    channels: list[str] | None = None,
) -> pd.DataFrame:
    """Events of ``score > threshold`` in ``scores`` ``[T]``, one row each, in time order.

    Runs of flagged steps separated by at most ``min_gap`` unflagged steps are merged into one
    event (0: every run is its own event); events shorter than ``min_length`` steps are dropped.
    Columns: ``start, end`` (inclusive step indices), ``start_time, end_time`` (the timestamps at
    those steps, or the indices without ``timestamps``), ``length`` (steps), ``duration``
    (``end_time − start_time`` plus one sampling period — the median step between timestamps — so
    a one-step event lasts one period; ``length`` when the timestamps are neither datetimes nor
    numbers), ``peak`` (highest score), ``peak_step, peak_time``, ``mean`` (mean score over the
    event) and ``top_channels``: with per-channel ``contributions`` ``[T, C]`` (e.g.
    ``detector.explain(X)``) and the C ``channels`` names, the :data:`TOP_CHANNELS` channels with
    the highest mean contribution over the event as ``"name:value;..."`` (else empty).
    """
    s = np.asarray(scores, dtype=np.float64).ravel()
    if not np.all(np.isfinite(s)):
        raise DataError("to_events: scores contain NaN or inf")
    if not np.isfinite(threshold):
        raise DataError(f"to_events: threshold must be finite, got {threshold!r}")
    if min_gap < 0 or min_length < 1:
        raise DataError(f"to_events: need min_gap >= 0 and min_length >= 1, got {min_gap} and {min_length}")
    index = _time_index(timestamps, s.size)
    merged: list[list[int]] = []
    for a, b in zip(*(e.tolist() for e in segments(s > threshold)), strict=True):
        if merged and a - merged[-1][1] - 1 <= min_gap:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    contrib = _contributions(contributions, channels, s.size)
    rows = []
    for a, b in merged:
        if b - a + 1 < min_length:
            continue
        segment = s[a : b + 1]
        peak = a + int(np.argmax(segment))
        top = ""
        if contrib is not None and channels is not None:
            mean = contrib[a : b + 1].mean(axis=0)
            order = np.argsort(-mean, kind="stable")[:TOP_CHANNELS]
            top = ";".join(f"{channels[c]}:{mean[c]:.3g}" for c in order)
        rows.append({"start": a, "end": b, "length": b - a + 1, "peak": float(segment.max()),
                     "peak_step": peak, "mean": float(segment.mean()), "top_channels": top})
    frame = pd.DataFrame(rows, columns=["start", "end", "length", "peak", "peak_step", "mean", "top_channels"])
    frame = frame.astype({"start": np.int64, "end": np.int64, "length": np.int64, "peak_step": np.int64})
    at = (lambda i: index[i]) if index is not None else (lambda i: int(i))
    frame["start_time"] = [at(i) for i in frame["start"]]
    frame["end_time"] = [at(i) for i in frame["end"]]
    frame["peak_time"] = [at(i) for i in frame["peak_step"]]
    if index is None or not (isinstance(index, pd.DatetimeIndex) or pd.api.types.is_numeric_dtype(index)):
        frame["duration"] = frame["length"]
    else:
        period = _period(index)
        frame["duration"] = [index[b] - index[a] + period for a, b in zip(frame["start"], frame["end"], strict=True)]
    return frame[EVENT_COLUMNS]


def _period(index: pd.Index) -> Any:
    """The median positive step between consecutive timestamps (0 of the index's unit when there is none)."""
    values = pd.Series(index)
    diffs = values.diff().iloc[1:]
    positive = diffs[diffs > diffs.iloc[:0].sum()] if len(diffs) else diffs
    if len(positive):
        return positive.median()
    return pd.Timedelta(0) if isinstance(index, pd.DatetimeIndex) else 0


def _contributions(contributions: Any, channels: list[str] | None, n: int) -> np.ndarray | None:
    if contributions is None:
        return None
    c = np.asarray(contributions, dtype=np.float64)
    if c.ndim != 2 or c.shape[0] != n or channels is None or len(channels) != c.shape[1]:
        raise DataError(f"to_events: contributions of shape {c.shape} do not fit {n} scores and channels {channels}")
    return c


#: the default merge gap is at least this many steps (see :func:`default_min_gap`)
MIN_DEFAULT_GAP = 10


def default_min_gap(detector: Any) -> int:
    """The default merge gap of ``detect`` and ``watch`` for ``detector``: ``max(window, 10)`` steps.

    A long anomaly such as a level shift keeps its score near the threshold and dips below it
    briefly; a window model's score of one odd step also spans a window. Runs closer than this
    are one event to an operator (docs/operators_loop.md).
    """
    return max(int(detector._min_length()), MIN_DEFAULT_GAP)


def flag_warning(scores: Any, threshold: float, train_scores: Any = None) -> str | None:
    """Why ``score > threshold`` flags none or all of ``scores`` ``[T]``, or ``None`` when it flags some.

    With the training scores it names the usual cause: the threshold sits at the training
    maximum (scores that saturate, e.g. HBOS beyond its histogram), or a ``fixed:`` value in a
    method's raw units that lies below (or above) every score.
    """
    s = np.asarray(scores, dtype=np.float64).ravel()
    n_flagged = int(np.count_nonzero(s > threshold))
    if 0 < n_flagged < s.size:
        return None
    hint = "use a top:PERCENT threshold or calibrated scores (--calibrated), where fixed:3 flags scores beyond the top 0.43 % of training scores"
    if n_flagged == 0:
        msg = f"no step is flagged: the highest score {s.max():.6g} does not exceed the threshold {threshold:.6g}"
        if train_scores is not None:
            train = np.asarray(train_scores, dtype=np.float64).ravel()
            top = float(train.max())
            if np.isclose(threshold, top) and np.isclose(s.max(), top):
                tied = 100.0 * np.count_nonzero(np.isclose(train, top)) / train.size
                msg += (f" (scores saturate at the training maximum {top:.6g}: {tied:.1f} % of training scores "
                        "and the highest test scores tie there, and ties are never flagged)")
        return f"{msg}; {hint}"
    msg = f"every step is flagged: the lowest score {s.min():.6g} exceeds the threshold {threshold:.6g}"
    if train_scores is not None:
        train = np.asarray(train_scores, dtype=np.float64).ravel()
        if threshold < float(train.min()):
            msg += (f" (it lies below every training score, whose median is {np.median(train):.6g}: a fixed "
                    "value in another method's units?)")
    return f"{msg}; {hint}"
