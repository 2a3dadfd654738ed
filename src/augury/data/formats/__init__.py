"""Readers for the on-disk layouts augury understands, and detection of a path's layout.

| format    | path      | content                                                            |
|-----------|-----------|--------------------------------------------------------------------|
| native    | folder    | ``train.npy``, ``test.npy``, ``test_label.npy`` (+ ``train_label.npy``) |
| at        | folder    | ``<NAME>_train.npy``, ``<NAME>_test.npy``, ``<NAME>_test_label.npy``    |
| psm       | folder    | ``train.csv``, ``test.csv``, ``test_label.csv``                        |
| swat      | folder    | ``swat_train2.csv``, ``swat2.csv`` (label in the last column)          |
| csv       | folder    | ``train.csv``, ``test.csv`` (label column in test)                     |
| parquet   | folder    | ``train.parquet``, ``test.parquet`` (label column in test)             |
| tab       | file      | TAB long CSV with ``DETECT_META.csv`` next to it or one folder up      |
| tsbad     | file      | TSB-AD CSV named ``..._tr_<N>_...csv``                                 |

Detection checks the rows top to bottom, so a folder with ``train.npy`` is native even if it
also holds CSV files, and ``train.csv`` + ``test.csv`` + ``test_label.csv`` is PSM, not csv.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from augury.data.dataset import Dataset
from augury.data.formats.bundled import EXAMPLES, load_example
from augury.data.formats.npy import at_prefixes, read_anomaly_transformer, read_folder_meta, read_native
from augury.data.formats.tab import META_FILE as TAB_META_FILE
from augury.data.formats.tab import find_tab_meta, read_tab, tab_files
from augury.data.formats.table import (
    Table,
    load_csv_pair,
    read_frame,
    read_series,
    read_table,
    read_table_pair,
)
from augury.data.formats.tsbad import is_tsbad_file, read_tsbad
from augury.data.formats.wide_csv import read_psm, read_swat

Reader = Callable[..., Dataset]

READERS: dict[str, Reader] = {
    "native": read_native,
    "at": read_anomaly_transformer,
    "psm": read_psm,
    "swat": read_swat,
    "csv": partial(read_table_pair, suffix=".csv"),
    "parquet": partial(read_table_pair, suffix=".parquet"),
    "tab": read_tab,
    "tsbad": read_tsbad,
}
FILE_FORMATS = ("tab", "tsbad")


def detect_format(path: str | Path) -> str | None:
    """The format of a dataset folder or file (a key of ``READERS``), or ``None``."""
    path = Path(path)
    if path.is_file():
        if is_tsbad_file(path):
            return "tsbad"
        if path.suffix.lower() == ".csv" and path.name != TAB_META_FILE and find_tab_meta(path) is not None:
            return "tab"
        return None
    if not path.is_dir():
        return None

    def has(*names: str) -> bool:
        return all((path / n).is_file() for n in names)

    if has("train.npy", "test.npy"):
        return "native"
    if at_prefixes(path):
        return "at"
    if has("train.csv", "test.csv", "test_label.csv"):
        return "psm"
    if has("swat_train2.csv", "swat2.csv"):
        return "swat"
    if has("train.csv", "test.csv"):
        return "csv"
    if has("train.parquet", "test.parquet"):
        return "parquet"
    return None


__all__ = [
    "EXAMPLES",
    "FILE_FORMATS",
    "READERS",
    "TAB_META_FILE",
    "Table",
    "detect_format",
    "load_csv_pair",
    "load_example",
    "read_anomaly_transformer",
    "read_folder_meta",
    "read_frame",
    "read_native",
    "read_psm",
    "read_series",
    "read_swat",
    "read_tab",
    "read_table",
    "read_tsbad",
    "tab_files",
]
