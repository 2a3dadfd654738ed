"""Early-warning methods that build on a detection method's model (one package per method).

A package here implements the :class:`augury.early_warning.base.Predictor` contract with a
method's network from :mod:`augury.detectors` (so neither the task package nor the method
package has to import the other) and registers itself in its ``__init__``.
"""
