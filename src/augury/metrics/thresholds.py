"""Threshold strategies: small objects fitted on *training* scores, applied to test scores.

Each strategy has ``fit(train_scores) -> self`` (sets ``threshold_``) and
``apply(scores) -> 0/1 array`` (``score > threshold_``). A strategy is named by a short
spec string so that it can live in a JSON config or on the command line:
``"top:1"`` (flag the top 1 % of training scores), ``"fixed:3.5"``, ``"spot:1e-3"`` or
``"spot:1e-3:0.98"`` (extreme-value threshold at risk 1e-3, tail modelled above the 0.98
quantile; see :class:`augury.metrics.spot.SPOT`).

One convention: every quantity-of-flags argument is "flag the top q %" of the scores it is
fitted on: :class:`TopPercent` / ``"top:q"`` and :func:`percentile_threshold(scores, q)` give the
same threshold. The old spellings ``Percentile(p)`` / ``"percentile:p"`` (the p-th percentile,
i.e. top ``100 - p`` %) and ``TopK(fraction)`` / ``"topk:fraction"`` still work and emit a
``DeprecationWarning`` naming the new spelling.

Ties: every rule is ``score > threshold``, so steps whose score equals the threshold are never
flagged and a group of tied scores is flagged all together or not at all. When a tie group
straddles the requested q %, the whole group stays out (fewer than q % flagged, never more).

:func:`percentile_threshold` and :func:`at_threshold` are the plain-function forms used by the
reproduced paper protocols.
"""

from __future__ import annotations

import warnings

import numpy as np

from augury.errors import MetricError
from augury.metrics._strategy import ThresholdStrategy, _finite_1d


class TopPercent(ThresholdStrategy):
    """Flag the top ``q`` % of training scores: ``threshold_ = percentile_threshold(train_scores, q)``.

    ``q`` is a percentage in [0, 100] (1 = flag 1 %); spec ``"top:q"``. Ties: see the module docstring.
    """

    def __init__(self, q: float = 1.0) -> None:
        if not 0.0 <= q <= 100.0:
            raise MetricError(f"top q must be a percentage in [0, 100], got {q}")
        self.q = float(q)

    def fit(self, train_scores: np.ndarray) -> TopPercent:
        self.threshold_ = percentile_threshold(train_scores, self.q)
        return self

    def spec(self) -> str:
        return f"top:{self.q:g}"


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"{old} is deprecated; write {new} (every threshold API now says 'flag the top q %')",
                  DeprecationWarning, stacklevel=3)


class Percentile(ThresholdStrategy):
    """Deprecated: ``threshold_ = percentile(train_scores, q)``, i.e. flag the top ``100 - q`` %.

    Use :class:`TopPercent` ``(100 - q)``. ``q`` in [0, 100].
    """

    def __init__(self, q: float = 99.0) -> None:
        if not 0.0 <= q <= 100.0:
            raise MetricError(f"percentile must be in [0, 100], got {q}")
        _deprecated(f"Percentile({q:g}) (the {q:g}th percentile)", f"TopPercent({100 - q:g})")
        self.q = float(q)

    def fit(self, train_scores: np.ndarray) -> Percentile:
        self.threshold_ = float(np.percentile(_finite_1d(train_scores, "percentile threshold"), self.q))
        return self

    def spec(self) -> str:
        return f"percentile:{self.q:g}"


class Fixed(ThresholdStrategy):
    """A fixed threshold value (``fit`` ignores the scores)."""

    def __init__(self, value: float) -> None:
        if not np.isfinite(float(value)):
            raise MetricError(f"fixed threshold must be a finite number, got {value}")
        self.value = float(value)

    def fit(self, train_scores: np.ndarray | None = None) -> Fixed:
        self.threshold_ = self.value
        return self

    def spec(self) -> str:
        return f"fixed:{self.value:g}"


class TopK(ThresholdStrategy):
    """Deprecated: flag the top ``fraction`` (0..1) of training scores; use :class:`TopPercent` ``(100 * fraction)``.

    Same threshold as ``TopPercent(100 * fraction)``, so ties are handled the same way (it used to
    sit below the k-th largest score and flag a whole tie group, e.g. 1,000 of 1,000 tied scores).
    """

    def __init__(self, fraction: float = 0.01) -> None:
        if not 0.0 < fraction < 1.0:
            raise MetricError(f"top-k fraction must be in (0, 1), got {fraction}")
        _deprecated(f"TopK({fraction:g}) (a fraction)", f"TopPercent({100 * fraction:g})")
        self.fraction = float(fraction)

    def fit(self, train_scores: np.ndarray) -> TopK:
        self.threshold_ = percentile_threshold(train_scores, 100.0 * self.fraction)
        return self

    def spec(self) -> str:
        return f"topk:{self.fraction:g}"


def percentile_threshold(scores: np.ndarray, anomaly_ratio_percent: float) -> float:
    """Flag the top ``anomaly_ratio_percent`` %: ``np.percentile(scores, 100 - anomaly_ratio_percent)``.

    Used with ``score > threshold`` it flags about that % of ``scores``; a tie group at the
    threshold stays out (module docstring). Same threshold as :class:`TopPercent`.

    ``scores`` ``[N]`` are whatever you pass. The honest choice is *training* (or validation)
    scores, never test scores; :func:`at_threshold` reproduces the Anomaly-Transformer protocol
    that mixes test energy in. ``anomaly_ratio_percent`` is a percentage in [0, 100] (1 = 1 %).
    """
    if not 0.0 <= anomaly_ratio_percent <= 100.0:
        raise MetricError(f"anomaly_ratio_percent must be in [0, 100], got {anomaly_ratio_percent}")
    return float(np.percentile(_finite_1d(scores, "percentile_threshold"), 100.0 - anomaly_ratio_percent))


def at_threshold(train_energy: np.ndarray, test_energy: np.ndarray, anomaly_ratio: float) -> float:
    """Anomaly-Transformer's threshold: the ``100 - anomaly_ratio`` percentile of train + *test* energy.

    Reproduces ``solver.py::test`` for comparisons with published numbers only: it looks at the
    test scores (not the labels), which a deployable detector cannot do. ``train_energy`` and
    ``test_energy`` are 1-D score arrays; ``anomaly_ratio`` is a percentage (AT: 1 or 0.5).
    """
    train = _finite_1d(train_energy, "at_threshold train_energy")
    test = _finite_1d(test_energy, "at_threshold test_energy")
    return percentile_threshold(np.concatenate((train, test)), anomaly_ratio)


def contamination_alias(params: dict) -> dict:
    """PyOD's ``contamination`` (fraction of outliers in (0, 0.5]) → ``threshold="top:<100·c>"``.

    Returns ``params`` without ``contamination``; giving it together with ``threshold`` is refused.
    """
    if "contamination" not in params:
        return params
    out = dict(params)
    c = out.pop("contamination")
    if "threshold" in out:
        raise MetricError("give either contamination or threshold, not both (contamination=c means threshold='top:100c')")
    try:
        c = float(c)
    except (TypeError, ValueError) as exc:
        raise MetricError(f"contamination must be a number in (0, 0.5], got {c!r}") from exc
    if not 0.0 < c <= 0.5:
        raise MetricError(f"contamination must be a fraction in (0, 0.5], got {c:g}")
    out["threshold"] = f"top:{100.0 * c:g}"
    return out


def parse_threshold(spec: str | ThresholdStrategy) -> ThresholdStrategy:
    """Build a strategy from a spec string such as ``"top:1"`` (see module docstring).

    The old spellings ``"percentile:P"`` and ``"topk:F"`` give the equivalent :class:`TopPercent`
    (``100 - P`` and ``100 * F``) with a ``DeprecationWarning``.
    """
    if isinstance(spec, ThresholdStrategy):
        return spec
    kind, _, arg = str(spec).partition(":")
    kind = kind.strip().lower()
    try:
        if kind == "top":
            return TopPercent(float(arg) if arg else 1.0)
        if kind == "percentile":
            p = float(arg) if arg else 99.0
            if not 0.0 <= p <= 100.0:
                raise MetricError(f"percentile must be in [0, 100], got {p}")
            _deprecated(f"threshold spec {spec!r} (the {p:g}th percentile)", f"'top:{100 - p:g}'")
            return TopPercent(100.0 - p)
        if kind == "fixed":
            return Fixed(float(arg))
        if kind == "topk":
            f = float(arg) if arg else 0.01
            if not 0.0 < f < 1.0:
                raise MetricError(f"top-k fraction must be in (0, 1), got {f}")
            _deprecated(f"threshold spec {spec!r} (a fraction)", f"'top:{100 * f:g}'")
            return TopPercent(100.0 * f)
        if kind in ("spot", "pot"):
            from augury.metrics.spot import SPOT

            risk, _, level = arg.partition(":")
            return SPOT(q=float(risk) if risk else 1e-3, level=float(level) if level else 0.98)
    except ValueError as exc:
        raise MetricError(f"threshold spec {spec!r}: {exc}") from exc
    raise MetricError(
        f"unknown threshold spec {spec!r}; expected top:PERCENT (e.g. top:1 flags the top 1 %), fixed:V or "
        "spot:RISK[:LEVEL]"
    )
