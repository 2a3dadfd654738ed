"""Fuzz: a tampered saved detector or predictor folder is refused with ModelFormatError or loads a
model that scores finitely; never an untyped error, a hang or non-finite scores."""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save

from augury import create_detector, create_predictor, load_detector, load_predictor
from augury.base.persistence import CONFIG_FILE, WEIGHTS_FILE, config_checksum
from fuzz_support import _report_counts, both, outcome  # noqa: F401  (fixture used by pytest)

RNG = np.random.default_rng(0)
TRAIN = RNG.normal(size=(200, 2))
TEST = RNG.normal(size=(50, 2))
_SAVED: dict[str, Path] = {}
_ROOT = Path(tempfile.mkdtemp(prefix="augury-fuzz-models-"))
# hypothesis-driven tests cannot take tmp_path, so the folder is removed when the worker exits
atexit.register(shutil.rmtree, _ROOT, ignore_errors=True)


#: Saved predictors are fuzzed under these names (cheap ones; MTS-JEPA's head is the rawfeat head).
PREDICTORS = ("predictor:random", "predictor:rawfeat", "predictor:detect-now:iforest")


def _saved_predictor(method: str) -> Path:
    name = method.removeprefix("predictor:")
    x = np.tile(TRAIN, (4, 1))
    labels = (np.arange(x.shape[0]) % 37 < 3).astype(np.uint8)
    pred = create_predictor(name, window=10, **({"head_epochs": 2} if name == "rawfeat" else {}))
    return pred.fit(x).fit_head(x, labels, seed=0).save(_ROOT / name.replace(":", "-"))


def _saved(method: str) -> Path:
    if method.startswith("predictor:"):
        if method not in _SAVED:
            _SAVED[method] = _saved_predictor(method)
        return _SAVED[method]
    if method not in _SAVED:
        params = {"window": 4} if method != "amad" else {
            "window": 8, "d_model": 8, "n_heads": 2, "n_layers": 1, "d_ff": 8, "epochs": 1, "batch_size": 32,
            "progress": False}
        _SAVED[method] = create_detector(method, **params).fit(TRAIN).save(_ROOT / method)
    return _SAVED[method]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=6,
)


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, (*prefix, i))


ALL = ("knn", "iforest", "pca", "lof", "hbos", "cblof", "kmeans", "ocsvm", "amad")


@st.composite
def tampering(draw, methods: tuple[str, ...] = ALL) -> tuple[str, list, bool]:
    method = draw(st.sampled_from(methods))
    edits = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["json", "json", "delete", "weights_bytes", "array", "truncate"]))
        edits.append((kind, draw(st.integers(0, 10**6)), draw(JSON_VALUES),
                      draw(st.sampled_from([0.0, -1.0, 1e30, np.nan, np.inf, 7.0]))))
    return method, edits, draw(st.booleans())


def _apply(folder: Path, edits: list, rechecksum: bool) -> None:
    cfg = json.loads((folder / CONFIG_FILE).read_text())
    blob = (folder / WEIGHTS_FILE).read_bytes()
    for kind, pick, value, number in edits:
        if kind in ("json", "delete"):
            paths = [p for p in _paths(cfg) if p]
            path = paths[pick % len(paths)]
            parent = cfg
            for key in path[:-1]:
                parent = parent[key]
            if kind == "delete" and isinstance(parent, dict):
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
        elif kind == "weights_bytes" and blob:
            raw = bytearray(blob)
            raw[pick % len(raw)] ^= 1 + pick % 255
            blob = bytes(raw)
        elif kind == "truncate":
            blob = blob[: pick % (len(blob) + 1)]
        elif kind == "array":
            try:
                arrays = st_load(blob)
            except Exception:  # noqa: BLE001 - an earlier edit broke the file; keep it broken
                continue
            if not arrays:  # a model without arrays (the random predictor): nothing to edit
                continue
            key = sorted(arrays)[pick % len(arrays)]
            a = arrays[key].astype(np.float64, copy=True)
            if pick % 3 == 0:
                a = a.reshape(-1)[: max(0, a.size - 1)]
            elif a.size:
                a.reshape(-1)[pick % a.size] = number
            arrays[key] = a
            blob = st_save(arrays)
    if rechecksum:  # a careful tamperer: hashes recomputed, so only the schema checks stand
        import hashlib

        cfg["weights_sha256"] = hashlib.sha256(blob).hexdigest()
        cfg["weights_bytes"] = len(blob)
        cfg["checksum"] = config_checksum(cfg)
    (folder / CONFIG_FILE).write_text(json.dumps(cfg, indent=None if edits else 1))  # no edit: only re-serialised
    (folder / WEIGHTS_FILE).write_bytes(blob)


def _finite_predictor(pred) -> None:
    risk = pred.predict_proba(np.tile(TEST, (2, 1)))
    assert risk.shape == (10,) and np.all(np.isfinite(risk)), "silent non-finite risk from a loaded predictor"
    assert np.isfinite(pred.threshold_)
    return pred


def _finite(det) -> None:
    scores = det.decision_function(TEST)
    assert np.all(np.isfinite(scores)), "silent non-finite scores from a loaded model"
    assert np.isfinite(det.threshold_)
    return det


def _body(case: tuple[str, list, bool]) -> None:
    method, edits, rechecksum = case
    suite = f"model loading {'rechecksummed' if rechecksum else 'plain'}"
    with tempfile.TemporaryDirectory() as d:
        for folder, case_edits in ((Path(d) / "untouched", []), (Path(d) / "edited", edits)):
            shutil.copytree(_saved(method), folder)
            try:
                _apply(folder, case_edits, rechecksum)
            except (TypeError, ValueError):  # the edit itself produced unserialisable JSON
                continue
            outcome(suite, lambda folder=folder: _finite(load_detector(folder)), well_formed=not case_edits)


test_fuzz_model_loading, test_fuzz_model_loading_large = both(
    _body, {"case": tampering()}, given, quick_strategies={"case": tampering(("knn", "pca", "iforest", "kmeans"))})


def _predictor_body(case: tuple[str, list, bool]) -> None:
    method, edits, rechecksum = case
    suite = f"predictor loading {'rechecksummed' if rechecksum else 'plain'}"
    with tempfile.TemporaryDirectory() as d:
        for folder, case_edits in ((Path(d) / "untouched", []), (Path(d) / "edited", edits)):
            shutil.copytree(_saved(method), folder)
            try:
                _apply(folder, case_edits, rechecksum)
            except (TypeError, ValueError):  # the edit itself produced unserialisable JSON
                continue
            outcome(suite, lambda folder=folder: _finite_predictor(load_predictor(folder)),
                    well_formed=not case_edits)


test_fuzz_predictor_loading, test_fuzz_predictor_loading_large = both(
    _predictor_body, {"case": tampering(PREDICTORS)}, given)
