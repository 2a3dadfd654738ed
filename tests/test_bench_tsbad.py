"""``bench --protocol tsbad``: what each detector is fitted on, the VUS window, and hashes/run ids."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from augury.bench.config import RunSpec
from augury.bench.executors import BenchError
from augury.bench.grid import expand_grid, run_grid
from augury.bench.worker import execute_run
from augury.data.synthetic import make_synthetic
from augury.metrics.vus_window import estimate_period


def _native(folder: Path, seed: int = 0) -> Path:
    ds = make_synthetic(n_train=300, n_test=600, n_channels=2, n_anomalies=2, seed=seed)
    folder.mkdir(parents=True)
    np.save(folder / "train.npy", ds.train)
    np.save(folder / "test.npy", ds.test)
    np.save(folder / "test_label.npy", ds.test_labels)
    return folder


def _spec(**changes) -> RunSpec:
    base = dict(dataset="d", source="d", data_root=None, method="knn", target="", preset="cpu", task="detect",
                seed=0, params={"window": 16})
    return RunSpec(**{**base, **changes})


def test_default_protocol_leaves_hash_and_run_id_unchanged():
    default, explicit, tsbad = _spec(), _spec(protocol="default"), _spec(protocol="tsbad")
    assert "protocol" not in default.hashed_config()
    assert default.config_hash == explicit.config_hash and default.run_id == explicit.run_id
    assert tsbad.config_hash != default.config_hash and "__tsbad__" in tsbad.run_id


def test_unsupervised_fit_on_test_semi_supervised_on_train(tmp_path):
    folder = _native(tmp_path / "ds")
    rows = {}
    for method, params in [("kmeansad", {"window": 16, "max_train_windows": None}), ("ocsvm", {"window": 8})]:
        spec = _spec(source=str(folder), method=method, params=params, protocol="tsbad")
        result = execute_run(spec.to_dict())
        assert result["row"]["status"] == "ok", result["row"].get("error")
        rows[method] = result["row"]
    assert rows["kmeansad"]["fit_on"] == "test" and rows["ocsvm"]["fit_on"] == "train"
    expected = estimate_period(np.load(folder / "test.npy")[:, 0])
    assert rows["kmeansad"]["vus_window"] == expected
    assert rows["kmeansad"]["protocol"] == "tsbad" and np.isfinite(rows["kmeansad"]["vus_pr"])


def test_grid_and_errors(tmp_path):
    folder = _native(tmp_path / "ds")
    specs = expand_grid([str(folder)], ["knn", "kmeansad"], protocol="tsbad")
    assert {s.protocol for s in specs} == {"tsbad"}
    table = run_grid(specs, tmp_path / "out")
    assert isinstance(table, pd.DataFrame) and (table["status"] == "ok").all()
    with pytest.raises(BenchError, match="unknown protocol"):
        expand_grid([str(folder)], ["knn"], protocol="tsb")
    with pytest.raises(BenchError, match="--task detect"):
        expand_grid([str(folder)], ["knn"], protocol="tsbad", task="predict")
