"""``evaluate``: every metric of one scored test series in one flat, JSON-friendly dict."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from augury.errors import MetricError
from augury.metrics._validation import check_labels, check_scores, exact_order, require_both_classes
from augury.metrics.affiliation import affiliation_prf
from augury.metrics.baseline import summarise_runs
from augury.metrics.early import detection_delays, latency_stats, nab_scores
from augury.metrics.point_adjust import DEFAULT_KS, pa_k_auc, pa_prf
from augury.metrics.prf import confusion_prf
from augury.metrics.threshold_free import auc_pr, auc_roc
from augury.metrics.vus import VUS_IMPL, vus_roc_pr
from augury.metrics.vus_window import suggest_vus_window

#: random-baseline seeds of every entry point (detect, demo, bench), so they report one number
DEFAULT_SEEDS = tuple(range(10))

DEFINITIONS = {
    "auc_def": "sklearn roc_auc_score / average_precision_score (step-wise AP)",
    "vus_impl": VUS_IMPL,
    "pa_def": "Anomaly-Transformer point adjustment of score > threshold",
    "pa_k_def": "PA%K (Kim et al. 2022), segment filled iff hits > K% of its length, K=0..100, trapezoid area",
    "affiliation_def": "Huet et al. 2022 affiliation P/R on events, Trange=(0,T)",
    "baseline_def": "mean over seeds of uniform random scores, same labels, flagging as many steps as the detector",
    "baseline_spread_def": "random_<m>_std: sample std over seeds; _ci_low/_ci_high: 2.5th/97.5th percentile of "
    "the per-seed values",
    "delay_def": "steps from each labelled event's onset to its first flagged step; mean/median over detected events",
    "nab_def": "NAB normalised score (Lavin & Ahmad 2015), labelled events as windows, no probation",
}


def _threshold_metrics(
    y: np.ndarray, s: np.ndarray, threshold: float, pa: bool, at_compat: bool, pa_ks: Sequence[float]
) -> dict[str, float | int | None]:
    pred = (s > threshold).astype(np.int8)
    point = confusion_prf(y, pred)
    aff = affiliation_prf(y, pred)
    latency = latency_stats(detection_delays(y, pred))
    out = {
        "mean_delay": latency["mean_delay"],
        "median_delay": latency["median_delay"],
        "events_detected": latency["events_detected"],
        "n_events": latency["n_events"],
        **nab_scores(y, pred),
        "point_precision": point["precision"],
        "point_recall": point["recall"],
        "point_f1": point["f1"],
        "aff_precision": aff["precision"],
        "aff_recall": aff["recall"],
        "aff_f1": aff["f1"],
    }
    if pa:
        adjusted = pa_prf(y, s, threshold, at_compat=at_compat)
        out.update(
            pa_precision=adjusted["precision"],
            pa_recall=adjusted["recall"],
            pa_f1=adjusted["f1"],
            pa_k_auc=pa_k_auc(y, s, threshold, pa_ks),
        )
    return out


def _all_metrics(
    y: np.ndarray,
    s: np.ndarray,
    window: int,
    thresholds: int,
    threshold: float | None,
    pa: bool,
    at_compat: bool,
    pa_ks: Sequence[float],
    s_order: np.ndarray | None = None,
) -> dict[str, float | int | None]:
    # s_order: the same scores with integers beyond 2**53 replaced by exact ranks (order-only metrics).
    ranked = s if s_order is None else s_order
    roc, pr = vus_roc_pr(y, ranked, window, thresholds)
    out = {"auc_roc": auc_roc(y, ranked), "auc_pr": auc_pr(y, ranked), "vus_roc": roc, "vus_pr": pr}
    if threshold is not None:
        out.update(_threshold_metrics(y, s, threshold, pa, at_compat, pa_ks))
    return out


def _random_threshold(r: np.ndarray, n_flagged: int) -> float:
    """A threshold under which exactly ``n_flagged`` of the (tie-free) random scores ``r`` exceed it."""
    if n_flagged >= r.size:
        return -np.inf
    return float(np.sort(r)[r.size - n_flagged - 1])


def evaluate(
    y_true: object,
    y_score: object,
    *,
    window: int | Literal["auto"] = 100,
    thresholds: int = 250,
    threshold: float | None = None,
    threshold_source: str = "given",
    pa: bool = True,
    at_compat: bool = False,
    pa_ks: Sequence[float] = DEFAULT_KS,
    nan_policy: Literal["raise", "mask"] = "raise",
    random_baseline: bool = True,
    seeds: Sequence[int] = DEFAULT_SEEDS,
    n_seeds: int | None = None,
) -> dict[str, float | int | bool | str | None]:
    """All metrics of per-step scores ``y_score`` ``[T]`` against 0/1 labels ``y_true`` ``[T]``.

    Always: ``auc_roc, auc_pr, vus_roc, vus_pr`` (VUS with buffer ``window`` steps and
    ``thresholds`` quantile thresholds, tsb-ad semantics; ``window="auto"`` uses
    :func:`augury.metrics.vus_window.suggest_vus_window`, 2 x the median event length, and records
    the value in ``vus_window`` and its origin in ``vus_window_source``). If ``threshold`` is given (a float;
    fit it on training/validation scores, e.g. with :mod:`augury.metrics.thresholds`), the rule
    ``score > threshold`` adds ``point_precision/recall/f1``, ``aff_precision/recall/f1``
    and, if ``pa``, ``pa_precision/recall/f1`` and ``pa_k_auc`` (``at_compat`` reproduces
    Anomaly-Transformer's index-0 quirk). A threshold also adds early-detection keys:
    ``mean_delay, median_delay`` (steps from an event's onset to its first flag, over detected
    events; None if none was detected), ``events_detected, n_events`` and the NAB scores
    ``nab_standard, nab_reward_low_fp, nab_reward_low_fn``.

    ``random_baseline`` adds ``random_<metric>`` for every metric above: its mean over ``seeds``
    of uniform random scores on the same labels, with the threshold rule expressed as a
    percentile (the random scorer flags as many steps as the detector did). A PA-F1 close to
    ``random_pa_f1`` means the detector is no better than chance under PA. Each ``random_<m>`` comes
    with ``random_<m>_std`` and the 95 % interval ``random_<m>_ci_low/_ci_high`` of the seed values
    (:mod:`augury.metrics.baseline`). ``n_seeds`` (if given) replaces ``seeds`` by ``0..n_seeds-1``.

    ``nan_policy``: ``"raise"`` (default) raises ``MetricError`` on any non-finite score;
    ``"mask"`` drops those steps (labels too) and scores the remaining steps as one series
    (meant for unscored head/tail steps; an interior gap joins its neighbours). ``coverage`` is
    the fraction of steps with a finite score, ``n_scored`` their number.

    Names and protocols: ``evaluate`` scores whatever ``threshold`` it is given. The command line and
    the benchmark call it through :func:`augury.metrics.protocols.evaluate_protocols`, where the
    unsuffixed threshold names (``pa_f1``, ``point_f1``, ``aff_f1``, ``mean_delay``, ``nab_*``, ...)
    always mean the Anomaly-Transformer threshold (train + test percentile) and ``<name>_train``
    the detector's threshold fitted on training scores, plus ``flagged_fraction_train`` and
    ``events_per_1k_train`` (false alarms).

    Metadata keys: ``coverage, n_scored, threshold, threshold_source, pa_applied,
    vus_window, vus_window_source, vus_thresholds, baseline_seeds`` and the definition strings of ``DEFINITIONS``.
    Raises ``MetricError`` on invalid input or when the (covered) labels lack an anomaly or a
    normal step.
    """
    if nan_policy not in ("raise", "mask"):
        raise MetricError(f"nan_policy must be 'raise' or 'mask', got {nan_policy!r}")
    if threshold is not None and not np.isfinite(threshold):
        raise MetricError(f"threshold must be a finite number, got {threshold!r}")
    y = check_labels(y_true)
    raw = np.asarray(y_score)
    if nan_policy == "mask" and raw.ndim == 1 and raw.size == y.size and np.issubdtype(raw.dtype, np.number):
        keep = np.isfinite(raw)
        if not keep.any():
            raise MetricError("no step has a finite score: nothing to evaluate")
        y, raw = y[keep], raw[keep]
    s = check_scores(raw, y.size)
    require_both_classes(y, "evaluate")
    if n_seeds is not None:
        if isinstance(n_seeds, bool) or not isinstance(n_seeds, int | np.integer) or n_seeds < 1:
            raise MetricError(f"n_seeds must be an integer >= 1, got {n_seeds!r}")
        seeds = tuple(range(int(n_seeds)))
    if isinstance(window, str):
        if window != "auto":
            raise MetricError(f"window must be an integer >= 0 or 'auto', got {window!r}")
        window, window_source = suggest_vus_window(y), "auto: 2 x median labelled event length (TAB)"
    else:
        window_source = "given"
    n_total = np.asarray(y_true).size

    out: dict[str, float | int | bool | str | None] = {}
    s_order = check_scores(exact_order(raw), y.size)
    out.update(_all_metrics(y, s, window, thresholds, threshold, pa, at_compat, pa_ks, s_order))
    if random_baseline:
        if len(seeds) == 0:
            raise MetricError("random_baseline needs at least one seed")
        n_flagged = int(np.count_nonzero(s > threshold)) if threshold is not None else 0
        runs = []
        for seed in seeds:
            r = np.random.default_rng(seed).random(y.size)
            r_threshold = _random_threshold(r, n_flagged) if threshold is not None else None
            runs.append(_all_metrics(y, r, window, thresholds, r_threshold, pa, at_compat, pa_ks))
        out.update(summarise_runs(runs))

    out.update(
        coverage=y.size / n_total,
        n_scored=int(y.size),
        threshold=None if threshold is None else float(threshold),
        threshold_source=threshold_source if threshold is not None else "none",
        pa_applied=bool(pa and threshold is not None),
        vus_window=int(window),
        vus_window_source=window_source,
        vus_thresholds=int(thresholds),
        baseline_seeds=",".join(str(seed) for seed in seeds) if random_baseline else "",
        **DEFINITIONS,
    )
    if at_compat:
        out["pa_def"] = DEFINITIONS["pa_def"] + " (index-0 quirk reproduced)"
    return out
