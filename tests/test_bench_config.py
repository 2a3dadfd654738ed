"""Config hash: stable across processes and hash seeds, sensitive to anything that changes the numbers."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import pytest

from augury.bench.config import RunSpec, anomaly_ratio_for, stable_hash


def _spec(**changes) -> RunSpec:
    base = RunSpec(dataset="MSL", source="MSL", data_root="/data", method="iforest",
                   target="augury.detectors.classical:IForest", preset="cpu", task="detect", seed=0,
                   params={"window": 16, "n_estimators": 100, "seed": 0, "max_train_windows": None},
                   anomaly_ratio=1.0)
    return dataclasses.replace(base, **changes)


_CHILD = (
    "from augury.bench.config import RunSpec;"
    "print(RunSpec(dataset='MSL', source='elsewhere', data_root=None, method='iforest', "
    "target='augury.detectors.classical:IForest', preset='cpu', task='detect', seed=0, "
    "params={'seed': 0, 'max_train_windows': None, 'n_estimators': 100, 'window': 16}, "
    "anomaly_ratio=1.0).config_hash)"
)


def test_hash_is_identical_across_processes_and_hash_seeds():
    hashes = set()
    for hash_seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True, check=True)
        hashes.add(out.stdout.strip())
    # The child also uses another param order and another data path: neither changes the hash.
    assert hashes == {_spec().config_hash}
    assert len(_spec().config_hash) == 64


@pytest.mark.parametrize(
    "changes",
    [
        {"params": {"window": 32, "n_estimators": 100, "seed": 0, "max_train_windows": None}},
        {"params": {"window": 16, "n_estimators": 100, "seed": 0, "max_train_windows": 1000}},
        {"seed": 1},
        {"dataset": "SMD"},
        {"method": "pca"},
        {"preset": "paper"},
        {"task": "predict"},
        {"anomaly_ratio": 0.5},
        {"vus_window": 50},
        {"vus_thresholds": 100},
    ],
)
def test_any_change_that_affects_the_numbers_changes_the_hash(changes):
    assert _spec(**changes).config_hash != _spec().config_hash
    assert _spec(**changes).key != _spec().key


def test_where_the_data_lives_does_not_change_the_hash():
    assert _spec(source="/other/MSL", data_root=None).config_hash == _spec().config_hash


def test_stable_hash_handles_numpy_and_tuples_like_python_values():
    import numpy as np

    assert stable_hash({"a": np.int64(3), "b": (1.5, None)}) == stable_hash({"b": [1.5, None], "a": 3})


def test_run_id_is_file_name_safe_and_unique_per_config():
    rid = _spec(dataset="SMD/machine-1-1").run_id
    assert "/" not in rid and rid.startswith("SMD-machine-1-1__iforest__cpu__detect__s0__")
    assert rid != _spec(dataset="SMD/machine-1-1", seed=1).run_id


def test_anomaly_ratio_follows_the_at_protocol():
    assert anomaly_ratio_for("SMD") == 0.5
    assert anomaly_ratio_for("SMD/machine-1-1") == 0.5
    assert anomaly_ratio_for("MSL") == 1.0
    assert anomaly_ratio_for("CalIt2") == 1.0
