"""MTS-JEPA (He et al. 2026): multi-resolution JEPA with a soft codebook, for anomaly *prediction*.

Modules: ``data`` (windows, channel-independent pairs, instance norm, DownAvg), ``encoder``,
``codebook``, ``predictors``, ``decoder``, ``model`` (online + EMA branches), ``losses``,
``train`` (pre-training loop with selection and collapse diagnostics), ``pipeline`` (fitting
and feature extraction shared with the early-warning predictor, :mod:`augury.predictors.mtsjepa`)
and ``detector`` (our per-step detection mode).
"""

from augury.base.registry import register

register("detector", "mtsjepa", "augury.detectors.mtsjepa.detector:MTSJEPADetector",
         "MTS-JEPA prediction surprise (ours: KL of predicted vs EMA next-window codes); early warning: augury predict",
         deep=True, family="jepa", supports_early_warning=True)
