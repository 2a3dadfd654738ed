"""Plain tables: one CSV/Parquet (or .npy) file per split, channels as columns.

Column roles, when not given explicitly:
- label column: the first column named ``label`` or ``is_anomaly`` (case-insensitive, so
  ``Label`` matches);
- timestamp column: the first column named ``timestamp``, ``timestamp_(min)``, ``date``,
  ``datetime``, ``time``, ``ts``, ``_time`` or ``@timestamp`` (case-insensitive). Its values are
  kept unparsed as the index; without one, a Parquet file's stored (non-default) index is kept
  instead. Timestamps must increase strictly (``sort=True`` sorts the rows instead); gaps in a
  regular series are warned about (see :mod:`augury.data.timestamps`).
Every other column is a channel and must be numeric.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from augury.data.dataset import Dataset
from augury.data.formats.common import assemble, csv_row_name, load_npy, read_csv
from augury.data.timestamps import array_row, check_order, looks_like_time, option
from augury.data.validation import NanPolicy, check_labels, check_same_channels, check_series
from augury.errors import DataError

LABEL_NAMES = ("label", "is_anomaly")
TIMESTAMP_NAMES = ("timestamp", "timestamp_(min)", "date", "datetime", "time", "ts", "_time", "@timestamp")
TABLE_SUFFIXES = (".csv", ".parquet", ".pq", ".npy")


@dataclass
class Table:
    """One file read as a series: ``values`` float32 ``[T, C]``, ``labels`` uint8 ``[T]`` or
    ``None``, ``channels`` the C column names, ``index`` ``[T]`` the timestamps (a
    ``RangeIndex`` when the file has none).

    Unpacks as ``values, labels, channels = table``.
    """

    values: np.ndarray
    labels: np.ndarray | None
    channels: list[str]
    index: pd.Index
    label_column: str | None
    timestamp_column: str | None

    def __iter__(self) -> Iterator[Any]:
        return iter((self.values, self.labels, self.channels))


def find_column(columns: list[str], candidates: tuple[str, ...]) -> str | None:
    """The first of ``columns`` whose lower-cased name is in ``candidates`` (in candidate order)."""
    lowered = {str(c).lower(): c for c in reversed(columns)}
    return next((lowered[c] for c in candidates if c in lowered), None)


def column_roles(columns: list[str], label_column: str | None, timestamp_column: str | None,
                 source: str) -> tuple[str | None, str | None]:
    """``(label, timestamp)`` column names of a header by the rules of the module docstring; a named
    column that is absent raises ``DataError``. ``detect``, ``watch`` and ``bench`` all use this."""
    for given in (label_column, timestamp_column):
        if given is not None and given not in columns:
            raise DataError(f"{source}: no column {given!r}; columns are {columns}")
    return (label_column or find_column(columns, LABEL_NAMES),
            timestamp_column or find_column(columns, TIMESTAMP_NAMES))


def match_channels(found: list[str], expected: list[str], source: str, model: str = "the model") -> list[int]:
    """Positions in ``found`` of each of the ``expected`` channel names, so that reordered columns
    are read in the expected order. Missing, extra or repeated names raise ``DataError`` naming them."""
    repeated = sorted({c for c in found if found.count(c) > 1})
    if repeated:
        raise DataError(f"{source}: repeated column names {repeated}")
    missing = [c for c in expected if c not in found]
    extra = [c for c in found if c not in expected]
    if missing or extra:
        parts = ([f"missing {missing}"] if missing else []) + ([f"unexpected {extra}"] if extra else [])
        raise DataError(f"{source}: channel columns do not match {model}'s {expected}: {'; '.join(parts)}")
    return [found.index(c) for c in expected]


def read_frame(path: str | Path) -> pd.DataFrame:
    """Read a ``.csv``, ``.parquet``/``.pq`` or ``.npy`` file into a DataFrame."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    if suffix == ".csv":
        return read_csv(path)
    if suffix in (".parquet", ".pq"):
        try:
            return pd.read_parquet(path)
        except (ValueError, OSError) as exc:
            raise DataError(f"{path}: cannot read as Parquet ({exc})") from exc
    if suffix == ".npy":
        arr = load_npy(path)
        arr = arr[:, None] if arr.ndim == 1 else arr
        if arr.ndim != 2:
            raise DataError(f"{path}: expected a [time, channels] array, got shape {arr.shape}")
        return pd.DataFrame(arr, columns=[f"ch{i}" for i in range(arr.shape[1])])
    raise DataError(f"{path}: unsupported file type {suffix!r}; expected one of {list(TABLE_SUFFIXES)}")


def read_table(
    path: str | Path,
    label_column: str | None = None,
    timestamp_column: str | None = None,
    nan_policy: NanPolicy = "error",
    min_length: int = 1,
    *,
    sort: bool = False,
) -> Table:
    """Read one CSV/Parquet/npy file into a validated :class:`Table` (see the module docstring
    for how the label and timestamp columns are found). A named column that is absent raises
    ``DataError``; so do timestamps out of order, unless ``sort``."""
    path = Path(path)
    return _table_from_frame(read_frame(path), path, label_column, timestamp_column, nan_policy, min_length,
                             sort=sort)


def _table_from_frame(
    df: pd.DataFrame,
    path: Path,
    label_column: str | None,
    timestamp_column: str | None,
    nan_policy: NanPolicy,
    min_length: int,
    *,
    sort: bool = False,
) -> Table:
    columns = [str(c) for c in df.columns]
    df.columns = columns
    label_column, timestamp_column = column_roles(columns, label_column, timestamp_column, str(path))
    is_csv = path.suffix.lower() == ".csv"
    row_name = csv_row_name(path) if is_csv else array_row
    if timestamp_column is not None:
        order = check_order(df[timestamp_column], str(path), timestamp_column, sort, row_name=row_name)
        if order is not None:
            df = df.iloc[order].reset_index(drop=True)
            row_name = csv_row_name(path, order) if is_csv else (lambda r: array_row(int(order[r])))
    labels = None
    if label_column is not None:
        labels = check_labels(df[label_column].to_numpy(), len(df), source=f"{path} column {label_column!r}",
                              row_name=row_name)
    if timestamp_column is not None:
        index = pd.Index(df[timestamp_column], name=timestamp_column)
    elif not isinstance(df.index, pd.RangeIndex):
        index = df.index  # e.g. a DatetimeIndex stored in a Parquet file
    else:
        index = pd.RangeIndex(len(df))
    values = df.drop(columns=[c for c in (label_column, timestamp_column) if c is not None])
    for c in values.columns:
        if not pd.api.types.is_numeric_dtype(values[c]) and looks_like_time(values[c]):
            raise DataError(f"{path}: column {c!r} holds timestamps, not numbers; name it with "
                            f"{option('timestamp_column', c)}")
    x = check_series(values, source=str(path), nan_policy=nan_policy, min_length=min_length, row_name=row_name)
    return Table(x, labels, [str(c) for c in values.columns], index, label_column, timestamp_column)


def select_channels(table: Table, channels: list[str], source: str, model: str = "TRAIN") -> Table:
    """``table`` with its channel columns in the order of ``channels`` (matched by name, see
    :func:`match_channels`). Tables without real names (``.npy``: ``ch0, ch1, ...``) only need
    the same count."""
    if table.channels == channels:
        return table
    if positional_names(table.channels) or positional_names(channels):
        if len(table.channels) != len(channels):
            raise DataError(f"{source} has {len(table.channels)} channels; {model} has {len(channels)}")
        return table
    order = match_channels(table.channels, channels, source, model)
    return Table(table.values[:, order], table.labels, list(channels), table.index, table.label_column,
                 table.timestamp_column)


def positional_names(names: list[str]) -> bool:
    """True for the placeholder names ``ch0, ch1, ...`` of a file without a header (``.npy``)."""
    return names == [f"ch{i}" for i in range(len(names))]


def read_series(
    path: str | Path,
    label_column: str | None = None,
    timestamp_column: str | None = None,
    nan_policy: NanPolicy = "error",
    *,
    sort: bool = False,
) -> Table:
    """Read one CSV/Parquet/npy file for scoring: ``values, labels, channels = read_series(p)``
    gives ``values`` float32 ``[T, C]``, ``labels`` uint8 ``[T]`` or ``None`` and the channel
    names; the returned :class:`Table` also carries ``.index`` (timestamps or a ``RangeIndex``).
    ``sort`` sorts rows whose timestamps are out of order (else ``DataError``)."""
    return read_table(path, label_column, timestamp_column, nan_policy, sort=sort)


def load_csv_pair(
    train_path: str | Path,
    test_path: str | Path,
    label_column: str | None = None,
    timestamp_column: str | None = None,
    *,
    nan_policy: NanPolicy = "error",
    min_length: int = 1,
    name: str | None = None,
) -> Dataset:
    """A ``Dataset`` from a train file and a test file (CSV, Parquet or npy, any mix).

    The test file must have a label column; a label column in the train file becomes
    ``train_labels``. Timestamps, when present, are kept as ``meta["train_index"]`` /
    ``meta["test_index"]`` (``pd.Index``, else ``None``).
    """
    train_path, test_path = Path(train_path), Path(test_path)
    train_df = read_frame(train_path)
    # Training data is often unlabelled: a label column named for the test file is optional here.
    train_label = label_column if label_column in train_df.columns else None
    train = _table_from_frame(train_df, train_path, train_label, timestamp_column, nan_policy, min_length)
    test = read_table(test_path, label_column, timestamp_column, nan_policy, min_length)
    if test.labels is None:
        raise DataError(
            f"{test_path}: no label column (looked for {label_column!r} or any of {list(LABEL_NAMES)}); "
            "a Dataset needs test labels. Use read_series for unlabelled data"
        )
    check_same_channels(
        train.channels, test.channels, train_source=str(train_path), test_source=str(test_path)
    )
    return assemble(
        name or test_path.parent.name or test_path.stem,
        train.values,
        test.values,
        test.labels,
        sources=(str(train_path), str(test_path), f"{test_path} column {test.label_column!r}"),
        train_labels=train.labels,
        channels=train.channels,
        meta={
            "format": "table",
            "path": str(test_path.parent),
            "files": [str(train_path), str(test_path)],
            "label_column": test.label_column,
            "timestamp_column": test.timestamp_column,
            "train_index": None if isinstance(train.index, pd.RangeIndex) else train.index,
            "test_index": None if isinstance(test.index, pd.RangeIndex) else test.index,
        },
    )


def read_table_pair(
    folder: str | Path, *, suffix: str = ".csv", nan_policy: NanPolicy = "error", min_length: int = 1
) -> Dataset:
    """``load_csv_pair(folder/"train<suffix>", folder/"test<suffix>")`` for a folder holding a
    plain train/test pair."""
    folder = Path(folder)
    return load_csv_pair(
        folder / f"train{suffix}",
        folder / f"test{suffix}",
        nan_policy=nan_policy,
        min_length=min_length,
        name=folder.name,
    )
