"""TSB-AD parity of ``augury.metrics.tsbad``: golden file (always) and live tsb-ad (when installed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from augury.errors import MetricError
from augury.metrics import (
    event_f1,
    oracle_affiliation_f,
    oracle_event_f1,
    oracle_pa_f1,
    oracle_range_f1,
    range_auc_roc_pr,
    range_prf,
    tsbad_metrics,
    vus_pred,
)
from augury.metrics.tsbad import TSBAD_KEYS, _range_recall, tsbad_standard_f1

FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(FIXTURES))

from tsbad_cases import ALPHAS, BIASES, CASES, digest, make_case, random_cases  # noqa: E402

GOLDEN = json.loads((FIXTURES / "tsbad_golden.json").read_text())["cases"]
TOL = 1e-9


def _augury_values(y: np.ndarray, s: np.ndarray, p: np.ndarray, window: int) -> dict:
    """The same layout as the golden ``ref`` entries, computed by augury."""
    # Each side alone (range_prf raises if either divides by zero); precision = recall with roles swapped.
    yi, pi = y.astype(np.int8), p.astype(np.int8)
    sides = {f"{alpha}": (yi, pi, alpha) for alpha in ALPHAS} | {"precision": (pi, yi, 0.0)}
    ranges: dict[str, float | None] = {}
    for bias in BIASES:
        for name, (a, b, alpha) in sides.items():
            try:
                ranges[f"{bias}|{name}"] = _range_recall(a, b, alpha, bias)
            except MetricError:
                ranges[f"{bias}|{name}"] = None
        if ranges[f"{bias}|0.2"] is not None and ranges[f"{bias}|precision"] is not None:
            got = range_prf(y, p, 0.2, bias)
            assert (got["recall"], got["precision"]) == (ranges[f"{bias}|0.2"], ranges[f"{bias}|precision"])
    roc, pr = range_auc_roc_pr(y, s, window)
    v = vus_pred(y, p, window)
    return dict(
        oracle_event_f1=oracle_event_f1(y, s),
        oracle_range_f1=oracle_range_f1(y, s),
        oracle_pa_f1=oracle_pa_f1(y, s),
        oracle_affiliation_f=oracle_affiliation_f(y, s),
        standard_f1=tsbad_standard_f1(y, s),
        event_f1=event_f1(y, p),
        range=ranges,
        range_auc_roc=roc,
        range_auc_pr=pr,
        vus_pred=[v["recall"], v["precision"], v["f1"]],
        get_metrics=tsbad_metrics(y, s, window),
        get_metrics_pred=tsbad_metrics(y, s, window, y_pred=p),
    )


def _assert_same(got: dict, ref: dict) -> None:
    for key, want in ref.items():
        if isinstance(want, dict):
            for sub, w in want.items():
                g = got[key][sub]
                if w is None:  # the reference divides by zero; augury raises MetricError
                    assert g is None, (key, sub)
                else:
                    assert g == pytest.approx(w, abs=TOL), (key, sub)
        else:
            assert got[key] == pytest.approx(want, abs=TOL), key


@pytest.mark.parametrize("row", GOLDEN, ids=[str(r["spec"]["seed"]) for r in GOLDEN])
def test_matches_frozen_tsb_ad_values(row: dict) -> None:
    y, s, p = make_case(row["spec"])
    assert digest(y, s, p) == row["digest"], "NumPy's random stream changed: regenerate the golden file"
    _assert_same(_augury_values(y, s, p, row["spec"]["window"]), row["ref"])


def test_golden_file_covers_the_hard_cases() -> None:
    assert len(GOLDEN) == len(CASES) >= 30
    specs = [r["spec"] for r in GOLDEN]
    assert any(s["start"] for s in specs) and any(s["end"] for s in specs)
    assert {"ties", "normal"} == {s["scores"] for s in specs} and {0, 1, 40} <= {s["window"] for s in specs}
    nulls = [v for r in GOLDEN for v in r["ref"]["range"].values() if v is None]
    assert nulls, "no case exercises the zero-weight bias error"


# Fresh seeds (not those of the golden file), short series. The reference's oracle loops take
# ~0.5 s a case, so 8 cases run by default and all 30 with ``-m slow``.
LIVE = [
    pytest.param(spec, id=str(spec["seed"]), marks=[pytest.mark.slow] if i >= 8 else [])
    for i, spec in enumerate(random_cases(count=30, seed=777, sizes=(5, 20, 60)))
]


@pytest.mark.parametrize("spec", LIVE)
def test_agrees_with_installed_tsb_ad(spec: dict) -> None:
    pytest.importorskip("TSB_AD.evaluation.basic_metrics")
    from make_tsbad_golden import reference_values

    y, s, p = make_case(spec)
    # get_metrics is only a composition of these parts; the golden file checks it as a whole.
    _assert_same(_augury_values(y, s, p, spec["window"]), reference_values(y, s, p, spec["window"], full=False))


def test_hand_worked_event_and_range_scores() -> None:
    y = np.array([0, 1, 1, 1, 0, 0, 1, 1, 0, 0])
    p = np.array([0, 0, 1, 0, 0, 1, 0, 0, 0, 0])
    # Event recall 1/2 (second event missed), point precision 1/2.
    assert event_f1(y, p) == pytest.approx(2 * 0.5 * 0.5 / (1 + 1e-15))
    got = range_prf(y, p)
    # Recall: event 1 exists (0.2) + overlap 1/3 (0.8); event 2 nothing -> (0.2 + 0.8/3) / 2.
    assert got["recall"] == pytest.approx((0.2 + 0.8 / 3) / 2)
    # Precision: prediction {2} lies fully in event 1, prediction {5} in none -> (1 + 0) / 2.
    assert got["precision"] == pytest.approx(0.5)
    # The series ends inside an event: TSB-AD records it one step short, so a hit on its last step misses.
    y_end = np.array([0, 0, 0, 1, 1])
    assert event_f1(y_end, np.array([0, 0, 0, 0, 1])) == 0.0
    assert event_f1(y_end, np.array([0, 0, 0, 1, 0])) == pytest.approx(2 / (2 + 1e-15))


def test_tsbad_metrics_keys_and_errors() -> None:
    y, s, _ = make_case(CASES[0])
    assert tuple(tsbad_metrics(y, s, 5)) == TSBAD_KEYS
    with pytest.raises(MetricError, match="bias"):
        range_prf(y, y, bias="sideways")
    with pytest.raises(MetricError, match="no anomaly|both"):
        tsbad_metrics(np.zeros(5), np.arange(5.0))
    with pytest.raises(MetricError, match="flags no step"):
        vus_pred(np.array([0, 1, 0]), np.zeros(3), 2)



@settings(max_examples=25, deadline=None)
@given(st.integers(4, 40).flatmap(lambda n: st.tuples(
    st.lists(st.integers(0, 1), min_size=n, max_size=n).filter(any),
    st.lists(st.integers(0, 5), min_size=n, max_size=n),
)))
def test_oracles_dominate_every_candidate_threshold(data: tuple[list[int], list[int]]) -> None:
    y, s = np.array(data[0]), np.array(data[1], dtype=np.float64)
    best_event, best_range = oracle_event_f1(y, s), oracle_range_f1(y, s)
    for t in np.linspace(s.min(), s.max(), 100)[::9]:
        p = (s > t).astype(int)
        assert event_f1(y, p) <= best_event + 1e-15
        got = range_prf(y, p)
        assert -1e-12 <= got["precision"] <= 1 + 1e-12 and -1e-12 <= got["recall"] <= 1 + 1e-12  # (0.2E + 0.8O) / N rounds
        assert got["f1"] <= best_range + 1e-15


def test_range_f1_matches_tsb_ad_on_signed_labels_not_its_uint8_wraparound() -> None:
    """Issue 20 item 8: TSB-AD's R-based-F1 merges every labelled range into one when the labels are
    uint8 (``np.diff`` wraps); ours equals TSB-AD on int64 labels, the range F1 as defined."""
    basic = pytest.importorskip("TSB_AD.evaluation.basic_metrics")
    rng = np.random.default_rng(0)
    y = np.zeros(3000, dtype=np.uint8)
    for a in (300, 900, 1500, 2200):
        y[a : a + 60] = 1
    s = rng.random(3000) + 0.8 * y + 0.3 * np.roll(y, 40)
    grader = basic.basic_metricor()
    ours = tsbad_metrics(y, s, 100)["R-based-F1"]
    assert ours == pytest.approx(grader.metric_RF1(y.astype(np.int64), s), abs=1e-12)
    assert grader.metric_RF1(y, s) < ours - 0.02  # the reference's defect, not ours


REALDATA = json.loads((FIXTURES / "tsbad_realdata.json").read_text())["cases"]


@pytest.mark.parametrize("key", sorted(REALDATA))
def test_matches_frozen_tsb_ad_values_on_real_detector_scores(key: str) -> None:
    """knn ``cpu`` scores on a 5,000-step slice of MSL and of an SMD machine (``make_tsbad_realdata.py``):
    every ``get_metrics`` key equals TSB-AD's on int64 labels; its uint8-label R-based-F1 is the defect."""
    case = REALDATA[key]
    with np.load(FIXTURES / "tsbad_realdata.npz") as z:
        y, s = z[f"{key}.labels"], z[f"{key}.scores"].astype(np.float64)
    assert y.shape == s.shape == (5000,) and y.dtype == np.uint8 and y.sum() > 0
    got = tsbad_metrics(y, s, case["window"])
    assert set(got) == set(case["ref"])
    for name, want in case["ref"].items():
        assert got[name] == pytest.approx(want, abs=TOL), name
    assert abs(case["uint8_r_based_f1"] - got["R-based-F1"]) > 1e-3
