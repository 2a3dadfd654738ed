"""``augury bench --scores FILE``: evaluate scores computed elsewhere, without any training.

A scores file holds one score per test step of the dataset it is benchmarked on:

- ``.csv`` with a ``score`` column (what ``augury detect --out`` writes; other columns ignored);
- ``.npy``: a 1-D array of test scores;
- ``.npz``: ``scores`` (test) and optionally ``train_scores`` (what the *_train metrics and the
  Anomaly-Transformer threshold, a percentile of train + test scores, need).

Without training scores the PA threshold is the same percentile of the test scores alone and
the *_train columns stay empty: they would need a threshold learnt from training scores.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from augury.errors import DataError

SUFFIXES = (".csv", ".npy", ".npz")
#: the train-score threshold rule of the *_train metrics (the detectors' default: top 1 %)
TRAIN_THRESHOLD = "top:1"


def _finite(values: Any, path: Path, what: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{path}: {what} are not numbers") from exc
    if arr.ndim != 1 or arr.size == 0:
        raise DataError(f"{path}: {what} must be a non-empty 1-D array, got shape {arr.shape}")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise DataError(f"{path}: {what} hold {bad.size} NaN/inf value(s), first at position {bad[0]}")
    return arr


def read_scores(path: str | Path) -> tuple[np.ndarray, np.ndarray | None]:
    """``(test_scores [T], train_scores [N] or None)`` from a scores file (see the module doc).

    Raises :class:`DataError` naming the file for a missing, unreadable or malformed file.
    """
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise DataError(f"{path}: a scores file must end in {', '.join(SUFFIXES)}")
    if not path.is_file():
        raise DataError(f"{path}: no such scores file")
    try:
        if path.suffix.lower() == ".csv":
            frame = pd.read_csv(path)
            if "score" not in frame.columns:
                raise DataError(f"{path}: no 'score' column; columns are {list(frame.columns)}")
            return _finite(frame["score"], path, "column 'score'"), None
        if path.suffix.lower() == ".npy":
            return _finite(np.load(path, allow_pickle=False), path, "the scores"), None
        with np.load(path, allow_pickle=False) as z:
            if "scores" not in z.files:
                raise DataError(f"{path}: no array 'scores'; arrays are {z.files}")
            train = _finite(z["train_scores"], path, "train_scores") if "train_scores" in z.files else None
            return _finite(z["scores"], path, "scores"), train
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: cannot read scores ({exc})") from exc


def checksum(path: str | Path) -> str:
    """sha256 of the file's bytes: the run's config hash changes when the scores do."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def evaluate_imported(y_true: np.ndarray, test: np.ndarray, train: np.ndarray | None, *, anomaly_ratio: float,
                      window: int, thresholds: int) -> tuple[dict[str, Any], float]:
    """The bench metrics of imported scores and the PA threshold used: the same protocols as a
    trained run when ``train`` is given, else the threshold-free metrics and PA at the
    ``100 - anomaly_ratio`` percentile of the test scores (recorded in ``threshold_source``)."""
    from augury.metrics import at_threshold, evaluate, percentile_threshold
    from augury.metrics.protocols import evaluate_protocols
    from augury.metrics.thresholds import parse_threshold

    if train is not None:
        rule = parse_threshold(TRAIN_THRESHOLD).fit(train)
        metrics = evaluate_protocols(y_true, test, train, rule.threshold_, anomaly_ratio=anomaly_ratio, window=window,
                                     thresholds=thresholds, train_threshold_source=f"{rule.spec()} of train scores")
        return metrics, at_threshold(train, test, anomaly_ratio)
    threshold = percentile_threshold(test, anomaly_ratio)
    if not np.asarray(y_true).any():
        return {"n_labelled_events": 0}, threshold
    metrics = evaluate(y_true, test, window=window, thresholds=thresholds, threshold=threshold,
                       threshold_source=f"at_percentile(test, {100 - anomaly_ratio:g}); no train scores")
    return metrics, threshold
