"""``augury bench`` end to end on tiny folders: rows, failures, resume (also after SIGKILL), fleet, errors."""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from augury.bench.grid import expand_grid, run_grid
from augury.bench.store import KEY_COLUMNS, LEAD_COLUMNS, ResultStore
from augury.cli.bench import bench_command
from augury.data.synthetic import make_synthetic
from augury.errors import AuguryError

CONTRACT_METRICS = ["auc_roc", "auc_pr", "vus_roc", "vus_pr", "pa_precision", "pa_recall", "pa_f1", "random_pa_f1"]


def write_native(folder: Path, seed: int, *, anomalies: bool = True, n: int = 400) -> Path:
    """A planted-anomaly dataset in augury's native layout."""
    ds = make_synthetic(n_train=n, n_test=n, n_channels=3, n_anomalies=3, seed=seed)
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "train.npy", ds.train)
    np.save(folder / "test.npy", ds.test)
    np.save(folder / "test_label.npy", ds.test_labels if anomalies else np.zeros_like(ds.test_labels))
    return folder


def write_short(folder: Path) -> Path:
    """A 10-step dataset: shorter than the window of the windowed detectors (pca: 16)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    np.save(folder / "train.npy", rng.normal(size=(10, 2)).astype(np.float32))
    np.save(folder / "test.npy", rng.normal(size=(10, 2)).astype(np.float32))
    np.save(folder / "test_label.npy", (np.arange(10) == 4).astype(np.uint8))
    return folder


@pytest.fixture
def data_root(tmp_path) -> Path:
    root = tmp_path / "data"
    write_native(root / "A", 0)
    write_native(root / "B", 1)
    write_native(root / "NoAnomaly", 2, anomalies=False)  # scored by false-alarm metrics only
    write_short(root / "Short")  # 10 steps: every pca run (window 16) fails with a DataError
    return root


def invoke(*args: str):
    """Run bench_command through a throw-away typer app, as the lead's CLI registers it."""
    app = typer.Typer()
    app.command("bench")(bench_command)
    app.command("noop")(lambda: None)  # two commands, so "bench" is a sub-command as in augury
    return CliRunner().invoke(app, ["bench", *args])


def jsonl_rows(out: Path) -> list[dict]:
    return ResultStore(out).read_rows()


def test_grid_writes_contract_columns_records_failures_and_continues(data_root, tmp_path):
    out = tmp_path / "out"
    res = invoke("--dataset", "Short,NoAnomaly,A", "--method", "pca,iforest", "--data-root", str(data_root),
                 "--out", str(out), "--compare-paper")
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "results.csv")
    assert list(table.columns[: len(LEAD_COLUMNS)]) == LEAD_COLUMNS
    assert set(CONTRACT_METRICS) <= set(table.columns) and "paper_source" in table
    by = table.set_index(["dataset", "method"])
    # The failing run came first in the grid; the runs after it still ran.
    assert by.loc[("Short", "pca"), "status"] == "failed" and set(by.loc["A", "status"]) == {"ok"}
    assert by.loc[("Short", "pca"), CONTRACT_METRICS + ["wall_s"]].isna().all()  # no zeros for failures
    assert "DataError" in by.loc[("Short", "pca"), "error"]
    # No labelled anomaly: no AUC or F1, but the false alarms are counted.
    quiet = by.loc["NoAnomaly"]
    assert set(quiet["status"]) == {"ok"} and quiet["auc_roc"].isna().all()
    assert ((quiet["flagged_fraction_train"] >= 0) & (quiet["events_per_1k_train"] >= 0)).all()
    assert (quiet["n_labelled_events"] == 0).all()
    ok = by.loc["A"]
    assert ((ok["auc_roc"] > 0.5) & (ok["coverage"] == 1.0) & (ok["n_test"] == 400)).all()
    assert (ok["peak_mem_mb"] >= ok["rss_before_mb"]).all() and (ok["wall_s"] > 0).all()
    assert set(ok["pa_threshold_protocol"]) == {"at_percentile(train+test scores, 100-ar)"}
    # anomaly_ratio is the protocol's percentile constant; the data's own share of anomalous steps is beside it.
    labels = np.load(data_root / "A" / "test_label.npy")
    assert (ok["anomaly_ratio"] == 1.0).all() and np.allclose(ok["test_anomaly_ratio"], 100 * labels.mean())
    assert (quiet["test_anomaly_ratio"] == 0).all()
    for f in ok["scores_file"]:
        with np.load(out / f) as z:
            assert z["scores"].shape == (400,) and z["labels"].shape == (400,) and np.isfinite(z["threshold"])


def test_rerun_skips_finished_runs_and_data_failures_unless_asked(data_root, tmp_path):
    out = tmp_path / "out"
    args = ("--dataset", "A,Short", "--method", "pca", "--data-root", str(data_root), "--out", str(out))
    assert invoke(*args).exit_code == 0
    first = jsonl_rows(out)
    assert first[1]["status"] == "failed" and first[1]["failure_kind"] == "data"
    res = invoke(*args)
    assert res.exit_code == 0 and "resuming: 2 of 2 runs already finished" in res.output
    assert jsonl_rows(out) == first  # the DataError is not retried
    res = invoke(*args, "--retry-failed")
    assert res.exit_code == 0 and "resuming: 1 of 2 runs already finished" in res.output
    second = jsonl_rows(out)
    assert second[:2] == first and len(second) == 3 and second[2]["status"] == "failed"
    assert len(pd.read_csv(out / "results.csv")) == 2  # one row per run, not per attempt


def test_seeds_give_one_row_each_with_distinct_hashes_plus_their_mean(data_root, tmp_path):
    out = tmp_path / "out"
    res = invoke("--dataset", "A", "--method", "iforest", "--seeds", "2", "--data-root", str(data_root),
                 "--out", str(out), "--workers", "2")
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "results.csv")
    # Two workers: the seeds finish in either order; results.csv has one row per run, the mean is a summary.
    assert list(table["status"]) == ["ok", "ok"] and sorted(table["seed"]) == [0, 1]
    assert table["config_hash"].nunique() == 2
    seeds_in_csv = [line.split(",")[4] for line in (out / "results.csv").read_text().splitlines()[1:]]
    assert sorted(seeds_in_csv) == ["0", "1"]
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary["status"]) == ["seed_mean"] and summary["seed"].isna().all()
    assert np.isclose(summary["auc_roc"].iloc[0], table["auc_roc"].mean())


def test_fleet_runs_each_entity_and_adds_an_aggregate_row(tmp_path):
    root = tmp_path / "data"
    write_native(root / "Fleet" / "m-1", 0)
    write_native(root / "Fleet" / "m-2", 1)
    out = tmp_path / "out"
    res = invoke("--dataset", "Fleet", "--method", "pca", "--fleet", "--data-root", str(root), "--out", str(out))
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "results.csv").set_index("dataset")
    assert list(table.index) == ["Fleet/m-1", "Fleet/m-2"] and list(table["status"]) == ["ok", "ok"]
    summary = pd.read_csv(out / "summary.csv").set_index("dataset")
    assert list(summary.index) == ["Fleet"] and list(summary["status"]) == ["aggregate"]
    assert np.isclose(summary.loc["Fleet", "auc_roc"], table["auc_roc"].mean())
    assert len(jsonl_rows(out)) == 2  # the aggregate is derived, not a run


def test_concatenating_entities_of_very_different_scales_suggests_fleet(tmp_path):
    """A real grid through the CLI: one entity 1e5 times larger than the other gets a one-line
    note pointing at --fleet; with --fleet (each entity scaled on its own) the note is gone."""
    root = tmp_path / "data"
    write_native(root / "Mixed" / "small", 0)
    big = write_native(root / "Mixed" / "big", 1)
    for name in ("train.npy", "test.npy"):
        np.save(big / name, np.load(big / name) * 1e5)
    res = invoke("--dataset", "Mixed", "--method", "pca", "--data-root", str(root), "--out", str(tmp_path / "a"))
    assert res.exit_code == 0, res.output
    notes = [line for line in res.output.splitlines() if line.startswith("warning:")]
    assert len(notes) == 1 and "--fleet" in notes[0] and "big" in notes[0], res.output
    assert pd.read_csv(tmp_path / "a" / "results.csv")["scale_warning"].notna().all()
    res = invoke("--dataset", "Mixed", "--method", "pca", "--fleet", "--data-root", str(root),
                 "--out", str(tmp_path / "b"))
    assert res.exit_code == 0, res.output
    assert "consider --fleet" not in res.output


def test_nab_like_fleet_compares_methods_on_the_same_entities(tmp_path):
    """Must-show: a fleet with anomaly-free series and one series a method cannot run (iforest, pca)."""
    root = tmp_path / "data"
    write_native(root / "NABish" / "artificialNoAnomaly__flat", 0, anomalies=False)
    write_native(root / "NABish" / "realKnownCause__a", 1)
    write_native(root / "NABish" / "realKnownCause__b", 2)
    write_short(root / "NABish" / "realTweets__short")  # pca (window 16) fails on it with a DataError
    out = tmp_path / "out"
    args = ("--dataset", "NABish", "--method", "iforest,pca", "--fleet", "--data-root", str(root),
            "--out", str(out), "--set", "max_train_windows=5000", "--threshold", "top:2")
    res = invoke(*args[:-4], "--threshold", "top:2")
    assert res.exit_code == 0, res.output
    assert "ETA" in res.output
    table = pd.read_csv(out / "results.csv")
    assert len(table) == 8 and len(jsonl_rows(out)) == 8  # exactly one row per run
    failed = table[table["status"] == "failed"]
    assert list(failed["dataset"]) == ["NABish/realTweets__short"] and list(failed["method"]) == ["pca"]
    quiet = table[table["dataset"].str.contains("NoAnomaly")]
    assert set(quiet["status"]) == {"ok"} and quiet["flagged_fraction_train"].notna().all()
    assert set(table.loc[table["status"] == "ok", "threshold_train_source"]) == {"top:2 of train scores"}
    summary = pd.read_csv(out / "summary.csv").set_index("method")
    # Both aggregates cover the same 3 entities: iforest's short-series run is left out, and counted.
    assert list(summary["n_entities"]) == [3, 3] and list(summary["n_labelled"]) == [2, 2]
    assert summary.loc["iforest", "n_excluded"] == 1 and summary.loc["pca", "n_failed"] == 1
    ok = table[(table["status"] == "ok") & (table["method"] == "iforest") & ~table["dataset"].str.contains("short")]
    assert np.isclose(summary.loc["iforest", "auc_roc"], ok["auc_roc"].mean())  # AUC: over the labelled two
    res = invoke(*args[:-4], "--threshold", "top:2")
    assert res.exit_code == 0 and "resuming: 8 of 8 runs already finished" in res.output
    assert len(jsonl_rows(out)) == 8  # the rerun retried nothing
    res = invoke(*args[:-2])  # --set takes part in the config hash: new runs
    assert res.exit_code == 0 and len(pd.read_csv(out / "results.csv")) == 16


def test_bench_scores_a_saved_model_without_training(data_root, tmp_path):
    from augury.data.loaders import load_dataset
    from augury.detectors.registry import create_detector

    ds = load_dataset("A", data_root)
    det = create_detector("pca").fit(ds.train)
    det.save(tmp_path / "model")
    out = tmp_path / "out"
    res = invoke("--dataset", "A", "--model", str(tmp_path / "model"), "--data-root", str(data_root), "--out", str(out))
    assert res.exit_code == 0, res.output
    row = pd.read_csv(out / "results.csv").iloc[0]
    assert row["status"] == "ok" and row["method"] == "pca" and row["fit_s"] == 0.0
    with np.load(out / row["scores_file"]) as z:
        np.testing.assert_allclose(z["scores"], det.decision_function(ds.test).astype(np.float32))
    res = invoke("--dataset", "A", "--model", str(tmp_path / "model"), "--method", "iforest",
                 "--data-root", str(data_root), "--out", str(out))
    assert isinstance(res.exception, AuguryError) and "holds a pca detector" in str(res.exception)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--method", "iforest", "--task", "predict"), "no early-warning predictor named iforest"),
        (("--method", "nosuch"), "unknown method(s) nosuch"),
        (("--method", "iforest", "--task", "train"), "unknown task 'train'"),
        (("--method", "iforest", "--preset", "huge"), "has no preset 'huge'"),
    ],
)
def test_user_mistakes_raise_augury_errors_before_any_run(data_root, tmp_path, args, message):
    res = invoke("--dataset", "A", *args, "--data-root", str(data_root), "--out", str(tmp_path / "out"))
    assert isinstance(res.exception, AuguryError) and message in str(res.exception)
    assert not (tmp_path / "out" / "results.jsonl").exists()


def test_missing_dataset_and_ray_options_are_reported(data_root, tmp_path, monkeypatch):
    res = invoke("--dataset", "Nope", "--method", "pca", "--data-root", str(data_root), "--out", str(tmp_path))
    assert isinstance(res.exception, AuguryError) and "Nope" in str(res.exception)
    res = invoke("--dataset", "A", "--method", "pca", "--ray-address", "auto", "--data-root", str(data_root))
    assert isinstance(res.exception, AuguryError) and "--ray-address needs --executor ray" in str(res.exception)
    res = invoke("--dataset", ",", "--method", "pca", "--data-root", str(data_root))
    assert isinstance(res.exception, AuguryError) and "at least one dataset" in str(res.exception)
    for option in ("--seeds", "--workers"):
        res = invoke("--dataset", "A", "--method", "pca", option, "0", "--data-root", str(data_root))
        assert isinstance(res.exception, AuguryError) and f"{option} must be >= 1" in str(res.exception)
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real_find_spec(name, *a))
    res = invoke("--dataset", "A", "--method", "pca", "--executor", "ray", "--data-root", str(data_root),
                 "--out", str(tmp_path / "out"))
    assert isinstance(res.exception, AuguryError) and "pip install 'augury[dist]'" in str(res.exception)


_DRIVER = textwrap.dedent(
    """
    import sys, typer
    from augury.cli.bench import bench_command
    if __name__ == "__main__":  # worker processes re-import the main module
        app = typer.Typer()
        app.command("bench")(bench_command)
        app.command("noop")(lambda: None)
        app(["bench", *sys.argv[1:]])
    """
)


def test_resume_after_sigkill_has_no_missing_and_no_duplicate_rows(tmp_path):
    root = tmp_path / "data"
    for i in range(3):
        write_native(root / f"D{i}", i, n=3000)
    out = tmp_path / "out"
    script = tmp_path / "driver.py"
    script.write_text(_DRIVER)
    args = ["--dataset", "D0,D1,D2", "--method", "iforest,knn", "--data-root", str(root), "--out", str(out)]
    proc = subprocess.Popen([sys.executable, str(script), *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (out / "results.jsonl").exists():
            time.sleep(0.05)
        assert (out / "results.jsonl").exists(), "no run finished within 60 s"
    finally:
        # Kill the driver and the worker processes it started (its own session).
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    before = jsonl_rows(out)
    assert 1 <= len(before) < 6, "the grid must be interrupted mid-way for this test to mean anything"
    res = invoke(*args)
    assert res.exit_code == 0, res.output
    after = jsonl_rows(out)
    assert after[: len(before)] == before  # finished runs were not redone
    assert all(r["status"] == "ok" for r in before), before
    keys = [tuple(r[c] for c in KEY_COLUMNS) for r in after]
    assert len(keys) == len(set(keys)) == 6  # finished runs were not redone, none is missing
    table = pd.read_csv(out / "results.csv")
    assert len(table) == 6 and set(table["status"]) == {"ok"}
    assert not table.duplicated(KEY_COLUMNS).any()


def test_a_worker_process_that_dies_is_recorded_failed_and_the_grid_goes_on(data_root, tmp_path):
    specs = expand_grid(["A"], ["pca"], data_root=data_root)
    # A "detector" whose construction kills its process, as an out-of-memory kill would.
    crash = dataclasses.replace(specs[0], method="crash", target="os:_exit", params={"status": 9})
    table = run_grid([crash, *specs], tmp_path / "out", executor="local", workers=1)
    by = table.set_index("method")
    assert by.loc["crash", "status"] == "failed" and "worker process died" in by.loc["crash", "error"]
    assert by.loc["pca", "status"] == "ok"


def test_bench_evaluates_an_imported_scores_file_without_training(data_root, tmp_path):
    from augury.data.loaders import load_dataset
    from augury.detectors.registry import create_detector

    ds = load_dataset("A", data_root)
    det = create_detector("pca").fit(ds.train)
    test = det.decision_function(ds.test)
    np.savez(tmp_path / "pca_scores.npz", scores=test, train_scores=det.decision_scores_)
    pd.DataFrame({"score": test}).to_csv(tmp_path / "mine.csv")  # the layout of `augury detect --out`
    out = tmp_path / "out"
    base = ("--dataset", "A", "--data-root", str(data_root), "--out", str(out))
    assert invoke(*base, "--method", "pca").exit_code == 0
    res = invoke(*base, "--scores", str(tmp_path / "pca_scores.npz"), "--method", "pca-imported")
    assert res.exit_code == 0, res.output
    res = invoke(*base, "--scores", str(tmp_path / "mine.csv"))
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "results.csv").set_index("method")
    assert list(table.index) == ["pca", "pca-imported", "mine"] and set(table["status"]) == {"ok"}
    trained, imported, csv = table.loc["pca"], table.loc["pca-imported"], table.loc["mine"]
    assert imported["fit_s"] == 0.0 and csv["wall_s"] == 0.0
    for col in ("auc_roc", "vus_pr", "pa_f1", "pa_f1_train"):  # train scores given: the same protocols
        assert np.isclose(imported[col], trained[col], atol=1e-6), col
    assert np.isclose(csv["auc_roc"], trained["auc_roc"], atol=1e-6)  # threshold-free: identical
    assert pd.isna(csv["pa_f1_train"]) and "test scores" in csv["pa_threshold_protocol"]
    assert len(jsonl_rows(out)) == 3
    np.save(tmp_path / "short.npy", test[:-5])
    res = invoke(*base, "--scores", str(tmp_path / "short.npy"))  # refused before any run (issue 21)
    assert isinstance(res.exception, AuguryError)
    assert f"{len(test) - 5} scores for the {len(test)} test steps" in str(res.exception)
    assert "short" not in set(pd.read_csv(out / "results.csv")["method"])
    res = invoke(*base, "--scores", str(tmp_path / "mine.csv"), "--seeds", "2")
    assert isinstance(res.exception, AuguryError) and "--scores evaluates one scores file" in str(res.exception)
    res = invoke(*base, "--scores", str(tmp_path / "nosuch.csv"))
    assert isinstance(res.exception, AuguryError) and "no such scores file" in str(res.exception)


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity") or shutil.which("taskset") is None,
                    reason="needs Linux affinity masks and taskset")
def test_a_one_core_affinity_records_one_thread(tmp_path):
    """Issue 20 item 9: bench inside ``taskset -c 0`` on a multi-core machine records threads=1."""
    root = tmp_path / "data"
    write_native(root / "Tiny", 0)
    out = tmp_path / "out"
    cmd = ["taskset", "-c", "0", sys.executable, "-m", "augury.cli", "bench", "--dataset", "Tiny", "--method", "pca",
           "--data-root", str(root), "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert list(pd.read_csv(out / "results.csv")["threads"]) == [1]


def test_progress_reaches_a_log_file_one_line_per_run(data_root, tmp_path):
    import io

    from rich.console import Console

    log = io.StringIO()
    specs = expand_grid(datasets=["A", "Short"], methods=["pca"], data_root=data_root)
    run_grid(specs, tmp_path / "out", console=Console(file=log, width=200))
    lines = [line for line in log.getvalue().splitlines() if line.startswith("bench ")]
    assert len(lines) == 2
    assert lines[0].startswith("bench 1/2 elapsed ") and " ETA " in lines[0]
    assert lines[1].startswith("bench 2/2 ") and " ETA 0:00:00 " in lines[1]
    assert {line.split(" ", 6)[6] for line in lines} == {"A pca s0: ok", "Short pca s0: failed"}
