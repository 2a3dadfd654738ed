"""``augury report``: a self-contained HTML page and one PNG per run, from a tiny results folder."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from augury.bench.grid import expand_grid, run_grid
from augury.cli.report import report_command
from augury.data.synthetic import make_synthetic
from augury.errors import DataError
from augury.report.html import best_mask


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    for name, labelled in (("CalIt2", True), ("Flat", False)):
        ds = make_synthetic(n_train=400, n_test=400, n_channels=2, n_anomalies=3, seed=len(name))
        (root / name).mkdir()
        np.save(root / name / "train.npy", ds.train)
        np.save(root / name / "test.npy", ds.test)
        np.save(root / name / "test_label.npy", ds.test_labels if labelled else 0 * ds.test_labels)
    (root / "Short").mkdir()  # 10 steps: pca (window 16) fails with a DataError, iforest (window 1) runs
    np.save(root / "Short" / "train.npy", np.random.default_rng(0).normal(size=(10, 2)).astype(np.float32))
    np.save(root / "Short" / "test.npy", np.random.default_rng(1).normal(size=(10, 2)).astype(np.float32))
    np.save(root / "Short" / "test_label.npy", (np.arange(10) == 4).astype(np.uint8))
    out = tmp_path_factory.mktemp("results")
    run_grid(expand_grid(["CalIt2", "Flat", "Short"], ["pca", "iforest"], data_root=root), out)
    return out


def invoke(*args: str):
    app = typer.Typer()
    app.command("report")(report_command)
    app.command("noop")(lambda: None)
    return CliRunner().invoke(app, ["report", *args])


def test_report_names_each_run_and_writes_its_plot(results_dir):
    res = invoke(str(results_dir))
    assert res.exit_code == 0, res.output
    page = (results_dir / "report.html").read_text(encoding="utf-8")
    ok_runs = sorted(p.stem for p in (results_dir / "scores").glob("*.npz"))
    assert len(ok_runs) == 5  # the anomaly-free series is scored too (false-alarm metrics)
    for run_id in ok_runs:
        png = results_dir / "plots" / f"{run_id}.png"
        assert png.stat().st_size > 1000 and png.read_bytes().startswith(b"\x89PNG")
        assert f'id="{run_id}"' in page and f"plots/{run_id}.png" in page
    assert "data:image/png;base64," not in page  # plots are linked files: the page stays small
    assert "<script" not in page
    # The verdict comes first: a leaderboard per dataset ranked by VUS-PR, beside chance.
    assert page.index("<h2>Leaderboard</h2>") < page.index("<h2>Details</h2>") < page.index("Scores over time")
    board = page[page.index("<h2>Leaderboard</h2>"):page.index("<h2>Details</h2>")]
    assert "<h3>CalIt2</h3>" in board and "random_vus_pr" in board and 'class="scroll"' in board
    flat = board[board.index("<h3>Flat</h3>"):]
    assert "paper_vus_pr" in board and "No published number for this dataset." in flat[:flat.index("<h3>", 5)]
    assert "rendered 5/5 plots" in res.output


def test_report_shows_failures_baseline_paper_numbers_and_best_marks(results_dir):
    invoke(str(results_dir))
    page = (results_dir / "report.html").read_text(encoding="utf-8")
    assert "Failed runs" in page and page.count("DataError") == 1  # pca on the 10-step series
    for column in ("auc_roc", "vus_pr", "pa_f1", "random_pa_f1", "paper_auc_roc"):
        assert f"<th class=\"\">{column}</th>" in page
    # pca on CalIt2 has a published AUC-ROC (VAN-AD, table II); it appears in the table.
    assert "0.790" in page
    # One best mark per threshold-free / PA metric of the single dataset with ok runs.
    assert len(re.findall(r'<td class="best">', page)) >= 5
    assert "at_percentile(train+test scores, 100-ar)" in page
    assert re.search(r'class="ci">\[\d\.\d{3}, \d\.\d{3}\]', page)  # random baseline's 95 % interval


def test_report_writes_to_another_folder_and_rejects_a_non_results_folder(results_dir, tmp_path):
    res = invoke(str(results_dir), "--out", str(tmp_path / "site"))
    assert res.exit_code == 0 and (tmp_path / "site" / "report.html").exists()
    assert len(list((tmp_path / "site" / "plots").glob("*.png"))) == 5
    res = invoke(str(tmp_path / "empty"))
    assert isinstance(res.exception, DataError) and "no results.jsonl" in str(res.exception)


def test_best_mask_marks_the_highest_ok_value_per_dataset_only():
    df = pd.DataFrame({
        "dataset": ["A", "A", "A", "B", "B"],
        "task": ["detect"] * 5,
        "status": ["ok", "ok", "failed", "ok", "aggregate"],
        "auc_pr": [0.2, 0.5, None, 0.1, 0.3],
    })
    assert list(best_mask(df, "auc_pr")) == [False, True, False, False, True]


def test_score_files_keep_the_top_channels_and_parsed_timestamps_for_the_plots():
    from augury.bench.worker import _plot_context, _timestamps
    from augury.data.dataset import Dataset

    rng = np.random.default_rng(0)
    train = rng.normal(size=(200, 5)).astype(np.float32)
    test = rng.normal(size=(100, 5)).astype(np.float32)
    test[50:55, 3] = 40.0  # channel d leaves its training range the most, then channel b
    test[60:70, 1] = 6.0
    stamps = pd.Index([f"2014-04-01 {h:02d}:{m:02d}:00" for h in range(10) for m in range(0, 60, 6)], name="timestamp")
    ds = Dataset("x", train, test, np.zeros(100, np.uint8), channels=list("abcde"), meta={"test_index": stamps})
    ctx = _plot_context(ds)
    assert ctx["signal"].shape == (100, 3) and ctx["channel_names"][:2].tolist() == ["d", "b"]
    assert ctx["timestamps"].dtype.kind == "M" and str(ctx["timestamps"][1]).startswith("2014-04-01T00:06")
    assert _timestamps(pd.Index(["host-a", "host-b"])) == {}


def test_report_plots_show_the_raw_signal_and_detected_events(results_dir):
    with np.load(next((results_dir / "scores").glob("CalIt2__iforest*.npz"))) as z:
        assert {"signal", "channel_names", "train_threshold"} <= set(z.files)
        assert z["signal"].shape == (z["scores"].size, 2)  # both channels of a 2-channel dataset
    assert invoke(str(results_dir)).exit_code == 0  # rendered here too: test order is not guaranteed under xdist
    page = (results_dir / "report.html").read_text()
    assert "events flagged by the detector" in page
