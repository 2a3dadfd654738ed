"""Name resolution, collections, format selection, constant channels, discovery, example."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from augury import load_collection, load_dataset
from augury.data.formats import load_example
from augury.data.loaders import DATA_ENV, discover_datasets, natural_key, resolve_root
from augury.errors import DataError, MissingResourceError


def write_native(folder, n_train, n_test, n_channels=2, seed=0, anomalies=(3,)):
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "train.npy", rng.normal(size=(n_train, n_channels)).astype(np.float32))
    np.save(folder / "test.npy", rng.normal(size=(n_test, n_channels)).astype(np.float32))
    labels = np.zeros(n_test, dtype=np.uint8)
    labels[list(anomalies)] = 1
    np.save(folder / "test_label.npy", labels)
    return folder


@pytest.fixture
def fleet(tmp_path):
    """A collection whose natural order (m-1, m-2, m-10) differs from the lexicographic one."""
    root = tmp_path / "data"
    sizes = {"m-10": (7, 9), "m-2": (5, 6), "m-1": (4, 8)}
    for i, (name, (n_tr, n_te)) in enumerate(sizes.items()):
        write_native(root / "FLEET" / name, n_tr, n_te, seed=i)
    (root / "FLEET" / "manifest.json").write_text('{"name": "FLEET"}')
    return root


def test_natural_key_orders_numbers_numerically():
    names = ["machine-3-10", "machine-1-2", "machine-3-2", "machine-2-1"]
    assert sorted(names, key=natural_key) == ["machine-1-2", "machine-2-1", "machine-3-2", "machine-3-10"]


def test_collection_is_concatenated_in_natural_order_with_offsets(fleet):
    ds = load_dataset("FLEET", root=fleet)
    ents = ds.meta["entities"]
    assert [e["name"] for e in ents] == ["m-1", "m-2", "m-10"]
    assert [(e["train_start"], e["train_end"], e["test_start"], e["test_end"]) for e in ents] == [
        (0, 4, 0, 8),
        (4, 9, 8, 14),
        (9, 16, 14, 23),
    ]
    assert ds.train.shape == (16, 2) and ds.test.shape == (23, 2) and ds.test_labels.shape == (23,)
    for e in ents:
        part = load_dataset(fleet / "FLEET" / e["name"])
        np.testing.assert_array_equal(ds.train[e["train_start"] : e["train_end"]], part.train)
        np.testing.assert_array_equal(ds.test[e["test_start"] : e["test_end"]], part.test)
        np.testing.assert_array_equal(ds.test_labels[e["test_start"] : e["test_end"]], part.test_labels)
    assert ds.meta["format"] == "collection" and ds.meta["manifest"] == {"name": "FLEET"}


def test_load_collection_yields_entities_one_by_one(fleet):
    it = load_collection("FLEET", root=fleet)
    assert iter(it) is it  # lazy iterator, not a list
    first = next(it)
    assert first.name == "FLEET/m-1" and first.train.shape == (4, 2)
    assert [d.name for d in it] == ["FLEET/m-2", "FLEET/m-10"]
    single = list(load_collection(fleet / "FLEET" / "m-2"))
    assert [d.name for d in single] == ["m-2"]


def test_entity_name_lookup_and_env_root(fleet, monkeypatch):
    monkeypatch.setenv(DATA_ENV, str(fleet))
    assert load_dataset("FLEET/m-2").train.shape == (5, 2)
    assert load_dataset("FLEET").test.shape == (23, 2)


def test_collection_with_mismatched_channels_is_an_error(fleet):
    write_native(fleet / "FLEET" / "m-3", 5, 5, n_channels=3)
    with pytest.raises(DataError, match=r"entity 'FLEET/m-3' has 3 channels but 'FLEET/m-1' has 2"):
        load_dataset("FLEET", root=fleet)
    assert [d.n_channels for d in load_collection("FLEET", root=fleet)] == [2, 2, 3, 2]


def test_missing_dataset_says_where_it_looked_and_how_to_get_data(fleet, monkeypatch):
    with pytest.raises(MissingResourceError) as err:
        load_dataset("SMAP", root=fleet)
    msg = str(err.value)
    for needle in (
        str(fleet / "SMAP"),
        "Available under",
        "FLEET",
        DATA_ENV,
        "--data-root",
        "telemanom",
        "OmniAnomaly",
        "RANSynCoders",
        "train.npy",
    ):
        assert needle in msg, needle
    monkeypatch.delenv(DATA_ENV, raising=False)
    with pytest.raises(MissingResourceError, match=f"{DATA_ENV} is not set"):
        load_dataset("MSL")
    with pytest.raises(MissingResourceError):
        load_collection("MSL")


def test_unrecognised_folder_and_unknown_format(tmp_path):
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "notes.txt").write_text("hello")
    with pytest.raises(DataError, match="not a dataset in any known layout"):
        load_dataset(tmp_path / "junk")
    write_native(tmp_path / "ok", 5, 5)
    with pytest.raises(DataError, match="unknown format 'hdf5'"):
        load_dataset(tmp_path / "ok", format="hdf5")


def test_explicit_format_overrides_detection(tmp_path):
    # train.csv + test.csv + test_label.csv is detected as PSM; format="csv" reads it as a plain pair.
    folder = tmp_path / "pair"
    folder.mkdir()
    x = np.arange(20, dtype=float).reshape(10, 2)
    pd.DataFrame(x, columns=["a", "b"]).to_csv(folder / "train.csv", index=False)
    pd.DataFrame(x, columns=["a", "b"]).assign(label=[0] * 9 + [1]).to_csv(folder / "test.csv", index=False)
    pd.DataFrame({"t": range(10), "label": [0] * 9 + [1]}).to_csv(folder / "test_label.csv", index=False)
    as_csv = load_dataset(folder, format="csv")
    assert as_csv.channels == ["a", "b"] and as_csv.meta["format"] == "table"
    # Read as PSM, the first column is dropped and the label column of test.csv is a channel.
    with pytest.raises(DataError, match=r"train.csv has 1 channels but .*test.csv has 2"):
        load_dataset(folder)


def test_at_prefix_under_root_and_tsbad_and_tab_collections(tmp_path):
    x = np.random.default_rng(0).normal(size=(12, 2)).astype(np.float32)
    np.save(tmp_path / "SMAP_train.npy", x)
    np.save(tmp_path / "SMAP_test.npy", x)
    np.save(tmp_path / "SMAP_test_label.npy", np.zeros(12, dtype=np.uint8))
    assert load_dataset("SMAP", root=tmp_path).meta["format"] == "at"

    tsb = tmp_path / "TSB"
    tsb.mkdir()
    for name, n in (("010_X_id_1_tr_4_1st_5.csv", 10), ("002_Y_id_1_tr_3_1st_4.csv", 8)):
        pd.DataFrame({"v": np.arange(n, dtype=float), "Label": np.r_[np.zeros(n - 1), 1]}).to_csv(
            tsb / name, index=False
        )
    ds = load_dataset(tsb)
    assert [e["name"] for e in ds.meta["entities"]] == ["002_Y_id_1_tr_3_1st_4", "010_X_id_1_tr_4_1st_5"]
    assert ds.train.shape == (7, 1) and ds.test.shape == (18, 1)

    tab = tmp_path / "tab"
    (tab / "uni_ts").mkdir(parents=True)
    rows = []
    for name, n in (("B.csv", 6), ("A.csv", 8)):
        long = pd.DataFrame(
            {
                "date": list(range(n)) * 2,
                "data": np.r_[np.arange(n), np.zeros(n)],
                "cols": ["v"] * n + ["label"] * n,
            }
        )
        long.to_csv(tab / "uni_ts" / name, index=False)
        rows.append({"file_name": name, "if_univariate": True, "train_lens": n // 2})
    pd.DataFrame(rows).to_csv(tab / "DETECT_META.csv", index=False)
    assert [d.name for d in load_collection(tab)] == ["tab/A", "tab/B"]
    assert load_dataset("A", root=tab).train.shape == (4, 1)


def test_constant_channels_reported_and_dropped_with_the_same_mask(tmp_path, caplog):
    folder = tmp_path / "c"
    folder.mkdir()
    train = np.c_[np.arange(10.0), np.full(10, 3.0), np.sin(np.arange(10.0))]
    test = np.c_[np.arange(6.0), np.arange(6.0), np.cos(np.arange(6.0))]
    np.save(folder / "train.npy", train)
    np.save(folder / "test.npy", test)
    np.save(folder / "test_label.npy", np.zeros(6, dtype=np.uint8))
    (folder / "meta.json").write_text('{"channels": ["a", "flat", "c"]}')
    with caplog.at_level(logging.INFO, logger="augury.data.loaders"):
        kept = load_dataset(folder)
    assert kept.meta["constant_channels"] == ["flat"] and kept.n_channels == 3
    assert "constant channel" in caplog.text and "flat" in caplog.text
    dropped = load_dataset(folder, drop_constant=True)
    assert dropped.channels == ["a", "c"] and dropped.meta["dropped_channels"] == ["flat"]
    np.testing.assert_allclose(dropped.test, test[:, [0, 2]], rtol=1e-6)
    np.testing.assert_allclose(dropped.train, train[:, [0, 2]], rtol=1e-6)
    np.save(folder / "train.npy", np.ones((10, 3)))
    with pytest.raises(DataError, match="every channel is constant over train"):
        load_dataset(folder, drop_constant=True)


def test_series_shorter_than_one_window(fleet):
    with pytest.raises(DataError, match=r"train.npy: series has 4 time steps; at least 100 are needed"):
        load_dataset(fleet / "FLEET" / "m-1", min_length=100)
    with pytest.raises(DataError, match="collection has 16 train / 23 test steps; at least 100"):
        load_dataset("FLEET", root=fleet, min_length=100)
    assert load_dataset("FLEET", root=fleet, min_length=6).train.shape == (16, 2)


def test_discover_datasets_is_cheap_and_complete(fleet):
    write_native(fleet / "ONE", 30, 20, n_channels=3, anomalies=(1, 2, 3, 4))
    csv = fleet / "PAIR"
    csv.mkdir()
    pd.DataFrame({"a": [1.0, 2.0]}).to_csv(csv / "train.csv", index=False)
    pd.DataFrame({"a": [1.0, 2.0], "label": [0, 1]}).to_csv(csv / "test.csv", index=False)
    (fleet / "README.md").write_text("not a dataset")
    infos = {i.name: i for i in discover_datasets(fleet)}
    assert list(infos) == ["FLEET", "ONE", "PAIR"]
    one = infos["ONE"]
    assert (one.kind, one.format, one.train_shape, one.test_shape, one.n_channels) == (
        "dataset",
        "native",
        (30, 3),
        (20, 3),
        3,
    )
    assert one.anomaly_ratio == pytest.approx(0.2)
    col = infos["FLEET"]
    assert (col.kind, col.n_entities, col.train_shape, col.test_shape) == ("collection", 3, (16, 2), (23, 2))
    assert col.anomaly_ratio == pytest.approx(3 / 23)
    assert infos["PAIR"].format == "csv" and infos["PAIR"].train_shape is None
    with pytest.raises(MissingResourceError, match="no data folder"):
        discover_datasets(fleet / "absent")


def test_resolve_root_from_argument_or_environment(fleet, monkeypatch):
    monkeypatch.delenv(DATA_ENV, raising=False)
    assert resolve_root(fleet) == fleet
    with pytest.raises(MissingResourceError, match=f"{DATA_ENV} is not set.*telemanom"):
        resolve_root()
    monkeypatch.setenv(DATA_ENV, str(fleet))
    assert resolve_root() == fleet


def test_bundled_example():
    ds = load_example()
    assert ds.name == "CalIt2" and ds.train.shape == (1008, 2) and ds.test.shape == (4032, 2)
    assert ds.channels == ["in_count", "out_count"]
    assert ds.anomaly_ratio == pytest.approx(0.034226, abs=1e-5)
    assert "CC BY 4.0" in ds.meta["attribution"] and "UCI" in ds.meta["attribution"]
    with pytest.raises(MissingResourceError, match="available"):
        load_example("nope")
