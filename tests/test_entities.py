"""Entities given as row spans in a dataset's manifest (MSL-style): collection, single entity, fleet bench."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from augury.bench.grid import expand_grid, run_grid
from augury.data.formats.spans import entity_spans
from augury.data.loaders import load_collection, load_dataset
from augury.errors import DataError, MissingResourceError

SPANS = [
    {"chan": "A-1", "train_start": 0, "train_len": 120, "test_start": 0, "test_len": 150},
    {"chan": "B-2", "train_start": 120, "train_len": 80, "test_start": 150, "test_len": 100},
]


def write_spanned(folder: Path, spans=SPANS) -> Path:
    """A native dataset of 200 train / 250 test rows whose manifest lists two entity spans."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    train = rng.normal(size=(200, 2)).astype(np.float32)
    test = rng.normal(size=(250, 2)).astype(np.float32)
    labels = np.zeros(250, np.uint8)
    labels[[40, 41, 200, 201]] = 1
    test[labels == 1] += 8.0
    train[:120, 1] += 5.0  # entity A-1 lives at another level on channel 1
    test[:150, 1] += 5.0
    np.save(folder / "train.npy", train)
    np.save(folder / "test.npy", test)
    np.save(folder / "test_label.npy", labels)
    (folder / "manifest.json").write_text(json.dumps({"name": folder.name, "channels": spans}))
    return folder


def test_collection_yields_one_entity_per_span(tmp_path):
    folder = write_spanned(tmp_path / "SAT")
    ents = list(load_collection(folder))
    assert [e.name for e in ents] == ["SAT/A-1", "SAT/B-2"]
    assert [e.train.shape for e in ents] == [(120, 2), (80, 2)]
    assert [e.test.shape for e in ents] == [(150, 2), (100, 2)]
    np.testing.assert_array_equal(ents[1].test, np.load(folder / "test.npy")[150:])
    assert ents[1].test_labels.nonzero()[0].tolist() == [50, 51]
    assert ents[0].meta["span"]["test_len"] == 150 and ents[0].meta["path"].endswith("SAT/A-1")


def test_one_entity_by_name_or_path_and_whole_dataset(tmp_path):
    folder = write_spanned(tmp_path / "SAT")
    by_path = load_dataset(folder / "B-2")
    by_name = load_dataset("SAT/B-2", root=tmp_path)
    np.testing.assert_array_equal(by_path.train, by_name.train)
    assert by_name.name == "SAT/B-2" and by_name.train.shape == (80, 2)
    assert load_dataset(folder).train.shape == (200, 2)  # the concatenation is still one dataset
    with pytest.raises(MissingResourceError):
        load_dataset("SAT/C-9", root=tmp_path)


@pytest.mark.parametrize("bad, match", [
    ({"chan": "X", "train_start": 0, "train_len": 500, "test_start": 0, "test_len": 10}, "outside"),
    ({"chan": "X", "train_start": 0, "train_len": "10", "test_start": 0, "test_len": 10}, "integers"),
    ({"chan": "a/b", "train_start": 0, "train_len": 10, "test_start": 0, "test_len": 10}, "without '/'"),
    ({"chan": "A-1", "train_start": 0, "train_len": 10, "test_start": 0, "test_len": 10}, "twice"),
])
def test_bad_spans_are_data_errors_naming_the_entry(tmp_path, bad, match):
    folder = write_spanned(tmp_path / "SAT", SPANS + [bad])
    with pytest.raises(DataError, match=match) as info:
        list(load_collection(folder))
    assert "channels[2]" in str(info.value) and "manifest" in str(info.value)


def test_channel_name_lists_are_not_spans():
    assert entity_spans({"channels": ["a", "b"]}, 10, 10, "m") is None
    assert entity_spans({}, 10, 10, "m") is None


def test_fleet_bench_runs_each_span_and_aggregates(tmp_path):
    folder = write_spanned(tmp_path / "SAT")
    specs = expand_grid([str(folder)], ["knn"], fleet=True, overrides={"window": 4, "stride": 2})
    assert [s.dataset for s in specs] == ["SAT/A-1", "SAT/B-2"]
    table = run_grid(specs, tmp_path / "out")
    ok = table[table["status"] == "ok"]
    assert set(ok["dataset"]) == {"SAT/A-1", "SAT/B-2"}
    agg = table[table["status"] == "aggregate"]
    assert len(agg) == 1 and int(agg["n_entities"].iloc[0]) == 2
