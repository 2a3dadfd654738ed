"""TSB-AD 1.5 parity: the threshold-dependent scores of ``TSB_AD.evaluation.metrics.get_metrics``.

Event-based F1, range-based precision/recall/F1 (Tatbul et al., NeurIPS 2018, as TSB-AD computes
them), oracle PA-F1 and oracle Affiliation-F over TSB-AD's 100 thresholds, ``metric_VUS_pred``
(VUS for binary predictions) and :func:`tsbad_metrics`, a compatibility view that returns
``get_metrics``' dictionary with its key names.

Every number follows tsb-ad 1.5 (``basic_metricor``), quirks included, because the point is to
reproduce a TSB-AD leaderboard row; each quirk is named where it is reproduced. "Oracle" means the
threshold is chosen *with the test labels*: an upper bound, not a deployable score.

One defect is *not* reproduced: TSB-AD's ``range_convers_new`` finds range ends with
``np.diff(label) == -1``, which never holds for unsigned labels (``uint8``: 0 − 1 wraps to 255),
so with ``uint8`` labels — how augury and many loaders store them — every labelled range becomes
one range from the first anomaly to the end of the series and R-based-F1 drops (MSL with the knn
``cpu`` scores: 0.2153 with ``uint8`` labels against 0.2503 with ``int64`` ones). Only R-based
precision/recall/F1 are affected. Ours always equals TSB-AD run on signed integer labels, which
is the range-based F1 of Tatbul et al.; pass ``labels.astype(int)`` to ``get_metrics`` to compare.

Why not call tsb-ad: it is not a dependency, and its loops are slow (range-based F1 tests
``i in p`` per labelled step, i.e. O(event length x predicted steps), for each of 100
thresholds). Here each threshold costs O(T) vectorised work via prefix sums.
"""

from __future__ import annotations

import numpy as np

from augury.errors import MetricError
from augury.metrics._validation import check_pair, require_anomaly, require_both_classes, segments
from augury.metrics.affiliation import affiliation_prf
from augury.metrics.point_adjust import point_adjust
from augury.metrics.prf import check_prediction_pair, confusion_prf
from augury.metrics.threshold_free import auc_pr, auc_roc
from augury.metrics.vus import vus_roc_pr

#: Thresholds of TSB-AD's oracle F-scores: ``linspace(min(score), max(score), 100)``, rule ``score > t``.
ORACLE_THRESHOLDS = 100
#: TSB-AD's guard added to F denominators (event-based F1 and Affiliation-F).
_EPS = 1e-15
#: Positional bias names accepted by TSB-AD's ``basic_metricor(bias=...)``; any other name is "middle".
BIASES = ("flat", "front-end bias", "back-end bias", "middle")
#: Keys of ``get_metrics``, in its order.
TSBAD_KEYS = (
    "AUC-PR",
    "AUC-ROC",
    "VUS-PR",
    "VUS-ROC",
    "Standard-F1",
    "PA-F1",
    "Event-based-F1",
    "R-based-F1",
    "Affiliation-F",
)


def oracle_thresholds(y_score: np.ndarray) -> np.ndarray:
    """TSB-AD's 100 candidate thresholds ``linspace(min, max, 100)`` ``[100]`` (rule ``score > t``)."""
    return np.linspace(y_score.min(), y_score.max(), ORACLE_THRESHOLDS)


def _tsbad_events(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Events as ``basic_metricor._get_events`` returns them (inclusive ends).

    Quirk reproduced: when the series ends inside an event, that event's end is recorded one step
    early, so its last step (or the whole event, if it is that single step) cannot be detected.
    """
    starts, ends = segments(y)
    if y[-1] == 1:
        ends = ends.copy()
        ends[-1] -= 1
    return starts, ends


def _segment_max(s: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Maximum score of each segment ``[starts[k], ends[k]]`` ``[K]``; -inf for an empty one."""
    bounds = np.empty(2 * starts.size, dtype=np.int64)
    bounds[0::2], bounds[1::2] = starts, ends + 1
    out = np.maximum.reduceat(np.append(s, -np.inf), bounds)[0::2]
    return np.where(ends >= starts, out, -np.inf)


def _event_f1_counts(rec_hits: np.ndarray, n_events: int, tp: np.ndarray, n_pred: np.ndarray) -> np.ndarray:
    recall = rec_hits / n_events
    precision = np.divide(tp, n_pred, out=np.zeros(tp.shape), where=n_pred > 0)
    return 2 * recall * precision / (recall + precision + _EPS)


def event_f1(y_true: object, y_pred: object) -> float:
    """Event-based F1 of 0/1 predictions ``[T]`` (TSB-AD ``metric_EventF1PA`` with ``preds``).

    Recall = fraction of labelled events with at least one predicted step; precision = point-wise
    precision (0 with no prediction); ``F = 2PR / (P + R + 1e-15)``. Needs one labelled event.
    """
    y, p = check_prediction_pair(y_true, y_pred)
    require_anomaly(y, "event_f1")
    starts, ends = _tsbad_events(y)
    csum = np.concatenate(([0], np.cumsum(p, dtype=np.int64)))
    hits = np.count_nonzero(csum[ends + 1] - csum[starts] > 0)
    tp = np.array([np.count_nonzero(y & p)], dtype=np.float64)
    return float(_event_f1_counts(np.array([hits]), starts.size, tp, np.array([p.sum()]))[0])


def oracle_event_f1(y_true: object, y_score: object) -> float:
    """ORACLE event-based F1: the best :func:`event_f1` of ``y_score > t`` over TSB-AD's 100 thresholds."""
    y, s = check_pair(y_true, y_score)
    require_anomaly(y, "oracle_event_f1")
    starts, ends = _tsbad_events(y)
    thr = oracle_thresholds(s)
    # An event is hit at t iff its maximum score exceeds t; an empty (quirk) event never is.
    ev_max = _segment_max(s, starts, ends)
    hits = starts.size - np.searchsorted(np.sort(ev_max), thr, side="right")
    s_sorted = np.sort(s)
    n_pred = s.size - np.searchsorted(s_sorted, thr, side="right")
    tp = np.count_nonzero(y) - np.searchsorted(np.sort(s[y == 1]), thr, side="right")
    return float(np.max(_event_f1_counts(hits, starts.size, tp.astype(np.float64), n_pred)))


def _check_bias(bias: str) -> None:
    if bias not in BIASES:
        raise MetricError(f"bias must be one of {BIASES}, got {bias!r}")


def _bias_sums(lo: np.ndarray, hi: np.ndarray, c0: np.ndarray, c1: np.ndarray) -> np.ndarray:
    """``(count, sum of i)`` over steps i in ``[lo[k], hi[k]]`` from prefix sums ``c0, c1``: ``[2, K]``.

    Empty ranges (``hi < lo``) give 0.
    """
    ok = hi >= lo
    lo_c, hi_c = np.where(ok, lo, 0), np.where(ok, hi + 1, 0)
    return np.stack((np.where(ok, c0[hi_c] - c0[lo_c], 0), np.where(ok, c1[hi_c] - c1[lo_c], 0)))


def _positional_sums(
    starts: np.ndarray, ends: np.ndarray, hits: np.ndarray, bias: str
) -> tuple[np.ndarray, np.ndarray]:
    """``(MyValue, MaxValue)`` of TSB-AD's ``w()`` for every range ``[K]``, exact integers.

    Quirk reproduced: TSB-AD evaluates the bias ``b(i, length)`` at the *absolute* step index i,
    not at the position inside the range as Tatbul et al. define it (only ``flat`` is unaffected).
    """
    idx = np.arange(hits.size, dtype=np.int64)
    hit_c0 = np.concatenate(([0], np.cumsum(hits, dtype=np.int64)))
    hit_c1 = np.concatenate(([0], np.cumsum(idx * hits, dtype=np.int64)))
    all_c0 = np.arange(hits.size + 1, dtype=np.int64)
    all_c1 = np.concatenate(([0], np.cumsum(idx)))
    length = ends - starts + 1
    out = []
    for c0, c1 in ((hit_c0, hit_c1), (all_c0, all_c1)):
        if bias == "flat":
            out.append(_bias_sums(starts, ends, c0, c1)[0])
        elif bias == "front-end bias":
            cnt, sum_i = _bias_sums(starts, ends, c0, c1)
            out.append((length + 1) * cnt - sum_i)
        elif bias == "back-end bias":
            out.append(_bias_sums(starts, ends, c0, c1)[1])
        else:  # "middle": b = i for i <= length / 2, else length - i + 1
            half = length // 2
            _, low_sum = _bias_sums(starts, np.minimum(ends, half), c0, c1)
            cnt, sum_i = _bias_sums(np.maximum(starts, half + 1), ends, c0, c1)
            out.append(low_sum + (length + 1) * cnt - sum_i)
    return out[0], out[1]


def _range_recall(a: np.ndarray, b: np.ndarray, alpha: float, bias: str) -> float:
    """TSB-AD ``range_recall_new(a, b, alpha)[0]``: ranges of ``a`` scored by the steps of ``b``."""
    a_start, a_end = segments(a)
    if a_start.size == 0:
        return 0.0
    b_start, b_end = segments(b)
    my_value, max_value = _positional_sums(a_start, a_end, b, bias)
    if np.any(max_value == 0):
        raise MetricError(f"range-based metric: bias {bias!r} gives a zero total weight to a range (TSB-AD divides by zero)")
    # Overlapping b-ranges of each a-range: b_start <= a_end and b_end >= a_start (both sorted).
    n_overlap = np.searchsorted(b_start, a_end, side="right") - np.searchsorted(b_end, a_start, side="left")
    cardinality = np.divide(1.0, n_overlap, out=np.zeros(n_overlap.shape), where=n_overlap > 0)
    existence = int(np.count_nonzero(n_overlap > 0))
    # Sequential sum in range order, as the reference accumulates it.
    overlap = float(np.cumsum(my_value / max_value * cardinality)[-1])
    return (alpha * existence + (1 - alpha) * overlap) / a_start.size


def _range_prf(y: np.ndarray, p: np.ndarray, alpha: float, bias: str) -> dict[str, float]:
    recall = _range_recall(y, p, alpha, bias)
    precision = _range_recall(p, y, 0.0, bias)
    f1 = 0.0 if precision + recall == 0 else 2 * recall * precision / (precision + recall)
    return {"precision": float(precision), "recall": float(recall), "f1": float(f1)}


def range_prf(y_true: object, y_pred: object, alpha: float = 0.2, bias: str = "flat") -> dict[str, float]:
    """Range-based ``precision, recall, f1`` (Tatbul et al. 2018) of 0/1 predictions ``[T]``, as TSB-AD.

    TSB-AD's defaults: recall existence weight ``alpha = 0.2`` (precision uses 0), reciprocal
    cardinality, positional ``bias`` ``"flat"``; the other biases are ``"front-end bias"``,
    ``"back-end bias"`` and ``"middle"`` (TSB-AD's fallback name), evaluated at absolute step indices
    as TSB-AD does. 0 where a side has no range.
    """
    if not 0.0 <= alpha <= 1.0:
        raise MetricError(f"alpha must be in [0, 1], got {alpha}")
    _check_bias(bias)
    y, p = check_prediction_pair(y_true, y_pred)
    return _range_prf(y, p, alpha, bias)


def oracle_range_f1(y_true: object, y_score: object, alpha: float = 0.2, bias: str = "flat") -> float:
    """ORACLE range-based F1 (TSB-AD "R-based-F1"): best :func:`range_prf` F1 over the 100 thresholds."""
    _check_bias(bias)
    y, s = check_pair(y_true, y_score)
    return max(_range_prf(y, (s > t).astype(np.int8), alpha, bias)["f1"] for t in oracle_thresholds(s))


def oracle_pa_f1(y_true: object, y_score: object) -> float:
    """ORACLE PA-F1 (TSB-AD "PA-F1"): best point-adjusted F1 of ``score > t`` over the 100 thresholds.

    TSB-AD's ``_adjust_predicts`` never back-fills index 0, i.e. ``point_adjust(at_compat=True)``.
    """
    y, s = check_pair(y_true, y_score)
    require_anomaly(y, "oracle_pa_f1")
    return max(
        confusion_prf(y, point_adjust(y, (s > t).astype(np.int8), at_compat=True))["f1"] for t in oracle_thresholds(s)
    )


def oracle_affiliation_f(y_true: object, y_score: object) -> float:
    """ORACLE Affiliation-F (TSB-AD "Affiliation-F"): best ``2PR / (P + R + 1e-15)`` over the 100 thresholds.

    A threshold that flags nothing scores 0 (TSB-AD gets NaN there; it only surfaces as the
    result when the scores are constant, where TSB-AD returns NaN and this returns 0).
    """
    y, s = check_pair(y_true, y_score)
    require_anomaly(y, "oracle_affiliation_f")
    best = 0.0
    for t in oracle_thresholds(s):
        aff = affiliation_prf(y, (s > t).astype(np.int8))
        best = max(best, 2 * aff["precision"] * aff["recall"] / (aff["precision"] + aff["recall"] + _EPS))
    return float(best)


def tsbad_standard_f1(y_true: object, y_score: object) -> float:
    """ORACLE TSB-AD "Standard-F1": max of ``2PR / (P + R + 1e-5)`` over scikit-learn's PR curve.

    The 1e-5 in the denominator makes it slightly lower than :func:`augury.metrics.best_f1`.
    """
    y, s = check_pair(y_true, y_score, rank_ints=True)
    require_anomaly(y, "tsbad_standard_f1")
    from sklearn.metrics import precision_recall_curve  # lazy: sklearn costs ~140 MB to import
    precision, recall, _ = precision_recall_curve(y, s)
    return float(np.max(2 * (precision * recall) / (precision + recall + 0.00001)))


def _sequencing(base: np.ndarray, starts: np.ndarray, ends: np.ndarray, w: int) -> np.ndarray:
    """TSB-AD ``sequencing``: add ``sqrt(1 - d / w)`` at distance d <= w // 2 around every range, clip at 1."""
    out = base.astype(np.float64, copy=True)
    n, half = out.size, w // 2
    if half > 0:
        d = np.arange(1, half + 1)
        weight = np.sqrt(1 - d / w)
        after = ends[:, None] + d
        before = starts[:, None] - d
        np.add.at(out, after[after < n], np.broadcast_to(weight, after.shape)[after < n])
        np.add.at(out, before[before >= 0], np.broadcast_to(weight, before.shape)[before >= 0])
    return np.minimum(out, 1.0)


def _merged_regions(starts: np.ndarray, ends: np.ndarray, half: int, n: int) -> np.ndarray:
    """0/1 mask ``[T]`` of TSB-AD's ``new_sequence`` regions (ranges widened by ``half``, merged)."""
    keep = ends[:-1] + half < starts[1:] - half
    lo = np.maximum(np.concatenate((starts[:1], starts[1:][keep])) - half, 0)
    hi = np.minimum(np.concatenate((ends[:-1][keep], ends[-1:])) + half, n - 1)
    cover = np.zeros(n + 1, dtype=np.int64)
    np.add.at(cover, lo, 1)
    np.add.at(cover, hi + 1, -1)
    return np.cumsum(cover[:-1]) > 0


def vus_pred(y_true: object, y_pred: object, window: int = 100) -> dict[str, float]:
    """TSB-AD ``metric_VUS_pred``: ``recall, precision, f1`` of 0/1 predictions ``[T]`` averaged over buffers.

    For buffer widths w = 0..``window`` (soft labels as in VUS): recall ``min(TP / P', 1)``,
    precision ``TP / N_pred``, F1, each averaged over the ``window + 1`` widths.

    Quirk reproduced: the reference overwrites its label array inside the loop, so each width's
    soft labels are built on top of the previous width's *predicted-masked* labels instead of the
    original 0/1 labels. Needs an anomaly and at least one predicted step.
    """
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 0:
        raise MetricError(f"window must be an integer >= 0, got {window!r}")
    y, p = check_prediction_pair(y_true, y_pred)
    require_anomaly(y, "vus_pred")
    n_pred = int(p.sum())
    if n_pred == 0:
        raise MetricError("vus_pred is undefined when y_pred flags no step (precision divides by zero)")
    starts, ends = segments(y)
    n, n_pos = y.size, int(y.sum())
    outer = _merged_regions(starts, ends, window // 2, n)
    pf = p.astype(np.float64)
    labels = y.astype(np.float64)
    recalls, precisions, f1s = [], [], []
    for w in range(window + 1):
        extended = _sequencing(labels, starts, ends, w)
        labels = np.where(_merged_regions(starts, ends, w // 2, n), extended * pf, extended)
        labels[y == 1] = 1.0
        tp = float(np.dot(labels[outer], pf[outer]))
        p_new = (n_pos + float(labels[outer].sum())) / 2
        recall = min(tp / p_new, 1)
        precision = tp / n_pred
        recalls.append(recall)
        precisions.append(precision)
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall > 0 else 0)
    k = window + 1
    return {"recall": sum(recalls) / k, "precision": sum(precisions) / k, "f1": sum(f1s) / k}


def tsbad_metrics(
    y_true: object,
    y_score: object,
    sliding_window: int = 100,
    thresholds: int = 250,
    y_pred: object | None = None,
) -> dict[str, float]:
    """TSB-AD's ``get_metrics(score, labels, slidingWindow, pred, version='opt', thre)`` dictionary.

    Keys (:data:`TSBAD_KEYS`): ``AUC-PR, AUC-ROC, VUS-PR, VUS-ROC, Standard-F1, PA-F1,
    Event-based-F1, R-based-F1, Affiliation-F``. With ``y_pred`` None every F-score is an ORACLE
    (threshold chosen with the labels); with ``y_pred`` (0/1 ``[T]``) it is used as is.
    ``y_true`` ``[T]`` needs both classes; ``y_score`` ``[T]`` finite.
    """
    y, s = check_pair(y_true, y_score)
    require_both_classes(y, "tsbad_metrics")
    vus_roc, vus_pr = vus_roc_pr(y_true, y_score, sliding_window, thresholds)
    out = {"AUC-PR": auc_pr(y_true, y_score), "AUC-ROC": auc_roc(y_true, y_score), "VUS-PR": vus_pr, "VUS-ROC": vus_roc}
    if y_pred is None:
        out.update({
            "Standard-F1": tsbad_standard_f1(y, s),
            "PA-F1": oracle_pa_f1(y, s),
            "Event-based-F1": oracle_event_f1(y, s),
            "R-based-F1": oracle_range_f1(y, s),
            "Affiliation-F": oracle_affiliation_f(y, s),
        })
    else:
        _, p = check_prediction_pair(y, y_pred)
        aff = affiliation_prf(y, p)
        out.update({
            "Standard-F1": confusion_prf(y, p)["f1"],
            "PA-F1": confusion_prf(y, point_adjust(y, p, at_compat=True))["f1"],
            "Event-based-F1": event_f1(y, p),
            "R-based-F1": range_prf(y, p)["f1"],
            "Affiliation-F": 2 * aff["precision"] * aff["recall"] / (aff["precision"] + aff["recall"] + _EPS),
        })
    return {key: float(out[key]) for key in TSBAD_KEYS}
