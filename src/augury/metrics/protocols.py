"""One name per threshold protocol: the same metric under two threshold rules gets two names.

- No suffix (``pa_f1``, ``point_f1``, ``aff_f1``, ``mean_delay``, ...): the Anomaly-Transformer
  protocol the papers report. Threshold = the ``100 − anomaly_ratio`` percentile of train +
  *test* scores (:func:`augury.metrics.thresholds.at_threshold`); it peeks at test scores (never
  labels), so it is for comparison with published numbers only.
- Suffix ``_train`` (``pa_f1_train``, ``point_f1_train``, ``flagged_fraction_train``, ...): the
  detector's own threshold rule fitted on *training* scores only (default ``top:1``), which a
  deployed detector can use. Each comes with ``random_<metric>_train`` (a random scorer flagging
  as many steps).

``augury detect`` and ``augury bench`` both call :func:`evaluate_protocols`, so the same column
means the same protocol everywhere. A series without a labelled anomaly (e.g. NAB's
``artificialNoAnomaly``) cannot have a recall or an AUC: it gets the false-alarm metrics only
(``flagged_fraction_train``, ``events_per_1k_train``, ``n_labelled_events = 0``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from augury.metrics._validation import check_labels, check_scores, require_both_classes
from augury.metrics.baseline import summarise_runs
from augury.metrics.evaluate import DEFAULT_SEEDS, _random_threshold, _threshold_metrics, evaluate
from augury.metrics.point_adjust import DEFAULT_KS
from augury.metrics.thresholds import at_threshold

TRAIN_SUFFIX = "_train"

PROTOCOL_DEFINITIONS = {
    "protocol_def": "no suffix: Anomaly-Transformer threshold (100-anomaly_ratio percentile of train+test scores); "
    "_train: the detector's threshold rule fitted on training scores only",
    "false_alarm_def": "flagged_fraction_train: share of test steps above the train threshold; events_per_1k_train: "
    "runs of flagged steps per 1,000 test steps",
}


def false_alarm_metrics(y_score: object, threshold: float) -> dict[str, float]:
    """``flagged_fraction_train`` and ``events_per_1k_train`` of ``score > threshold`` on ``y_score`` ``[T]``."""
    s = np.asarray(y_score, dtype=np.float64).ravel()
    flags = s > threshold
    starts = int(np.count_nonzero(flags[1:] & ~flags[:-1])) + int(flags[:1].sum())
    return {f"flagged_fraction{TRAIN_SUFFIX}": float(flags.mean()),
            f"events_per_1k{TRAIN_SUFFIX}": 1000.0 * starts / s.size}


def train_threshold_metrics(
    y_true: object,
    y_score: object,
    threshold: float,
    *,
    pa_ks: Sequence[float] = DEFAULT_KS,
    seeds: Sequence[int] = DEFAULT_SEEDS,
    random_baseline: bool = True,
) -> dict[str, float | int | None]:
    """Every threshold metric of ``evaluate`` at a threshold fitted on training scores, each named
    ``<metric>_train``, with ``random_<metric>_train`` (+ ``_std``, ``_ci_low``, ``_ci_high``)."""
    y = check_labels(y_true)
    s = check_scores(y_score, y.size)
    require_both_classes(y, "train_threshold_metrics")
    out = {f"{k}{TRAIN_SUFFIX}": v for k, v in _threshold_metrics(y, s, threshold, True, False, pa_ks).items()}
    if random_baseline:
        n_flagged = int(np.count_nonzero(s > threshold))
        runs = []
        for seed in seeds:
            r = np.random.default_rng(seed).random(y.size)
            m = _threshold_metrics(y, r, _random_threshold(r, n_flagged), True, False, pa_ks)
            runs.append({f"{k}{TRAIN_SUFFIX}": v for k, v in m.items()})
        out.update(summarise_runs(runs))
    return out


def evaluate_protocols(
    y_true: object,
    y_score: object,
    train_scores: object,
    train_threshold: float,
    *,
    anomaly_ratio: float = 1.0,
    train_threshold_source: str = "given",
    window: int = 100,
    thresholds: int = 250,
    seeds: Sequence[int] = DEFAULT_SEEDS,
) -> dict[str, float | int | bool | str | None]:
    """:func:`augury.metrics.evaluate` under the Anomaly-Transformer threshold (unsuffixed names)
    plus :func:`train_threshold_metrics` at ``train_threshold`` (``_train`` names) and the false-alarm
    metrics. ``y_score`` ``[T]`` test scores, ``train_scores`` ``[N]`` the detector's training scores,
    ``anomaly_ratio`` in percent. Labels without an anomaly give the false-alarm metrics only."""
    y = check_labels(y_true)
    s = check_scores(y_score, y.size)
    out: dict[str, float | int | bool | str | None] = {
        **false_alarm_metrics(s, train_threshold),
        "threshold_train": float(train_threshold),
        "threshold_train_source": train_threshold_source,
        "n_labelled_events": int(np.count_nonzero(np.diff(np.concatenate(([0], y))) == 1)),
        **PROTOCOL_DEFINITIONS,
    }
    if not y.any():
        return out
    at = at_threshold(np.asarray(train_scores, dtype=np.float64), s, anomaly_ratio)
    out.update(evaluate(y, s, window=window, thresholds=thresholds, threshold=at, seeds=seeds,
                        threshold_source=f"at_percentile(train+test, {100 - anomaly_ratio:g})"))
    out.update(train_threshold_metrics(y, s, train_threshold, seeds=seeds))
    return out
