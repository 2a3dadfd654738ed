"""Published numbers (package data ``paper_results.csv``) beside ours: ``paper_<metric>``, ``ratio_<metric>``."""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd

#: Our method name → the name the papers' tables use. Methods absent from the tables (e.g.
#: ``iforest``, ``hbos``) get no paper columns rather than a guessed match.
PAPER_METHOD = {
    "amad": "AMAD",
    "vanad": "VAN-AD",
    "mtsjepa": "MTS-JEPA",
    "pca": "PCA",
    "knn": "KNN",
    "lof": "LOF",
    "cblof": "CBLOF",
    "kmeans": "K-Means",
}


@cache
def paper_results() -> pd.DataFrame:
    """The shipped table: columns ``paper, table, dataset, method, metric, value, note``."""
    with resources.files("augury.bench").joinpath("paper_results.csv").open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh)


def add_paper_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with ``paper_<metric>``, ``ratio_<metric>`` (ours / paper) and ``paper_source``.

    Matched on the exact dataset name (a fleet entity such as ``SMD/machine-1-1`` has no published
    number; its aggregate row ``SMD`` does) and the mapped method name. Rows without a match get
    empty cells; ``ratio_<metric>`` is empty when our value is missing (e.g. a failed run).
    """
    out = df.copy()
    ref = paper_results()
    pairs = list(zip(out["dataset"], out["method"].map(PAPER_METHOD), strict=True))
    for metric, table in ref.groupby("metric", sort=True):
        lookup = table.set_index(["dataset", "method"])["value"]
        values = [lookup.get((d, m)) if isinstance(m, str) else None for d, m in pairs]
        paper = pd.Series(values, index=out.index, dtype="float64")
        if paper.notna().any():
            out[f"paper_{metric}"] = paper
            ours = pd.to_numeric(out[metric], errors="coerce") if metric in out else pd.Series(float("nan"), index=out.index)
            out[f"ratio_{metric}"] = ours / paper
    source = ref.assign(src=ref["paper"] + ":" + ref["table"].astype(str) + " (" + ref["note"] + ")")
    src = source.drop_duplicates(["dataset", "method"]).set_index(["dataset", "method"])["src"]
    out["paper_source"] = [src.get((d, m)) if isinstance(m, str) else None for d, m in pairs]
    return out
