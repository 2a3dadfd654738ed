"""``augury predict``: per-window risk CSV, and bad input → exit 2 with one line naming the problem."""

from __future__ import annotations

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
def files(tmp_path):
    rng = np.random.default_rng(0)
    t = np.arange(2000)
    x = np.stack([np.sin(t / 3.0), np.cos(t / 7.0)], axis=1) + 0.1 * rng.normal(size=(2000, 2))
    np.save(tmp_path / "train.npy", x[:1000].astype(np.float32))
    np.save(tmp_path / "test.npy", x[1000:].astype(np.float32))
    labels = np.zeros(1000, dtype=np.uint8)
    labels[rng.choice(1000, 60, replace=False)] = 1
    np.save(tmp_path / "labels.npy", labels)
    return tmp_path


def test_predict_writes_window_risk_with_step_spans(files, capsys):
    out = files / "risk.csv"
    code, _, err = run(["predict", str(files / "train.npy"), str(files / "test.npy"), "--labels",
                        str(files / "labels.npy"), "--method", "rawfeat", "--set", "window=20",
                        "--set", "head_epochs=2", "--out", str(out), "--save-model", str(files / "m")], capsys)
    assert code == 0, err
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["window", "start", "end", "risk", "warning", "next_label", "split"]
    assert len(frame) == 50 and frame["start"].iloc[1] == 20 and frame["end"].iloc[-1] == 1000
    assert set(frame["split"]) == {"head_train", "val", "test"} and frame["next_label"].iloc[-1] == -1
    assert "window AUC" in err
    code, _, err = run(["predict", str(files / "train.npy"), str(files / "test.npy"), "--model", str(files / "m"),
                        "--out", str(files / "again.csv")], capsys)
    assert code == 0, err
    np.testing.assert_allclose(pd.read_csv(files / "again.csv")["risk"], frame["risk"])


def test_predict_bad_input_exits_2_with_one_line(files, capsys):
    np.save(files / "short.npy", np.zeros((150, 2), dtype=np.float32))
    bad = np.load(files / "test.npy")
    bad[7, 1] = np.nan
    np.save(files / "nan.npy", bad)
    np.save(files / "short_labels.npy", np.zeros(999, dtype=np.uint8))
    train, test = str(files / "train.npy"), str(files / "test.npy")
    cases = [
        ([train, str(files / "short.npy"), "--labels", str(files / "labels.npy")], "at least two windows"),
        ([train, test, "--labels", str(files / "short_labels.npy")], "999 labels for 1000 time steps"),
        ([train, str(files / "nan.npy"), "--labels", str(files / "labels.npy")], "row 7 is NaN"),
        ([train, test], "no labels"),
        ([train, test, "--labels", str(files / "labels.npy"), "--method", "nosuch"], "unknown predictor"),
    ]
    for args, message in cases:
        code, _, err = run(["predict", *args, "--out", str(files / "x.csv")], capsys)
        assert code == 2, (args, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (args, err)


@pytest.mark.parametrize("edit", ["delete_predictor", "window", "weights", "not_json"])
def test_predict_with_an_edited_model_folder_exits_2_with_one_line(files, capsys, edit):
    import json

    model = files / "m"
    code, _, err = run(["predict", str(files / "train.npy"), str(files / "test.npy"), "--labels",
                        str(files / "labels.npy"), "--method", "random", "--set", "window=20",
                        "--out", str(files / "risk.csv"), "--save-model", str(model)], capsys)
    assert code == 0, err
    cfg_path = model / "config.json"
    cfg = json.loads(cfg_path.read_text())
    if edit == "delete_predictor":
        cfg.pop(next(k for k in cfg if k not in ("format", "format_version")))
        cfg_path.write_text(json.dumps(cfg))
    elif edit == "window":
        cfg_path.write_text(cfg_path.read_text().replace('"window": 20', '"window": 99', 1))
    elif edit == "weights":
        (model / "weights.safetensors").write_bytes(b"\x00" * 16)
    else:
        cfg_path.write_text("{not json")
    code, out, err = run(["predict", str(files / "train.npy"), str(files / "test.npy"), "--model", str(model),
                          "--out", str(files / "again.csv")], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert str(model) in err or "config" in err or "weights" in err
    assert not (files / "again.csv").exists()


def test_predict_prints_the_protocol_metrics_of_bench_and_says_when_risk_is_flat(files, capsys, monkeypatch):
    """The same windows and numbers as ``evaluate_predictor`` (what ``bench --task predict`` runs)."""
    import augury
    from augury.early_warning.baselines import RandomPredictor
    from augury.early_warning.protocol import evaluate_predictor

    args = ["predict", str(files / "train.npy"), str(files / "test.npy"), "--labels", str(files / "labels.npy"),
            "--method", "random", "--set", "window=20", "--seed", "3", "--out", str(files / "risk.csv")]
    code, _, err = run(args, capsys)
    assert code == 0, err
    pred = augury.create_predictor("random", "cpu", window=20, seed=3).fit(np.load(files / "train.npy"))
    m, _ = evaluate_predictor(pred, np.load(files / "test.npy"), np.load(files / "labels.npy"), seed=3)
    assert f"test part (last 20 % of TEST): {m['n_test']} windows, {m['test_pos']} with an anomalous" in err
    assert f"window AUC {m['win_auc']:.3f} [{m['win_auc_ci_low']:.3f}, {m['win_auc_ci_high']:.3f}]" in err
    assert f"events warned {m['events_warned']}/{m['events']}" in err and "false warnings per 1,000" in err
    assert "persistence" in err and "warning:" not in err

    monkeypatch.setattr(RandomPredictor, "_proba", lambda self, w: np.full(w.shape[0], 0.5753)
                        + 1e-5 * np.arange(w.shape[0]) % 3)
    code, _, err = run([*args, "--label-mode", "onset"], capsys)
    assert code == 0, err
    assert "warning: RandomPredictor: validation risk is flat" in err and "(onset labels)" in err
    code, _, err = run([*args, "--label-mode", "sideways"], capsys)
    assert code == 2 and "--label-mode must be one of next, onset" in err
