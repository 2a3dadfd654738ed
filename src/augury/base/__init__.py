"""The ground floor shared by every estimator: parameters, presets and tags (``estimator``),
their rules (``params``), the one registry keyed by task (``registry``) and the hardened model
format (``persistence``). Nothing here imports a task or a method."""
