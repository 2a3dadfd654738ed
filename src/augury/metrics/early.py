"""How early an anomaly is detected: per-event delays, latency statistics and NAB-style scoring.

A labelled *event* is a maximal run of 1 in ``y_true``. Its *delay* is the number of steps from
its first step to the first flagged step inside it (0 = flagged on onset), NaN if no step of the
event is flagged. ``early`` lets flags up to that many steps before the onset count (negative
delays), never reaching back into the previous event.

NAB scoring (Lavin & Ahmad 2015, numenta/NAB ``sweeper.py``), with the labelled events as the
anomaly windows: the first flag in a window of width W ending at step r scores
``A_tp * sigma(-(r - i + 1) / W) / sigma(-1)`` (so a flag on the first step earns ``A_tp`` and the
reward decays towards the end of the window); a window without a flag costs ``A_fn``; a flag outside
every window scores ``A_fp * sigma(d / (W_prev - 1))``, where d is its distance from the end of
the previous window (-A_fp when there is none, or when that window is one step wide, where NAB
divides by zero), with ``sigma(y) = 2 / (1 + exp(5 y)) - 1`` and -1 beyond y = 3. The normalised
score is ``100 (raw - null) / (perfect - null)``, null = no flag at all (``-A_fn`` per window),
perfect = ``A_tp`` per window. NAB's probationary period is left out (augury scores only the test
split, which has no learning period).

Early *warning* (:func:`warning_lead_times`) works on non-overlapping windows of W steps, where
warning on window j means "window j+1 will hold an anomaly" and is issued when window j ends, at
step (j+1)·W. An event starting in window k is warned when window k−1 is flagged; its lead time is
the onset minus the issue step of the first warning of the unbroken run of flags ending at k−1.
"""

from __future__ import annotations

import numpy as np

from augury.errors import MetricError
from augury.metrics._validation import require_anomaly, segments
from augury.metrics.prf import check_prediction_pair

#: NAB's cost matrices (``config/profiles.json``): weights of a true positive, false positive, false negative.
NAB_PROFILES: dict[str, dict[str, float]] = {
    "standard": {"tp": 1.0, "fp": 0.11, "fn": 1.0},
    "reward_low_fp": {"tp": 1.0, "fp": 0.22, "fn": 1.0},
    "reward_low_fn": {"tp": 1.0, "fp": 0.11, "fn": 2.0},
}


def _first_flag_at_or_after(p: np.ndarray) -> np.ndarray:
    """``out[i]`` = smallest j >= i with ``p[j] == 1`` (``T`` if none): ``[T + 1]``, vectorised."""
    n = p.size
    idx = np.where(p == 1, np.arange(n), n)
    return np.append(np.minimum.accumulate(idx[::-1])[::-1], n)


def detection_delays(y_true: object, y_pred: object, early: int = 0) -> np.ndarray:
    """Delay in steps of each labelled event ``[K]`` (float; NaN = missed).

    ``y_true``, ``y_pred`` 0/1 ``[T]``. A flag counts for an event from ``early`` steps before its
    onset (not before the previous event's last step + 1) to its last step; the delay is the first
    such flag's index minus the onset (negative = before the onset).
    """
    if isinstance(early, bool) or not isinstance(early, int | np.integer) or early < 0:
        raise MetricError(f"early must be an integer >= 0, got {early!r}")
    y, p = check_prediction_pair(y_true, y_pred)
    require_anomaly(y, "detection_delays")
    starts, ends = segments(y)
    prev_end = np.concatenate(([-1], ends[:-1]))
    lo = np.maximum(starts - early, prev_end + 1)
    first = _first_flag_at_or_after(p)[lo]
    return np.where(first <= ends, first - starts, np.nan).astype(np.float64)


def latency_stats(delays: object) -> dict[str, float | int | None]:
    """Summary of :func:`detection_delays` output: counts, detection rate and delay statistics (steps).

    Keys ``n_events, events_detected, detection_rate, mean_delay, median_delay, min_delay,
    max_delay``; the delay statistics are over detected events only and None when none was detected.
    """
    d = np.asarray(delays, dtype=np.float64)
    if d.ndim != 1 or d.size == 0:
        raise MetricError(f"delays must be a non-empty 1-D array, got shape {d.shape}")
    hit = d[~np.isnan(d)]
    out: dict[str, float | int | None] = {
        "n_events": int(d.size),
        "events_detected": int(hit.size),
        "detection_rate": hit.size / d.size,
    }
    for name, fn in (("mean", np.mean), ("median", np.median), ("min", np.min), ("max", np.max)):
        out[f"{name}_delay"] = float(fn(hit)) if hit.size else None
    return out


def _scaled_sigmoid(y: np.ndarray) -> np.ndarray:
    """NAB's ``scaledSigmoid``: ``2 / (1 + exp(5 y)) - 1``, and -1 for y > 3."""
    return np.where(y > 3.0, -1.0, 2.0 / (1.0 + np.exp(5.0 * np.minimum(y, 3.0))) - 1.0)


def nab_score(y_true: object, y_pred: object, profile: str = "standard") -> dict[str, float]:
    """NAB score of 0/1 predictions ``[T]`` with the labelled events of ``y_true`` ``[T]`` as windows.

    ``profile``: ``"standard"``, ``"reward_low_fp"`` or ``"reward_low_fn"`` (:data:`NAB_PROFILES`).
    Returns ``raw`` (sum of the window and false-alarm terms), ``null``, ``perfect`` and
    ``normalized`` = ``100 (raw - null) / (perfect - null)`` (100 = every event flagged on its first
    step with no false alarm; 0 = no better than flagging nothing; negative is possible).
    """
    if profile not in NAB_PROFILES:
        raise MetricError(f"unknown NAB profile {profile!r}; expected one of {sorted(NAB_PROFILES)}")
    a = NAB_PROFILES[profile]
    y, p = check_prediction_pair(y_true, y_pred)
    require_anomaly(y, "nab_score")
    starts, ends = segments(y)
    width = (ends - starts + 1).astype(np.float64)
    max_tp = float(_scaled_sigmoid(np.array(-1.0)))

    first = _first_flag_at_or_after(p)[starts]
    hit = first <= ends
    position = -(ends - first + 1) / width
    window_terms = np.where(hit, a["tp"] * _scaled_sigmoid(np.where(hit, position, 0.0)) / max_tp, -a["fn"])

    fp_idx = np.flatnonzero((p == 1) & (y == 0))
    k = np.searchsorted(ends, fp_idx)  # windows that ended before each false alarm
    prev = k - 1
    prev_end = ends[np.maximum(prev, 0)]
    prev_width = width[np.maximum(prev, 0)]
    usable = (prev >= 0) & (prev_width > 1)
    past = np.abs(prev_end - fp_idx) / np.where(usable, prev_width - 1, 1.0)
    fp_terms = a["fp"] * np.where(usable, _scaled_sigmoid(past), -1.0)

    raw = float(window_terms.sum() + fp_terms.sum())
    null, perfect = -a["fn"] * starts.size, a["tp"] * starts.size
    return {"raw": raw, "null": null, "perfect": perfect, "normalized": 100 * (raw - null) / (perfect - null)}


def nab_scores(y_true: object, y_pred: object) -> dict[str, float]:
    """Normalised NAB score under each profile: ``nab_standard, nab_reward_low_fp, nab_reward_low_fn``."""
    return {f"nab_{name}": nab_score(y_true, y_pred, name)["normalized"] for name in NAB_PROFILES}



def warning_lead_times(y_point: object, flags: object, window: int) -> np.ndarray:
    """Lead time in steps ``[K]`` (float; NaN = not warned) of each labelled event of ``y_point`` ``[T]``.

    ``flags`` 0/1 ``[N − 1]``: flag j warns that window j+1 (steps ``[(j+1)W, (j+2)W)``) is anomalous.
    Events starting in window 0 cannot be warned (NaN).
    """
    y = np.asarray(y_point).astype(np.int8).ravel()
    f = np.asarray(flags).astype(np.int8).ravel()
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 1:
        raise MetricError(f"window must be an integer >= 1, got {window!r}")
    n = y.size // window
    if f.size != max(n - 1, 0):
        raise MetricError(f"flags has {f.size} entries; {n} windows of {window} steps need {max(n - 1, 0)}")
    starts, _ = segments(y[: n * window])
    # run_start[j]: first flag of the unbroken run of flags that ends at j (only read where f[j] == 1).
    idx = np.arange(f.size)
    run_start = np.maximum.accumulate(np.where(f == 0, idx + 1, 0)) if f.size else idx
    lead = np.full(starts.size, np.nan)
    k = starts // window
    warned = (k >= 1) & (f[np.maximum(k - 1, 0)] == 1) if f.size else np.zeros(starts.size, dtype=bool)
    lead[warned] = starts[warned] - (run_start[k[warned] - 1] + 1) * window
    return lead


def false_warnings_per_1000(y_next: object, flags: object) -> float:
    """Flags raised before a normal window, per 1,000 samples whose next window is normal (NaN if none)."""
    y = np.asarray(y_next).astype(np.int8).ravel()
    f = np.asarray(flags).astype(np.int8).ravel()
    if y.size != f.size:
        raise MetricError(f"y_next has {y.size} samples, flags {f.size}")
    normal = y == 0
    return float(1000.0 * np.sum(f[normal] == 1) / normal.sum()) if normal.any() else float("nan")
