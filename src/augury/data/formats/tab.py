"""TAB (decisionintelligence/TAB) long CSV files and their ``DETECT_META.csv``.

A TAB root folder holds ``DETECT_META.csv`` (columns ``file_name``, ``if_univariate``,
``train_lens``, ...) and the series under ``multi_ts/`` or ``uni_ts/``. Each series file is long:
columns ``date, data, cols``, one block of rows per channel (``cols`` names it), one of which is
``label``. Rows ``[0, train_lens)`` of the reshaped wide series are train, the rest is test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from augury.data.dataset import Dataset
from augury.data.formats.common import assemble, read_csv, require_columns
from augury.data.validation import NanPolicy
from augury.errors import DataError

META_FILE = "DETECT_META.csv"
SERIES_DIRS = ("multi_ts", "uni_ts", ".")


def find_tab_meta(csv_path: Path) -> Path | None:
    """``DETECT_META.csv`` next to a series file or one folder up (TAB's own layout)."""
    for folder in (csv_path.parent, csv_path.parent.parent):
        if (folder / META_FILE).is_file():
            return folder / META_FILE
    return None


def _read_meta(meta_path: Path) -> pd.DataFrame:
    meta = read_csv(meta_path)
    require_columns(meta, ["file_name", "train_lens"], meta_path)
    return meta


def tab_files(root: Path) -> list[Path]:
    """The series files listed in ``root/DETECT_META.csv`` that exist, in listing order."""
    found = []
    for fname in _read_meta(root / META_FILE)["file_name"].astype(str):
        fname = fname if fname.endswith(".csv") else f"{fname}.csv"
        path = next((root / d / fname for d in SERIES_DIRS if (root / d / fname).is_file()), None)
        if path is not None:
            found.append(path)
    return found


def _long_to_wide(df: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, np.ndarray]:
    require_columns(df, ["date", "data", "cols"], path)
    data = pd.to_numeric(df["data"], errors="coerce")
    bad = data.isna() & df["data"].notna()
    if bad.any():
        r = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"{path}: column 'data' row {r} is {df['data'].iloc[r]!r} (channel {df['cols'].iloc[r]!r}); expected a number"
        )
    # groupby(sort=False) keeps the channels in order of first appearance, as TAB does.
    blocks = {str(k): g.to_numpy() for k, g in data.groupby(df["cols"], sort=False)}
    if "label" not in blocks:
        raise DataError(f"{path}: no 'label' channel in column 'cols'; found {list(blocks)}")
    lengths = {k: len(v) for k, v in blocks.items()}
    if len(set(lengths.values())) != 1:
        raise DataError(f"{path}: channel blocks have different lengths {lengths}; expected equal lengths")
    labels = blocks.pop("label")
    return pd.DataFrame(blocks), labels


def read_tab(
    path: str | Path,
    *,
    meta_path: str | Path | None = None,
    nan_policy: NanPolicy = "error",
    min_length: int = 1,
) -> Dataset:
    """Read one TAB series file; ``meta_path`` defaults to the ``DETECT_META.csv`` found by
    :func:`find_tab_meta`. The training labels (the prefix of ``label``) are kept as
    ``train_labels``."""
    path = Path(path)
    meta_path = Path(meta_path) if meta_path is not None else find_tab_meta(path)
    if meta_path is None:
        raise DataError(f"{path}: no {META_FILE} next to it or one folder up; it gives the train length")
    meta = _read_meta(meta_path)
    row = meta[meta["file_name"].astype(str).isin([path.name, path.stem])]
    if row.empty:
        raise DataError(f"{meta_path}: no row with file_name {path.name!r}")
    train_lens = pd.to_numeric(row["train_lens"].iloc[0], errors="coerce")
    wide, labels = _long_to_wide(read_csv(path), path)
    if not (np.isfinite(train_lens) and float(train_lens).is_integer() and 0 < train_lens < len(wide)):
        raise DataError(
            f"{meta_path}: column 'train_lens' row {row.index[0]} is {row['train_lens'].iloc[0]}; "
            f"expected an integer in [1, {len(wide) - 1}] for {path.name} ({len(wide)} steps)"
        )
    n = int(train_lens)
    return assemble(
        path.stem,
        wide.iloc[:n],
        wide.iloc[n:],
        labels[n:],
        sources=(f"{path} (rows < {n})", f"{path} (rows >= {n})", f"{path} channel 'label'"),
        train_labels=labels[:n],
        meta={"format": "tab", "path": str(path), "meta_file": str(meta_path), "train_len": n},
        nan_policy=nan_policy,
        min_length=min_length,
    )
