"""The ``ensemble`` detector (docs/methods/ensemble.md).

Members are registered detectors given as ``"name"`` or ``"name:preset"`` (default preset
``cpu``), each with optional parameter overrides in ``member_params`` (``{name: {param: value}}``,
also reachable as ``<name>__<param>`` through ``get_params`` / ``set_params``). Each member is
fitted on the raw training series (it scales its input itself). Its scores are standardised on
its own *training* scores, ``z = (s − median) / IQR`` (IQR 0: the std; both 0: 1), and the
members are combined per step by ``combine``:

- ``mean`` (default): mean of the z-scores;
- ``max``: the largest z-score;
- ``rank``: mean of each score's position in the member's sorted training scores (mid-rank, in
  [0, 1]), so a member's scale and tails do not matter at all.

Every statistic comes from the training scores, so a step's combined score depends only on that
step's member scores: causal and streaming scoring are the members' causal scores combined the
same way. The saved model holds every member's fitted arrays under ``m<i>.`` in one weights file
(one checksum covers them all).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from augury.base.params import SEED, Choice, Mapping, Rule, Text, TextList
from augury.detectors.base import Detector
from augury.errors import ParameterError

#: Default members: chosen on the shared benchmark suite by the rule stated in docs/methods/ensemble.md.
DEFAULT_MEMBERS = ("knn:cpu", "pca-tsbad:cpu", "subpca:cpu")
COMBINERS = ("mean", "max", "rank")


def parse_member(spec: str) -> tuple[str, str]:
    """``"knn:paper"`` → ``("knn", "paper")``; ``"knn"`` → ``("knn", "cpu")``."""
    name, _, preset = spec.partition(":")
    return name.strip(), (preset.strip() or "cpu")


def robust_stats(train_scores: np.ndarray) -> tuple[float, float]:
    """Median and spread (IQR; if 0 the std; if 0 too, 1) of a member's training scores ``[N]``."""
    s = np.asarray(train_scores, dtype=np.float64)
    q25, med, q75 = np.percentile(s, [25, 50, 75])
    spread = q75 - q25
    if not spread > 0:
        spread = float(np.std(s))
    return float(med), float(spread) if spread > 0 else 1.0


class Ensemble(Detector):
    """Combination of member detectors (module docstring): ``members``, ``member_params``,
    ``combine`` (``mean``, ``max`` or ``rank``), ``threshold``, ``seed`` (given to every member
    that has a seed, unless its ``member_params`` set one)."""

    name: ClassVar[str] = "ensemble"
    tags: ClassVar[dict[str, Any]] = {"family": "ensemble", "supervision": "unsupervised"}
    presets: ClassVar[dict[str, dict[str, Any]]] = {
        "cpu": {"members": list(DEFAULT_MEMBERS), "combine": "mean"},
        # paper: TSB-AutoAD's plain averaging of standardised scores, with each member's paper preset.
        "paper": {"members": [f"{parse_member(m)[0]}:paper" for m in DEFAULT_MEMBERS], "combine": "mean"},
    }
    param_rules: ClassVar[dict[str, Rule]] = {
        "members": TextList(), "member_params": Mapping(none_ok=True), "combine": Choice(*COMBINERS),
        "threshold": Text(), "seed": SEED,
    }
    #: members scale their own input; the ensemble passes raw values through
    scaling: ClassVar[str] = "none"

    def __init__(self, members: list[str] | tuple[str, ...] = DEFAULT_MEMBERS,
                 member_params: dict[str, dict[str, Any]] | None = None, combine: str = "mean",
                 threshold: str = "top:1", seed: int = 0) -> None:
        self.members = list(members)
        self.member_params = member_params
        self.combine = combine
        self.threshold = threshold
        self.seed = seed

    # ------------------------------------------------------------------ parameters
    def _member_names(self) -> list[str]:
        return [parse_member(m)[0] for m in self.members]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Parameters; ``deep`` adds every member's resolved parameters as ``<member>__<param>``."""
        params = super().get_params(deep=False)
        if deep:
            for name, det in zip(self._member_names(), self._make_members(), strict=True):
                params.update({f"{name}__{k}": v for k, v in det.get_params(deep=False).items()})
        return params

    def set_params(self, **params: Any) -> Ensemble:
        """As :meth:`Detector.set_params`; ``<member>__<param>=v`` goes into ``member_params``."""
        owner = type(self).__name__
        members = params.get("members", self.members)
        self.param_rules["members"].check(owner, "members", members)  # checked before it is parsed
        names = set(parse_member(m)[0] for m in members)
        nested = {k: v for k, v in params.items() if k.partition("__")[0] in names and "__" in k}
        if nested:
            member_params = params.get("member_params", self.member_params)
            self.param_rules["member_params"].check(owner, "member_params", member_params)
            merged = {k: dict(v) for k, v in (member_params or {}).items()}
            for key, value in nested.items():
                member, _, param = key.partition("__")
                merged.setdefault(member, {})[param] = value
            params = {k: v for k, v in params.items() if k not in nested} | {"member_params": merged}
        return super().set_params(**params)

    def _check_param_relations(self) -> None:
        from augury.detectors.registry import list_detectors

        known = {e.name for e in list_detectors()}
        names = self._member_names()
        unknown = [m for m, n in zip(self.members, names, strict=True) if n not in known or n == self.name]
        if unknown:
            raise ParameterError(f"Ensemble: unknown member(s) {unknown}; members are registered detectors other "
                                 f"than 'ensemble' (name or name:preset): {', '.join(sorted(known - {self.name}))}")
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ParameterError(f"Ensemble: member(s) {dupes} listed twice; each detector may appear once")
        extra = sorted(set(self.member_params or {}) - set(names))
        if extra:
            raise ParameterError(f"Ensemble: member_params names {extra}, which are not members {names}")
        self._make_members()  # an unknown preset or member parameter raises ParameterError naming it

    def _make_members(self) -> list[Detector]:
        """Unfitted members built from ``members`` and ``member_params`` (validated)."""
        from augury.detectors.registry import get_detector_class

        out = []
        for spec in self.members:
            name, preset = parse_member(spec)
            cls = get_detector_class(name)
            if preset not in cls.presets:
                raise ParameterError(f"Ensemble: member {spec!r}: {name!r} has no preset {preset!r}; "
                                     f"available: {', '.join(cls.presets)}")
            overrides = dict((self.member_params or {}).get(name, {}))
            if "seed" in cls._get_param_names():
                overrides.setdefault("seed", self.seed)
            try:
                out.append(cls.from_preset(preset, **overrides))
            except ParameterError as exc:
                raise ParameterError(f"Ensemble: member {spec!r}: {exc}") from exc
        return out

    # ------------------------------------------------------------------ fitting and scoring
    def _min_length(self) -> int:
        dets = getattr(self, "members_", None) or self._make_members()
        return max(d._min_length() for d in dets)

    def _fit(self, X: np.ndarray) -> None:
        self.members_ = [det.fit(X) for det in self._make_members()]
        self._set_member_stats()

    def _set_member_stats(self) -> None:
        stats = [robust_stats(d.decision_scores_) for d in self.members_]
        self.medians_ = np.array([m for m, _ in stats])
        self.spreads_ = np.array([s for _, s in stats])
        self.sorted_train_ = [np.sort(d.decision_scores_) for d in self.members_]

    def member_scores(self, X: Any, causal: bool = False) -> np.ndarray:
        """Each member's standardised score (z, or training rank for ``combine="rank"``) → ``[T, M]``.

        This is each member's contribution to the combined score (``mean`` divides by M). In
        causal mode the first :meth:`causal_warmup` rows hold the members' warm-up sentinels.
        """
        self._check_fitted()
        return self._standardise(np.stack([d.decision_function(X, causal=causal) for d in self.members_], axis=1))

    def _standardise(self, raw: np.ndarray) -> np.ndarray:
        """Raw member scores ``[T, M]`` → z-scores, or mid-ranks among the training scores for ``rank``."""
        if self.combine == "rank":
            cols = [(np.searchsorted(s, raw[:, i], "left") + np.searchsorted(s, raw[:, i], "right")) / (2.0 * s.size)
                    for i, s in enumerate(self.sorted_train_)]
            return np.stack(cols, axis=1)
        return (raw - self.medians_) / self.spreads_

    def _combine(self, z: np.ndarray) -> np.ndarray:
        return z.max(axis=1) if self.combine == "max" else z.mean(axis=1)

    def _train_scores(self, X: np.ndarray) -> np.ndarray:
        return self._combine(self._standardise(np.stack([d.decision_scores_ for d in self.members_], axis=1)))

    def _score(self, X: np.ndarray) -> np.ndarray:
        return self._combine(self.member_scores(X))

    def _score_causal(self, X: np.ndarray) -> np.ndarray:
        return self._combine(self.member_scores(X, causal=True))[self.causal_warmup():]

    # ------------------------------------------------------------------ attribution
    def _channel_shares(self, X: np.ndarray, causal: bool) -> np.ndarray:
        """``[T, C]``: each member's per-channel explanation, normalised per step to sum 1, weighted
        by the member's positive standardised score and averaged over members."""
        z = np.maximum(self.member_scores(X, causal=causal), 0.0)
        out = np.zeros(X.shape, dtype=np.float64)
        for i, det in enumerate(self.members_):
            e = np.maximum(det.explain(X, causal=causal), 0.0)
            total = e.sum(axis=1, keepdims=True)
            share = np.divide(e, total, out=np.full_like(e, 1.0 / e.shape[1]), where=total > 0)
            out += share * z[:, i : i + 1]
        return out / len(self.members_)

    def _explain(self, X: np.ndarray) -> np.ndarray:
        return self._channel_shares(X, causal=False)

    def _explain_causal(self, X: np.ndarray) -> np.ndarray:
        return self._channel_shares(X, causal=True)[self.causal_warmup():]

    # ------------------------------------------------------------------ persistence
    def _get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays, states = {}, []
        for i, det in enumerate(self.members_):
            sub, state = det._export()
            arrays.update({f"m{i}.{k}": v for k, v in sub.items()})
            states.append(state)
        return arrays, {"members": states}

    def _set_state(self, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> None:
        dets = self._make_members()
        states = info["members"]
        if not isinstance(states, list) or len(states) != len(dets):
            raise ValueError(f"saved ensemble holds {len(states) if isinstance(states, list) else '?'} members, "
                             f"its parameters list {len(dets)}")
        restored = []
        for i, (det, state) in enumerate(zip(dets, states, strict=True)):
            prefix = f"m{i}."
            sub = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
            restored.append(det._restore(sub, state, Path(f"ensemble member {self.members[i]}")))
            if restored[-1].n_features_in_ != self.n_features_in_:
                raise ValueError(f"member {self.members[i]} was fitted on {restored[-1].n_features_in_} channels")
        self.members_ = restored
        self._set_member_stats()
