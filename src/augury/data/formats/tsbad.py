"""TSB-AD CSV files: channel columns plus ``Label``; the training prefix length is the number
after ``_tr_`` in the file name (e.g. ``002_MSL_id_1_Sensor_tr_500_1st_900.csv``).

As in TSB-AD, test is the *whole* series and train is its prefix ``[0, tr)``; the prefix's
labels are kept as ``train_labels``.
"""

from __future__ import annotations

import re
from pathlib import Path

from augury.data.dataset import Dataset
from augury.data.formats.common import assemble, read_csv, require_columns
from augury.data.validation import NanPolicy
from augury.errors import DataError

TRAIN_LEN = re.compile(r"_tr_(\d+)(?:_|\.|$)")


def is_tsbad_file(path: Path) -> bool:
    """``True`` for a ``.csv`` file whose name carries a TSB-AD training length."""
    return path.suffix.lower() == ".csv" and TRAIN_LEN.search(path.name) is not None


def read_tsbad(path: str | Path, *, nan_policy: NanPolicy = "error", min_length: int = 1) -> Dataset:
    """Read one TSB-AD CSV file (see the module docstring)."""
    path = Path(path)
    match = TRAIN_LEN.search(path.name)
    if match is None:
        raise DataError(f"{path}: the file name has no '_tr_<N>' training length (TSB-AD naming)")
    train_len = int(match.group(1))
    df = read_csv(path)
    require_columns(df, ["Label"], path)
    if not 0 < train_len <= len(df):
        raise DataError(
            f"{path}: training length {train_len} from the file name is outside [1, {len(df)}] rows"
        )
    values = df.drop(columns=["Label"])
    labels = df["Label"].to_numpy()
    return assemble(
        path.stem,
        values.iloc[:train_len],
        values,
        labels,
        sources=(f"{path} (train prefix)", str(path), f"{path} column 'Label'"),
        train_labels=labels[:train_len],
        meta={"format": "tsbad", "path": str(path), "train_len": train_len},
        nan_policy=nan_policy,
        min_length=min_length,
    )
