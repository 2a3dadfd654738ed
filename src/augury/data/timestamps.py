"""Timestamp hygiene for the table readers: order, duplicates, gaps, and hints in the caller's spelling.

A reversed or shuffled file scores differently from the same file in time order (window models
see other neighbours), so rows whose timestamps are not strictly increasing are refused unless
the caller asks for them to be sorted. Gaps in an otherwise regular series are only warned
about: the detectors treat the rows as consecutive steps.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from augury.errors import DataError
from augury.utils.spelling import CLI_SPELLING, option  # noqa: F401  (re-exported for the readers)


class TimestampWarning(UserWarning):
    """A timestamp column the readers accepted but that deserves a look (gaps, duplicates kept)."""


def parse_times(values: Any) -> np.ndarray | None:
    """Timestamps ``[T]`` as comparable numbers (float for numbers, int64 ns for dates), or ``None``
    when they are free-form labels that do not parse."""
    import pandas as pd  # lazy: pandas costs ~100 MB; only readers of timestamps need it

    series = pd.Series(values)
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=np.float64)
    try:
        parsed = pd.to_datetime(series, format="mixed", utc=True)
    except (ValueError, TypeError, OverflowError):
        return None
    if parsed.isna().any():
        return None
    return parsed.astype("int64").to_numpy()


def looks_like_time(values: Any, probe: int = 20) -> bool:
    """Whether a non-numeric column holds dates (its first ``probe`` non-empty values parse)."""
    import pandas as pd  # lazy: pandas costs ~100 MB; only readers of timestamps need it

    head = pd.Series(values).dropna().head(probe)
    if head.empty or not pd.api.types.is_string_dtype(head):
        return False
    try:
        return parse_times(head.astype(str)) is not None
    except ValueError:  # e.g. raw bytes that are not text
        return False


#: Names data row r (0-based) in a message: ``"row 3"`` for arrays, ``"line 5"`` for a CSV file.
RowName = Callable[[int], str]


def array_row(r: int) -> str:
    """Row ``r`` of an array, 0-based like its index."""
    return f"row {r}"


def check_order(values: Any, source: str, column: str, sort: bool, row_name: RowName = array_row) -> np.ndarray | None:
    """Refuse (``DataError``) timestamps that are not strictly increasing, unless ``sort``.

    Returns the stable sorting permutation ``[T]`` when ``sort`` and the rows are out of order,
    else ``None``. Warns (:class:`TimestampWarning`) about gaps in a regular series and about
    duplicated timestamps kept by ``sort``. Free-form labels that do not parse are not checked.
    """
    times = parse_times(values)
    if times is None or times.size < 2:
        return None
    shown = np.asarray(values)
    step = np.diff(times)
    perm = None
    if np.any(step <= 0):
        if not sort:
            i = int(np.flatnonzero(step <= 0)[0])
            what = "repeats" if step[i] == 0 else "is earlier than"
            raise DataError(
                f"{source}: timestamps in column {column!r} are not increasing: {row_name(i + 1)} ({shown[i + 1]}) "
                f"{what} {row_name(i)} ({shown[i]}); sort the file or pass {option('sort')}"
            )
        perm = np.argsort(times, kind="stable")
        times = times[perm]
        step = np.diff(times)
        n_dup = int(np.count_nonzero(step == 0))
        if n_dup:
            warnings.warn(TimestampWarning(f"{source}: {n_dup} duplicated timestamps in column {column!r} kept "
                                           "after sorting"), stacklevel=2)
    _warn_gaps(step, source, column)
    return perm


def _warn_gaps(step: np.ndarray, source: str, column: str) -> None:
    """Warn when a regular series (median step > 0) has steps longer than 1.5 × the median."""
    positive = step[step > 0]
    if positive.size == 0:
        return
    typical = float(np.median(positive))
    gaps = step > 1.5 * typical
    n_gaps = int(np.count_nonzero(gaps))
    if n_gaps:
        missing = int(np.sum(np.round(step[gaps] / typical) - 1))
        warnings.warn(TimestampWarning(
            f"{source}: {n_gaps} gaps in column {column!r} (about {missing} missing steps at the usual spacing); "
            "the rows are scored as consecutive steps"), stacklevel=3)
