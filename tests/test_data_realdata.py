"""Checks against the real benchmark folder; skipped when it is absent."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from augury import load_collection, load_dataset
from augury.data.loaders import discover_datasets

# $AUGURY_DATA if set, else ../shared/data beside the repository (as in conftest.py).
REAL = Path(os.environ.get("AUGURY_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(
        not all((REAL / n).is_dir() for n in ("MSL", "SMD", "TSB-AD-M")), reason=f"real data {REAL} is absent (set AUGURY_DATA to the folder holding MSL, SMD and TSB-AD-M)"
    ),
]


def test_smd_collection_offsets_match_the_manifest():
    manifest = json.loads((REAL / "SMD" / "manifest.json").read_text())
    ds = load_dataset("SMD", root=REAL)
    assert ds.train.shape == tuple(manifest["shapes"]["train"])
    assert ds.test.shape == tuple(manifest["shapes"]["test"])
    got = [
        (
            e["name"],
            e["train_start"],
            e["train_end"] - e["train_start"],
            e["test_start"],
            e["test_end"] - e["test_start"],
        )
        for e in ds.meta["entities"]
    ]
    want = [
        (e["machine"], e["train_start"], e["train_len"], e["test_start"], e["test_len"])
        for e in manifest["entities"]
    ]
    assert got == want
    assert ds.anomaly_ratio == pytest.approx(manifest["anomaly_ratio_test"], abs=1e-6)
    last = ds.meta["entities"][-1]
    entity = load_dataset(REAL / "SMD" / last["name"])
    np.testing.assert_array_equal(ds.test[last["test_start"] : last["test_end"]], entity.test)


def test_msl_shapes_and_constant_channels():
    ds = load_dataset("MSL", root=REAL)
    assert ds.train.shape == (58317, 55) and ds.test.shape == (73729, 55)
    assert ds.anomaly_ratio == pytest.approx(0.1072, abs=1e-4)
    # MTS-JEPA keeps 32-33 non-constant MSL channels (protocols.md section 2).
    assert 32 <= 55 - len(ds.meta["constant_channels"]) <= 33


def test_tsbad_collection_entities_and_discovery():
    names = [d.name for d in load_collection("TSB-AD-M", root=REAL)]
    assert names == [
        "TSB-AD-M/001_Genesis_id_1_Sensor_tr_4055_1st_15538",
        "TSB-AD-M/002_MSL_id_1_Sensor_tr_500_1st_900",
        "TSB-AD-M/018_Daphnet_id_1_HumanActivity_tr_9693_1st_20732",
    ]
    infos = {i.name: i for i in discover_datasets(REAL)}
    assert infos["SMD"].n_entities == 19 and infos["SMD"].test_shape == (450232, 38)
    assert infos["MSL"].kind == "dataset" and infos["NAB"].n_entities == 58
