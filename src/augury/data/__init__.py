"""Data layer: the ``Dataset`` record, loaders per on-disk format, validation, scaling fitted on
train, windowing (windows <-> per-step scores) and a seeded synthetic generator."""
