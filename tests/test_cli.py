"""The command line: happy paths, and user mistakes → exit code 2 with one line on stderr."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from augury.cli import main


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    captured = capsys.readouterr()
    return int(exc.value.code or 0), captured.out, captured.err


@pytest.fixture
def csv_pair(tmp_path, spike_series):
    train, test, spike = spike_series
    cols = ["a", "b", "c"]
    pd.DataFrame(train, columns=cols).to_csv(tmp_path / "train.csv", index=False)
    frame = pd.DataFrame(test, columns=cols)
    frame["label"] = 0
    frame.loc[spike, "label"] = 1
    frame.to_csv(tmp_path / "test.csv", index=False)
    return tmp_path, spike


def test_detect_writes_one_score_per_step(csv_pair, capsys):
    folder, spike = csv_pair
    out = folder / "scores.csv"
    code, stdout, _ = run(["detect", str(folder / "train.csv"), str(folder / "test.csv"), "--method", "knn",
                           "--out", str(out), "--threshold", "top:1", "--set", "n_neighbors=3",
                           "--save-model", str(folder / "model")], capsys)
    assert code == 0, stdout
    scores = pd.read_csv(out)
    assert len(scores) == 1000 and list(scores.columns) == ["step", "score", "anomaly"]
    assert scores["score"].idxmax() in range(spike - 16, spike + 16)
    assert scores.loc[spike, "anomaly"] == 1
    assert (folder / "model" / "config.json").exists()
    assert "auc_roc" in stdout


def test_bad_input_exit_2_one_line(csv_pair, capsys):
    folder, _ = csv_pair
    bad = pd.read_csv(folder / "test.csv").astype({"b": object})
    bad.loc[7, "b"] = "oops"
    bad.to_csv(folder / "bad.csv", index=False)
    code, _, err = run(["detect", str(folder / "train.csv"), str(folder / "bad.csv"), "-m", "pca",
                        "--out", str(folder / "s.csv")], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "'b'" in err and "Traceback" not in err
    assert not (folder / "s.csv").exists()
    code, _, err = run(["detect", str(folder / "missing.csv"), str(folder / "test.csv"), "-m", "pca"], capsys)
    assert code == 2 and "missing.csv" in err
    code, _, err = run(["detect", str(folder / "train.csv"), str(folder / "test.csv"), "-m", "nope"], capsys)
    assert code == 2 and "unknown detector" in err
    code, _, err = run(["detect", str(folder / "train.csv")], capsys)
    assert code == 2


def test_methods_and_datasets(tmp_path, capsys):
    code, out, _ = run(["methods"], capsys)
    assert code == 0 and "iforest" in out and "amad" in out
    ds = tmp_path / "toy"
    ds.mkdir()
    np.save(ds / "train.npy", np.zeros((50, 2), np.float32))
    np.save(ds / "test.npy", np.zeros((40, 2), np.float32))
    np.save(ds / "test_label.npy", (np.arange(40) % 10 == 0).astype(np.uint8))
    code, out, _ = run(["datasets", "--data-root", str(tmp_path)], capsys)
    assert code == 0 and "toy" in out and "10.00" in out


def test_demo_runs_and_plots(tmp_path, capsys):
    code, out, _ = run(["demo", "--out", str(tmp_path)], capsys)
    assert code == 0
    assert "iforest" in out and "pca" in out and "random_pa_f1" in out
    assert "95 % interval" in out and "[" in out  # random baseline: mean [2.5th, 97.5th percentile]
    assert (tmp_path / "iforest.png").stat().st_size > 1000


def test_console_script_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "augury.cli", "detect", str(tmp_path / "a.csv"),
                           str(tmp_path / "b.csv"), "-m", "pca"], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and proc.stderr.startswith("augury: error:")
