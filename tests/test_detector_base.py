"""The detector contract: parameters, validation, thresholds, registry and safe persistence."""

from __future__ import annotations

import json

import numpy as np
import pytest

from augury import (
    AuguryError,
    DataError,
    ModelFormatError,
    NotFittedError,
    create_detector,
    list_detectors,
    load_detector,
)


def test_get_set_params_roundtrip():
    det = create_detector("knn")
    params = det.get_params()
    assert params["n_neighbors"] == 5 and params["window"] == 16
    det.set_params(n_neighbors=3)
    assert det.get_params()["n_neighbors"] == 3
    with pytest.raises(ValueError, match="no parameter"):
        det.set_params(bogus=1)


def test_registry_errors_and_tags():
    with pytest.raises(AuguryError, match="unknown detector"):
        create_detector("nope")
    with pytest.raises(AuguryError, match="no preset"):
        create_detector("knn", preset="huge")
    with pytest.raises(AuguryError, match="no parameter"):
        create_detector("knn", bogus=1)
    amad = [d for d in list_detectors() if d.name == "amad"][0]
    assert amad.tags["deep"] is True and amad.tags["multivariate"] is True


def test_unfitted_and_bad_input(spike_series):
    train, test, _ = spike_series
    det = create_detector("pca")
    with pytest.raises(NotFittedError):
        det.decision_function(test)
    bad = train.copy()
    bad[5, 1] = np.nan
    with pytest.raises(DataError, match="channel 1 row 5 is NaN"):
        det.fit(bad)
    with pytest.raises(DataError, match="shorter|at least"):
        det.fit(train[:5])
    det.fit(train)
    with pytest.raises(DataError, match="3"):
        det.decision_function(test[:, :2])


def test_threshold_strategies(spike_series):
    train, test, _ = spike_series
    det = create_detector("pca", threshold="top:5").fit(train)
    assert det.threshold_ == pytest.approx(np.percentile(det.decision_scores_, 95))
    assert det.predict(train).mean() == pytest.approx(0.05, abs=0.01)
    det.set_threshold("top:2")
    assert det.fit_predict(train).sum() > 0
    det.set_threshold("fixed:1e9")
    assert det.predict(test).sum() == 0


def test_foreign_and_corrupted_files_refused(spike_series, tmp_path):
    train, _, _ = spike_series
    with pytest.raises(ModelFormatError, match="not a saved augury detector"):
        load_detector(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"format": "sklearn"}))
    (tmp_path / "weights.safetensors").write_bytes(b"\x80\x04pickle")
    with pytest.raises(ModelFormatError, match="foreign"):
        load_detector(tmp_path)
    (tmp_path / "config.json").write_text("not json")
    with pytest.raises(ModelFormatError, match="JSON"):
        load_detector(tmp_path)
    path = create_detector("pca", window=8).fit(train).save(tmp_path / "ok")
    blob = bytearray((path / "weights.safetensors").read_bytes())
    blob[-1] ^= 0xFF
    (path / "weights.safetensors").write_bytes(bytes(blob))
    with pytest.raises(ModelFormatError, match="checksum"):
        load_detector(path)
    cfg = json.loads((path / "config.json").read_text())
    cfg["format_version"] = 99
    (path / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelFormatError, match="version"):
        load_detector(path)
