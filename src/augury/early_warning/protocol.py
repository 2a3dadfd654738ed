"""The MTS-JEPA early-warning protocol (paper §4, "early warning") for any predictor.

Samples are the windows of the official *test* series (sample i = window i, label = window i+1);
they are split chronologically 6:2:2 into head-train / validation / test. Because windows are
aligned to multiples of W, the three parts can be handed to a predictor as contiguous sub-series
(:func:`split_series`), which yields exactly the same windows.

On a concatenation of entities (MSL's channels, SMD's machines) the three parts hold mostly
different entities. With ``spans`` (one ``(start, length)`` per entity) the split is made *within
each entity* and the parts are pooled (:func:`split_entities`), so head-train, validation and test
see the same entities and no sample crosses from one entity into the next.

Beside the predictor, every evaluation reports the *persistence* reference (risk = the share of
anomalous steps in the current window, read from the labels): the window AUC that "it is already
anomalous" reaches, which a predictor must beat to have learned anything about the future.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import roc_auc_score

from augury.early_warning.windows import n_windows, sample_labels
from augury.errors import DataError
from augury.metrics.early import false_warnings_per_1000, warning_lead_times
from augury.metrics.prf import confusion_prf

log = logging.getLogger(__name__)

#: Validation risks are "flat" when their standard deviation is below this share of their typical size,
#: max(1, |median|): for a probability, below 0.001. Set on the shared data (docs/methods/early_warning.md
#: §6.5): MTS-JEPA's heads gave validation risks with a std of 1e-6 to 0.0009 on MSL, SMD and CalIt2,
#: where δ* then warned on most windows, while no random, rawfeat or detect-now run there came near it
#: (rawfeat: 0.07 to 0.4). Scale-relative so that raw detector scores are judged against their own size.
FLAT_RISK_REL = 1e-3


class FlatRiskWarning(UserWarning):
    """The predictor's validation risk is (nearly) constant or its validation AUC is undefined."""


def split_indices(n_samples: int, ratios: tuple[float, float, float] = (0.6, 0.2, 0.2)
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Contiguous, ordered sample indices: first ⌊0.6N⌋ train, next ⌊0.2N⌋ val, the rest test."""
    n_tr = int(np.floor(ratios[0] * n_samples))
    n_va = int(np.floor(ratios[1] * n_samples))
    idx = np.arange(n_samples)
    return idx[:n_tr], idx[n_tr: n_tr + n_va], idx[n_tr + n_va:]


@dataclass(frozen=True)
class SeriesSplit:
    """Sub-series of a labelled series for head-train, validation and test, with their step offsets."""

    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    offsets: tuple[int, int, int]


def split_series(x: np.ndarray, labels: np.ndarray, window: int,
                 ratios: tuple[float, float, float] = (0.6, 0.2, 0.2)) -> SeriesSplit:
    """Cut ``x`` ``[T, C]`` / ``labels`` ``[T]`` so that each part's windows and next-window labels are
    exactly the protocol's samples of that part (the label window of a part's last sample is
    included, so consecutive parts share one window)."""
    n = n_windows(x.shape[0], window)
    tr, va, te = split_indices(n - 1, ratios)
    if min(len(tr), len(va), len(te)) < 1:
        raise DataError(f"series has {n} windows of {window} steps; the 6:2:2 protocol needs at least 6")

    def part(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b = idx[0] * window, (idx[-1] + 2) * window
        return x[a:b], labels[a:b]

    return SeriesSplit(part(tr), part(va), part(te), (int(tr[0] * window), int(va[0] * window), int(te[0] * window)))


def bootstrap_auc_ci(y: np.ndarray, prob: np.ndarray, n_boot: int = 1000, level: float = 0.95,
                     seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the window AUC (windows resampled with replacement).

    Resamples with a single class are skipped; ``(nan, nan)`` if the data have one class.
    """
    y = np.asarray(y).astype(np.int8)
    prob = np.asarray(prob, dtype=np.float64)
    if y.min() == y.max():
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    aucs = []
    for _ in range(n_boot):
        i = rng.integers(0, y.size, y.size)
        if y[i].min() != y[i].max():
            aucs.append(roc_auc_score(y[i], prob[i]))
    lo, hi = np.quantile(aucs, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def window_scores(y: np.ndarray, prob: np.ndarray, threshold: float, n_boot: int = 1000,
                  seed: int = 0) -> dict[str, float]:
    """``win_precision, win_recall, win_f1, win_auc, win_auc_ci_low, win_auc_ci_high`` of test windows.

    AUC is NaN (with a warning) when the test windows have a single class.
    """
    prf = confusion_prf(np.asarray(y).astype(np.int8), (np.asarray(prob) > threshold).astype(np.int8))
    if y.min() == y.max():
        log.warning("test windows have a single class; window AUC is undefined")
        auc = float("nan")
    else:
        auc = float(roc_auc_score(y, prob))
    lo, hi = bootstrap_auc_ci(y, prob, n_boot=n_boot, seed=seed)
    return {"win_precision": prf["precision"], "win_recall": prf["recall"], "win_f1": prf["f1"],
            "win_auc": auc, "win_auc_ci_low": lo, "win_auc_ci_high": hi}


@dataclass(frozen=True)
class EntitySplit:
    """Per-entity head-train / validation / test parts (lists of ``(x, labels)``), pooled by the protocol."""

    train: list[tuple[np.ndarray, np.ndarray]]
    val: list[tuple[np.ndarray, np.ndarray]]
    test: list[tuple[np.ndarray, np.ndarray]]
    entities: list[int]
    skipped: list[int]


def split_entities(x: np.ndarray, labels: np.ndarray, spans: list[tuple[int, int]], window: int,
                   ratios: tuple[float, float, float] = (0.6, 0.2, 0.2)) -> EntitySplit:
    """6:2:2 within each entity ``x[start:start+length]`` (``spans``), chronologically.

    An entity with fewer than 6 windows cannot give every part a sample and is skipped (its index
    is in ``skipped``); ``DataError`` when no entity is left.
    """
    parts: tuple[list, list, list] = ([], [], [])
    kept, skipped = [], []
    for i, (start, length) in enumerate(spans):
        if start < 0 or length < 1 or start + length > x.shape[0]:
            raise DataError(f"entity span {i} ({start}, {length}) is outside the series of {x.shape[0]} steps")
        try:
            sp = split_series(x[start: start + length], labels[start: start + length], window, ratios)
        except DataError:
            skipped.append(i)
            continue
        kept.append(i)
        for dst, part in zip(parts, (sp.train, sp.val, sp.test), strict=True):
            dst.append(part)
    if not kept:
        raise DataError(f"no entity has the 6 windows of {window} steps that a 6:2:2 split within it needs")
    return EntitySplit(*parts, entities=kept, skipped=skipped)


def persistence_risk(labels: np.ndarray, window: int) -> np.ndarray:
    """The persistence reference ``[N − 1]``: share of anomalous steps in window i, as window i+1's risk."""
    n = n_windows(labels.shape[0], window)
    return labels[: n * window].reshape(n, window).mean(axis=1)[:-1].astype(np.float64)


def flat_risk_reason(risk: np.ndarray, y: np.ndarray, part: str = "validation") -> str | None:
    """Why the risks ``[N]`` with labels ``[N]`` of ``part`` cannot carry δ*, or None when they can: no
    windows, one class (AUC undefined), or a spread below :data:`FLAT_RISK_REL` of their size."""
    r = np.asarray(risk, dtype=np.float64)
    if r.size == 0:
        return f"no {part} windows"
    if np.min(y) == np.max(y):
        return f"all {r.size} {part} windows have label {int(np.min(y))}, so their AUC is undefined"
    sd, size = float(np.std(r)), max(1.0, float(abs(np.median(r))))
    if sd < FLAT_RISK_REL * size:
        return (f"{part} risk is flat (std {sd:.2g}, range {np.min(r):.6g}–{np.max(r):.6g}; "
                f"below {FLAT_RISK_REL:g} × {size:.3g})")
    return None


def _flat_risk(predictor, val: list[tuple[np.ndarray, np.ndarray]], label_mode: str) -> bool:
    risk, ys = [], []
    for x, lab in val:
        y, keep = sample_labels(lab, predictor.window, label_mode)
        risk.append(predictor.predict_proba(x)[:-1][keep])
        ys.append(y[keep])
    reason = flat_risk_reason(np.concatenate(risk), np.concatenate(ys))
    if reason is not None:
        warnings.warn(f"{type(predictor).__name__}: {reason}; δ* = {predictor.threshold_:.6g} and the warnings "
                      "it gives mean nothing (window AUC still ranks the risks)", FlatRiskWarning, stacklevel=3)
    return reason is not None


def _score_parts(predictor, parts: list[tuple[np.ndarray, np.ndarray]], offsets: list[int], label_mode: str,
                 n_boot: int, seed: int) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Metrics of :func:`evaluate_predictor` over labelled series ``parts`` with the predictor's fitted head
    and δ*; ``offsets`` are each part's first step in the caller's series (for the window ``start``)."""
    w = predictor.window
    probs, ys, pers, starts, leads, flags_all = [], [], [], [], [], []
    for (x_te, l_te), offset in zip(parts, offsets, strict=True):
        prob = predictor.predict_proba(x_te)[:-1]
        y, keep = sample_labels(l_te, w, label_mode)
        flags = (prob > predictor.threshold_).astype(np.int8)
        if l_te.any():
            leads.append(warning_lead_times(l_te, flags, w))
        probs.append(prob[keep])
        ys.append(y[keep])
        flags_all.append(flags[keep])
        pers.append(persistence_risk(l_te, w)[keep])
        starts.append(offset + np.flatnonzero(keep) * w)
    prob, y, per = np.concatenate(probs), np.concatenate(ys), np.concatenate(pers)
    metrics = window_scores(y, prob, predictor.threshold_, n_boot=n_boot, seed=seed)
    lead = np.concatenate(leads) if leads else np.empty(0)
    metrics.update(
        threshold=float(predictor.threshold_), n_test=int(y.size), test_pos=int(y.sum()),
        test_pos_rate=float(y.mean()) if y.size else float("nan"),
        persistence_win_auc=float(roc_auc_score(y, per)) if 0 < y.sum() < y.size else float("nan"),
        events=int(lead.size), events_warned=int(np.sum(~np.isnan(lead))),
        mean_lead_steps=float(np.nanmean(lead)) if np.any(~np.isnan(lead)) else float("nan"),
        false_warnings_per_1000=false_warnings_per_1000(y, np.concatenate(flags_all)),
    )
    return metrics, {"prob": prob.astype(np.float32), "y": y, "start": np.concatenate(starts)}


def score_labelled(predictor, x: np.ndarray, labels: np.ndarray, label_mode: str = "next", n_boot: int = 1000,
                   seed: int = 0) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Score every sample of a labelled series ``x`` ``[T, C]`` / ``labels`` ``[T]`` with an already
    fitted head (no split): the test metrics of :func:`evaluate_predictor` and its arrays, plus
    ``flat_risk`` judged on these risks. For a series none of whose windows trained the head."""
    metrics, arrays = _score_parts(predictor, [(x, labels)], [0], label_mode, n_boot, seed)
    reason = flat_risk_reason(arrays["prob"], arrays["y"], part="scored")
    if reason is not None:
        warnings.warn(f"{type(predictor).__name__}: {reason}; δ* = "
                      f"{predictor.threshold_:.6g} and the warnings it gives mean nothing", FlatRiskWarning,
                      stacklevel=2)
    metrics["flat_risk"] = int(reason is not None)
    return metrics, arrays


def evaluate_predictor(predictor, test: np.ndarray, labels: np.ndarray, seed: int = 0, n_boot: int = 1000,
                       label_mode: str = "next", spans: list[tuple[int, int]] | None = None,
                       ) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Run the protocol with an already pre-trained ``predictor`` on the labelled ``test`` series.

    Fits the head with ``seed`` on the train part (δ* and selection on val), scores the test part.
    ``label_mode`` is ``"next"`` or ``"onset"``; ``spans`` (``(start, length)`` per entity) makes the
    split entity-aware. Returns ``(metrics, arrays)``: the metrics of :func:`window_scores`, the
    persistence reference (``persistence_win_auc``), lead times (``events``, ``events_warned``,
    ``mean_lead_steps``), ``false_warnings_per_1000``, ``flat_risk`` (1 = warned), ``threshold`` and
    the sample counts; ``arrays`` holds the pooled test ``prob``, ``y`` and window ``start`` steps.
    """
    w = predictor.window
    if spans is None:
        sp = split_series(test, labels, w)
        parts = EntitySplit([sp.train], [sp.val], [sp.test], entities=[0], skipped=[])
        offsets = [sp.offsets[2]]
    else:
        parts = split_entities(test, labels, spans, w)
        offsets = [spans[i][0] + split_series(test[spans[i][0]: spans[i][0] + spans[i][1]],
                                              labels[spans[i][0]: spans[i][0] + spans[i][1]], w).offsets[2]
                   for i in parts.entities]

    def pooled(part: list[tuple[np.ndarray, np.ndarray]]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        return [p[0] for p in part], [p[1] for p in part]

    x_tr, l_tr = pooled(parts.train)
    predictor.fit_head(x_tr, l_tr, validation=pooled(parts.val), seed=seed, label_mode=label_mode)
    flat = _flat_risk(predictor, parts.val, label_mode)
    metrics, arrays = _score_parts(predictor, parts.test, offsets, label_mode, n_boot, seed)
    metrics.update(
        n_head_train=sum(n_windows(x.shape[0], w) - 1 for x in x_tr),
        n_val=sum(n_windows(x.shape[0], w) - 1 for x, _ in parts.val),
        flat_risk=int(flat), entities=len(parts.entities), entities_skipped=len(parts.skipped),
    )
    return metrics, arrays
