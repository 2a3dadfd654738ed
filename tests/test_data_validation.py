"""Every bad input raises DataError naming the file, the column and the row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from augury import load_dataset
from augury.data.formats import load_csv_pair, read_series
from augury.data.validation import check_labels, check_same_channels, check_series
from augury.errors import DataError


def write_native(folder, train, test, labels):
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "train.npy", np.asarray(train))
    np.save(folder / "test.npy", np.asarray(test))
    np.save(folder / "test_label.npy", np.asarray(labels))
    return folder


def good(n=10, c=2):
    return np.arange(n * c, dtype=np.float32).reshape(n, c)


def write_pair(tmp_path, train, test):
    train.to_csv(tmp_path / "train.csv", index=False)
    test.to_csv(tmp_path / "test.csv", index=False)
    return tmp_path / "train.csv", tmp_path / "test.csv"


def test_nan_names_file_column_row_and_policies_repair(tmp_path):
    test = good()
    test[4, 1] = np.nan
    folder = write_native(tmp_path / "d", good(), test, np.zeros(10, dtype=np.uint8))
    with pytest.raises(
        DataError, match=r"test.npy: channel 1 row 4 is NaN .*nan_policy='interpolate' or 'zero'"
    ):
        load_dataset(folder)
    assert load_dataset(folder, nan_policy="zero").test[4, 1] == 0.0
    assert load_dataset(folder, nan_policy="interpolate").test[4, 1] == pytest.approx(
        (test[3, 1] + test[5, 1]) / 2
    )
    for path in (folder, tmp_path / "absent"):
        with pytest.raises(DataError, match="unknown nan_policy 'drop'"):
            load_dataset(path, nan_policy="drop")


def test_nan_in_csv_names_the_column(tmp_path):
    df = pd.DataFrame(good(), columns=["speed", "temp"])
    df.loc[7, "temp"] = np.nan
    train, test = write_pair(tmp_path, df, pd.DataFrame(good(), columns=["speed", "temp"]).assign(label=0))
    with pytest.raises(DataError, match=r"train.csv: column 'temp' line 9 is NaN"):
        load_csv_pair(train, test)


def test_inf_is_always_an_error(tmp_path):
    train = good()
    train[2, 0] = np.inf
    folder = write_native(tmp_path / "d", train, good(), np.zeros(10, dtype=np.uint8))
    for policy in ("error", "zero", "interpolate"):
        with pytest.raises(DataError, match=r"train.npy: channel 0 row 2 is inf; expected finite values"):
            load_dataset(folder, nan_policy=policy)


def test_non_numeric_column_is_named(tmp_path):
    df = pd.DataFrame(good(), columns=["a", "b"])
    df["b"] = df["b"].astype(object)
    df.loc[3, "b"] = "n/a?"
    df.to_csv(tmp_path / "s.csv", index=False)
    with pytest.raises(DataError, match=r"s.csv: column 'b' is not numeric \(line 5: 'n/a\?'\)"):
        read_series(tmp_path / "s.csv")


def test_train_test_channel_mismatch(tmp_path):
    folder = write_native(tmp_path / "d", good(c=3), good(c=2), np.zeros(10, dtype=np.uint8))
    with pytest.raises(DataError, match=r"train.npy has 3 channels but .*test.npy has 2"):
        load_dataset(folder)
    (folder / "meta.json").write_text('{"channels": ["a", "b", "c"]}')
    with pytest.raises(DataError, match=r"train.npy has 3 channels but .*test.npy has 2"):
        load_dataset(folder)
    with pytest.raises(DataError, match="column 1 is 'x' but in train it is 'b'"):
        check_same_channels(["a", "b"], ["a", "x"])


def test_series_shorter_than_one_window(tmp_path):
    folder = write_native(tmp_path / "d", good(n=50), good(n=10), np.zeros(10, dtype=np.uint8))
    with pytest.raises(DataError, match=r"test.npy: series has 10 time steps; at least 20 are needed"):
        load_dataset(folder, min_length=20)
    with pytest.raises(DataError, match="at least 5"):
        check_series(np.zeros((3, 1)), min_length=5)


def test_labels_not_zero_one(tmp_path):
    labels = np.zeros(10, dtype=np.int64)
    labels[6] = 2
    folder = write_native(tmp_path / "d", good(), good(), labels)
    with pytest.raises(DataError, match=r"test_label.npy: label at row 6 is 2; expected 0 or 1"):
        load_dataset(folder)
    df = pd.DataFrame(good(), columns=["a", "b"]).assign(label=[0] * 9 + [0.5])
    train, test = write_pair(tmp_path, pd.DataFrame(good(), columns=["a", "b"]), df)
    with pytest.raises(DataError, match=r"test.csv column 'label': label at line 11 is 0.5"):
        load_csv_pair(train, test)


def test_labels_of_the_wrong_length(tmp_path):
    folder = write_native(tmp_path / "d", good(), good(), np.zeros(9, dtype=np.uint8))
    with pytest.raises(DataError, match=r"test_label.npy: has 9 labels for 10 time steps"):
        load_dataset(folder)
    folder = write_native(tmp_path / "e", good(), good(), np.zeros(10, dtype=np.uint8))
    np.save(folder / "train_label.npy", np.zeros(4, dtype=np.uint8))
    with pytest.raises(DataError, match=r"train_label.npy: has 4 labels for 10 time steps"):
        load_dataset(folder)


def test_wrong_dimensions(tmp_path):
    folder = write_native(tmp_path / "d", np.zeros((4, 3, 2)), good(), np.zeros(10, dtype=np.uint8))
    with pytest.raises(
        DataError, match=r"train.npy: expected a 2-D \[time, channels\] array, got shape \(4, 3, 2\)"
    ):
        load_dataset(folder)
    with pytest.raises(DataError, match="labels must be 1-D"):
        check_labels(np.zeros((3, 2)), 3)


def test_csv_messages_give_the_line_an_editor_shows(tmp_path):
    """1-based file lines, with blank lines and a quoted field spanning two lines counted as the file has them."""
    path = tmp_path / "m.csv"
    path.write_text('timestamp,note_a,b\n2024-01-01 00:00,1,2\n\n2024-01-01 00:05,"1\n",3\n2024-01-01 00:10,4,oops\n')
    with pytest.raises(DataError, match=r"m.csv: column 'b' is not numeric \(line 6: 'oops'\)"):
        read_series(path)


def test_a_sorted_csv_names_the_original_line(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("timestamp,a\n2024-01-01 00:10,1\n2024-01-01 00:05,2\n2024-01-01 00:15,\n")
    with pytest.raises(DataError, match=r"column 'a' line 4 is NaN"):
        read_series(path, sort=True)


def test_npy_messages_keep_the_array_index(tmp_path):
    x = np.ones((6, 2))
    x[4, 1] = np.nan
    np.save(tmp_path / "x.npy", x)
    with pytest.raises(DataError, match=r"channel 1 row 4 is NaN|column 'ch1' row 4 is NaN"):
        read_series(tmp_path / "x.npy")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.booleans()), min_size=1, max_size=12))
def test_csv_line_counts_blank_and_multiline_rows(rows):
    """``csv_line`` agrees with a hand count over random blank lines and two-line quoted fields."""
    import tempfile
    from pathlib import Path

    from augury.data.formats.common import csv_line

    text, line, expected = "a,b\n", 2, []
    for blanks, multiline in rows:
        text += "\n" * blanks
        line += blanks
        expected.append(line)
        text += '"x\ny",1\n' if multiline else "x,1\n"
        line += 2 if multiline else 1
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "c.csv"
        path.write_text(text)
        assert [csv_line(path, r) for r in range(len(rows))] == expected
        assert csv_line(path, len(rows)) is None
