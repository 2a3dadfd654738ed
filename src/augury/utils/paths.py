"""Output-path checks made before any work, so a bad path fails before anything is written."""

from __future__ import annotations

import os
from pathlib import Path

from augury.errors import DataError


def check_writable(path: Path) -> None:
    """Raise ``DataError`` naming the folder unless ``path`` (file or folder, existing or not) can be
    created or replaced: its nearest existing ancestor must be a writable folder."""
    path = Path(path)
    parent = path if path.is_dir() else path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise DataError(f"{path}: cannot write into {parent} (not a writable folder)")


def check_output_file(path: Path) -> None:
    """Refuse an output file path that is a folder or whose folder cannot be written (``DataError``)."""
    if Path(path).is_dir():
        raise DataError(f"{path}: is a folder; expected a file path for the output")
    check_writable(path)


def check_output_dir(path: Path) -> None:
    """Refuse an output folder that is a file or cannot be created or written (``DataError``)."""
    if Path(path).exists() and not Path(path).is_dir():
        raise DataError(f"{path}: exists and is not a folder; expected a folder for the output")
    check_writable(path)
