"""Entities given as spans of one dataset's rows (e.g. MSL: 27 telemetry channels concatenated).

A manifest (``manifest.json`` / ``meta.json``) may list its entities under ``channels`` as
objects ``{"chan", "train_start", "train_len", "test_start", "test_len"}`` (row offsets into
``train.npy`` / ``test.npy``). Such a dataset is also a collection: each span is one entity,
fitted and scored on its own (``load_collection``, ``bench --fleet``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from augury.data.dataset import Dataset
from augury.errors import DataError

SPAN_KEYS = ("train_start", "train_len", "test_start", "test_len")


@dataclass(frozen=True)
class Span:
    """One entity's rows: ``train[train_start : train_start + train_len]``, same for test."""

    name: str
    train_start: int
    train_len: int
    test_start: int
    test_len: int


def entity_spans(meta: dict[str, Any], n_train: int, n_test: int, where: str) -> list[Span] | None:
    """The spans listed in ``meta["channels"]`` (``None`` when it lists no span objects).

    ``where`` names the manifest in errors. A malformed entry, a span outside the ``n_train`` /
    ``n_test`` rows or a repeated or unusable name raises ``DataError`` naming the entry.
    """
    entries = meta.get("channels") if isinstance(meta, dict) else None
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        return None
    spans, seen = [], set()
    for i, entry in enumerate(entries):
        name = entry.get("chan")
        values = [entry.get(k) for k in SPAN_KEYS]
        if not isinstance(name, str) or not name or "/" in name or name != name.strip():
            raise DataError(f"{where}: channels[{i}]: 'chan' must be a non-empty name without '/', got {name!r}")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise DataError(f"{where}: channels[{i}] ({name}): {', '.join(SPAN_KEYS)} must be integers, got {values}")
        span = Span(name, *values)
        for part, start, length, total in (("train", span.train_start, span.train_len, n_train),
                                           ("test", span.test_start, span.test_len, n_test)):
            if start < 0 or length < 1 or start + length > total:
                raise DataError(f"{where}: channels[{i}] ({name}): {part} rows [{start}, {start + length}) are "
                                f"outside the {total} {part} rows (length must be >= 1)")
        if name in seen:
            raise DataError(f"{where}: channels[{i}]: entity {name!r} is listed twice")
        seen.add(name)
        spans.append(span)
    return spans


def span_entity(ds: Dataset, span: Span, collection: str) -> Dataset:
    """The rows of ``span`` of ``ds`` as a dataset named ``"<collection>/<span.name>"`` (arrays copied)."""
    tr = slice(span.train_start, span.train_start + span.train_len)
    te = slice(span.test_start, span.test_start + span.test_len)
    return Dataset(
        name=f"{collection}/{span.name}",
        train=np.ascontiguousarray(ds.train[tr]),
        test=np.ascontiguousarray(ds.test[te]),
        test_labels=np.ascontiguousarray(ds.test_labels[te]),
        train_labels=None if ds.train_labels is None else np.ascontiguousarray(ds.train_labels[tr]),
        channels=list(ds.channels),
        meta={"format": f"{ds.meta.get('format', 'native')}+span", "path": f"{ds.meta.get('path', collection)}/{span.name}",
              "entity": span.name, "span": {"train_start": span.train_start, "train_len": span.train_len,
                                            "test_start": span.test_start, "test_len": span.test_len}},
    )
