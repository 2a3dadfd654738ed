"""``augury bench --task predict``: early-warning rows with window metrics and the AUC interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from augury.cli.bench import bench_command
from augury.errors import AuguryError


def invoke(*args: str):
    app = typer.Typer()
    app.command("bench")(bench_command)
    app.command("noop")(lambda: None)
    return CliRunner().invoke(app, ["bench", *args])


def _noise_dataset(folder, seed: int) -> None:
    """1,000 train and 2,000 test steps of noise with 30 labelled test steps."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    x = rng.normal(size=(3000, 2)).astype(np.float32)
    labels = np.zeros(2000, dtype=np.uint8)
    labels[rng.choice(2000, 30, replace=False)] = 1
    np.save(folder / "train.npy", x[:1000])
    np.save(folder / "test.npy", x[1000:])
    np.save(folder / "test_label.npy", labels)


def test_bench_predict_fills_window_metrics(tmp_path):
    _noise_dataset(tmp_path / "data" / "EW", 0)
    out = tmp_path / "out"
    res = invoke("--dataset", "EW", "--method", "random,detect-now:iforest", "--task", "predict", "--seeds", "2",
                 "--data-root", str(tmp_path / "data"), "--out", str(out), "--compare-paper")
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "results.csv")
    runs = table[table["status"] == "ok"]
    assert len(runs) == 4 and set(runs["method"]) == {"random", "detect-now:iforest"}
    for col in ("win_precision", "win_recall", "win_f1", "win_auc", "win_auc_ci_low", "win_auc_ci_high"):
        assert runs[col].notna().all(), col
    assert (runs["n_test"] == 5).all()  # 19 samples: 11 / 3 / 5 and (table["status"] == "seed_mean").sum() == 2


def test_bench_predict_rejects_a_detector_name(tmp_path):
    res = invoke("--dataset", "EW", "--method", "iforest", "--task", "predict", "--data-root", str(tmp_path))
    assert isinstance(res.exception, AuguryError) and "detect-now:iforest" in str(res.exception)


def test_compare_paper_matches_mtsjepa_window_metrics():
    from augury.bench.paper import add_paper_columns

    df = pd.DataFrame({"dataset": ["MSL"], "method": ["mtsjepa"], "win_auc": [0.5], "win_f1": [0.2]})
    out = add_paper_columns(df)
    assert out["paper_win_auc"].iloc[0] == 0.6608 and abs(out["ratio_win_auc"].iloc[0] - 0.5 / 0.6608) < 1e-9
    assert out["paper_win_f1"].iloc[0] == 0.3358


def test_predict_runs_look_like_predict_runs(tmp_path):
    """Terminal title, report leaderboard (no "no detection runs"), δ* and window/risk axes."""
    from unittest import mock

    from augury.report import html as report_html

    _noise_dataset(tmp_path / "data" / "EW", 1)
    out = tmp_path / "out"
    res = invoke("--dataset", "EW", "--method", "random", "--task", "predict", "--data-root", str(tmp_path / "data"),
                 "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "early-warning results" in res.output and "detection results" not in res.output
    assert "persistence" in res.output and "pa_f1" not in res.output
    real = report_html.plot_scores
    with mock.patch.object(report_html, "plot_scores", side_effect=real) as plot:
        page = report_html.build_report(out).read_text()
    kwargs = plot.call_args.kwargs
    assert kwargs["threshold_name"] == "δ*" and kwargs["ylabel"] == "risk of the next window"
    assert kwargs["xlabel"].startswith("test window")
    assert "No finished" not in page and "<h3>Early warning</h3>" in page and "<h3>Detection</h3>" not in page
    verdict = page[page.index("Leaderboard"): page.index("<h2>Details</h2>")]
    for column in ("win_auc", "win_auc_ci_low", "mean_lead_steps", "false_warnings_per_1000", "persistence_win_auc"):
        assert f">{column}<" in verdict, column


def _spanned(folder, rng):
    """A single dataset whose manifest lists two entities (MSL's layout), 1,500 + 1,000 test steps."""
    import json

    folder.mkdir(parents=True)
    np.save(folder / "train.npy", rng.normal(size=(1200, 2)).astype(np.float32))
    np.save(folder / "test.npy", rng.normal(size=(2500, 2)).astype(np.float32))
    labels = np.zeros(2500, dtype=np.uint8)
    for start in (250, 700, 1300, 1900, 2300):
        labels[start: start + 30] = 1
    np.save(folder / "test_label.npy", labels)
    spans = [{"chan": "A", "train_start": 0, "train_len": 600, "test_start": 0, "test_len": 1500},
             {"chan": "B", "train_start": 600, "train_len": 600, "test_start": 1500, "test_len": 1000}]
    (folder / "manifest.json").write_text(json.dumps({"channels": spans}))
    return labels


def test_bench_predict_entity_aware_and_onset_match_the_protocol(tmp_path):
    """``--protocol entity-aware --label-mode onset`` gives evaluate_predictor's numbers with the manifest's
    spans; each variant is its own run, seed mean and leaderboard table; no spans is a clear failure."""
    import augury
    from augury.early_warning.protocol import evaluate_predictor
    from augury.report.leaderboard import leaderboard

    rng = np.random.default_rng(2)
    labels = _spanned(tmp_path / "data" / "SAT", rng)
    out = tmp_path / "out"
    common = ("--dataset", "SAT", "--method", "detect-now:iforest", "--task", "predict", "--seeds", "2",
              "--data-root", str(tmp_path / "data"), "--out", str(out))
    for extra in ((), ("--protocol", "entity-aware"), ("--protocol", "entity-aware", "--label-mode", "onset")):
        res = invoke(*common, *extra)
        assert res.exit_code == 0, res.output
    from augury.bench.store import ResultStore

    table = ResultStore(out).table()
    runs = table[table["status"].eq("ok")]
    assert len(runs) == 6 and (table["status"] == "seed_mean").sum() == 3
    mine = runs[(runs["protocol"] == "entity-aware") & (runs["label_mode"] == "onset") & (runs["seed"] == 1)].iloc[0]
    ds = augury.load_dataset("SAT", tmp_path / "data")
    pred = augury.create_predictor("detect-now:iforest", "cpu", seed=1).fit(ds.train)
    m, _ = evaluate_predictor(pred, ds.test, labels, seed=1, label_mode="onset", spans=[(0, 1500), (1500, 1000)])
    assert m["entities"] == mine["entities"] == 2
    for k in ("win_auc", "n_test", "test_pos", "events", "false_warnings_per_1000"):
        assert mine[k] == pytest.approx(m[k], nan_ok=True), k
    assert set(leaderboard(table, "predict")) == {"SAT", "SAT (entity-aware)", "SAT (entity-aware) (onset labels)"}

    rng = np.random.default_rng(3)
    plain = tmp_path / "data" / "ONE"
    plain.mkdir()
    np.save(plain / "train.npy", rng.normal(size=(1000, 2)).astype(np.float32))
    np.save(plain / "test.npy", rng.normal(size=(1000, 2)).astype(np.float32))
    np.save(plain / "test_label.npy", (rng.random(1000) < 0.05).astype(np.uint8))
    res = invoke("--dataset", "ONE", "--method", "random", "--task", "predict", "--protocol", "entity-aware",
                 "--data-root", str(tmp_path / "data"), "--out", str(tmp_path / "out2"))
    failed = pd.read_csv(tmp_path / "out2" / "results.csv")
    assert failed["status"].iloc[0] == "failed" and "no entities" in failed["error"].iloc[0]
    for bad, message in ((("--task", "predict", "--protocol", "tsbad"), "protocol of --task detect"),
                         (("--protocol", "entity-aware"), "protocol of --task predict"),
                         (("--label-mode", "onset"), "needs --task predict"),
                         (("--task", "predict", "--label-mode", "soon"), "unknown --label-mode")):
        res = invoke("--dataset", "ONE", "--method", "random", "--data-root", str(tmp_path / "data"), *bad)
        assert isinstance(res.exception, AuguryError) and message in str(res.exception), bad
