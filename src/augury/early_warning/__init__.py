"""Early warning as a task: will the *next* window contain an anomaly?

``base`` (the :class:`Predictor` contract and safe persistence), ``registry``
(``create_predictor`` / ``list_predictors``), ``windows`` (window ↔ time-step mapping and
next-window labels), ``thresholds`` (δ* on validation), ``protocol`` (the 6:2:2 chronological
protocol and the bootstrap interval of the window AUC) and ``baselines`` (random, detect-now,
raw-window features).
"""
