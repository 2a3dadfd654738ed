"""Round trips for every on-disk layout, on small files written in that layout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from augury.data.formats import (
    detect_format,
    load_csv_pair,
    read_anomaly_transformer,
    read_native,
    read_psm,
    read_series,
    read_swat,
    read_tab,
    read_table,
    read_tsbad,
)
from augury.errors import DataError

RNG = np.random.default_rng(0)
TRAIN = RNG.normal(size=(40, 3)).astype(np.float32)
TEST = RNG.normal(size=(30, 3)).astype(np.float32)
LABELS = (np.arange(30) % 7 == 0).astype(np.uint8)


def write_native(folder, train=TRAIN, test=TEST, labels=LABELS, train_labels=None):
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "train.npy", train)
    np.save(folder / "test.npy", test)
    np.save(folder / "test_label.npy", labels)
    if train_labels is not None:
        np.save(folder / "train_label.npy", train_labels)
    return folder


def test_native_round_trip_with_meta_channel_names(tmp_path):
    folder = write_native(tmp_path / "toy", train_labels=np.zeros(40, dtype=np.uint8))
    (folder / "meta.json").write_text('{"channels": ["a", "b", "c"], "source": "unit test"}')
    ds = read_native(folder)
    np.testing.assert_array_equal(ds.train, TRAIN)
    np.testing.assert_array_equal(ds.test, TEST)
    np.testing.assert_array_equal(ds.test_labels, LABELS)
    assert ds.train_labels is not None and ds.train_labels.shape == (40,)
    assert ds.channels == ["a", "b", "c"] and ds.name == "toy"
    assert ds.meta["manifest"]["source"] == "unit test" and detect_format(folder) == "native"


def test_native_rejects_pickled_objects(tmp_path):
    folder = write_native(tmp_path / "toy")
    np.save(folder / "test.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="test.npy"):
        read_native(folder)


def test_anomaly_transformer_layout(tmp_path):
    for name in ("SMAP",):
        np.save(tmp_path / f"{name}_train.npy", TRAIN.astype(np.float64))
        np.save(tmp_path / f"{name}_test.npy", TEST)
        np.save(tmp_path / f"{name}_test_label.npy", LABELS.astype(bool))
    assert detect_format(tmp_path) == "at"
    ds = read_anomaly_transformer(tmp_path)
    assert ds.name == "SMAP" and ds.train.dtype == np.float32 and ds.test_labels.dtype == np.uint8
    np.testing.assert_array_equal(ds.test_labels, LABELS)
    np.save(tmp_path / "MSL_train.npy", TRAIN)
    np.save(tmp_path / "MSL_test.npy", TEST)
    with pytest.raises(DataError, match="exactly one"):
        read_anomaly_transformer(tmp_path)
    with pytest.raises(DataError, match="MSL_test_label.npy"):
        read_anomaly_transformer(tmp_path, prefix="MSL")


def write_psm(folder, train=TRAIN, test=TEST, labels=LABELS):
    folder.mkdir(parents=True, exist_ok=True)
    cols = [f"feature_{i}" for i in range(train.shape[1])]
    tr = pd.DataFrame(train, columns=cols)
    tr.insert(0, "timestamp_(min)", np.arange(len(train)))
    te = pd.DataFrame(test, columns=[f"feature_{i}" for i in range(test.shape[1])])
    te.insert(0, "timestamp_(min)", np.arange(len(test)) + len(train))
    tr.to_csv(folder / "train.csv", index=False)
    te.to_csv(folder / "test.csv", index=False)
    pd.DataFrame({"timestamp_(min)": te["timestamp_(min)"], "label": labels}).to_csv(
        folder / "test_label.csv", index=False
    )
    return folder


def test_psm_round_trip_drops_the_timestamp(tmp_path):
    folder = write_psm(tmp_path / "PSM")
    assert detect_format(folder) == "psm"
    ds = read_psm(folder)
    np.testing.assert_allclose(ds.train, TRAIN, rtol=1e-6)
    np.testing.assert_allclose(ds.test, TEST, rtol=1e-6)
    np.testing.assert_array_equal(ds.test_labels, LABELS)
    assert ds.channels == ["feature_0", "feature_1", "feature_2"]
    assert ds.meta["dropped_columns"] == ["timestamp_(min)"]


def test_psm_nan_in_train_error_or_repaired(tmp_path):
    train = TRAIN.copy()
    train[5, 1] = np.nan
    folder = write_psm(tmp_path / "PSM", train=train)
    with pytest.raises(DataError, match=r"train\.csv: column 'feature_1' row 5 is NaN"):
        read_psm(folder)
    assert read_psm(folder, nan_policy="zero").train[5, 1] == 0.0
    fixed = read_psm(folder, nan_policy="interpolate").train
    assert fixed[5, 1] == pytest.approx((TRAIN[4, 1] + TRAIN[6, 1]) / 2, rel=1e-5)


def test_swat_label_in_last_column_train_labels_ignored(tmp_path):
    cols = ["FIT101", "LIT101", "MV101", "Normal/Attack"]
    pd.DataFrame(np.c_[TRAIN, np.ones(40)], columns=cols).to_csv(tmp_path / "swat_train2.csv", index=False)
    pd.DataFrame(np.c_[TEST, LABELS], columns=cols).to_csv(tmp_path / "swat2.csv", index=False)
    assert detect_format(tmp_path) == "swat"
    ds = read_swat(tmp_path)
    assert ds.channels == cols[:3] and ds.train_labels is None
    np.testing.assert_array_equal(ds.test_labels, LABELS)
    np.testing.assert_allclose(ds.test, TEST, rtol=1e-6)


def write_tab(root, name="Toy.csv", train_lens=40, n=70, meta_rows=None):
    (root / "multi_ts").mkdir(parents=True, exist_ok=True)
    values = np.r_[TRAIN, TEST][:n]
    labels = np.r_[np.zeros(40, dtype=np.uint8), LABELS][:n]
    dates = pd.date_range("2024-01-01", periods=n, freq="h").astype(str)
    # Channel order of first appearance is z, a, y (not alphabetical); label block last.
    blocks = [("z", values[:, 0]), ("a", values[:, 1]), ("y", values[:, 2]), ("label", labels)]
    long = pd.concat([pd.DataFrame({"date": dates, "data": v, "cols": c}) for c, v in blocks])
    long.to_csv(root / "multi_ts" / name, index=False)
    meta = meta_rows or [
        {"file_name": name, "if_univariate": False, "train_lens": train_lens, "size": "small"}
    ]
    pd.DataFrame(meta).to_csv(root / "DETECT_META.csv", index=False)
    return root / "multi_ts" / name


def test_tab_long_csv_reshaped_in_first_appearance_order_and_split(tmp_path):
    path = write_tab(tmp_path / "tab")
    assert detect_format(path) == "tab"
    ds = read_tab(path)
    assert ds.channels == ["z", "a", "y"] and ds.name == "Toy"
    np.testing.assert_allclose(ds.train, TRAIN, rtol=1e-6)
    np.testing.assert_allclose(ds.test, TEST, rtol=1e-6)
    np.testing.assert_array_equal(ds.test_labels, LABELS)
    assert ds.train_labels is not None and not ds.train_labels.any()


def test_tab_bad_train_lens_and_non_numeric_data(tmp_path):
    path = write_tab(tmp_path / "tab", train_lens=500)
    with pytest.raises(DataError, match=r"DETECT_META.csv: column 'train_lens' row 0 is 500"):
        read_tab(path)
    path = write_tab(tmp_path / "tab2")
    long = pd.read_csv(path)
    long["data"] = long["data"].astype(object)
    long.loc[75, "data"] = "oops"
    long.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"Toy.csv: column 'data' row 75 is 'oops' \(channel 'a'\)"):
        read_tab(path)


def test_tsbad_train_is_prefix_and_test_is_whole_series(tmp_path):
    values = np.r_[TRAIN, TEST]
    labels = np.r_[np.zeros(40, dtype=np.uint8), LABELS]
    path = tmp_path / "002_MSL_id_1_Sensor_tr_25_1st_42.csv"
    df = pd.DataFrame(values, columns=["0", "1", "2"]).assign(Label=labels)
    df.to_csv(path, index=False)
    assert detect_format(path) == "tsbad"
    ds = read_tsbad(path)
    np.testing.assert_allclose(ds.train, values[:25], rtol=1e-6)
    np.testing.assert_allclose(ds.test, values, rtol=1e-6)
    np.testing.assert_array_equal(ds.test_labels, labels)
    assert ds.meta["train_len"] == 25 and ds.channels == ["0", "1", "2"]
    df.drop(columns=["Label"]).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"missing column\(s\) \['Label'\]"):
        read_tsbad(path)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_plain_table_pair_with_timestamp_and_auto_label(tmp_path, suffix):
    def frame(x, labels=None):
        df = pd.DataFrame(x, columns=["p", "q", "r"])
        df.insert(0, "timestamp", pd.date_range("2024-01-01", periods=len(x), freq="min").astype(str))
        if labels is not None:
            df["is_anomaly"] = labels
        return df

    def write(df, path):
        df.to_csv(path, index=False) if suffix == ".csv" else df.to_parquet(path, index=False)

    write(frame(TRAIN), tmp_path / f"train{suffix}")
    write(frame(TEST, LABELS), tmp_path / f"test{suffix}")
    assert detect_format(tmp_path) == suffix[1:]
    ds = load_csv_pair(tmp_path / f"train{suffix}", tmp_path / f"test{suffix}")
    assert ds.channels == ["p", "q", "r"] and ds.train_labels is None
    np.testing.assert_array_equal(ds.test_labels, LABELS)
    np.testing.assert_allclose(ds.test, TEST, rtol=1e-6)
    assert ds.meta["timestamp_column"] == "timestamp" and len(ds.meta["test_index"]) == 30

    values, labels, channels = read_series(tmp_path / f"test{suffix}")
    assert values.shape == (30, 3) and channels == ["p", "q", "r"]
    np.testing.assert_array_equal(labels, LABELS)
    values, labels, _ = read_series(tmp_path / f"train{suffix}")
    assert labels is None and values.dtype == np.float32
    series = read_series(tmp_path / f"test{suffix}")
    assert series.index.name == "timestamp" and series.index[0] == "2024-01-01 00:00:00"


def test_read_series_explicit_columns_and_npy(tmp_path):
    df = pd.DataFrame({"when": range(30), "v": TEST[:, 0], "anom": LABELS})
    df.to_csv(tmp_path / "s.csv", index=False)
    table = read_table(tmp_path / "s.csv", label_column="anom", timestamp_column="when")
    assert table.channels == ["v"] and list(table.index) == list(range(30))
    np.testing.assert_array_equal(table.labels, LABELS)
    with pytest.raises(DataError, match="no column 'missing'"):
        read_series(tmp_path / "s.csv", label_column="missing")
    np.save(tmp_path / "x.npy", TEST[:, 0])
    values, labels, channels = read_series(tmp_path / "x.npy")
    assert values.shape == (30, 1) and labels is None and channels == ["ch0"]
    assert read_series(tmp_path / "x.npy").index.equals(pd.RangeIndex(30))


def test_parquet_stored_datetime_index_is_kept(tmp_path):
    idx = pd.date_range("2024-01-01", periods=30, freq="min", name="at")
    pd.DataFrame({"v": TEST[:, 0], "label": LABELS}, index=idx).to_parquet(tmp_path / "s.parquet")
    table = read_table(tmp_path / "s.parquet")
    assert table.channels == ["v"] and table.index.equals(idx)


def test_pair_without_test_labels_is_an_error(tmp_path):
    pd.DataFrame(TRAIN, columns=list("abc")).to_csv(tmp_path / "train.csv", index=False)
    pd.DataFrame(TEST, columns=list("abc")).to_csv(tmp_path / "test.csv", index=False)
    with pytest.raises(DataError, match="test.csv: no label column"):
        load_csv_pair(tmp_path / "train.csv", tmp_path / "test.csv")


def test_pair_with_different_column_names_is_an_error(tmp_path):
    pd.DataFrame(TRAIN, columns=list("abc")).to_csv(tmp_path / "train.csv", index=False)
    pd.DataFrame(TEST, columns=list("abd")).assign(label=LABELS).to_csv(tmp_path / "test.csv", index=False)
    with pytest.raises(DataError, match=r"test.csv: column 2 is 'd' but in .*train.csv it is 'c'"):
        load_csv_pair(tmp_path / "train.csv", tmp_path / "test.csv")


def test_unsupported_and_unparseable_files(tmp_path):
    (tmp_path / "x.txt").write_text("1,2\n")
    with pytest.raises(DataError, match="unsupported file type"):
        read_series(tmp_path / "x.txt")
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(DataError, match="bad.parquet: cannot read as Parquet"):
        read_series(tmp_path / "bad.parquet")
    with pytest.raises(DataError, match="no such file"):
        read_series(tmp_path / "absent.csv")
