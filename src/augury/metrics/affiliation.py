"""Affiliation precision / recall / F1 (Huet, Navarro, Rossi, KDD 2022).

Same definition as the authors' ``affiliation-metrics-py`` ``pr_from_events`` with
``Trange = (0, T)`` and events built from binary vectors (step i = interval [i, i+1)):

- the time range is split into one *affiliation zone* per ground-truth event J (boundaries at the
  midpoints between consecutive events);
- precision of zone J: mean over the predicted instants x in the zone of the probability that a
  uniform random instant of the zone lies at least as far from J as x;
- recall of zone J: mean over y in J of the probability that a uniform random instant of the zone
  lies at least as far from y as the nearest predicted instant in the zone (0 if the zone has no
  prediction);
- precision = mean over zones that contain predictions, recall = mean over all zones, F1 = their
  harmonic mean.

Why ours: the reference is not on PyPI and integrates interval by interval in Python. Every
interval end here is an integer or a midpoint between two such ends, so both integrands are
linear between consecutive quarter steps; the exact integrals are therefore quarter-step
midpoint sums, which we evaluate vectorised (4 samples per labelled or predicted step).
"""

from __future__ import annotations

import numpy as np

from augury.metrics._validation import require_anomaly, segments
from augury.metrics.prf import check_prediction_pair

# Midpoints of the four quarter steps of [i, i+1); exact in binary floating point.
_QUARTER_MIDPOINTS = np.array([0.125, 0.375, 0.625, 0.875])


def _samples(mask: np.ndarray) -> np.ndarray:
    return (np.flatnonzero(mask)[:, None] + _QUARTER_MIDPOINTS).ravel()


def affiliation_prf(y_true: object, y_pred: object) -> dict[str, float]:
    """Affiliation ``precision, recall, f1`` of 0/1 predictions ``[T]`` against 0/1 labels ``[T]``.

    Raises ``MetricError`` if ``y_true`` has no anomaly. With no predicted step the precision is
    undefined (NaN in the reference); we report precision = recall = f1 = 0.0, the same
    zero-division convention as the point-wise metrics.
    """
    y, p = check_prediction_pair(y_true, y_pred)
    require_anomaly(y, "affiliation_prf")
    if not p.any():
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    n = y.size
    gt_start, gt_last = segments(y)
    gt_end = gt_last + 1
    cuts = (gt_end[:-1] + gt_start[1:]) / 2
    zone_lo = np.concatenate(([0.0], cuts))
    zone_hi = np.concatenate((cuts, [float(n)]))
    zone_len = zone_hi - zone_lo
    n_zones = gt_start.size

    # Precision: predicted instants, each against the event of its own zone.
    x = _samples(p)
    z = np.searchsorted(cuts, x)  # samples never sit on a cut (cuts are multiples of 1/2)
    js, je = gt_start[z], gt_end[z]
    dist = np.maximum(np.maximum(js - x, x - je), 0.0)
    left_room, right_room = js - zone_lo[z], zone_hi[z] - je
    survival = 1.0 - ((je - js) + np.minimum(dist, left_room) + np.minimum(dist, right_room)) / zone_len[z]
    survival[dist == 0] = 1.0
    counts = np.bincount(z, minlength=n_zones)
    per_zone = np.bincount(z, weights=survival, minlength=n_zones)
    has_pred = counts > 0
    precision = float(np.mean(per_zone[has_pred] / counts[has_pred]))

    # Recall: instants of each event against the predictions clipped to that event's zone.
    t = _samples(y)
    zt = np.searchsorted(cuts, t)
    lo, hi = zone_lo[zt], zone_hi[zt]
    pr_start, pr_last = segments(p)
    pr_end = (pr_last + 1).astype(np.float64)
    k = np.searchsorted(pr_start, t)  # predicted events starting before t: k - 1 is the last one
    prev_end = np.where(k > 0, pr_end[np.maximum(k - 1, 0)], -np.inf)
    inside = prev_end > t
    left = np.where(prev_end > lo, t - prev_end, np.inf)  # only if that event reaches into the zone
    next_start = np.where(k < pr_start.size, pr_start[np.minimum(k, pr_start.size - 1)], np.inf)
    right = np.where(next_start < hi, next_start - t, np.inf)
    d = np.where(inside, 0.0, np.minimum(left, right))
    room = np.minimum(t - lo, hi - t)
    with np.errstate(invalid="ignore"):
        survival_t = 1.0 - (np.minimum(d, room) + d) / zone_len[zt]
    survival_t = np.where(inside, 1.0, np.where(np.isinf(d), 0.0, survival_t))
    recall_zone = np.bincount(zt, weights=survival_t, minlength=n_zones) / np.bincount(zt, minlength=n_zones)
    recall = float(np.mean(recall_zone))

    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {"precision": precision, "recall": recall, "f1": float(f1)}
