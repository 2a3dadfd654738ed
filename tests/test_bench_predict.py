"""``augury bench --task predict``: early-warning rows with window metrics and the AUC interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import typer
from typer.testing import CliRunner

from augury.cli.bench import bench_command
from augury.errors import AuguryError


def invoke(*args: str):
    app = typer.Typer()
    app.command("bench")(bench_command)
    app.command("noop")(lambda: None)
    return CliRunner().invoke(app, ["bench", *args])


def test_bench_predict_fills_window_metrics(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "data" / "EW"
    folder.mkdir(parents=True)
    x = rng.normal(size=(3000, 2)).astype(np.float32)
    labels = np.zeros(2000, dtype=np.uint8)
    labels[rng.choice(2000, 30, replace=False)] = 1
    np.save(folder / "train.npy", x[:1000])
    np.save(folder / "test.npy", x[1000:])
    np.save(folder / "test_label.npy", labels)
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
