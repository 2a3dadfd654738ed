"""Shared step of every reader: validate the raw arrays and build the ``Dataset``."""

from __future__ import annotations

import csv
import json
import tokenize
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from augury.data.dataset import Dataset
from augury.data.timestamps import RowName
from augury.data.validation import NanPolicy, check_labels, check_same_channels, check_series
from augury.errors import DataError


def assemble(
    name: str,
    train: np.ndarray | pd.DataFrame,
    test: np.ndarray | pd.DataFrame,
    test_labels: np.ndarray,
    *,
    sources: tuple[str, str, str],
    train_labels: np.ndarray | None = None,
    train_labels_source: str | None = None,
    channels: list[str] | None = None,
    meta: dict[str, Any] | None = None,
    nan_policy: NanPolicy = "error",
    min_length: int = 1,
) -> Dataset:
    """Validate raw train/test values and labels and return a ``Dataset``.

    ``sources`` names the (train, test, test-label) files for error messages. DataFrame inputs
    carry their own column names (checked equal between train and test); for arrays,
    ``channels`` names the columns (default ``ch0, ch1, ...``).
    """
    src_train, src_test, src_labels = sources
    names_train = [str(c) for c in train.columns] if isinstance(train, pd.DataFrame) else None
    names_test = [str(c) for c in test.columns] if isinstance(test, pd.DataFrame) else None
    x_train = check_series(
        train, source=src_train, columns=channels, nan_policy=nan_policy, min_length=min_length
    )
    x_test = check_series(
        test, source=src_test, columns=channels, nan_policy=nan_policy, min_length=min_length
    )
    names_train = names_train or _default_names(channels, x_train.shape[1])
    names_test = names_test or _default_names(channels, x_test.shape[1])
    check_same_channels(names_train, names_test, train_source=src_train, test_source=src_test)
    y_test = check_labels(test_labels, x_test.shape[0], source=src_labels)
    y_train = None
    if train_labels is not None:
        y_train = check_labels(train_labels, x_train.shape[0], source=train_labels_source or src_train)
    return Dataset(
        name=name,
        train=x_train,
        test=x_test,
        test_labels=y_test,
        train_labels=y_train,
        channels=list(names_train),
        meta=dict(meta or {}),
    )


def _default_names(channels: list[str] | None, n_channels: int) -> list[str]:
    return (
        list(channels) if channels and len(channels) == n_channels else [f"ch{i}" for i in range(n_channels)]
    )


def npy_header(path: Path) -> tuple[tuple[int, ...], np.dtype]:
    """``(shape, dtype)`` of a ``.npy`` file from its header alone, checked against the file size.

    A hostile header can claim any shape (e.g. 10**13 rows); comparing ``prod(shape) * itemsize``
    with the bytes actually present refuses it before anything is allocated. Object and
    structured dtypes are refused too (they are not a numeric series). Raises ``DataError``.
    """
    fmt = np.lib.format
    try:
        with open(path, "rb") as fh:
            version = fmt.read_magic(fh)
            if version == (1, 0):
                shape, fortran, dtype = fmt.read_array_header_1_0(fh)
            elif version in ((2, 0), (3, 0)):
                shape, fortran, dtype = fmt.read_array_header_2_0(fh)
            else:
                raise ValueError(f"unsupported .npy version {version}")
            offset = fh.tell()
    except (ValueError, OSError, EOFError, SyntaxError, TypeError, tokenize.TokenError) as exc:
        # numpy parses the header as a Python literal: a mangled one raises tokenizer errors.
        raise DataError(f"{path}: cannot read as a numeric .npy array ({exc})") from exc
    if dtype.hasobject or dtype.fields is not None or dtype.kind == "V":
        raise DataError(f"{path}: dtype {dtype} is not a plain numeric array; expected int, float or bool values")
    n_bytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
    available = Path(path).stat().st_size - offset
    if n_bytes != available:
        raise DataError(
            f"{path}: header claims shape {shape} of {dtype} ({n_bytes} bytes) but the file holds "
            f"{available} data bytes; the file is truncated or corrupted"
        )
    return tuple(shape), dtype


def load_npy(path: Path) -> np.ndarray:
    """``np.load`` without pickle, after :func:`npy_header` vetted the header; an unreadable
    file raises ``DataError`` naming it."""
    npy_header(path)
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot read as a numeric .npy array ({exc})") from exc


def read_csv(path: Path, **kwargs: Any) -> pd.DataFrame:
    """``pd.read_csv`` whose parse failures raise ``DataError`` naming the file."""
    try:
        return pd.read_csv(path, **kwargs)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot parse as CSV ({exc})") from exc


def csv_line(path: Path, row: int) -> int | None:
    """The 1-based file line on which data row ``row`` (0-based, header excluded) of a CSV file starts,
    skipping blank lines as pandas does; ``None`` when the file has fewer rows."""
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        reader = csv.reader(f)
        if next(reader, None) is None:
            return None
        seen = -1
        start = reader.line_num + 1
        for fields in reader:
            if fields and not (len(fields) == 1 and not fields[0].strip()):
                seen += 1
                if seen == row:
                    return start
            start = reader.line_num + 1
    return None


def csv_row_name(path: Path, order: np.ndarray | None = None) -> RowName:
    """Names data row r of a CSV file (after the reordering ``order``, if any) by its line in the
    file, as an editor shows it. Lines are counted only when a message needs one."""
    def name(r: int) -> str:
        original = int(order[r]) if order is not None else r
        line = csv_line(path, original)
        return f"line {line}" if line is not None else f"data row {original + 1}"
    return name


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``; malformed JSON raises ``DataError``."""
    try:
        data = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise DataError(f"{path}: expected a JSON object at the top level")
    return data


def require_columns(df: pd.DataFrame, columns: list[str], source: Path) -> None:
    """Raise ``DataError`` if any of ``columns`` is missing from ``df``."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(f"{source}: missing column(s) {missing}; found {list(df.columns)}")
