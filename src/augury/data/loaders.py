"""Find and load datasets by name or path: single datasets, collections, discovery, example.

Names are looked up under a data root (argument ``root``, else the environment variable
``AUGURY_DATA``); anything else is taken as a path. A *collection* is a folder whose entries are
datasets (sub-folders in any layout of :mod:`augury.data.formats`, TSB-AD CSV files, or the
series listed in a TAB ``DETECT_META.csv``). Entities are ordered by **natural sort** of their
names (digit runs compare as numbers: ``machine-3-2`` < ``machine-3-10``), which is the order
SMD's published concatenation uses.

A single dataset whose manifest lists per-entity row spans (MSL's ``channels``, see
:mod:`augury.data.formats.spans`) is a collection too: :func:`load_collection` yields one entity
per span, and ``load_dataset("<dataset>/<entity>")`` loads one of them.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import numpy as np

from augury.data.dataset import Dataset
from augury.data.formats import (
    FILE_FORMATS,
    READERS,
    TAB_META_FILE,
    at_prefixes,
    detect_format,
    load_example,
    read_anomaly_transformer,
    read_folder_meta,
    tab_files,
)
from augury.data.formats.common import load_npy, npy_header
from augury.data.formats.spans import entity_spans, span_entity
from augury.data.validation import NanPolicy, constant_channels
from augury.errors import DataError, MissingResourceError

__all__ = [
    "DATA_ENV",
    "DatasetInfo",
    "discover_datasets",
    "load_collection",
    "load_dataset",
    "load_example",
    "natural_key",
    "resolve_root",
]

logger = logging.getLogger(__name__)

DATA_ENV = "AUGURY_DATA"

HOW_TO_GET_DATA = (
    f"Point the environment variable {DATA_ENV} (or root= / --data-root) at a folder holding one "
    "sub-folder per dataset, each in augury's native layout (train.npy [T,C], test.npy [T,C], "
    "test_label.npy [T]) or in an original layout that augury.data.formats reads "
    "(Anomaly-Transformer <NAME>_train.npy/_test.npy/_test_label.npy, PSM csv trio, SWaT TSLib csv, "
    "TAB long CSV + DETECT_META.csv, TSB-AD csv). Original sources: MSL and SMAP - NASA telemanom "
    "(https://github.com/khundman/telemanom); SMD - ServerMachineDataset in "
    "https://github.com/NetManAIOps/OmniAnomaly; PSM - https://github.com/eBay/RANSynCoders (data/). "
    "Try augury.data.formats.load_example() for a small bundled dataset."
)


def natural_key(name: str) -> list[int | str]:
    """Sort key comparing digit runs as numbers (``"machine-3-2" < "machine-3-10"``)."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def _data_root(root: str | Path | None) -> Path | None:
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get(DATA_ENV)
    return Path(env).expanduser() if env else None


def resolve_root(root: str | Path | None = None) -> Path:
    """The data root: ``root`` if given, else ``$AUGURY_DATA``; ``MissingResourceError`` (with
    how to get data) when neither names an existing folder."""
    base = _data_root(root)
    if base is None or not base.is_dir():
        where = base if base is not None else f"nowhere ({DATA_ENV} is not set and no root was given)"
        raise MissingResourceError(f"no data folder at {where}. {HOW_TO_GET_DATA}")
    return base


@dataclass(frozen=True)
class _Target:
    path: Path
    at_prefix: str | None = None


def _resolve(name_or_path: str | Path, root: str | Path | None) -> _Target:
    """Find ``name_or_path``: under the data root first (a folder, a file, ``<name>.csv``, a TAB
    series in ``multi_ts``/``uni_ts``, or an Anomaly-Transformer ``<name>_train.npy`` prefix),
    then as a path."""
    raw = Path(name_or_path).expanduser()
    base = _data_root(root)
    looked: list[str] = []
    if base is not None and not raw.is_absolute():
        for cand in (
            base / raw,
            base / f"{raw}.csv",
            base / "multi_ts" / f"{raw}.csv",
            base / "uni_ts" / f"{raw}.csv",
        ):
            looked.append(str(cand))
            if cand.exists():
                return _Target(cand)
        if (base / f"{raw}_train.npy").is_file():
            return _Target(base, at_prefix=str(raw))
    looked.append(str(raw.resolve()))
    if raw.exists():
        return _Target(raw)
    root_note = (
        f"data root {base}" if base is not None else f"no data root (root=None and {DATA_ENV} is not set)"
    )
    available = ""
    if base is not None and base.is_dir():
        names = sorted(
            (p.name for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")), key=natural_key
        )
        available = f" Available under {base}: {', '.join(names) or 'nothing'}."
    raise MissingResourceError(
        f"dataset {str(name_or_path)!r} not found ({root_note}; looked at {', '.join(looked)}).{available} "
        f"{HOW_TO_GET_DATA}"
    )


def _members(path: Path, fmt: str | None) -> list[Path]:
    """Entities of a collection folder in natural order (empty when ``path`` is not one)."""
    if not path.is_dir():
        return []
    if (path / TAB_META_FILE).is_file() and fmt in (None, "tab"):
        return sorted(tab_files(path), key=lambda p: natural_key(p.stem))
    found = []
    for child in path.iterdir():
        if child.name.startswith("."):
            continue
        if fmt is None:
            ok = detect_format(child) is not None
        elif fmt in FILE_FORMATS:
            ok = child.is_file() and child.suffix.lower() == ".csv" and child.name != TAB_META_FILE
        else:
            ok = child.is_dir()
        if ok:
            found.append(child)
    return sorted(found, key=lambda p: natural_key(_entity_name(p)))


def _entity_name(path: Path) -> str:
    return path.stem if path.is_file() else path.name


def _check_options(fmt: str | None, nan_policy: str) -> None:
    # Checked up front: the readers only look at nan_policy when they meet a NaN.
    if fmt is not None and fmt not in READERS:
        raise DataError(f"unknown format {fmt!r}; expected one of {sorted(READERS)}")
    if nan_policy not in get_args(NanPolicy):
        raise DataError(f"unknown nan_policy {nan_policy!r}; expected one of {list(get_args(NanPolicy))}")


def _is_single(target: _Target, fmt: str | None) -> bool:
    """Whether ``target`` is one dataset (else it may be a collection)."""
    if target.at_prefix is not None or detect_format(target.path) is not None:
        return True
    if fmt is None or fmt in FILE_FORMATS:
        return fmt is not None and target.path.is_file()
    # An explicit folder format applies to the folder itself unless it only holds sub-folders.
    return not any(child.is_dir() for child in target.path.iterdir()) if target.path.is_dir() else True


def _read_single(
    target: _Target, fmt: str | None, nan_policy: NanPolicy, min_length: int, name: str | None = None
) -> Dataset:
    path = target.path
    if target.at_prefix is not None:
        return read_anomaly_transformer(
            path, prefix=target.at_prefix, nan_policy=nan_policy, min_length=min_length
        )
    fmt = fmt or detect_format(path)
    if fmt is None:
        raise DataError(
            f"{path}: not a dataset in any known layout and holds no datasets; expected one of the "
            f"layouts described in augury.data.formats (formats: {sorted(READERS)}); for a plain "
            "train/test pair of CSV/Parquet files use augury.data.formats.load_csv_pair"
        )
    ds = READERS[fmt](path, nan_policy=nan_policy, min_length=min_length)
    if name is not None:
        ds.name = name
    return ds


def _entities(target: _Target, fmt: str | None, nan_policy: NanPolicy, min_length: int) -> Iterator[Dataset]:
    name = target.path.name
    for m in _members(target.path, fmt):
        yield _read_single(_Target(m), fmt, nan_policy, min_length, f"{name}/{_entity_name(m)}")


def _handle_constant(ds: Dataset, drop_constant: bool) -> Dataset:
    """Record channels constant over train in ``meta``; drop them (train and test) if asked."""
    const = constant_channels(ds.train)
    names = [ds.channels[i] for i in const]
    ds.meta["constant_channels"] = names
    if names:
        action = "dropped" if drop_constant else "kept (pass drop_constant=True to drop them)"
        logger.info("%s: %d constant channel(s) in train, %s: %s", ds.name, len(names), action, names)
    if drop_constant and names:
        if len(names) == ds.n_channels:
            raise DataError(
                f"{ds.meta.get('path', ds.name)}: every channel is constant over train; "
                "drop_constant=True would leave no channels"
            )
        keep = np.setdiff1d(np.arange(ds.n_channels), const)
        ds.train = np.ascontiguousarray(ds.train[:, keep])
        ds.test = np.ascontiguousarray(ds.test[:, keep])
        ds.channels = [ds.channels[i] for i in keep]
        ds.meta["dropped_channels"] = names
    return ds


def _concatenate(name: str, path: Path, entities: list[Dataset], min_length: int) -> Dataset:
    """AT-style benchmark of a collection: entities stacked in order, offsets in ``meta``."""
    first = entities[0]
    for ent in entities[1:]:
        if ent.n_channels != first.n_channels:
            raise DataError(
                f"{path}: entity {ent.name!r} has {ent.n_channels} channels but {first.name!r} has "
                f"{first.n_channels}; a collection can only be concatenated if all entities have the same channels"
            )
    spans, tr, te = [], 0, 0
    for ent in entities:
        spans.append(
            {
                "name": ent.name.rsplit("/", 1)[-1],
                "train_start": tr,
                "train_end": tr + len(ent.train),
                "test_start": te,
                "test_end": te + len(ent.test),
            }
        )
        tr, te = tr + len(ent.train), te + len(ent.test)
    if min(tr, te) < min_length:
        raise DataError(
            f"{path}: collection has {tr} train / {te} test steps; at least {min_length} are needed"
        )
    labelled = all(e.train_labels is not None for e in entities)
    return Dataset(
        name=name,
        train=np.concatenate([e.train for e in entities]),
        test=np.concatenate([e.test for e in entities]),
        test_labels=np.concatenate([e.test_labels for e in entities]),
        train_labels=np.concatenate([e.train_labels for e in entities]) if labelled else None,
        channels=list(first.channels),
        meta={
            "format": "collection",
            "entity_formats": sorted({str(e.meta.get("format")) for e in entities}),
            "path": str(path),
            "order": "natural",
            "entities": spans,
            "manifest": read_folder_meta(path),
        },
    )


def _spans_of(ds: Dataset):
    """The entity spans of a single dataset's manifest, or ``None``."""
    manifest = ds.meta.get("manifest")
    where = f"{ds.meta.get('path', ds.name)} manifest"
    return entity_spans(manifest, len(ds.train), len(ds.test), where) if manifest else None


def test_spans(ds: Dataset) -> list[tuple[int, int]] | None:
    """``(start, length)`` of each entity's rows in ``ds.test``: the entities of a concatenated collection
    (SMD's machines) or the spans of a single dataset's manifest (MSL's channels); ``None`` otherwise."""
    entities = ds.meta.get("entities")
    if entities:
        return [(int(e["test_start"]), int(e["test_end"]) - int(e["test_start"])) for e in entities]
    spans = _spans_of(ds)
    return [(s.test_start, s.test_len) for s in spans] if spans else None


def _span_entity(name_or_path: str | Path, root: str | Path | None, fmt: str | None, nan_policy: NanPolicy,
                 min_length: int) -> Dataset | None:
    """``"<dataset>/<entity>"`` where ``<dataset>`` lists spans and ``<entity>`` is one of them, else ``None``."""
    parent, sep, entity = str(name_or_path).rstrip("/").rpartition("/")
    if not sep or not parent:
        return None
    try:
        target = _resolve(parent, root)
    except MissingResourceError:
        return None
    if not _is_single(target, fmt):
        return None
    ds = _read_single(target, fmt, nan_policy, 1)
    for span in _spans_of(ds) or []:
        if span.name == entity:
            return _long_enough(span_entity(ds, span, target.path.name), min_length)
    return None


def _long_enough(ds: Dataset, min_length: int) -> Dataset:
    if min(len(ds.train), len(ds.test)) < min_length:
        raise DataError(f"{ds.meta['path']}: entity has {len(ds.train)} train / {len(ds.test)} test steps; "
                        f"at least {min_length} are needed")
    return ds


def load_dataset(
    name_or_path: str | Path,
    root: str | Path | None = None,
    *,
    format: str | None = None,
    nan_policy: NanPolicy = "error",
    drop_constant: bool = False,
    min_length: int = 1,
) -> Dataset:
    """Load a dataset or a whole collection (entities concatenated) as one ``Dataset``.

    ``name_or_path``: a name looked up under ``root`` (default: ``$AUGURY_DATA``), or a path to
    a dataset folder/file or a collection folder. ``format``: one of
    ``augury.data.formats.READERS`` (default: detected from the folder content). For a
    collection, entities are concatenated in natural name order and ``meta["entities"]`` lists
    ``{"name", "train_start", "train_end", "test_start", "test_end"}`` (row offsets into the
    concatenated train/test, ``end`` exclusive). ``nan_policy``: ``"error"``, ``"interpolate"`` or
    ``"zero"`` (applied per file / entity). Channels constant over train are listed in
    ``meta["constant_channels"]`` (and logged) and removed from train and test if
    ``drop_constant``. ``min_length``: minimum number of time steps of train and test (e.g. one
    window). Raises ``MissingResourceError`` when nothing is found, ``DataError`` on bad content.
    """
    _check_options(format, nan_policy)
    try:
        target = _resolve(name_or_path, root)
    except MissingResourceError:
        entity = _span_entity(name_or_path, root, format, nan_policy, min_length)
        if entity is None:
            raise
        return _handle_constant(entity, drop_constant)
    if _is_single(target, format) or not _members(target.path, format):
        ds = _read_single(target, format, nan_policy, min_length)
    else:
        # Entities may be shorter than min_length; only the concatenation has to be long enough.
        entities = list(_entities(target, format, nan_policy, 1))
        ds = _concatenate(target.path.name, target.path, entities, min_length)
    return _handle_constant(ds, drop_constant)


def load_collection(
    name_or_path: str | Path,
    root: str | Path | None = None,
    *,
    format: str | None = None,
    nan_policy: NanPolicy = "error",
    drop_constant: bool = False,
    min_length: int = 1,
) -> Iterator[Dataset]:
    """Iterate over the entities of a collection, one ``Dataset`` each (named
    ``"<collection>/<entity>"``), in natural name order.

    Returns a lazy iterator: an entity is read only when reached, so a large fleet never sits in
    memory at once; the name is resolved (and ``MissingResourceError`` raised) immediately. A
    plain dataset is treated as a collection of one. Constant channels are found and dropped per
    entity. A dataset whose manifest lists entity spans yields one dataset per span (named
    ``"<dataset>/<chan>"``, ``meta["span"]`` its rows). Arguments as in :func:`load_dataset`.
    """
    _check_options(format, nan_policy)
    target = _resolve(name_or_path, root)
    if _is_single(target, format) or not _members(target.path, format):
        ds = _read_single(target, format, nan_policy, 1)
        spans = _spans_of(ds)
        if spans:
            name = target.path.name
            return (_handle_constant(_long_enough(span_entity(ds, sp, name), min_length), drop_constant)
                    for sp in spans)
        return iter([_handle_constant(_long_enough(ds, min_length), drop_constant)])
    return (_handle_constant(ent, drop_constant) for ent in _entities(target, format, nan_policy, min_length))


@dataclass(frozen=True)
class DatasetInfo:
    """What :func:`discover_datasets` found: shapes are ``(rows, channels)`` summed over the
    entities of a collection; shapes and ratio are ``None`` for formats that would need a full
    parse (CSV layouts)."""

    name: str
    kind: Literal["dataset", "collection"]
    format: str
    path: str
    n_entities: int
    train_shape: tuple[int, int | None] | None
    test_shape: tuple[int, int | None] | None
    n_channels: int | None
    anomaly_ratio: float | None


def _npy_files(path: Path, fmt: str) -> tuple[Path, Path, Path] | None:
    if fmt == "native":
        return path / "train.npy", path / "test.npy", path / "test_label.npy"
    if fmt == "at":
        prefixes = at_prefixes(path)
        if len(prefixes) == 1:
            p = prefixes[0]
            return path / f"{p}_train.npy", path / f"{p}_test.npy", path / f"{p}_test_label.npy"
    return None


def _probe(
    path: Path, fmt: str
) -> tuple[tuple[int, int] | None, tuple[int, int] | None, int | None, int | None]:
    """(train shape, test shape, n anomalous test steps) from npy headers; labels are small."""
    found = _npy_files(path, fmt)
    if found is None or not all(f.is_file() for f in found):
        return None, None, None, None
    try:
        shapes = [npy_header(f)[0] for f in found[:2]]
        n_anom = int(np.count_nonzero(load_npy(found[2])))
    except DataError:
        return None, None, None, None
    if any(len(s) not in (1, 2) for s in shapes):
        return None, None, None, None
    train, test = ((s[0], s[1] if len(s) > 1 else 1) for s in shapes)
    return train, test, test[0], n_anom


def _info(name: str, path: Path, fmt: str) -> DatasetInfo:
    train, test, n_test, n_anom = _probe(path, fmt)
    ratio = n_anom / n_test if n_test else None
    return DatasetInfo(name, "dataset", fmt, str(path), 1, train, test, train[1] if train else None, ratio)


def _collection_info(name: str, path: Path, members: list[Path]) -> DatasetInfo:
    parts = [_info(_entity_name(m), m, detect_format(m) or "tab") for m in members]
    fmts = sorted({p.format for p in parts})
    complete = all(p.train_shape and p.test_shape for p in parts)
    train = test = ratio = n_channels = None
    if complete:
        chans = {p.train_shape[1] for p in parts}
        n_channels = chans.pop() if len(chans) == 1 else None
        rows_tr = sum(p.train_shape[0] for p in parts)
        rows_te = sum(p.test_shape[0] for p in parts)
        train, test = (rows_tr, n_channels), (rows_te, n_channels)
        ratio = sum((p.anomaly_ratio or 0.0) * p.test_shape[0] for p in parts) / rows_te if rows_te else None
    return DatasetInfo(
        name, "collection", "+".join(fmts), str(path), len(parts), train, test, n_channels, ratio
    )


def discover_datasets(root: str | Path | None = None) -> list[DatasetInfo]:
    """Datasets and collections directly under ``root`` (default ``$AUGURY_DATA``), in natural
    name order. Cheap: only npy headers (``mmap_mode="r"``) and label files are read. A
    collection whose entities have different channel counts reports ``n_channels=None``, also
    as the channel part of its shapes."""
    base = resolve_root(root)
    found = []
    if (base / TAB_META_FILE).is_file():
        found += [_info(p.stem, p, "tab") for p in tab_files(base)]
    for child in sorted(base.iterdir(), key=lambda p: natural_key(_entity_name(p))):
        if child.name.startswith(".") or child.name == TAB_META_FILE:
            continue
        fmt = detect_format(child)
        if fmt is not None:
            found.append(_info(_entity_name(child), child, fmt))
        elif members := _members(child, None):
            found.append(_collection_info(child.name, child, members))
    return found
