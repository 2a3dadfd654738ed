"""Early warning as a task: will the *next* window contain an anomaly?

``base`` (the :class:`Predictor` contract and its persistence), ``registry``
(``create_predictor`` / ``list_predictors``), ``windows`` (window ↔ time-step mapping and
next-window labels), ``thresholds`` (δ* on validation), ``head`` (the shared risk head on
frozen features; its parameters in ``head_params``), ``protocol`` (the 6:2:2 chronological
protocol and the bootstrap interval of the window AUC) and ``baselines`` (random, detect-now,
raw-window features), registered here. Method predictors live in :mod:`augury.predictors`.
"""

from augury.base.registry import register

_BASELINES = "augury.early_warning.baselines"
register("predictor", "random", f"{_BASELINES}:RandomPredictor", "Baseline: uniform random risk",
         family="baseline")
register("predictor", "detect-now", f"{_BASELINES}:DetectNowPredictor",
         "Baseline detect-now:<detector>: the current window's anomaly score as next-window risk", family="baseline")
register("predictor", "rawfeat", f"{_BASELINES}:RawFeaturePredictor",
         "Baseline: the shared risk head on raw-window mean/std/min/max/last features", family="baseline")
