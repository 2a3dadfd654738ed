"""Online scoring of a fitted detector: rows arrive in bursts, scores and alarms leave at once.

:class:`StreamScorer` keeps only the last ``window − 1`` scaled rows (memory independent of how
long it runs), scores each burst in one batched call and returns exactly
``detector.decision_function(all_rows_so_far, causal=True)`` for the new rows — the causal
score of step t is a function of the window ending at t alone, so carrying that window over is
enough. Alarms come from the fitted threshold through :class:`AlarmPolicy` (minimum duration,
cool-down); alarm steps carry their top channels from ``detector.explain(..., causal=True)``.

Note the threshold: ``detector.threshold_`` was fitted on the *batch* training scores. Causal
scores of window models are not averaged over overlapping windows and spread wider, so the batch
threshold alarms more often online. :func:`fit_causal_threshold` refits the detector's threshold
rule on the causal scores of the training series and stores them with the model
(``causal_scores_``, ``causal_threshold_``; ``detect --save-model`` does this for every detector
that is not deep, where it costs one more scoring pass); :class:`StreamScorer` then uses that
threshold by default. :func:`causal_threshold` does the same for any normal series.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from augury.errors import DataError
from augury.metrics.thresholds import parse_threshold

#: rows scored per call at most, so a huge burst does not materialise a huge window tensor
MAX_BURST = 65536


def causal_threshold(detector: Any, X: Any) -> float:
    """The detector's threshold rule (e.g. ``top:1``) refitted on the causal scores of ``X`` ``[T, C]``.

    ``X`` (raw units) should be normal data such as the training series; warm-up steps are left out.
    """
    scores = detector.decision_function(X, causal=True)[detector.causal_warmup() :]
    if scores.size == 0:
        raise DataError(f"calibration series is shorter than one window ({detector.causal_warmup() + 1} steps)")
    return float(parse_threshold(detector.threshold_strategy_.spec()).fit(scores).threshold_)


def fit_causal_threshold(detector: Any, X: Any) -> float:
    """Store the causal scores of the training series ``X`` ``[T, C]`` on ``detector``
    (``causal_scores_``, warm-up left out) and the threshold rule refitted on them
    (``causal_threshold_``, returned); both are saved with the model."""
    scores = detector.decision_function(X, causal=True)[detector.causal_warmup() :]
    if scores.size == 0:
        raise DataError(f"training series is shorter than one window ({detector.causal_warmup() + 1} steps)")
    detector.causal_scores_ = scores
    detector.causal_threshold_ = float(parse_threshold(detector.threshold_strategy_.spec()).fit(scores).threshold_)
    return detector.causal_threshold_


def stream_threshold(detector: Any, rule: str | None = None) -> tuple[float, str]:
    """The online alarm threshold of ``detector`` and where it comes from.

    ``rule`` is a threshold spec as for batch detection (``top:1``, ``spot:1e-3``, ``fixed:3``; a
    bare finite number means ``fixed:``), fitted on the stored causal training scores, else on the
    batch training scores. ``None``: the stored causal threshold, else the batch ``threshold_``.
    """
    causal = getattr(detector, "causal_scores_", None)
    if rule is None:
        if causal is not None:
            return float(detector.causal_threshold_), f"{detector.threshold_strategy_.spec()} of causal train scores"
        return float(detector.threshold_), (f"{detector.threshold_strategy_.spec()} of batch train scores; "
                                            "causal scores spread wider, see --calibrate")
    text = str(rule).strip()
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None:
        text = f"fixed:{text}"
    strategy = parse_threshold(text)
    reference = causal if causal is not None else detector.decision_scores_
    value = float(strategy.fit(reference).threshold_)
    if not np.isfinite(value):
        raise DataError(f"threshold {rule!r} is not a finite number")
    return value, f"{strategy.spec()} of {'causal' if causal is not None else 'batch'} train scores"


class AlarmPolicy:
    """Turns per-step threshold exceedances into alarms, with state carried across calls.

    An alarm starts when the score has exceeded the threshold for ``min_duration`` consecutive
    steps and at least ``cooldown`` steps have passed since the previous alarm ended; it lasts
    while the score stays above the threshold. A run that resumes at most ``min_gap`` steps after
    an alarm ended continues that alarm (no new ``start``, no ``min_duration`` wait): the same
    merge rule as :func:`augury.events.to_events`, so alarm starts count the events of batch
    detection. ``min_duration=1, cooldown=0`` gives ``alarm == (score > threshold)``.
    """

    def __init__(self, min_duration: int = 1, cooldown: int = 0, min_gap: int = 0) -> None:
        if min_duration < 1 or cooldown < 0 or min_gap < 0:
            raise DataError(f"min_duration must be >= 1, cooldown and min_gap >= 0 "
                            f"(got {min_duration}, {cooldown}, {min_gap})")
        self.min_duration = min_duration
        self.cooldown = cooldown
        self.min_gap = min_gap
        self._run = 0
        self._active = False
        self._cool = 0
        self._since_alarm: int | None = None  # steps since the last alarm step (None: no alarm yet)

    def update(self, above: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``above`` ``[n]`` bool → (``alarm`` ``[n]`` bool, ``start`` ``[n]`` bool: first step of an alarm)."""
        alarm = np.zeros(len(above), dtype=bool)
        start = np.zeros(len(above), dtype=bool)
        for i, a in enumerate(above.tolist()):
            self._run = self._run + 1 if a else 0
            if self._active:
                if not a:
                    self._active = False
                    self._cool = self.cooldown
            elif a and self._since_alarm is not None and self._since_alarm <= self.min_gap:
                self._active = True  # the gap was short: the previous alarm goes on
            elif self._cool > 0:
                self._cool -= 1
            elif self._run >= self.min_duration:
                self._active = start[i] = True
            alarm[i] = self._active
            if self._active:
                self._since_alarm = 0
            elif self._since_alarm is not None:
                self._since_alarm += 1
        return alarm, start


@dataclass
class StreamResult:
    """Per-step output of :meth:`StreamScorer.process` for ``n`` new rows.

    ``step`` ``[n]`` (0-based index since the stream started), ``score`` ``[n]`` (the causal
    score; warm-up steps carry ``detector.warmup_score_``), ``warmup``, ``above`` (score >
    threshold outside warm-up), ``alarm``, ``alarm_start`` (bool ``[n]``) and ``top``: for each
    step in alarm, its ``top_k`` channels as (index, contribution) pairs, most contributing first
    (empty lists elsewhere).
    """

    step: np.ndarray
    score: np.ndarray
    warmup: np.ndarray
    above: np.ndarray
    alarm: np.ndarray
    alarm_start: np.ndarray
    top: list[list[tuple[int, float]]]


class StreamScorer:
    """Causal scores, alarms and top channels of a fitted ``detector`` for rows fed in any bursts.

    ``threshold`` overrides the default of :func:`stream_threshold` (the stored causal threshold,
    else ``detector.threshold_``); ``min_duration`` / ``cooldown`` / ``min_gap`` configure the
    :class:`AlarmPolicy`; ``top_k`` channels are attributed for each alarm step (0 = none).
    """

    def __init__(self, detector: Any, *, threshold: float | None = None, min_duration: int = 1,
                 cooldown: int = 0, top_k: int = 3, min_gap: int = 0) -> None:
        detector._check_fitted()
        self.detector = detector
        self.threshold = float(stream_threshold(detector)[0] if threshold is None else threshold)
        if not np.isfinite(self.threshold):
            raise DataError(f"threshold must be a finite number, got {threshold!r}")
        self.policy = AlarmPolicy(min_duration, cooldown, min_gap)
        self.top_k = top_k
        self.n_channels = int(detector.n_features_in_)
        self.warmup = int(detector.causal_warmup())
        self.n_seen = 0
        self._buffer = np.empty((0, self.n_channels), dtype=np.float32)

    def update(self, rows: Any) -> np.ndarray:
        """Score new rows ``[n, C]`` (raw units; ``[n]`` if C = 1) → causal scores float64 ``[n]``."""
        return self.process(rows).score

    def process(self, rows: Any) -> StreamResult:
        """Score new rows ``[n, C]`` and return scores, alarms and top channels (:class:`StreamResult`)."""
        x = self._check_rows(rows)
        parts = [self._process(x[i : i + MAX_BURST]) for i in range(0, len(x), MAX_BURST)] or [self._process(x)]
        if len(parts) == 1:
            return parts[0]
        return StreamResult(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in ("step", "score", "warmup", "above", "alarm",
                                                                        "alarm_start")),
            top=[t for p in parts for t in p.top],
        )

    def _check_rows(self, rows: Any) -> np.ndarray:
        x = np.asarray(rows, dtype=np.float64)
        if x.ndim == 1 and self.n_channels == 1:
            x = x[:, None]
        if x.ndim != 2 or x.shape[1] != self.n_channels:
            raise DataError(f"rows have shape {x.shape}; the detector expects [n, {self.n_channels}]")
        if not np.all(np.isfinite(x)):
            r = int(np.argwhere(~np.isfinite(x))[0, 0])
            raise DataError(f"row {self.n_seen + r} of the stream is not finite")
        return x.astype(np.float32)  # as check_series does for the batch API, so both see the same values

    def _process(self, x: np.ndarray) -> StreamResult:
        det, n = self.detector, len(x)
        xs = det.scaler_.transform(x) if n else np.empty((0, self.n_channels), dtype=np.float32)
        context = np.concatenate([self._buffer, xs])
        step = np.arange(self.n_seen, self.n_seen + n, dtype=np.int64)
        warm = step < self.warmup
        n_scored = int((~warm).sum())
        score = np.full(n, det.warmup_score_, dtype=np.float64)
        if n_scored:
            # the windows ending at the scored new rows start warmup rows before the first of them
            ctx = context[len(context) - n_scored - self.warmup :]
            score[n - n_scored :] = det._checked(det._score_causal(ctx), n_scored, "causal scores")
        above = (score > self.threshold) & ~warm
        alarm, start = self.policy.update(above)
        top: list[list[tuple[int, float]]] = [[] for _ in range(n)]
        if self.top_k > 0 and alarm.any():
            idx = np.flatnonzero(alarm)
            for i, row in zip(idx.tolist(), self._contributions(context, n, idx), strict=True):
                order = np.argsort(-row, kind="stable")[: self.top_k]
                top[i] = [(int(c), float(row[c])) for c in order]
        self._buffer = context[max(0, len(context) - self.warmup) :] if self.warmup else context[:0]
        self.n_seen += n
        return StreamResult(step, score, warm, above, alarm, start, top)

    def _contributions(self, context: np.ndarray, n: int, idx: np.ndarray) -> np.ndarray:
        """Causal per-channel contributions ``[len(idx), C]`` of the new rows ``idx`` (all past warm-up)."""
        offset = len(context) - n  # position of new row 0 in context
        first, last = offset + int(idx[0]), offset + int(idx[-1])
        rows = self.detector._explain_causal(context[first - self.warmup : last + 1])  # steps first..last
        return rows[idx - idx[0]]
