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
import os
import tokenize
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from augury.data.formats.common import npy_header
from augury.errors import DataError

SUFFIXES = (".csv", ".npy", ".npz")
#: the train-score threshold rule of the *_train metrics (the detectors' default: top 1 %)
TRAIN_THRESHOLD = "top:1"


#: Most scores one array may hold (a scores file of a 10**8-step series is not a benchmark, it is
#: a decompression bomb); override with $AUGURY_MAX_SCORES.
MAX_SCORES = 20_000_000
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _max_scores() -> int:
    return int(os.environ.get("AUGURY_MAX_SCORES", MAX_SCORES))


def _finite(values: Any, path: Path, what: str) -> np.ndarray:
    raw = np.asarray(values)
    # Complex, datetime, bool or text scores would be cast (or refused) somewhere later: refuse here.
    if raw.dtype.kind not in "fiuO":
        raise DataError(f"{path}: {what} have dtype {raw.dtype}; expected int or float numbers")
    try:
        arr = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{path}: {what} are not numbers") from exc
    if arr.ndim != 1 or arr.size == 0:
        raise DataError(f"{path}: {what} must be a non-empty 1-D array, got shape {arr.shape}")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise DataError(f"{path}: {what} hold {bad.size} NaN/inf value(s), first at position {bad[0]}")
    # Scores are kept as float32 (scores/<run>.npz): a larger value would be saved as inf.
    big = np.flatnonzero(np.abs(arr) > _FLOAT32_MAX)
    if big.size:
        raise DataError(f"{path}: {what} hold {big.size} value(s) beyond float32 range (|x| <= 3.4e+38), "
                        f"first at position {big[0]}: {arr[big[0]]:g}; rescale the scores")
    return arr


def _check_header(shape: tuple[int, ...], dtype: np.dtype, data_bytes: int, where: str) -> None:
    """Refuse a declared array that is too large, not numeric, or does not match its data bytes,
    before anything is allocated."""
    if dtype.hasobject or dtype.fields is not None or dtype.kind not in "fiu":
        raise DataError(f"{where}: dtype {dtype}; expected int or float scores")
    count = int(np.prod(shape, dtype=object))
    if count > _max_scores():
        raise DataError(f"{where}: declares {count} values, over the limit of {_max_scores()} "
                        "(set $AUGURY_MAX_SCORES to raise it)")
    if count * dtype.itemsize != data_bytes:
        raise DataError(f"{where}: header declares shape {shape} of {dtype} ({count * dtype.itemsize} bytes) "
                        f"but holds {data_bytes} data bytes; the file is truncated or corrupted")


def _npz_member(z: zipfile.ZipFile, path: Path, name: str) -> np.ndarray:
    """Array ``name`` of an open .npz, its header checked against its size in the zip directory
    (which the decompressor enforces) before the array is allocated."""
    info = z.getinfo(f"{name}.npy")
    if info.flag_bits & 0x1:
        raise DataError(f"{path}: array {name!r} is encrypted; save the scores with numpy.savez")
    fmt = np.lib.format
    with z.open(info) as fh:
        version = fmt.read_magic(fh)
        read_header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
        shape, fortran, dtype = read_header(fh)
        _check_header(tuple(shape), dtype, info.file_size - fh.tell(), f"{path}: array {name!r}")
        arr = np.empty(shape, dtype=dtype, order="F" if fortran else "C")
        view = memoryview(arr.reshape(-1, order="A")).cast("B")
        if fh.readinto(view) != arr.nbytes:
            raise DataError(f"{path}: array {name!r} is truncated")
        return arr


def read_scores(path: str | Path) -> tuple[np.ndarray, np.ndarray | None]:
    """``(test_scores [T], train_scores [N] or None)`` from a scores file (see the module doc).

    Raises :class:`DataError` naming the file for a missing, unreadable or malformed file, and
    for arrays whose header declares more than :data:`MAX_SCORES` values (checked before reading).
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
            shape, dtype = npy_header(path)
            _check_header(shape, dtype, int(np.prod(shape, dtype=object)) * dtype.itemsize, str(path))
            return _finite(np.load(path, allow_pickle=False), path, "the scores"), None
        with zipfile.ZipFile(path) as z:
            # numpy names a member ``<name>.npy``; a member without the suffix is not an array
            names = [n.removesuffix(".npy") for n in z.namelist() if n.endswith(".npy")]
            if "scores" not in names:
                raise DataError(f"{path}: no array 'scores'; arrays are {names}")
            train = _finite(_npz_member(z, path, "train_scores"), path, "train_scores") if "train_scores" in names \
                else None
            return _finite(_npz_member(z, path, "scores"), path, "scores"), train
    except (OSError, ValueError, EOFError, SyntaxError, TypeError, tokenize.TokenError, zipfile.BadZipFile,
            zlib.error, NotImplementedError, pd.errors.ParserError) as exc:
        # numpy parses an .npy header as a Python literal: a mangled one raises tokenizer errors;
        # zipfile raises NotImplementedError for a compression method it does not know
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
