"""Timestamp hygiene: rows out of order are refused (or sorted), gaps warned about, common names found."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from augury.cli import main
from augury.data.formats import read_series
from augury.data.timestamps import TimestampWarning, check_order
from augury.errors import DataError


def _frame(n: int = 300, column: str = "timestamp") -> pd.DataFrame:
    rng = np.random.default_rng(0)
    stamps = pd.date_range("2024-03-01", periods=n, freq="1min").strftime("%Y-%m-%d %H:%M:%S")
    return pd.DataFrame({column: stamps, "value": np.sin(np.arange(n) / 7) + 0.1 * rng.normal(size=n)})


@pytest.mark.parametrize("name", ["ts", "time", "_time", "@timestamp", "datetime", "date", "Timestamp"])
def test_common_timestamp_names_are_recognised(tmp_path, name):
    _frame(column=name).to_csv(tmp_path / "x.csv", index=False)
    table = read_series(tmp_path / "x.csv")
    assert table.timestamp_column == name and table.channels == ["value"]


def test_unknown_time_column_hint_names_the_python_argument(tmp_path):
    _frame(column="when").to_csv(tmp_path / "x.csv", index=False)
    with pytest.raises(DataError, match=r"column 'when' holds timestamps.*timestamp_column='when'"):
        read_series(tmp_path / "x.csv")
    assert read_series(tmp_path / "x.csv", timestamp_column="when").channels == ["value"]


def test_out_of_order_and_duplicates_are_refused_unless_sorted(tmp_path):
    frame = _frame()
    frame.iloc[::-1].to_csv(tmp_path / "rev.csv", index=False)
    with pytest.raises(DataError, match=r"not increasing: line 3 .* is earlier than line 2.*sort=True"):
        read_series(tmp_path / "rev.csv")
    table = read_series(tmp_path / "rev.csv", sort=True)
    np.testing.assert_allclose(table.values[:, 0], frame["value"].to_numpy(dtype=np.float32))
    pd.concat([frame.iloc[:5], frame.iloc[4:]]).to_csv(tmp_path / "dup.csv", index=False)
    with pytest.raises(DataError, match="line 7 .* repeats line 6"):
        read_series(tmp_path / "dup.csv")
    with pytest.warns(TimestampWarning, match="1 duplicated timestamps"):
        read_series(tmp_path / "dup.csv", sort=True)


def test_gaps_in_a_regular_series_are_counted():
    stamps = pd.Series(pd.date_range("2024-01-01", periods=100, freq="5min"))
    gappy = pd.concat([stamps.iloc[:30], stamps.iloc[33:60], stamps.iloc[70:]])
    with pytest.warns(TimestampWarning, match=r"2 gaps .*about 13 missing steps"):
        check_order(gappy, "x.csv", "timestamp", sort=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_order(stamps, "x.csv", "timestamp", sort=False) is None
        assert check_order(["a", "c", "b"], "x.csv", "label", sort=False) is None  # free-form: unchecked


def test_cli_unsorted_exit_2_one_line_and_sort_fixes_it(tmp_path, capsys):
    frame = _frame(600)
    frame.iloc[:400].to_csv(tmp_path / "train.csv", index=False)
    test = frame.iloc[400:].sample(frac=1.0, random_state=0)
    test.to_csv(tmp_path / "test.csv", index=False)
    argv = ["detect", str(tmp_path / "train.csv"), str(tmp_path / "test.csv"), "-m", "iforest",
            "--out", str(tmp_path / "s.csv")]
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1
    assert "not increasing" in err and "--sort" in err and "sort=True" not in err
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--sort"])
    assert exc.value.code == 0
    scores = pd.read_csv(tmp_path / "s.csv")
    assert len(scores) == 200 and scores["timestamp"].is_monotonic_increasing
    (frame.drop(index=range(450, 460))).to_csv(tmp_path / "gappy.csv", index=False)
    with pytest.raises(SystemExit) as exc:
        main([*argv[:2], str(tmp_path / "gappy.csv"), *argv[3:]])
    err = capsys.readouterr().err
    assert exc.value.code == 0 and "augury: warning:" in err and "1 gaps" in err
