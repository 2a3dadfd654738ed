"""Hardening of inputs, outputs, model folders and the bench driver: one test per failure found, named by behaviour."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from augury import create_detector, load_detector
from augury.base.persistence import CONFIG_FILE, WEIGHTS_FILE, config_checksum
from augury.bench.store import ResultStore, StoreLockedError
from augury.cli import main
from augury.data.formats import read_series
from augury.data.formats.common import load_npy
from augury.data.validation import check_series
from augury.data.windowing import windows_to_steps
from augury.errors import (
    DataError,
    MetricError,
    ModelFormatError,
    NotFittedError,
    ParameterError,
)
from augury.metrics import pa_prf, vus_roc
from augury.metrics.point_adjust import pa_k_auc
from augury.metrics.thresholds import parse_threshold
from augury.report.html import build_report
from augury.utils.atomic import atomic_open, atomic_write_text


def run(argv: list[str], capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    return int(exc.value.code or 0), capsys.readouterr().err


def _csv(path, cols, n=60, seed=0, label=None):
    df = pd.DataFrame(np.random.default_rng(seed).normal(size=(n, len(cols))), columns=cols)
    if label is not None:
        df["label"] = label
    df.to_csv(path, index=False)
    return path


# 1 ------------------------------------------------------------------------------------------
def test_detect_reads_reordered_test_columns_by_name_and_refuses_other_names(tmp_path, capsys):
    tr, te = _csv(tmp_path / "tr.csv", ["a", "b", "c"]), _csv(tmp_path / "te.csv", ["x", "y", "z"])
    code, err = run(["detect", str(tr), str(te), "-m", "iforest", "--out", str(tmp_path / "s.csv")], capsys)
    assert code == 2 and "missing ['a', 'b', 'c']" in err and not (tmp_path / "s.csv").exists()
    te = _csv(tmp_path / "te2.csv", ["c", "a", "b"])
    code, _ = run(["detect", str(tr), str(te), "-m", "iforest", "--out", str(tmp_path / "s.csv")], capsys)
    assert code == 0 and (tmp_path / "s.csv").exists()


# 2 ------------------------------------------------------------------------------------------
def test_header_only_and_empty_inputs_are_refused(tmp_path, capsys):
    (tmp_path / "h.csv").write_text("a,b\n")
    code, err = run(["detect", str(tmp_path / "h.csv"), str(tmp_path / "h.csv"), "-m", "iforest"], capsys)
    assert code == 2 and "no data rows" in err
    np.save(tmp_path / "e.npy", np.zeros((0, 3)))
    with pytest.raises(DataError, match="no data"):
        read_series(tmp_path / "e.npy")


# 3 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["3.5e38", "1e39", "1e308"])
def test_values_beyond_float32_are_refused_naming_file_column_row(tmp_path, value):
    path = tmp_path / "big.csv"
    path.write_text("a,b\n1,2\n3," + value + "\n")
    with pytest.raises(DataError, match=r"big\.csv.*column 'b' line 3.*float32"):
        read_series(path)


# 4 ------------------------------------------------------------------------------------------
def test_huge_value_changes_only_nearby_scores():
    rng = np.random.default_rng(0)
    tr, te = rng.normal(size=(400, 3)), rng.normal(size=(2000, 3))
    det = create_detector("knn").fit(tr)
    base = det.decision_function(te)
    spiked = te.copy()
    spiked[50, 0] = 1e18
    s = det.decision_function(spiked)
    assert np.all(np.isfinite(s)) and s.min() >= 0
    assert np.array_equal(s[100:], base[100:])
    spiked[50, 0] = 1e20
    for method in ("knn", "lof", "kmeans", "cblof", "pca"):
        out = create_detector(method).fit(tr).decision_function(spiked[:300])
        assert np.all(np.isfinite(out)), method


def test_window_aggregation_has_no_running_sum():
    starts = np.arange(0, 97, 1)
    scores = np.ones(starts.size)
    scores[3] = 1e300
    out = windows_to_steps(scores, starts, 100, 4)
    assert np.all(out[7:] == 1.0)


# 5 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "params", "name"), [
    ("iforest", {"n_estimators": -5}, "n_estimators"), ("knn", {"window": "abc"}, "window"),
    ("knn", {"window": 2.5}, "window"), ("knn", {"n_neighbors": 0}, "n_neighbors"),
    ("amad", {"d_model": 10, "n_heads": 3}, "d_model"), ("amad", {"autocast": "fp8"}, "autocast"),
    ("amad", {"batch_size": 0}, "batch_size"), ("amad", {"lr": float("nan")}, "lr"),
])
def test_bad_parameters_name_the_parameter(method, params, name):
    with pytest.raises(ParameterError, match=name):
        create_detector(method, **params).fit(np.zeros((200, 2)))


@pytest.mark.parametrize(("method", "rows"), [("knn", 20), ("cblof", 20), ("pca", 16)])
def test_too_few_training_rows_are_refused(method, rows):
    with pytest.raises(DataError, match="training windows"):
        create_detector(method).fit(np.random.default_rng(0).normal(size=(rows, 3)))


def test_cli_bad_set_and_predict_before_fit_are_refused(tmp_path, capsys):
    tr = _csv(tmp_path / "tr.csv", ["a", "b"])
    code, err = run(["detect", str(tr), str(tr), "-m", "iforest", "--set", "n_estimators=-5",
                     "--out", str(tmp_path / "s.csv")], capsys)
    assert code == 2 and "n_estimators" in err
    with pytest.raises(NotFittedError):
        create_detector("knn").predict(np.zeros((30, 2)))


# 6 ------------------------------------------------------------------------------------------
def test_bad_values_are_refused_not_coerced(tmp_path, capsys):
    with pytest.raises(DataError, match="complex"):
        check_series(np.array([[1 + 2j], [3 + 0j]]))
    with pytest.raises(DataError, match="dates"):
        check_series(np.array(["2020-01-01", "2020-01-02"], dtype="datetime64[D]"))
    with pytest.raises(MetricError):
        parse_threshold("fixed:nan")
    tr = _csv(tmp_path / "tr.csv", ["a", "b"])
    for opt in (["--threshold", "fixed:nan"], ["--nan-policy", "bogus"]):
        code, err = run(["detect", str(tr), str(tr), "-m", "iforest", "--out", str(tmp_path / "s.csv"), *opt], capsys)
        assert code == 2, opt
    y = np.zeros(50, int)
    y[10:15] = 1
    s = np.random.default_rng(0).random(50)
    with pytest.raises(MetricError):
        pa_prf(y, s, float("nan"))
    with pytest.raises(MetricError):
        pa_k_auc(y, s, 0.5, ks=[float("nan"), 1])


# 7 ------------------------------------------------------------------------------------------
def _npy_with_header(path, shape, descr="<f8", data=b""):
    header = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode()
    header += b" " * (63 - (len(header) + 10) % 64) + b"\n"
    path.write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + data)
    return path


def test_hostile_npy_headers_are_refused(tmp_path, capsys):
    huge = _npy_with_header(tmp_path / "huge.npy", (10**13, 3), data=b"\0" * 48)
    with pytest.raises(DataError, match="header claims"):
        load_npy(huge)
    np.save(tmp_path / "rec.npy", np.zeros(4, dtype=[("a", "f4"), ("b", "i4")]))
    with pytest.raises(DataError, match="not a plain numeric"):
        load_npy(tmp_path / "rec.npy")
    code, err = run(["detect", str(huge), str(huge), "-m", "iforest"], capsys)
    assert code == 2 and "header claims" in err
    root = tmp_path / "root"
    for name, arr in (("empty", np.zeros((0,))), ("scalar", np.array(3.0))):
        (root / name).mkdir(parents=True)
        for f in ("train.npy", "test.npy", "test_label.npy"):
            np.save(root / name / f, arr)
    code, err = run(["datasets", "--data-root", str(root)], capsys)
    assert code == 0, err


# 8 ------------------------------------------------------------------------------------------
def test_no_output_left_on_failure(tmp_path, capsys):
    tr = _csv(tmp_path / "tr.csv", ["a", "b"])
    out = tmp_path / "s.csv"
    (tmp_path / "file").write_text("x")
    code, _ = run(["detect", str(tr), str(tr), "-m", "iforest", "--out", str(out), "--save-model",
                   str(tmp_path / "file")], capsys)
    assert code == 2 and not out.exists()
    te = _csv(tmp_path / "te.csv", ["a", "b"], label=1)
    code, _ = run(["detect", str(tr), str(te), "-m", "iforest", "--out", str(out)], capsys)
    assert code == 2 and not out.exists()
    assert not list(tmp_path.glob(".*.tmp"))


def test_outputs_respect_umask_and_stale_temps_are_cleaned(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".a.txt.{int(dead.stdout)}.abc.tmp"
    stale.write_text("partial")
    with atomic_open(tmp_path / "a.txt") as fh:
        fh.write("y")
    assert not stale.exists() and (tmp_path / "a.txt").read_text() == "y"


def test_sigterm_removes_the_temp_file(tmp_path):
    code = ("import time, sys; from augury.utils.atomic import atomic_open, exit_on_sigterm\n"
            "exit_on_sigterm()\n"
            f"with atomic_open({str(tmp_path / 'out.bin')!r}, 'wb', encoding=None) as fh:\n"
            "    fh.write(b'x' * 1000); print('ready', flush=True); time.sleep(30)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert proc.stdout.readline().strip() == "ready"
    assert list(tmp_path.glob(".*.tmp"))
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 128 + signal.SIGTERM
    assert not list(tmp_path.iterdir())


# 9 ------------------------------------------------------------------------------------------
def _saved(tmp_path, method="knn"):
    x = np.random.default_rng(0).normal(size=(300, 2))
    return create_detector(method, window=4).fit(x).save(tmp_path / method), x


def _edit(path, fn, rechecksum=False):
    cfg = json.loads((path / CONFIG_FILE).read_text())
    fn(cfg)
    if rechecksum:
        cfg["checksum"] = config_checksum(cfg)
    (path / CONFIG_FILE).write_text(json.dumps(cfg))


def test_model_config_is_covered_by_the_checksum(tmp_path):
    path, x = _saved(tmp_path)
    assert np.array_equal(load_detector(path).decision_function(x), create_detector("knn", window=4).fit(x).decision_function(x))
    for edit in (lambda c: c.update(detector="lof"), lambda c: c["state"].update(threshold=1.5),
                 lambda c: c["params"].update(window=8)):
        p2, _ = _saved(tmp_path / str(id(edit)))
        _edit(p2, edit)
        with pytest.raises(ModelFormatError, match="checksum"):
            load_detector(p2)


def test_model_schema_is_checked_even_with_a_valid_checksum(tmp_path):
    path, _ = _saved(tmp_path)
    _edit(path, lambda c: c["state"].update(threshold="x"), rechecksum=True)
    with pytest.raises(ModelFormatError, match="threshold"):
        load_detector(path)
    path, _ = _saved(tmp_path / "b", "iforest")
    _edit(path, lambda c: c["params"].update(n_estimators=10**9), rechecksum=True)
    t0 = time.perf_counter()
    with pytest.raises(ModelFormatError, match="n_estimators"):
        load_detector(path)
    assert time.perf_counter() - t0 < 5


def test_model_loading_refuses_deep_nesting_symlinks_huge_files_and_old_versions(tmp_path):
    path, _ = _saved(tmp_path)
    (path / CONFIG_FILE).write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(ModelFormatError):
        load_detector(path)
    path, _ = _saved(tmp_path / "b")
    outside = tmp_path / "outside.bin"
    outside.write_bytes((path / WEIGHTS_FILE).read_bytes())
    (path / WEIGHTS_FILE).unlink()
    (path / WEIGHTS_FILE).symlink_to(outside)
    with pytest.raises(ModelFormatError, match="symbolic link"):
        load_detector(path)
    path, _ = _saved(tmp_path / "c")
    with open(path / WEIGHTS_FILE, "ab") as fh:
        fh.write(b"\0" * 10)
    with pytest.raises(ModelFormatError, match="bytes"):
        load_detector(path)
    path, _ = _saved(tmp_path / "d")
    _edit(path, lambda c: c.update(format_version=1))
    with pytest.raises(ModelFormatError, match="version 1.*save it"):
        load_detector(path)


def test_classical_models_load_without_refit(tmp_path, monkeypatch):
    from augury.detectors import array_models

    x = np.random.default_rng(1).normal(size=(400, 3))
    for method in ("iforest", "lof", "knn", "pca", "cblof", "kmeans", "hbos", "ocsvm"):
        det = create_detector(method, window=4).fit(x)
        path = det.save(tmp_path / method)

        def no_fit(self, rows):
            raise AssertionError("refit on load")

        for cls in vars(array_models).values():
            if isinstance(cls, type) and cls.__name__.endswith("Model"):
                monkeypatch.setattr(cls, "fit", no_fit)
        assert np.array_equal(load_detector(path).decision_function(x), det.decision_function(x)), method
        monkeypatch.undo()


# 10 -----------------------------------------------------------------------------------------
def test_resume_and_report_skip_bad_lines(tmp_path):
    store = ResultStore(tmp_path)
    good = {"dataset": "A", "method": "knn", "preset": "cpu", "task": "detect", "seed": 0, "config_hash": "h",
            "run_id": "r1", "status": "ok", "auc_roc": 0.5}
    store.record(good, {"scores": np.zeros(3), "labels": np.zeros(3), "threshold": np.float64(1)})
    with open(store.jsonl, "ab") as fh:
        fh.write(b"[1, 2]\n\xff\xfe\n" + json.dumps({"dataset": "B"}).encode() + b"\n")
    (tmp_path / "scores" / "r1.npz").write_bytes(b"not a zip")
    assert store.finished_keys() == {("A", "knn", "cpu", "detect", 0, "h")}
    assert store.skipped_lines == 3
    path, skipped = build_report(tmp_path, return_skipped=True)
    assert path.exists() and skipped == 4


def test_bench_lock_and_out_paths_that_are_files_are_refused(tmp_path, capsys):
    store = ResultStore(tmp_path / "out")
    with store.lock(), pytest.raises(StoreLockedError, match="another augury bench"):
        with ResultStore(tmp_path / "out").lock():
            pass
    with ResultStore(tmp_path / "out").lock():  # released
        pass
    (tmp_path / "f").write_text("x")
    code, err = run(["bench", "-d", "x", "-m", "knn", "--out", str(tmp_path / "f")], capsys)
    assert code == 2 and "not a folder" in err
    code, err = run(["demo", "--out", str(tmp_path / "f")], capsys)
    assert code == 2 and "not a folder" in err


def test_worker_dies_with_its_driver(tmp_path):
    code = ("import os, subprocess, sys, time\n"
            "child = subprocess.Popen([sys.executable, '-c', 'import os, time; from augury.utils.lifetime import "
            "watch_process; watch_process(int(os.environ[\"DRIVER\"]), 0.1); print(os.getpid(), flush=True); "
            "time.sleep(60)'], env={**os.environ, 'DRIVER': str(os.getpid())}, stdout=subprocess.PIPE, text=True)\n"
            "print(child.stdout.readline().strip(), flush=True); time.sleep(60)\n")
    driver = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    worker = int(driver.stdout.readline())
    driver.kill()
    driver.wait()
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(worker, signal.SIGKILL)
        pytest.fail("worker outlived its driver")


# 11 -----------------------------------------------------------------------------------------
def test_vus_window_is_bounded():
    y = np.zeros(200, int)
    y[50:60] = 1
    with pytest.raises(MetricError, match="exceeds max"):
        vus_roc(y, np.random.default_rng(0).random(200), window=10**5)
    with pytest.raises(MetricError, match="exceeds max"):
        vus_roc(y, np.random.default_rng(0).random(200), window=1001)
    assert 0 <= vus_roc(y, np.random.default_rng(0).random(200), window=1000) <= 1


# 12 -----------------------------------------------------------------------------------------
def test_pca_survives_constant_channels_smap_like():
    """SMAP-like: 25 channels, most of them constant (binary commands that never fire)."""
    rng = np.random.default_rng(0)
    t = np.arange(3000)
    x = np.zeros((3000, 25))
    x[:, 0] = np.sin(2 * np.pi * t / 100) + 0.1 * rng.normal(size=3000)
    x[:, 1:4] = 1.0
    x[:, 4] = (t % 500 == 0)
    train, test = x[:2000], x[2000:].copy()
    test[500:520, 2] = 0.0  # a constant channel moves in test
    det = create_detector("pca").fit(train)
    s = det.decision_function(test)
    assert np.all(np.isfinite(det.decision_scores_)) and np.all(np.isfinite(s))
    assert s.max() < 1e6 and s[500:520].mean() > np.median(s)
