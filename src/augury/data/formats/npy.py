"""NumPy layouts: augury's native folder and the Anomaly-Transformer (MSL/SMAP/SMD) folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from augury.data.dataset import Dataset
from augury.data.formats.common import assemble, load_npy, read_json
from augury.data.validation import NanPolicy
from augury.errors import DataError

NATIVE_FILES = ("train.npy", "test.npy", "test_label.npy")
META_FILES = ("meta.json", "manifest.json")


def read_folder_meta(folder: Path) -> dict[str, Any]:
    """The first of ``meta.json`` / ``manifest.json`` found in ``folder`` (empty if neither)."""
    for fname in META_FILES:
        if (folder / fname).is_file():
            return read_json(folder / fname)
    return {}


def _channel_names(meta: dict[str, Any], n_channels: int) -> list[str] | None:
    # Only a plain list of strings of the right length names the columns; some manifests use
    # "channels" for other things (MSL's lists telemanom channel segments).
    for key in ("channel_names", "channels"):
        names = meta.get(key)
        if isinstance(names, list) and len(names) == n_channels and all(isinstance(n, str) for n in names):
            return names
    return None


def read_native(
    folder: str | Path, *, name: str | None = None, nan_policy: NanPolicy = "error", min_length: int = 1
) -> Dataset:
    """Read augury's native folder: ``train.npy`` ``[T_train, C]``, ``test.npy`` ``[T_test, C]``,
    ``test_label.npy`` ``[T_test]``, optional ``train_label.npy`` and ``meta.json``/``manifest.json``
    (kept as ``meta["manifest"]``; a ``channels`` list of strings there names the channels)."""
    folder = Path(folder)
    missing = [f for f in NATIVE_FILES if not (folder / f).is_file()]
    if missing:
        raise DataError(f"{folder}: missing {missing}; the native layout needs {list(NATIVE_FILES)}")
    manifest = read_folder_meta(folder)
    train = load_npy(folder / "train.npy")
    test = load_npy(folder / "test.npy")
    train_label_path = folder / "train_label.npy"
    train_labels = load_npy(train_label_path) if train_label_path.is_file() else None
    n_channels = train.shape[1] if train.ndim == 2 else 1
    return assemble(
        name or folder.name,
        train,
        test,
        load_npy(folder / "test_label.npy"),
        sources=tuple(str(folder / f) for f in NATIVE_FILES),
        train_labels=train_labels,
        train_labels_source=str(train_label_path),
        channels=_channel_names(manifest, n_channels),
        meta={"format": "native", "path": str(folder), "manifest": manifest},
        nan_policy=nan_policy,
        min_length=min_length,
    )


def at_prefixes(folder: Path) -> list[str]:
    """Dataset prefixes ``NAME`` with ``NAME_train.npy`` and ``NAME_test.npy`` in ``folder``."""
    return sorted(
        p.name[: -len("_train.npy")]
        for p in folder.glob("*_train.npy")
        if (folder / p.name.replace("_train.npy", "_test.npy")).is_file()
    )


def read_anomaly_transformer(
    folder: str | Path, *, prefix: str | None = None, nan_policy: NanPolicy = "error", min_length: int = 1
) -> Dataset:
    """Read the Anomaly-Transformer layout: ``<NAME>_train.npy``, ``<NAME>_test.npy``,
    ``<NAME>_test_label.npy`` (MSL, SMAP, SMD). ``prefix`` picks ``NAME`` when the folder holds
    several datasets."""
    folder = Path(folder)
    found = at_prefixes(folder)
    if prefix is None:
        if len(found) != 1:
            raise DataError(
                f"{folder}: expected exactly one <NAME>_train.npy/<NAME>_test.npy pair, found {found or 'none'}; "
                "pass the dataset name to choose one"
            )
        prefix = found[0]
    files = [folder / f"{prefix}_{part}.npy" for part in ("train", "test", "test_label")]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise DataError(f"{folder}: missing {missing} (Anomaly-Transformer layout)")
    return assemble(
        prefix,
        load_npy(files[0]),
        load_npy(files[1]),
        load_npy(files[2]),
        sources=tuple(str(f) for f in files),
        meta={"format": "at", "path": str(folder)},
        nan_policy=nan_policy,
        min_length=min_length,
    )
