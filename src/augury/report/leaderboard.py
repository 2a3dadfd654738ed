"""The verdict first: per dataset, methods ranked by a threshold-free metric, beside chance and the paper.

One row per (dataset, method) of a results table: the fleet aggregate for a collection run
entity by entity, else the seed mean when there are several seeds, else the single run. Ranked
by VUS-PR (threshold-free and robust to label boundaries, TSB-AD's recommendation), with
AUC-ROC, the random scorer's values and the published numbers beside it.
"""

from __future__ import annotations

import pandas as pd

RANK_METRIC = "vus_pr"
#: leaderboard columns, in order (those absent from the results are left out)
COLUMNS = ["rank", "method", RANK_METRIC, f"random_{RANK_METRIC}", f"paper_{RANK_METRIC}", "auc_roc", "random_auc_roc",
           "paper_auc_roc", "pa_f1", "random_pa_f1", "paper_pa_f1", "pa_f1_train", "flagged_fraction_train",
           "n_entities", "n_labelled", "n_seeds", "wall_s"]
#: preference among the rows of one (dataset, method): a summary over entities or seeds beats one run
_PREFERENCE = {"aggregate": 0, "seed_mean": 1, "ok": 2}


def leaderboard(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """``{dataset: table}`` for the ``detect`` rows of a results table (as :meth:`ResultStore.table`
    returns it), each table ranked by :data:`RANK_METRIC` (best first; methods without it last).

    Fleet entities (``<collection>/<entity>``) are left to the details; their collection's
    aggregate row stands for them.
    """
    if df.empty or "status" not in df:
        return {}
    rows = df[df["status"].isin(_PREFERENCE) & ~df["dataset"].astype(str).str.contains("/", regex=False)]
    if "task" in rows:
        rows = rows[rows["task"].eq("detect")]
    rows = rows.assign(_pref=rows["status"].map(_PREFERENCE))
    out = {}
    for dataset, group in rows.groupby("dataset", sort=True):
        best = group.sort_values("_pref").drop_duplicates("method", keep="first")
        if RANK_METRIC in best:
            best = best.sort_values(RANK_METRIC, ascending=False, na_position="last")
        best = best.assign(rank=range(1, len(best) + 1))
        out[str(dataset)] = best[[c for c in COLUMNS if c in best.columns]].reset_index(drop=True)
    return out
