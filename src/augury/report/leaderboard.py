"""The verdict first: per dataset, methods ranked by a threshold-free metric, beside chance and the paper.

One row per (dataset, method) of a results table: the fleet aggregate for a collection run
entity by entity, else the seed mean when there are several seeds, else the single run. Detection
runs are ranked by VUS-PR (threshold-free and robust to label boundaries, TSB-AD's recommendation),
with AUC-ROC, the random scorer's values and the published numbers beside it; early-warning runs
(``task == "predict"``) by window AUC, with its bootstrap interval, the lead time and false
warnings at δ*, and the label-reading persistence reference beside it.
"""

from __future__ import annotations

import pandas as pd

from augury.bench.store import variant_columns

RANK_METRIC = "vus_pr"
#: leaderboard columns, in order (those absent from the results are left out)
COLUMNS = ["rank", "method", RANK_METRIC, f"random_{RANK_METRIC}", f"paper_{RANK_METRIC}", "auc_roc", "random_auc_roc",
           "paper_auc_roc", "pa_f1", "random_pa_f1", "paper_pa_f1", "pa_f1_train", "flagged_fraction_train",
           "n_entities", "n_labelled", "n_seeds", "wall_s"]
PREDICT_RANK_METRIC = "win_auc"
#: early-warning leaderboard columns, in order
PREDICT_COLUMNS = ["rank", "method", PREDICT_RANK_METRIC, "win_auc_ci_low", "win_auc_ci_high", "paper_win_auc", "win_f1",
                   "paper_win_f1", "events_warned", "events", "mean_lead_steps", "false_warnings_per_1000", "flat_risk",
                   "persistence_win_auc", "n_test", "test_pos", "n_seeds", "wall_s"]
#: preference among the rows of one (dataset, method): a summary over entities or seeds beats one run
_PREFERENCE = {"aggregate": 0, "seed_mean": 1, "ok": 2}


def leaderboard(df: pd.DataFrame, task: str = "detect") -> dict[str, pd.DataFrame]:
    """``{dataset: table}`` for the rows of one ``task`` of a results table (as :meth:`ResultStore.table`
    returns it), each table ranked by :data:`RANK_METRIC` (``detect``) or :data:`PREDICT_RANK_METRIC`
    (``predict``), best first; methods without it last.

    Fleet entities (``<collection>/<entity>``) are left to the details; their collection's
    aggregate row stands for them.
    """
    if df.empty or "status" not in df:
        return {}
    metric, columns = (RANK_METRIC, COLUMNS) if task == "detect" else (PREDICT_RANK_METRIC, PREDICT_COLUMNS)
    rows = df[df["status"].isin(_PREFERENCE) & ~df["dataset"].astype(str).str.contains("/", regex=False)]
    rows = rows[rows["task"].eq(task)] if "task" in rows else rows if task == "detect" else rows.iloc[:0]
    rows = variant_columns(rows.assign(_pref=rows["status"].map(_PREFERENCE)))
    # runs under another protocol or label mode are another benchmark: their own table
    rows = rows.assign(_table=rows["dataset"].astype(str) + rows["protocol"].map(
        lambda p: "" if p == "default" else f" ({p})") + rows["label_mode"].map(
        lambda m: "" if m == "next" else f" ({m} labels)"))
    out = {}
    for dataset, group in rows.groupby("_table", sort=True):
        best = group.sort_values("_pref").drop_duplicates("method", keep="first")
        if metric in best:
            best = best.sort_values(metric, ascending=False, na_position="last")
        best = best.assign(rank=range(1, len(best) + 1))
        out[str(dataset)] = best[[c for c in columns if c in best.columns]].reset_index(drop=True)
    return out
