"""The early-warning contract: windows, labels, 6:2:2 split, δ*, bootstrap, registry, persistence."""

from __future__ import annotations

import json

import numpy as np
import pytest

import augury
from augury.early_warning.protocol import bootstrap_auc_ci, split_indices, split_series
from augury.early_warning.thresholds import select_delta
from augury.early_warning.windows import next_window_labels, window_index
from augury.errors import AuguryError, DataError, ModelFormatError, NotFittedError

TINY = dict(n_patches=4, patch_len=5, d_model=16, n_codes=8, tokenizer_hidden=8, n_layers=1, n_heads=2, d_ff=32,
            epochs=2, select_after=0, patience=2, max_pairs_per_epoch=256, autocast="none", progress=False,
            head_epochs=3)


def series(n_steps: int = 1200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = np.arange(n_steps)
    x = np.stack([np.sin(t / 3.0), np.cos(t / 5.0), np.zeros(n_steps)], axis=1) + 0.1 * rng.normal(size=(n_steps, 3))
    x[:, 2] = 0.0  # a constant channel, dropped by MTS-JEPA
    labels = np.zeros(n_steps, dtype=np.uint8)
    labels[rng.choice(n_steps, 40, replace=False)] = 1
    return x.astype(np.float32), labels


def test_window_index_and_next_window_labels():
    start, end = window_index(250, 100)
    assert start.tolist() == [0, 100] and end.tolist() == [100, 200]
    labels = np.zeros(350, dtype=np.uint8)
    labels[150] = 1
    assert next_window_labels(labels, 100).tolist() == [1, 0]
    with pytest.raises(DataError, match="fewer than two windows"):
        next_window_labels(np.zeros(150), 100)


def test_split_indices_are_contiguous_ordered_and_cover_all_samples():
    tr, va, te = split_indices(736)
    assert (len(tr), len(va), len(te)) == (441, 147, 148)
    allidx = np.concatenate([tr, va, te])
    assert allidx.tolist() == list(range(736))


def test_split_series_reproduces_the_protocol_samples():
    x = np.arange(1000, dtype=np.float32)[:, None]
    labels = np.zeros(1000, dtype=np.uint8)
    labels[[250, 750]] = 1
    sp = split_series(x, labels, 100)
    y_full = next_window_labels(labels, 100)
    tr, va, te = split_indices(len(y_full))
    for (xs, ls), idx in zip((sp.train, sp.val, sp.test), (tr, va, te), strict=True):
        assert next_window_labels(ls, 100).tolist() == y_full[idx].tolist()
        assert xs[0, 0] == idx[0] * 100


def test_threshold_is_the_best_val_f1_and_flat_probabilities_use_fixed_candidates():
    y = np.array([0, 0, 1, 1])
    d = select_delta(y, np.array([0.1, 0.2, 0.8, 0.9]))
    assert 0.2 <= d < 0.8
    # Flat probabilities: only {0.1, 0.3, ..., 0.9} are tried; flagging everything (δ = 0.1) is best here.
    assert select_delta(np.array([0, 1]), np.array([0.6, 0.6])) == 0.1
    assert select_delta(np.array([0, 1]), np.array([0.05, 0.05])) == 0.1


def test_bootstrap_interval_brackets_the_auc_and_is_nan_for_one_class():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    p = y + rng.normal(0, 1, 200)
    lo, hi = bootstrap_auc_ci(y, p, n_boot=300)
    from sklearn.metrics import roc_auc_score

    assert lo < roc_auc_score(y, p) < hi and 0.5 < lo
    assert np.isnan(bootstrap_auc_ci(np.zeros(5), np.arange(5.0))[0])


def test_registry_lists_predictors_and_rejects_unknown_names():
    names = [p.name for p in augury.list_predictors()]
    assert {"mtsjepa", "random", "rawfeat", "detect-now"} <= set(names)
    assert augury.create_predictor("detect-now:iforest").detector == "iforest"
    for bad, msg in [("nosuch", "unknown predictor"), ("detect-now", "needs a detector"),
                     ("detect-now:nosuch", "unknown detector"), ("random:x", "only detect-now")]:
        with pytest.raises(AuguryError, match=msg):
            augury.create_predictor(bad)
    with pytest.raises(AuguryError, match="no parameter"):
        augury.create_predictor("random", bogus=1)
    assert any(d.name == "mtsjepa" for d in augury.list_detectors())


@pytest.mark.parametrize("name", ["mtsjepa", "rawfeat", "random", "detect-now:iforest"])
def test_save_load_gives_identical_predict_proba(tmp_path, name):
    x, labels = series()
    over = TINY if name == "mtsjepa" else ({"head_epochs": 3} if name == "rawfeat" else {})
    pred = augury.create_predictor(name, "cpu", **over)
    if name != "mtsjepa":
        pred.set_params(window=20)
    pred.fit(x).fit_head(x, labels, seed=1)
    before = pred.predict_proba(x)
    assert before.shape == (60,) and np.all(np.isfinite(before))
    pred.save(tmp_path / "m")
    loaded = augury.load_predictor(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict_proba(x), before)
    assert loaded.threshold_ == pred.threshold_
    if name == "mtsjepa":
        assert loaded.keep_.tolist() == [0, 1]
        assert loaded.diagnostics_ == pred.diagnostics_ and len(pred.diagnostics_) == 2
        assert set(pred.diagnostics_[0]) == {"batch_entropy", "sample_entropy", "codes_in_use", "trace_cov"}
        assert float(loaded.model_.codebook.tau) == pytest.approx(0.1)


def test_load_refuses_foreign_or_tampered_folders(tmp_path):
    x, labels = series()
    pred = augury.create_predictor("random", window=20).fit(x).fit_head(x, labels)
    path = pred.save(tmp_path / "m")
    (path / "weights.safetensors").write_bytes(b"x" + (path / "weights.safetensors").read_bytes())
    with pytest.raises(ModelFormatError, match="corrupted or was replaced"):
        augury.load_predictor(path)
    cfg = json.loads((path / "config.json").read_text())
    cfg["format"] = "other"
    (path / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelFormatError, match="not an augury predictor"):
        augury.load_predictor(path)


def test_user_mistakes_raise_data_errors():
    x, labels = series()
    pred = augury.create_predictor("rawfeat", window=20, head_epochs=2)
    with pytest.raises(NotFittedError):
        pred.predict_proba(x)
    with pytest.raises(DataError, match="at least 40 are needed"):
        pred.fit(x[:30])
    pred.fit(x)
    with pytest.raises(NotFittedError, match="fit_head"):
        pred.predict_proba(x)
    with pytest.raises(DataError, match="labels for 1200 time steps"):
        pred.fit_head(x, labels[:-1])
    with pytest.raises(DataError, match="none of the"):
        pred.fit_head(x, np.zeros_like(labels))
    with pytest.raises(DataError, match="channels"):
        pred.fit_head(x[:, :2], labels)


def test_mtsjepa_rejects_all_constant_training_data():
    with pytest.raises(DataError, match="every channel is constant"):
        augury.create_predictor("mtsjepa", **TINY).fit(np.ones((200, 2)))


def test_mtsjepa_detector_scores_every_step_and_round_trips(tmp_path):
    x, _ = series()
    det = augury.create_detector("mtsjepa", **{k: v for k, v in TINY.items() if k != "head_epochs"})
    scores = det.fit(x[:800]).decision_function(x[:437])  # 21 windows of 20 + an end-aligned tail window
    assert scores.shape == (437,) and np.all(np.isfinite(scores))
    np.testing.assert_array_equal(scores[:20], scores[20:40])  # window 0 takes window 1's score
    det.save(tmp_path / "d")
    np.testing.assert_array_equal(augury.load_detector(tmp_path / "d").decision_function(x[:437]), scores)
    with pytest.raises(DataError, match="at least 40"):
        det.decision_function(x[:39])


def test_pretraining_without_validation_windows_says_so_instead_of_printing_nan(capsys) -> None:
    rng = np.random.default_rng(0)
    short = rng.normal(size=(100, 2)).astype(np.float32)  # 5 windows of 20: 10 % validation is < 2 windows
    augury.create_predictor("mtsjepa", **{**TINY, "progress": True}).fit(short)
    err = capsys.readouterr().err
    assert "no pre-training validation windows" in err and "epoch 2/2" in err
    assert "nan" not in err.lower()
