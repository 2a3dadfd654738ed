"""The Ray executor: one task per run on a local Ray, results written by the driver into the same store."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from augury.bench.grid import expand_grid, run_grid
from augury.bench.store import ResultStore
from augury.data.synthetic import make_synthetic

ray = pytest.importorskip("ray")


def test_ray_executor_runs_two_tiny_runs_and_resumes(tmp_path, monkeypatch):
    root = tmp_path / "data"
    for i, name in enumerate(("A", "B")):
        ds = make_synthetic(n_train=400, n_test=400, n_channels=2, n_anomalies=3, seed=i)
        (root / name).mkdir(parents=True)
        np.save(root / name / "train.npy", ds.train)
        np.save(root / name / "test.npy", ds.test)
        np.save(root / name / "test_label.npy", ds.test_labels)
    specs = expand_grid(["A", "B"], ["pca"], data_root=root)
    out = tmp_path / "out"
    table = run_grid(specs, out, executor="ray", workers=2)
    assert not ray.is_initialized()  # the Ray it started is shut down again
    assert sorted(table["dataset"]) == ["A", "B"] and set(table["status"]) == {"ok"}
    assert (table["auc_roc"] > 0.5).all() and (table["peak_mem_mb"] > 0).all()
    # Same rows as the local executor would give (the detector is seeded): compare one run.
    local = run_grid(specs[:1], tmp_path / "local", executor="local")
    ours = table.set_index("dataset").loc["A"]
    assert np.isclose(ours["auc_roc"], local.loc[0, "auc_roc"]) and ours["config_hash"] == local.loc[0, "config_hash"]
    # A rerun finds everything finished and starts no Ray at all.
    monkeypatch.setattr(ray, "init", lambda *a, **k: pytest.fail("ray.init called for a finished grid"))
    again = run_grid(specs, out, executor="ray", workers=2)
    assert len(ResultStore(out).read_rows()) == 2
    pd.testing.assert_frame_equal(again, table)


_HEAD = """
import logging, sys, time, ray
ctx = ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.WARNING)
print(ctx.address_info["gcs_address"], flush=True)
sys.stdin.read()  # stay up until the test closes our stdin
"""


def test_ray_address_connects_to_a_running_cluster_and_leaves_it_running(tmp_path, monkeypatch):
    import subprocess
    import sys

    root = tmp_path / "data"
    ds = make_synthetic(n_train=400, n_test=400, n_channels=2, n_anomalies=3, seed=0)
    (root / "A").mkdir(parents=True)
    for name, arr in (("train", ds.train), ("test", ds.test), ("test_label", ds.test_labels)):
        np.save(root / "A" / f"{name}.npy", arr)
    # Ray >= 2.5x enables token authentication; a test cluster runs without it on both sides.
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    head = subprocess.Popen([sys.executable, "-c", _HEAD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        address = head.stdout.readline().strip()
        table = run_grid(expand_grid(["A"], ["pca", "iforest"], data_root=root), tmp_path / "out",
                         executor="ray", ray_address=address)
        assert set(table["status"]) == {"ok"} and len(table) == 2
        assert not ray.is_initialized() and head.poll() is None  # disconnected; the cluster is still up
    finally:
        head.stdin.close()
        head.wait(timeout=60)
