"""`augury watch`: a saved model fed a NAB-like series through a pipe and a growing file."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import augury
from augury.cli import main
from augury.detectors.base import load_detector
from augury.detectors.registry import create_detector

N_TRAIN, N_TEST = 1500, 600


@pytest.fixture(scope="module")
def nab(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """A NAB-style univariate series (timestamp,value) with a spike and a level shift; a saved knn model."""
    folder = tmp_path_factory.mktemp("nab")
    rng = np.random.default_rng(0)
    t = np.arange(N_TRAIN + N_TEST)
    v = np.sin(2 * np.pi * t / 96) + 0.1 * rng.normal(size=t.size)
    v[N_TRAIN + 300] += 4.0
    v[N_TRAIN + 450 : N_TRAIN + 470] += 1.5
    stamps = pd.date_range("2014-04-01", periods=t.size, freq="5min").strftime("%Y-%m-%d %H:%M:%S")
    create_detector("knn", preset="cpu", n_neighbors=3).fit(v[:N_TRAIN, None]).save(folder / "model")
    test = pd.DataFrame({"timestamp": stamps[N_TRAIN:], "value": v[N_TRAIN:]})
    return folder, test


def _csv_text(frame: pd.DataFrame) -> str:
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return buf.getvalue()


def _expected(model: Path, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    det = load_detector(model)
    scores = det.decision_function(values[:, None], causal=True)
    alarm = scores > det.threshold_
    alarm[: det.causal_warmup()] = False
    return scores, alarm


def _env() -> dict[str, str]:
    src = str(Path(augury.__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "augury.cli", "watch", *args]


def _check(out: str, model: Path, frame: pd.DataFrame) -> None:
    got = pd.read_csv(io.StringIO(out), keep_default_na=False)
    scores, alarm = _expected(model, frame["value"].to_numpy())
    assert list(got["timestamp"]) == list(frame["timestamp"])
    np.testing.assert_allclose(got["score"].to_numpy(), scores, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(got["alarm"].to_numpy().astype(bool), alarm)
    assert alarm.any()
    assert all(got.loc[alarm, "top_channels"].str.startswith("value:"))


def test_pipe_with_a_malformed_line(nab):
    folder, test = nab
    lines = _csv_text(test).splitlines(keepends=True)
    bad_at = 250  # file line number (1 = header)
    lines.insert(bad_at - 1, "2014-04-08 00:00:00,abc\n")
    proc = subprocess.run(_cmd(str(folder / "model"), "--input", "-"), input="".join(lines), capture_output=True,
                          text=True, env=_env(), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert f"line {bad_at}:" in proc.stderr and "'abc'" in proc.stderr and "Traceback" not in proc.stderr
    _check(proc.stdout, folder / "model", test)


def test_growing_file_then_ctrl_c(nab, tmp_path):
    folder, test = nab
    text = _csv_text(test)
    path = tmp_path / "live.csv"
    path.write_text(text[:2000])
    out_path = tmp_path / "out.csv"
    with out_path.open("w") as out:
        proc = subprocess.Popen(_cmd(str(folder / "model"), "--input", str(path), "--follow"), stdout=out,
                                stderr=subprocess.PIPE, text=True, env=_env())
        try:
            rng = np.random.default_rng(1)
            pos = 2000
            while pos < len(text):  # appends that split lines anywhere, as a logger flushing would
                step = int(rng.integers(1, 3000))
                with path.open("a") as fh:
                    fh.write(text[pos : pos + step])
                pos += step
                time.sleep(0.02)
            deadline = time.monotonic() + 60
            while out_path.read_text().count("\n") < len(test) + 1 and time.monotonic() < deadline:
                time.sleep(0.1)
            proc.send_signal(signal.SIGINT)
            err = proc.communicate(timeout=30)[1]
        finally:
            proc.kill()
    assert proc.returncode == 130 and "Traceback" not in err
    _check(out_path.read_text(), folder / "model", test)


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    captured = capsys.readouterr()
    return int(exc.value.code or 0), captured.out, captured.err


def test_stop_on_bad_row_keeps_what_was_written(nab, tmp_path, capsys):
    folder, test = nab
    lines = _csv_text(test).splitlines(keepends=True)
    lines.insert(99, "2014-04-08 00:00:00,1.0,2.0\n")  # line 100: one field too many
    path = tmp_path / "bad.csv"
    path.write_text("".join(lines))
    code, out, err = _run(["watch", str(folder / "model"), "--input", str(path), "--on-bad-row", "stop"], capsys)
    assert code == 2 and err.count("\n") == 1 and "line 100" in err and "expected 2 fields, got 3" in err
    assert out.count("\n") == 1 + 98  # header + the 98 rows before line 100
    _check(out, folder / "model", test.iloc[:98])


def test_follow_idle_timeout_and_jsonl(nab, tmp_path, capsys):
    folder, test = nab
    path = tmp_path / "t.csv"
    path.write_text(_csv_text(test.iloc[:50]))
    t0 = time.monotonic()
    code, out, _ = _run(["watch", str(folder / "model"), "-i", str(path), "--follow", "--idle-timeout", "0.3",
                         "--format", "jsonl"], capsys)
    assert code == 0 and time.monotonic() - t0 >= 0.3
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["step"] for r in records] == list(range(50))
    assert records[0]["timestamp"] == test["timestamp"].iloc[0] and records[0]["warmup"] is True
    assert records[-1]["warmup"] is False


def test_calibrate_sets_the_causal_threshold(nab, tmp_path, capsys):
    folder, test = nab
    calib = tmp_path / "normal.csv"
    calib.write_text(_csv_text(test.iloc[:250]))
    code, out, _ = _run(["watch", str(folder / "model"), "-i", str(calib), "--calibrate", str(calib),
                         "--format", "jsonl"], capsys)
    above = np.array([json.loads(line)["above"] for line in out.splitlines()])
    assert code == 0 and 0 < above.sum() <= 0.02 * 250  # the percentile:99 rule, on the causal scores
    code, _, err = _run(["watch", str(folder / "model"), "-i", str(calib), "--calibrate", str(calib),
                         "--threshold", "1"], capsys)
    assert code == 2 and "not both" in err


def test_header_that_does_not_fit_the_model(nab, tmp_path, capsys):
    folder, _ = nab
    path = tmp_path / "wide.csv"
    path.write_text("a,b,c\n1,2,3\n")
    code, _, err = _run(["watch", str(folder / "model"), "-i", str(path)], capsys)
    assert code == 2 and "line 1" in err and "expects 1" in err
