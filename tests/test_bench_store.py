"""Results folder: torn lines, latest row per run, fleet aggregates, paper columns, column order."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from augury.bench.paper import add_paper_columns, paper_results
from augury.bench.store import LEAD_COLUMNS, ResultStore, fleet_aggregates, seed_means


def _row(dataset="A", method="iforest", seed=0, status="ok", h="h1", **metrics):
    row = {"dataset": dataset, "method": method, "preset": "cpu", "task": "detect", "seed": seed, "status": status,
           "config_hash": h, "run_id": f"{dataset}-{method}-{seed}-{h}".replace("/", "-")}
    return {**row, **metrics}


def test_torn_last_line_is_ignored_and_only_ok_runs_count_as_finished(tmp_path):
    store = ResultStore(tmp_path)
    store.record(_row(auc_roc=0.7), {"scores": np.zeros(3), "labels": np.zeros(3), "threshold": np.float64(1)})
    store.record(_row(method="pca", status="failed", error="boom"), None)
    with open(store.jsonl, "a", encoding="utf-8") as fh:
        fh.write('{"dataset": "A", "method": "knn", "sta')  # the driver died mid-write
    rows = store.read_rows()
    assert [r["method"] for r in rows] == ["iforest", "pca"]
    assert store.finished_keys() == {("A", "iforest", "cpu", "detect", 0, "h1")}
    assert store.scores_path(rows[0]["run_id"]).exists() and rows[0]["scores_file"].startswith("scores/")
    assert "scores_file" not in rows[1]
    store.record(_row(method="lof", auc_roc=0.6), None)  # the next row is not glued to the torn one
    assert [r["method"] for r in store.read_rows()] == ["iforest", "pca", "lof"]


def test_nan_metrics_are_stored_as_null(tmp_path):
    store = ResultStore(tmp_path)
    store.record(_row(vus_pr=float("nan")), None)
    assert json.loads(store.jsonl.read_text())["vus_pr"] is None


def test_table_keeps_the_latest_row_per_key_and_an_ok_row_beats_a_failed_one(tmp_path):
    store = ResultStore(tmp_path)
    store.record(_row(status="failed", error="first try"), None)
    store.record(_row(auc_roc=0.8), None)
    store.record(_row(status="failed", error="late duplicate"), None)
    store.record(_row(method="pca", auc_roc=0.1), None)
    store.record(_row(method="pca", auc_roc=0.2), None)
    table = store.write_csv()
    assert list(table["method"]) == ["iforest", "pca"]
    assert list(table["status"]) == ["ok", "ok"] and list(table["auc_roc"]) == [0.8, 0.2]
    # rows without cost columns: the contract columns they have still come first, in order
    assert list(pd.read_csv(store.csv).columns[:6]) == LEAD_COLUMNS[:6]


def test_fleet_aggregate_is_the_mean_over_common_ok_entities_and_never_counts_failures_as_zero():
    df = pd.DataFrame([
        _row("SMD/m1", auc_roc=0.6, wall_s=1.0, peak_mem_mb=100.0, n_test=10),
        _row("SMD/m2", auc_roc=0.8, wall_s=2.0, peak_mem_mb=300.0, n_test=20),
        _row("SMD/m3", status="failed", error="x"),
        _row("SMD/m1", method="pca", auc_roc=0.5, wall_s=1.0, peak_mem_mb=1.0, n_test=10),
        _row("MSL", auc_roc=0.9),
    ])
    agg = fleet_aggregates(df).set_index("method")
    assert set(agg["dataset"]) == {"SMD"} and set(agg["status"]) == {"aggregate"}
    # pca ran m1 only, so both methods are compared on m1: iforest's m2 is excluded (and counted).
    assert math.isclose(agg.loc["iforest", "auc_roc"], 0.6)
    assert agg.loc["iforest", "n_entities"] == 1 and agg.loc["iforest", "n_failed"] == 1
    assert agg.loc["iforest", "n_excluded"] == 1
    assert agg.loc["iforest", "wall_s"] == 1.0 and agg.loc["iforest", "peak_mem_mb"] == 100.0
    assert agg.loc["pca", "n_entities"] == 1 and agg.loc["pca", "auc_roc"] == 0.5
    alone = fleet_aggregates(df[df["method"] == "iforest"]).set_index("method")
    assert math.isclose(alone.loc["iforest", "auc_roc"], 0.7) and alone.loc["iforest", "n_entities"] == 2


def test_paper_columns_match_dataset_and_mapped_method_names():
    ref = paper_results()
    published = ref[(ref.dataset == "CalIt2") & (ref.method == "PCA") & (ref.metric == "auc_roc")]["value"].item()
    df = pd.DataFrame([
        _row("CalIt2", "pca", auc_roc=published / 2),
        _row("CalIt2", "iforest", auc_roc=0.5),  # no IForest in the papers' tables
        _row("CalIt2", "knn", status="failed"),
        _row("SMD/machine-1-1", "pca", auc_roc=0.5),  # papers report whole SMD only
    ])
    out = add_paper_columns(df)
    assert out.loc[0, "paper_auc_roc"] == published and math.isclose(out.loc[0, "ratio_auc_roc"], 0.5)
    assert out.loc[0, "paper_source"].startswith("vanad:II")
    assert out.loc[[1, 3], ["paper_auc_roc", "ratio_auc_roc"]].isna().all().all()
    assert not math.isnan(out.loc[2, "paper_auc_roc"]) and math.isnan(out.loc[2, "ratio_auc_roc"])
    assert "paper_pa_f1" not in out  # no PA numbers published for these methods on CalIt2


def test_amad_maps_to_the_amad_papers_pa_numbers():
    out = add_paper_columns(pd.DataFrame([_row("SMD", "amad", pa_f1=0.5)]))
    assert 0 < out.loc[0, "paper_pa_f1"] <= 1 and "ratio_pa_f1" in out


def test_seed_means_average_ok_seeds_with_std_and_skip_single_seed_runs():
    df = pd.DataFrame([
        _row("A", seed=0, h="a", win_f1=0.2, auc_roc=0.6),
        _row("A", seed=1, h="b", win_f1=0.4, auc_roc=0.8),
        _row("A", seed=2, h="c", status="failed", error="x"),
        _row("B", seed=0, h="d", win_f1=0.9),
    ])
    means = seed_means(df)
    assert len(means) == 1
    row = means.iloc[0]
    assert row["dataset"] == "A" and row["status"] == "seed_mean" and row["seeds"] == "0,1"
    assert math.isclose(row["win_f1"], 0.3) and math.isclose(row["win_f1_std"], np.std([0.2, 0.4], ddof=1))
    assert row["n_seeds"] == 2 and row["n_failed"] == 1 and pd.isna(row["seed"])
