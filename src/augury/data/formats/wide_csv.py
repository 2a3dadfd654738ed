"""Wide CSV benchmark layouts of the original code bases: PSM (eBay) and SWaT (TSLib style)."""

from __future__ import annotations

from pathlib import Path

from augury.data.dataset import Dataset
from augury.data.formats.common import assemble, read_csv
from augury.data.validation import NanPolicy
from augury.errors import DataError

PSM_FILES = ("train.csv", "test.csv", "test_label.csv")
SWAT_FILES = ("swat_train2.csv", "swat2.csv")


def _require(folder: Path, files: tuple[str, ...], layout: str) -> None:
    missing = [f for f in files if not (folder / f).is_file()]
    if missing:
        raise DataError(f"{folder}: missing {missing}; the {layout} layout needs {list(files)}")


def read_psm(folder: str | Path, *, nan_policy: NanPolicy = "error", min_length: int = 1) -> Dataset:
    """Read PSM: ``train.csv`` and ``test.csv`` whose first column (``timestamp_(min)``) is
    dropped as in the Anomaly-Transformer code, and ``test_label.csv`` (timestamp, label).
    The original PSM train file has NaNs: pass ``nan_policy="zero"`` to match AT's
    ``nan_to_num``."""
    folder = Path(folder)
    _require(folder, PSM_FILES, "PSM")
    train, test, labels = (read_csv(folder / f) for f in PSM_FILES)
    if labels.shape[1] < 2:
        raise DataError(
            f"{folder / 'test_label.csv'}: expected 2 columns (timestamp, label), got {list(labels.columns)}"
        )
    return assemble(
        folder.name,
        train.iloc[:, 1:],
        test.iloc[:, 1:],
        labels.iloc[:, 1].to_numpy(),
        sources=tuple(str(folder / f) for f in PSM_FILES),
        meta={"format": "psm", "path": str(folder), "dropped_columns": [str(train.columns[0])]},
        nan_policy=nan_policy,
        min_length=min_length,
    )


def read_swat(folder: str | Path, *, nan_policy: NanPolicy = "error", min_length: int = 1) -> Dataset:
    """Read SWaT as TSLib does: ``swat_train2.csv`` and ``swat2.csv``, the label in the last
    column of each; every other column is a channel. The training labels are ignored."""
    folder = Path(folder)
    _require(folder, SWAT_FILES, "SWaT (TSLib)")
    train, test = (read_csv(folder / f) for f in SWAT_FILES)
    test_src = str(folder / SWAT_FILES[1])
    return assemble(
        folder.name,
        train.iloc[:, :-1],
        test.iloc[:, :-1],
        test.iloc[:, -1].to_numpy(),
        sources=(str(folder / SWAT_FILES[0]), test_src, f"{test_src} column {str(test.columns[-1])!r}"),
        meta={"format": "swat", "path": str(folder), "label_column": str(test.columns[-1])},
        nan_policy=nan_policy,
        min_length=min_length,
    )
