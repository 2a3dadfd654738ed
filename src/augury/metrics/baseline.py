"""Spread of a random baseline over seeds: mean, standard deviation and a 95 % interval.

The interval is the 2.5th-97.5th percentile of the per-seed values (linear interpolation): the
range a random scorer lands in 95 % of the time. It is *not* a confidence interval of the mean
(that one shrinks with more seeds); it answers "could chance give the detector's number?". With
few seeds it is close to the min-max range, so use 10 or more for a meaningful interval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from augury.errors import MetricError

#: Suffixes added to ``random_<metric>`` (the mean) by :func:`summarise_runs`.
SPREAD_SUFFIXES = ("_std", "_ci_low", "_ci_high")


def spread(values: Sequence[float]) -> dict[str, float]:
    """``mean, std, ci_low, ci_high`` of per-seed values ``[N]``; std is the sample std (0 for N = 1)."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or v.size == 0 or not np.all(np.isfinite(v)):
        raise MetricError(f"spread needs a non-empty 1-D array of finite values, got {values!r}")
    low, high = np.percentile(v, [2.5, 97.5])
    return {
        "mean": float(v.mean()),
        "std": float(v.std(ddof=1)) if v.size > 1 else 0.0,
        "ci_low": float(low),
        "ci_high": float(high),
    }


def summarise_runs(runs: Sequence[Mapping[str, float | None]], prefix: str = "random_") -> dict[str, float | None]:
    """Per metric of the seed runs: ``<prefix><m>`` (mean) and ``<prefix><m>_std/_ci_low/_ci_high``.

    ``runs``: one dict per seed with the same keys. A metric that is None in some runs (e.g. the
    delay when nothing was detected) is summarised over the others, and None if it is None in all.
    """
    if not runs:
        raise MetricError("summarise_runs needs at least one run")
    out: dict[str, float | None] = {}
    for key in runs[0]:
        values = [run[key] for run in runs if run[key] is not None]
        stats = spread(values) if values else dict.fromkeys(("mean", "std", "ci_low", "ci_high"))
        out[f"{prefix}{key}"] = stats["mean"]
        for suffix in SPREAD_SUFFIXES:
            out[f"{prefix}{key}{suffix}"] = stats[suffix[1:]]
    return out


def format_interval(mean: float | None, low: float | None, high: float | None, digits: int = 3) -> str:
    """``"0.957 [0.946, 0.971]"`` (or ``"0.957"`` without an interval, ``"-"`` without a mean)."""
    if mean is None:
        return "-"
    if low is None or high is None:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"
