"""Events from scores (augury.events) and what `augury detect` prints about them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from augury.cli import main
from augury.errors import DataError
from augury.events import flag_warning, to_events


def test_runs_become_events_with_peak_and_mean():
    s = np.array([0, 5, 6, 0, 0, 7, 0, 0, 0, 9, 8, 9.5])
    ev = to_events(s, 1.0)
    assert ev[["start", "end", "length"]].values.tolist() == [[1, 2, 2], [5, 5, 1], [9, 11, 3]]
    assert ev["peak"].tolist() == [6.0, 7.0, 9.5]
    assert ev["peak_step"].tolist() == [2, 5, 11]
    assert ev["mean"].tolist() == pytest.approx([5.5, 7.0, 26.5 / 3])
    assert ev["start_time"].tolist() == [1, 5, 9]  # no timestamps: the step indices


def test_min_gap_merges_and_min_length_drops():
    s = np.array([0, 5, 6, 0, 0, 7, 0, 0, 0, 9, 8, 9.5])
    assert to_events(s, 1.0, min_gap=2)[["start", "end"]].values.tolist() == [[1, 5], [9, 11]]
    assert to_events(s, 1.0, min_length=2)["start"].tolist() == [1, 9]
    assert to_events(np.zeros(5), 1.0).empty


def test_timestamps_give_times_and_durations():
    ts = pd.date_range("2024-01-01", periods=6, freq="5min").strftime("%Y-%m-%d %H:%M:%S")
    ev = to_events([0, 2, 2, 2, 0, 0], 1.0, timestamps=ts)
    assert str(ev.loc[0, "start_time"]) == "2024-01-01 00:05:00"
    assert str(ev.loc[0, "end_time"]) == "2024-01-01 00:15:00"
    assert ev.loc[0, "duration"] == pd.Timedelta("15min")  # three 5-minute steps
    with pytest.raises(DataError, match="3 values for 6 scores"):
        to_events(np.zeros(6), 1.0, timestamps=ts[:3])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=1, max_size=200), st.floats(-5, 5))
def test_events_cover_exactly_the_flagged_steps(values, threshold):
    s = np.asarray(values)
    ev = to_events(s, threshold)
    covered = np.zeros(s.size, dtype=bool)
    for a, b in zip(ev["start"], ev["end"], strict=True):
        covered[a : b + 1] = True
    assert np.array_equal(covered, s > threshold)
    assert (ev["start"].to_numpy()[1:] > ev["end"].to_numpy()[:-1] + 1).all()  # maximal runs


def test_flag_warning_names_saturation_and_units():
    train = np.concatenate([np.linspace(0, 1, 90), np.ones(10)])
    msg = flag_warning(np.full(20, 1.0), 1.0, train)
    assert "saturate at the training maximum" in msg and "--calibrated" in msg
    msg = flag_warning(np.full(20, 5.0), 3.2, np.full(50, 10.0))
    assert "every step is flagged" in msg and "below every training score" in msg
    assert flag_warning(np.array([0.0, 2.0]), 1.0, train) is None


def test_detect_on_nab_like_csv_prints_threshold_flags_and_events(tmp_path, capsys):
    rng = np.random.default_rng(1)
    t = np.arange(1500)
    value = np.sin(2 * np.pi * t / 96) + 0.05 * rng.normal(size=t.size)
    value[1300:1305] += 8.0
    stamps = pd.date_range("2014-02-14 14:30", periods=t.size, freq="5min").strftime("%Y-%m-%d %H:%M:%S")
    frame = pd.DataFrame({"timestamp": stamps, "value": value})
    frame.iloc[:1000].to_csv(tmp_path / "train.csv", index=False)
    frame.iloc[1000:].to_csv(tmp_path / "test.csv", index=False)
    events = tmp_path / "events.csv"
    with pytest.raises(SystemExit) as exc:
        main(["detect", str(tmp_path / "train.csv"), str(tmp_path / "test.csv"), "-m", "pca",
              "--out", str(tmp_path / "scores.csv"), "--events", str(events), "--min-gap", "2"])
    out = capsys.readouterr().out
    assert exc.value.code == 0, out
    assert "threshold:" in out and "top:1 of train scores" in out
    assert "flagged:" in out and "events" in out
    table = pd.read_csv(events)
    assert len(table) >= 1 and list(table.columns)[:4] == ["start", "end", "start_time", "end_time"]
    hit = table[(table["start"] <= 305) & (table["end"] >= 300)]
    assert len(hit) == 1
    assert hit["start_time"].iloc[0] in out  # the printed top events carry the timestamps
    n_flagged = int((pd.read_csv(tmp_path / "scores.csv")["score"] > float(out.split("threshold: ")[1].split()[0])).sum())
    assert f"flagged: {n_flagged} of 500 steps" in out
    assert table["length"].sum() >= n_flagged - 2 * len(table)  # merged gaps only add steps


def test_detect_warns_when_nothing_is_flagged(tmp_path, capsys, spike_series):
    train, test, _ = spike_series
    pd.DataFrame(train).to_csv(tmp_path / "train.csv", index=False)
    pd.DataFrame(test).to_csv(tmp_path / "test.csv", index=False)
    with pytest.raises(SystemExit) as exc:
        main(["detect", str(tmp_path / "train.csv"), str(tmp_path / "test.csv"), "-m", "pca",
              "--out", str(tmp_path / "s.csv"), "--threshold", "fixed:1e30"])
    captured = capsys.readouterr()
    assert exc.value.code == 0
    assert "flagged: 0 of 1000 steps" in captured.out
    assert "warning: no step is flagged" in captured.err
