"""The shared suite's leaderboard: common-series means, random row, ranks, oracle bound, markdown."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from augury.bench.suite import (
    RANDOM,
    SUITE,
    Part,
    leaderboard,
    markdown,
    oracle_bound,
    select_parts,
    summarise,
)

A, B = Part("A", "dsA", fleet=True), Part("B", "dsB")


def _runs() -> tuple[pd.DataFrame, list]:
    rows, pairs = [], []
    # part A: two series; method m2 failed on the second, so only the first counts for everyone
    for dataset, m1, m2, status2 in (("dsA/1", 0.4, 0.6, "ok"), ("dsA/2", 0.9, np.nan, "failed")):
        for method, vus, status in (("m1", m1, "ok"), ("m2", m2, status2)):
            rows.append({"dataset": dataset, "method": method, "config_hash": method, "status": status,
                         "vus_pr": vus, "auc_roc": 0.7, "wall_s": 1.0,
                         "random_vus_pr": 0.1, "random_auc_roc": 0.5})
            pairs.append((A, SimpleNamespace(dataset=dataset, method=method, config_hash=method)))
    for method, vus in (("m1", 0.8), ("m2", 0.2)):
        rows.append({"dataset": "dsB", "method": method, "config_hash": method, "status": "ok", "vus_pr": vus,
                     "auc_roc": 0.6, "wall_s": 2.0, "random_vus_pr": 0.3, "random_auc_roc": 0.5})
        pairs.append((B, SimpleNamespace(dataset="dsB", method=method, config_hash=method)))
    return pd.DataFrame(rows), pairs


def test_parts_average_the_series_every_method_finished() -> None:
    table, pairs = _runs()
    parts, board = summarise(table, pairs, ["m1", "m2"])
    a = parts[parts["part"] == "A"].set_index("method")
    assert a.loc["m1", "vus_pr"] == 0.4 and a.loc["m2", "vus_pr"] == 0.6  # dsA/2 dropped for both
    assert a.loc["m2", "n_failed"] == 1 and a.loc[RANDOM, "vus_pr"] == 0.1
    # over its own finished series m1 keeps dsA/2 (0.4 and 0.9); m2 has only dsA/1
    assert a.loc["m1", "own_vus_pr"] == pytest.approx(0.65) and a.loc["m2", "own_vus_pr"] == 0.6
    board = board.set_index("method")
    assert board.loc["m1", "mean_vus_pr"] == pytest.approx(0.6)  # (0.4 + 0.8) / 2
    assert board.loc["m2", "mean_vus_pr"] == pytest.approx(0.4)
    assert board.loc["m1", "own_vus_pr"] == pytest.approx(0.725)  # (0.65 + 0.8) / 2
    # ranks include the random row: m2 is below random on B
    assert board.loc["m1", "mean_rank"] == 1.5 and board.loc["m2", "mean_rank"] == 2.0
    assert list(leaderboard(parts)["method"])[:2] == ["m1", "m2"]
    # a per-part table written before own_vus_pr existed still gives a leaderboard
    old = leaderboard(parts.drop(columns="own_vus_pr")).set_index("method")
    assert "own_vus_pr" not in old and old.loc["m1", "mean_vus_pr"] == pytest.approx(0.6)


def test_oracle_bound_takes_each_parts_best_single_method() -> None:
    table, pairs = _runs()
    parts, _ = summarise(table, pairs, ["m1", "m2"])
    bound, picks = oracle_bound(parts)
    assert picks == {"A": "m2", "B": "m1"} and bound == pytest.approx((0.6 + 0.8) / 2)
    ensemble = parts.assign(method=parts["method"].replace({"m2": "ensemble"}))
    assert oracle_bound(ensemble)[1] == {"A": "m1", "B": "m1"}  # the ensemble is not a candidate


def test_the_per_series_oracle_picks_each_series_best_single_method() -> None:
    rows, pairs = [], []
    # m1 wins s1, m2 wins s2: the part's best method (m1, mean 0.5) is below the per-series pick (0.7)
    for dataset, scores in (("dsA/1", {"m1": 0.9, "m2": 0.1, "ensemble": 1.0}),
                            ("dsA/2", {"m1": 0.1, "m2": 0.5, "ensemble": 1.0})):
        for method, vus in scores.items():
            rows.append({"dataset": dataset, "method": method, "config_hash": method, "status": "ok",
                         "vus_pr": vus, "auc_roc": 0.7, "wall_s": 1.0, "random_vus_pr": 0.1,
                         "random_auc_roc": 0.5})
            pairs.append((A, SimpleNamespace(dataset=dataset, method=method, config_hash=method)))
    parts, board = summarise(pd.DataFrame(rows), pairs, ["m1", "m2", "ensemble"])
    assert oracle_bound(parts)[0] == pytest.approx(0.5)
    assert np.allclose(parts["series_oracle_vus_pr"], 0.7)  # the ensemble's 1.0 is not a pick
    assert "Per-series oracle bound (best single method of each series, picked with its test labels): " \
           "mean VUS-PR 0.700" in markdown(parts, board)
    # a per-part table written before the column existed prints only the per-part bound
    assert "Per-series" not in markdown(parts.drop(columns="series_oracle_vus_pr"), board)


def test_markdown_has_both_tables_and_the_bound() -> None:
    table, pairs = _runs()
    text = markdown(*summarise(table, pairs, ["m1", "m2"]))
    assert "## Leaderboard" in text and "## VUS-PR per part" in text
    assert "Oracle bound" in text and "mean VUS-PR 0.700 (A: m2, B: m1)" in text


def test_markdown_of_an_ensemble_alone_has_no_oracle_bound() -> None:
    table, pairs = _runs()
    table["method"] = table["method"].replace({"m1": "ensemble"})
    pairs = [(p, SimpleNamespace(dataset=s.dataset, method="ensemble" if s.method == "m1" else s.method,
                                 config_hash=s.config_hash)) for p, s in pairs]
    text = markdown(*summarise(table, pairs, ["ensemble"]))
    assert "Oracle bound (best single method of each part, picked with the test labels): none" in text
    assert "nan" not in text


def test_select_parts_names_an_unknown_label() -> None:
    assert select_parts(None) == SUITE
    assert select_parts(["CalIt2"])[0].dataset == "CalIt2"
    with pytest.raises(ValueError, match="Calit2"):
        select_parts(["Calit2"])


def test_summarise_folder_tables_the_stored_runs_without_running(tmp_path, monkeypatch) -> None:
    import augury.bench.suite as suite
    from augury.bench.store import ResultStore

    table, pairs = _runs()
    store = ResultStore(tmp_path)
    for row in table.to_dict("records"):
        store.record({**row, "preset": "cpu", "task": "detect", "seed": 0, "run_id": f"{row['dataset']}-{row['method']}"},
                     None)
    monkeypatch.setattr(suite, "suite_specs", lambda *args, **kwargs: pairs)
    monkeypatch.setattr(suite, "run_grid", lambda *args, **kwargs: pytest.fail("summarise_folder ran something"))
    parts, board = suite.summarise_folder(["m1", "m2"], tmp_path)
    expected_parts, expected_board = summarise(table, pairs, ["m1", "m2"])
    pd.testing.assert_frame_equal(board, expected_board)
    assert list(parts["vus_pr"]) == list(expected_parts["vus_pr"])


def test_method_overrides_reach_only_their_method(monkeypatch) -> None:
    import augury.bench.suite as suite

    calls = []

    def fake_expand(datasets, methods, **kwargs):
        calls.append((methods[0], kwargs["overrides"]))
        return [SimpleNamespace(dataset=datasets[0], method=m, config_hash=str(kwargs["overrides"])) for m in methods]

    monkeypatch.setattr(suite, "expand_grid", fake_expand)
    pairs = suite.suite_specs(["knn", "vanad"], (A, B), overrides={"seed": 3},
                              method_overrides={"vanad": {"backbone": "heatmap-mae", "seed": 4}})
    assert [(p.label, s.method) for p, s in pairs] == [("A", "knn"), ("A", "vanad"), ("B", "knn"), ("B", "vanad")]
    assert len(calls) == 4  # one call per part for the methods without their own overrides, one per overridden method
    assert dict(calls)["knn"] == {"seed": 3}
    assert dict(calls)["vanad"] == {"seed": 4, "backbone": "heatmap-mae"}
    with pytest.raises(ValueError, match="amad"):
        suite.suite_specs(["knn"], (A,), method_overrides={"amad": {"epochs": 1}})


def test_summarise_folder_of_an_empty_folder_says_so(tmp_path, monkeypatch) -> None:
    import augury.bench.suite as suite

    monkeypatch.setattr(suite, "suite_specs", lambda *args, **kwargs: [])
    with pytest.raises(FileNotFoundError, match="no stored runs"):
        suite.summarise_folder(["m1"], tmp_path)
