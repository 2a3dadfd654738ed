"""One rule for every name that becomes a file name (run ids, plot and scores files): a *safe
name* is made of letters, digits, ``.``, ``_`` and ``-`` only, and is never ``.`` or ``..``; the
path built from it is checked to stay inside its folder at each write."""

from __future__ import annotations

import re
from pathlib import Path

from augury.errors import DataError

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
#: Longer names are cut (file systems allow 255 bytes; room is left for suffixes).
MAX_NAME = 200


def safe_name(name: object) -> str:
    """``name`` as a file-name-safe slug: runs of other characters become ``-``; leading dots
    and dashes are dropped (no hidden files, no option-like names); empty results become ``_``."""
    slug = _UNSAFE.sub("-", str(name)).lstrip(".-").strip("-")[:MAX_NAME]
    return slug if slug.strip(".") else "_"


def safe_child(folder: Path, name: str) -> Path:
    """``folder / name``, refused (``DataError``) unless it is a plain file name inside ``folder``."""
    folder = Path(folder)
    path = folder / name
    if Path(name).name != name or name in ("", ".", "..") or not path.resolve().is_relative_to(folder.resolve()):
        raise DataError(f"{name!r}: a file name that would be written outside {folder}; expected a plain name")
    return path
