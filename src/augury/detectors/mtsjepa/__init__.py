"""MTS-JEPA (He et al. 2026): multi-resolution JEPA with a soft codebook, for anomaly *prediction*.

Modules: ``data`` (windows, channel-independent pairs, instance norm, DownAvg), ``encoder``,
``codebook``, ``predictors``, ``decoder``, ``model`` (online + EMA branches), ``losses``,
``train`` (pre-training loop with selection and collapse diagnostics), ``head`` (frozen-feature
classifier), ``predictor`` (the early-warning ``mtsjepa`` predictor) and ``detector`` (our
per-step detection mode).
"""
