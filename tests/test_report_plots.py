"""plot_scores: a PNG per run with anomaly segments shaded and the threshold drawn."""

from __future__ import annotations

import numpy as np
import pytest

from augury.errors import DataError
from augury.report.plots import anomaly_segments, plot_scores

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_plot_scores_writes_a_png_atomically(tmp_path):
    scores = np.sin(np.arange(300) / 7.0)
    labels = np.zeros(300, dtype=np.uint8)
    labels[100:120] = 1
    labels[250] = 1
    out = plot_scores(tmp_path / "sub" / "run.png", scores, labels, threshold=0.9, title="t")
    assert out == tmp_path / "sub" / "run.png"
    data = out.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 5000
    assert [p.name for p in out.parent.iterdir()] == ["run.png"]  # no temporary file left behind


def test_plot_scores_accepts_train_prefix_and_missing_labels(tmp_path):
    scores = np.random.default_rng(0).random(500)
    labels_test_only = (np.arange(300) % 50 == 0).astype(int)
    a = plot_scores(tmp_path / "a.png", scores, labels_test_only, threshold=None, train_len=200)
    b = plot_scores(tmp_path / "b.png", scores, None, train_len=200)
    assert a.read_bytes().startswith(PNG_MAGIC) and b.read_bytes().startswith(PNG_MAGIC)


def test_plot_scores_rejects_labels_of_the_wrong_length(tmp_path):
    with pytest.raises(DataError, match="7 labels for 10 scores"):
        plot_scores(tmp_path / "x.png", np.zeros(10), np.zeros(7))
    assert not (tmp_path / "x.png").exists()


def test_anomaly_segments_are_half_open_runs_of_ones():
    assert anomaly_segments(np.array([1, 1, 0, 0, 1, 0, 1])) == [(0, 2), (4, 5), (6, 7)]
    assert anomaly_segments(np.zeros(5)) == []


def test_plot_scores_draws_signal_panels_on_timestamps_with_events(tmp_path):
    t = 400
    rng = np.random.default_rng(0)
    signal = rng.normal(size=(t, 3))
    stamps = np.datetime64("2014-04-01T00:00") + np.arange(t) * np.timedelta64(5, "m")
    scores = rng.random(t)
    labels = (np.arange(t) // 50 == 3).astype(np.uint8)
    plain = plot_scores(tmp_path / "plain.png", scores, labels, threshold=0.9)
    full = plot_scores(tmp_path / "full.png", scores, labels, threshold=0.9, signal=signal,
                       channel_names=["cpu", "mem", "disk"], timestamps=stamps, events=[(10, 12), (200, 230)])
    import matplotlib.image as mpimg

    # One panel per channel above the scores: the figure is taller than the score-only one.
    assert mpimg.imread(full).shape[0] > mpimg.imread(plain).shape[0] + 250
    with pytest.raises(DataError, match="5 timestamps for 400 scores"):
        plot_scores(tmp_path / "bad.png", scores, labels, timestamps=stamps[:5])
