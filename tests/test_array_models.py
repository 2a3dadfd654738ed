"""Array-state outlier models: same scores as the PyOD models they replace, exact restore from arrays."""

from __future__ import annotations

import numpy as np
import pytest

from augury.detectors import array_models as am
from augury.errors import DataError

RNG = np.random.default_rng(0)
TRAIN = RNG.normal(size=(300, 12))
TEST = RNG.normal(size=(80, 12)) * 1.5


def _pyod(name):
    from pyod.models.cblof import CBLOF
    from pyod.models.hbos import HBOS
    from pyod.models.iforest import IForest
    from pyod.models.knn import KNN
    from pyod.models.lof import LOF
    from pyod.models.ocsvm import OCSVM

    return {"iforest": IForest(n_estimators=30, random_state=0, n_jobs=1), "lof": LOF(n_neighbors=20, novelty=True),
            "knn": KNN(n_neighbors=5), "cblof": CBLOF(n_clusters=8, random_state=0), "hbos": HBOS(n_bins=10),
            "ocsvm": OCSVM(nu=0.5)}[name]


OURS = {"iforest": lambda: am.IForestModel(30, 0), "lof": lambda: am.LOFModel(20), "knn": lambda: am.KNNModel(5),
        "cblof": lambda: am.CBLOFModel(8, 0), "hbos": lambda: am.HBOSModel(10), "ocsvm": lambda: am.OCSVMModel(0.5)}


# PyOD's cblof/hbos JIT-compile on first use (10-20 s on a loaded machine): slow-marked.
@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in ("cblof", "hbos") else n
                                  for n in sorted(OURS)])
def test_matches_pyod_and_restores_exactly(name):
    ours = OURS[name]().fit(TRAIN)
    ref = _pyod(name).fit(TRAIN).decision_function(TEST)
    got = ours.decision_function(TEST)
    diff = got - ref
    # iforest: PyOD's contamination=0.1 only shifts scikit-learn's offset, a constant.
    assert np.ptp(diff) < 1e-9 and (name == "iforest" or np.abs(diff).max() < 1e-9)
    restored = OURS[name]().restore({k: v.copy() for k, v in ours.state().items()})
    assert np.array_equal(restored.decision_function(TEST), got)


def test_pca_is_bounded_with_constant_features():
    train = np.hstack([TRAIN[:, :3], np.zeros((300, 5))])
    test = np.hstack([TEST[:, :3], np.full((80, 5), 1e3)])
    m = am.PCAModel(None, 0).fit(train)
    s = m.decision_function(test)
    bound = np.linalg.norm(test - m.mean_, axis=1) / np.sqrt(m.floor_[0])
    assert np.all(np.isfinite(s)) and np.all(s <= bound * (1 + 1e-9))


def test_inconsistent_arrays_are_refused():
    state = am.IForestModel(5, 0).fit(TRAIN).state()
    state["left"] = state["left"].copy()
    state["left"][0] = 0  # a self-loop
    with pytest.raises(ValueError, match="tree structure"):
        am.IForestModel(5, 0).restore(state)
    with pytest.raises(DataError, match="n_neighbors"):
        am.KNNModel(5).fit(TRAIN[:5])
