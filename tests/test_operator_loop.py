"""The operator's loop on a server-metrics CSV: detect → look (events, top channels, plot) → save → watch.

Issue 20: one test per reported behaviour, each named by what it guarantees.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import augury
from augury.cli import main
from augury.detectors.registry import create_detector
from augury.events import to_events

N_TRAIN, N_TEST = 900, 700
SHIFT = slice(250, 500)  # memory level shift (test steps)
SPIKE = 120  # latency spike (test step)


def _server_metrics(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n = N_TRAIN + N_TEST
    t = np.arange(n)
    cpu = 40 + 10 * np.sin(2 * np.pi * t / 288) + rng.normal(0, 2, n)
    mem = 60 + 0.5 * np.sin(2 * np.pi * t / 288 + 1) + rng.normal(0, 0.5, n)
    lat = 120 + 0.3 * (cpu - 40) + rng.normal(0, 3, n)
    mem[N_TRAIN + SHIFT.start : N_TRAIN + SHIFT.stop] += 8.0
    lat[N_TRAIN + SPIKE : N_TRAIN + SPIKE + 2] += 120.0
    ts = pd.date_range("2026-01-01", periods=n, freq="5min").strftime("%Y-%m-%d %H:%M:%S")
    df = pd.DataFrame({"timestamp": ts, "cpu_pct": cpu, "mem_pct": mem, "latency_ms": lat})
    return df.iloc[:N_TRAIN].reset_index(drop=True), df.iloc[N_TRAIN:].reset_index(drop=True)


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    captured = capsys.readouterr()
    return int(exc.value.code or 0), captured.out, captured.err


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    """detect with --save-model, --events and --plot on the server metrics; the CLI's outputs."""
    folder = tmp_path_factory.mktemp("oploop")
    train, test = _server_metrics()
    train.to_csv(folder / "train.csv", index=False)
    test.to_csv(folder / "test.csv", index=False)
    argv = ["detect", str(folder / "train.csv"), str(folder / "test.csv"), "-m", "knn", "--threshold", "top:0.2",
            "--out", str(folder / "s.csv"), "--events", str(folder / "ev.csv"), "--plot", str(folder / "p.png"),
            "--save-model", str(folder / "model")]
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code in (0, None)
    return folder, test


def _watch(folder: Path, feed: pd.DataFrame, capsys, *extra: str) -> tuple[int, pd.DataFrame, str]:
    path = folder / f"feed{abs(hash(tuple(feed.columns)))}.csv"
    feed.to_csv(path, index=False)
    code, out, err = run(["watch", str(folder / "model"), "-i", str(path), *extra], capsys)
    return code, (pd.read_csv(io.StringIO(out), keep_default_na=False) if code == 0 else pd.DataFrame()), err


def _overlaps(a: tuple[int, int], b: tuple[int, int], slack: int) -> bool:
    return a[0] <= b[1] + slack and b[0] <= a[1] + slack


def _alarms(frame: pd.DataFrame) -> list[tuple[int, int]]:
    ev = to_events(frame["alarm"].to_numpy(dtype=float), 0.5)
    return list(zip(ev["start"], ev["end"], strict=True))


def test_detect_finds_the_shift_and_spike_with_top_channels_and_a_plot(loop):
    folder, _ = loop
    ev = pd.read_csv(folder / "ev.csv")
    assert (folder / "p.png").stat().st_size > 1000 and (folder / "s.csv").is_file()
    by_channel = {row["top_channels"].split(":")[0]: row for _, row in ev.iterrows()}
    shift, spike = by_channel["mem_pct"], by_channel["latency_ms"]
    assert shift["start"] <= SHIFT.start + 5 and shift["end"] >= SHIFT.stop - 5  # one event for the shift
    assert spike["start"] <= SPIKE <= spike["end"]
    assert pd.Timedelta(spike["duration"]) == pd.Timedelta(minutes=5) * spike["length"]


def test_watch_on_the_same_rows_gives_the_same_events_and_top_channels_as_detect(loop, capsys):
    folder, test = loop
    code, out, err = _watch(folder, test, capsys)
    assert code == 0 and list(out.columns) == ["step", "timestamp", "score", "warmup", "above", "alarm",
                                                 "top_channels"]
    warm = int(out["warmup"].sum())
    assert warm == 15 and out.loc[: warm - 1, "alarm"].eq(0).all()
    events = pd.read_csv(folder / "ev.csv")
    detected = list(zip(events["start"], events["end"], strict=True))
    alarms = _alarms(out)
    assert len(alarms) == len(detected)  # one alarm per event: the same merge rule on causal scores
    for a, d in zip(alarms, detected, strict=True):
        assert _overlaps(a, d, slack=warm)
    for (start, end), (_, row) in zip(alarms, events.iterrows(), strict=True):
        steps = out.iloc[start : end + 1]["top_channels"]
        total: dict[str, float] = {}
        for text in steps:
            for item in text.split(";"):
                name, _, value = item.rpartition(":")
                total[name] = total.get(name, 0.0) + float(value)
        assert max(total, key=total.get) == row["top_channels"].split(":")[0]
    assert f"{len(detected)} alarms" in err and f"{len(test)} rows scored" in err  # the end-of-stream summary


def test_watch_reads_reordered_columns_by_name(loop, capsys):
    folder, test = loop
    _, straight, _ = _watch(folder, test, capsys)
    reordered = test[["latency_ms", "timestamp", "mem_pct", "cpu_pct"]]
    code, out, _ = _watch(folder, reordered, capsys)
    assert code == 0
    np.testing.assert_array_equal(out["score"].to_numpy(), straight["score"].to_numpy())
    assert out["top_channels"].tolist() == straight["top_channels"].tolist()


def test_watch_refuses_a_wrong_column_with_one_line(loop, capsys):
    folder, test = loop
    code, _, err = _watch(folder, test.rename(columns={"mem_pct": "memory"}), capsys)
    assert code == 2 and err.count("\n") == 1
    assert "missing ['mem_pct']" in err and "unexpected ['memory']" in err


def test_watch_accepts_a_label_column_like_detect(loop, capsys):
    folder, test = loop
    code, out, _ = _watch(folder, test.assign(label=0), capsys)
    assert code == 0 and len(out) == len(test)


def test_watch_with_a_wrong_field_count_in_every_row_exits_2(loop, capsys):
    folder, test = loop
    path = folder / "short.csv"
    lines = test.to_csv(index=False).splitlines()
    path.write_text("\n".join([lines[0]] + [line.rsplit(",", 1)[0] for line in lines[1:]]) + "\n")
    code, _, err = run(["watch", str(folder / "model"), "-i", str(path)], capsys)
    assert code == 2 and "none of the" in err.splitlines()[-1]


def test_watch_threshold_takes_the_rules_of_detect_and_refuses_nan(loop, capsys):
    folder, test = loop
    code, out, _ = _watch(folder, test, capsys, "--threshold", "top:50")
    assert code == 0 and out["above"].sum() > 300
    code, _, err = _watch(folder, test, capsys, "--threshold", "nan")
    assert code == 2 and err.count("\n") == 1


def test_detect_piped_into_head_leaves_complete_output_files(tmp_path):
    train, test = _server_metrics()
    train.to_csv(tmp_path / "train.csv", index=False)
    test.to_csv(tmp_path / "test.csv", index=False)
    env = {**os.environ, "PYTHONPATH": str(Path(augury.__file__).resolve().parents[1])}
    cmd = (f"{sys.executable} -m augury.cli detect train.csv test.csv -m knn --out s.csv --events ev.csv "
           "--save-model m | head -1")
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert len(pd.read_csv(tmp_path / "s.csv")) == N_TEST and len(pd.read_csv(tmp_path / "ev.csv")) >= 1
    assert augury.load_detector(tmp_path / "m").channels_ == ["cpu_pct", "mem_pct", "latency_ms"]


def test_predict_proba_half_is_the_decision_threshold(loop):
    train, test = _server_metrics()
    cols = ["cpu_pct", "mem_pct", "latency_ms"]
    det = create_detector("iforest", preset="cpu").fit(train[cols].to_numpy())
    p = det.predict_proba(test[cols].to_numpy())[:, 1]
    np.testing.assert_array_equal(p > 0.5, det.predict(test[cols].to_numpy()) == 1)
    p_train = det.predict_proba(train[cols].to_numpy())[:, 1]
    assert np.median(p_train) < 0.05 and np.mean(p_train > 0.5) <= 0.011


def test_cli_version_short_help_and_bare_command(capsys):
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out.strip() == f"augury {augury.__version__}"
    code, out, _ = run(["detect", "-h"], capsys)
    assert code == 0 and "--save-model" in out
    code, out, err = run([], capsys)
    assert code == 0 and "Usage" in out and "error" not in err


def test_npy_events_have_integer_steps(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 2)).astype(np.float32)
    x[400:403] += 12
    np.save(tmp_path / "tr.npy", x[:300])
    np.save(tmp_path / "te.npy", x[300:])
    code, out, _ = run(["detect", str(tmp_path / "tr.npy"), str(tmp_path / "te.npy"), "-m", "knn",
                        "--out", str(tmp_path / "s.csv"), "--events", str(tmp_path / "ev.csv")], capsys)
    ev = pd.read_csv(tmp_path / "ev.csv")
    assert code == 0 and pd.api.types.is_integer_dtype(ev["start_time"])
    assert f" {ev['start_time'][0]} " in out and f"{ev['start_time'][0]}.0" not in out
    assert "saved" not in out


def test_save_model_prints_a_confirmation(loop, capsys):
    folder, _ = loop
    model = json.loads((folder / "model" / "config.json").read_text())
    assert model["state"]["channels"] == ["cpu_pct", "mem_pct", "latency_ms"]
    assert "causal_threshold" in model["state"]


def test_bench_warns_towards_fleet_when_entity_scales_differ():
    from types import SimpleNamespace

    from augury.bench.scales import scale_warning

    rng = np.random.default_rng(0)
    train = np.concatenate([rng.normal(0, 1, (100, 1)), rng.normal(0, 1e5, (100, 1))])
    spans = [{"name": "small", "train_start": 0, "train_end": 100}, {"name": "big", "train_start": 100,
                                                                          "train_end": 200}]
    ds = SimpleNamespace(name="NAB", train=train, meta={"format": "collection", "entities": spans})
    note = scale_warning(ds)
    assert note is not None and "--fleet" in note and "big" in note
    ds.train = rng.normal(0, 1, (200, 1))
    assert scale_warning(ds) is None


def test_random_baseline_uses_the_same_seeds_in_every_entry_point():
    from augury.metrics.evaluate import DEFAULT_SEEDS

    rng = np.random.default_rng(0)
    y = np.zeros(500, dtype=np.uint8)
    y[200:220] = 1
    s = rng.random(500) + y
    from augury.metrics.protocols import evaluate_protocols

    got = evaluate_protocols(y, s, rng.random(500), 0.9)
    assert len(DEFAULT_SEEDS) == 10 and got["baseline_seeds"] == ",".join(map(str, DEFAULT_SEEDS))


def test_compare_paper_columns_reach_the_terminal_table():
    from rich.console import Console

    from augury.cli.bench import _print_table

    df = pd.DataFrame([{"dataset": "MSL", "method": "knn", "status": "ok", "pa_f1": 0.5, "paper_pa_f1": 0.8,
                        "ratio_pa_f1": 0.625, "paper_source": "AT table 1"}])
    buf = io.StringIO()
    _print_table(df, Console(file=buf, width=300), compare_paper=True)
    assert "paper_pa_f1" in buf.getvalue() and "0.625" in buf.getvalue()
    buf = io.StringIO()
    _print_table(df, Console(file=buf, width=300))
    assert "paper_pa_f1" not in buf.getvalue()
