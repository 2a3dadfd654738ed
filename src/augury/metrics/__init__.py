"""Evaluation metrics for per-step anomaly scores and window-level early warnings.

Modules, one job each: ``threshold_free`` (AUC-ROC, AUC-PR), ``vus`` (fast exact VUS-ROC/PR),
``prf`` (point-wise P/R/F1, oracle best F1), ``point_adjust`` (PA, PA%K), ``affiliation``,
``window`` (early-warning protocol), ``thresholds`` and ``spot`` (threshold strategies) and
``evaluate`` (everything at once, with a random-score baseline). All raise
:class:`augury.MetricError` on invalid input instead of returning NaN.

Also: ``tsbad`` (TSB-AD 1.5 parity: event/range/oracle F-scores, ``tsbad_metrics``), ``early``
(detection delays, NAB scoring), ``baseline`` (spread of the random baseline over seeds) and
``vus_window`` (choosing the VUS window). Thresholds say "flag the top q %" everywhere
(``"top:1"``, ``TopPercent(1)``, ``percentile_threshold(s, 1)``).
"""

from augury.metrics.affiliation import affiliation_prf
from augury.metrics.baseline import format_interval, spread, summarise_runs
from augury.metrics.early import detection_delays, latency_stats, nab_score, nab_scores
from augury.metrics.evaluate import evaluate
from augury.metrics.point_adjust import pa_k_adjust, pa_k_auc, pa_k_curve, pa_prf, point_adjust
from augury.metrics.prf import best_f1, point_prf
from augury.metrics.spot import SPOT
from augury.metrics.threshold_free import auc_pr, auc_roc
from augury.metrics.thresholds import (
    Fixed,
    Percentile,
    ThresholdStrategy,
    TopK,
    TopPercent,
    at_threshold,
    parse_threshold,
    percentile_threshold,
)
from augury.metrics.tsbad import (
    event_f1,
    oracle_affiliation_f,
    oracle_event_f1,
    oracle_pa_f1,
    oracle_range_f1,
    range_prf,
    tsbad_metrics,
    vus_pred,
)
from augury.metrics.vus import VUS_IMPL, range_auc_roc_pr, vus_pr, vus_roc, vus_roc_pr
from augury.metrics.vus_window import estimate_period, suggest_vus_window
from augury.metrics.window import (
    evaluate_windows,
    next_window_labels,
    select_window_threshold,
    window_auc,
    window_labels,
    window_prf,
    window_random_baseline,
)

__all__ = [
    "SPOT",
    "VUS_IMPL",
    "Fixed",
    "Percentile",
    "ThresholdStrategy",
    "TopK",
    "affiliation_prf",
    "at_threshold",
    "auc_pr",
    "auc_roc",
    "best_f1",
    "evaluate",
    "evaluate_windows",
    "pa_k_adjust",
    "pa_k_auc",
    "pa_k_curve",
    "pa_prf",
    "parse_threshold",
    "percentile_threshold",
    "point_adjust",
    "point_prf",
    "select_window_threshold",
    "vus_pr",
    "vus_roc",
    "vus_roc_pr",
    "window_auc",
    "window_prf",
    "range_auc_roc_pr",
    "event_f1",
    "oracle_affiliation_f",
    "oracle_event_f1",
    "oracle_pa_f1",
    "oracle_range_f1",
    "range_prf",
    "tsbad_metrics",
    "vus_pred",
    "TopPercent",
    "detection_delays",
    "latency_stats",
    "nab_score",
    "nab_scores",
    "next_window_labels",
    "window_labels",
    "window_random_baseline",
    "format_interval",
    "spread",
    "summarise_runs",
    "estimate_period",
    "suggest_vus_window",
]
