"""The shared benchmark suite and its leaderboard (docs/benchmarks/leaderboard.md).

The suite is a fixed list of *parts*: MSL concatenated and per entity, SMD per machine, CalIt2,
NAB per series, and the TSB-AD files under ``--protocol tsbad``. Every (part, method) run goes
through :func:`augury.bench.grid.run_grid` into one results folder, so an interrupted
leaderboard resumes where it stopped. The leaderboard weighs parts equally: a part's score is
the mean over its series that *every* listed method ran ``ok`` (series without a labelled
anomaly have no AUC/VUS and are left out of that mean), and the method's score is the mean over
parts; its rank is the mean of its per-part ranks (1 = best VUS-PR). The random scorer's value
(``random_<metric>`` of each row, same labels) is averaged the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from augury.bench.config import RunSpec
from augury.bench.grid import expand_grid, run_grid
from augury.bench.store import ResultStore

RANDOM = "random"
#: methods that are not candidates for an oracle bound: the reference scorer and the combination itself
NOT_SINGLE = (RANDOM, "ensemble")


@dataclass(frozen=True)
class Part:
    """One suite entry: a ``dataset`` under the data root, run per entity (``fleet``) or whole, under ``protocol``."""

    label: str
    dataset: str
    fleet: bool = False
    protocol: str = "default"


SUITE: tuple[Part, ...] = (
    Part("MSL", "MSL"),
    Part("MSL per entity", "MSL", fleet=True),
    Part("SMD per machine", "SMD", fleet=True),
    Part("CalIt2", "CalIt2"),
    Part("NAB per series", "NAB", fleet=True),
    Part("TSB-AD-M (tsbad)", "TSB-AD-M", fleet=True, protocol="tsbad"),
    Part("TSB-AD-U (tsbad)", "TSB-AD-U", fleet=True, protocol="tsbad"),
)


def select_parts(labels: Sequence[str] | None) -> tuple[Part, ...]:
    """The suite parts named by ``labels`` (all when ``None``); an unknown label raises ``ValueError``."""
    if not labels:
        return SUITE
    known = {p.label: p for p in SUITE}
    unknown = [label for label in labels if label not in known]
    if unknown:
        raise ValueError(f"unknown suite part(s) {unknown}; parts: {', '.join(known)}")
    return tuple(known[label] for label in labels)


def suite_specs(methods: Sequence[str], parts: Sequence[Part] = SUITE, *, preset: str = "cpu",
                data_root: str | Path | None = None, overrides: dict[str, Any] | None = None,
                method_overrides: Mapping[str, Mapping[str, Any]] | None = None) -> list[tuple[Part, RunSpec]]:
    """Every run of the suite as ``(part, spec)`` pairs, parts in order.

    ``overrides`` apply to every method; ``method_overrides`` (method → ``{key: value}``) to one
    method only, on top of ``overrides``, so that e.g. VAN-AD's backbone can be set in a
    leaderboard that also lists methods without that parameter.
    """
    method_overrides = method_overrides or {}
    unknown = sorted(set(method_overrides) - set(methods))
    if unknown:
        raise ValueError(f"overrides for method(s) {unknown} that are not in the method list {list(methods)}")
    # one expand_grid call (one manifest read) per part for the methods that share the overrides
    groups = [[m for m in methods if m not in method_overrides]] + [[m] for m in methods if m in method_overrides]
    out = []
    for part in parts:
        for group in filter(None, groups):
            merged = {**(overrides or {}), **method_overrides.get(group[0], {})} or None
            specs = expand_grid([part.dataset], group, preset=preset, data_root=data_root, fleet=part.fleet,
                                protocol=part.protocol, overrides=merged)
            out += [(part, s) for s in specs]
    return out


def run_suite(methods: Sequence[str], out: str | Path, parts: Sequence[Part] = SUITE, *, preset: str = "cpu",
              data_root: str | Path | None = None, overrides: dict[str, Any] | None = None,
              method_overrides: Mapping[str, Mapping[str, Any]] | None = None,
              workers: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run (or resume) the suite in ``out``; returns ``(per-part table, leaderboard)`` (see :func:`leaderboard`)."""
    pairs = suite_specs(methods, parts, preset=preset, data_root=data_root, overrides=overrides,
                        method_overrides=method_overrides)
    table = run_grid([s for _, s in pairs], out, workers=workers)
    return summarise(table, pairs, methods)


def summarise_folder(methods: Sequence[str], out: str | Path, parts: Sequence[Part] = SUITE, *,
                     preset: str = "cpu", data_root: str | Path | None = None,
                     overrides: dict[str, Any] | None = None,
                     method_overrides: Mapping[str, Mapping[str, Any]] | None = None,
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The leaderboard of the runs already in ``out``, running nothing (a part's mean is over the
    series every listed method finished, as in :func:`run_suite`)."""
    table = ResultStore(out).table()
    if table.empty:
        raise FileNotFoundError(f"no stored runs in {out}: run the suite there first (without --summary-only)")
    pairs = suite_specs(methods, parts, preset=preset, data_root=data_root, overrides=overrides,
                        method_overrides=method_overrides)
    return summarise(table, pairs, methods)


def summarise(table: pd.DataFrame, pairs: Sequence[tuple[Part, RunSpec]],
              methods: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-part means (rows: part × method, plus ``random``) and the leaderboard (one row per method)."""
    runs = table[table["status"].isin(["ok", "failed"])]
    part_of = {(s.dataset, s.method, s.config_hash): p.label for p, s in pairs}
    runs = runs.assign(part=[part_of.get((d, m, h)) for d, m, h in zip(runs["dataset"], runs["method"],
                                                                       runs["config_hash"], strict=True)])
    runs = runs[runs["part"].notna() & runs["method"].isin(methods)]
    rows = []
    for label in dict.fromkeys(p.label for p, _ in pairs):
        group = runs[runs["part"] == label]
        ok = group[group["status"] == "ok"]
        per_method = [set(ok.loc[ok["method"] == m, "dataset"]) for m in methods]
        common = set.intersection(*per_method) if per_method else set()
        shared = ok[ok["dataset"].isin(common)]
        singles = shared[~shared["method"].isin(NOT_SINGLE)]
        # Above the per-part bound: the best single method of each series, picked with that
        # series' labels, so no rule that selects one of these methods per series exceeds it
        # (a combination that beats its members on a series can).
        series_oracle = singles.groupby("dataset")["vus_pr"].max().mean() if not singles.empty else np.nan
        for method in methods:
            mine = shared[shared["method"] == method]
            # Beside the common-series mean: the mean over every series this method finished, so one
            # method's refusals do not hide how the others did on the series it dropped.
            own = ok.loc[ok["method"] == method, "vus_pr"]
            rows.append({"part": label, "method": method, "n_series": len(common),
                         "n_failed": int((group.loc[group["method"] == method, "status"] == "failed").sum()),
                         "vus_pr": mine["vus_pr"].mean(), "auc_roc": mine["auc_roc"].mean(),
                         "own_vus_pr": own.mean(), "series_oracle_vus_pr": series_oracle,
                         "wall_s": mine["wall_s"].sum()})
        # the random scorer on the same labels (identical across methods up to the common series)
        first = shared[shared["method"] == methods[0]]
        random_vus = first["random_vus_pr"].mean() if "random_vus_pr" in first else np.nan
        rows.append({"part": label, "method": RANDOM, "n_series": len(common), "n_failed": 0,
                     "vus_pr": random_vus,
                     "auc_roc": first["random_auc_roc"].mean() if "random_auc_roc" in first else np.nan,
                     "own_vus_pr": random_vus, "series_oracle_vus_pr": series_oracle, "wall_s": 0.0})
    parts = pd.DataFrame(rows)
    return parts, leaderboard(parts)


def leaderboard(parts: pd.DataFrame) -> pd.DataFrame:
    """One row per method (and ``random``): mean VUS-PR / AUC-ROC over parts, mean rank by VUS-PR, sorted.

    ``own_vus_pr`` is the mean over parts of the method's VUS-PR on every series it finished (the
    other columns use the series every method finished); it is left out for a per-part table
    written before that column existed.
    """
    ranked = parts.copy()
    ranked["rank"] = ranked.groupby("part")["vus_pr"].rank(ascending=False, method="average")
    own = {"own_vus_pr": ("own_vus_pr", "mean")} if "own_vus_pr" in parts else {}
    board = ranked.groupby("method", sort=False).agg(
        mean_vus_pr=("vus_pr", "mean"), mean_auc_roc=("auc_roc", "mean"), mean_rank=("rank", "mean"), **own,
        n_parts=("vus_pr", "count"), n_failed=("n_failed", "sum"), wall_s=("wall_s", "sum"))
    return board.sort_values("mean_vus_pr", ascending=False).reset_index()


def oracle_bound(parts: pd.DataFrame, exclude: Sequence[str] = NOT_SINGLE) -> tuple[float, dict[str, str]]:
    """Mean over parts of the best single method's VUS-PR, and that method per part.

    The best method is picked with the test labels, so no deployable selector reaches this
    score; it bounds what choosing one method per part could give (methods in ``exclude`` are
    not candidates). :func:`summarise` also stores the per-series bound, the mean over each
    part's series of the best single method *of that series*, as ``series_oracle_vus_pr``.
    """
    single = parts[~parts["method"].isin(exclude)].dropna(subset=["vus_pr"])
    best = single.loc[single.groupby("part", sort=False)["vus_pr"].idxmax()]
    return float(best["vus_pr"].mean()), dict(zip(best["part"], best["method"], strict=True))


def markdown(parts: pd.DataFrame, board: pd.DataFrame) -> str:
    """The leaderboard, the per-part VUS-PR table and the per-part oracle bound as markdown."""
    def table(df: pd.DataFrame) -> str:
        cols = list(df.columns)
        fmt = [lambda v: "-" if pd.isna(v) else (f"{v:.3f}" if isinstance(v, float) else str(v))]
        lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        lines += ["| " + " | ".join(fmt[0](v) for v in row) + " |" for row in df.itertuples(index=False)]
        return "\n".join(lines)

    wide = parts.pivot(index="method", columns="part", values="vus_pr")
    wide = wide[list(dict.fromkeys(parts["part"]))].reset_index()
    bound, best = oracle_bound(parts)
    picks = ", ".join(f"{part}: {method}" for part, method in best.items())
    oracle = (f"mean VUS-PR {bound:.3f} ({picks})" if best
              else "none, since no single method (other than the ensemble) is listed")
    text = (f"## Leaderboard\n\n{table(board)}\n\n## VUS-PR per part\n\n{table(wide)}\n\n"
            f"Oracle bound (best single method of each part, picked with the test labels): {oracle}.\n")
    if best and "series_oracle_vus_pr" in parts:  # absent from per-part tables written before it existed
        per_series = parts.groupby("part", sort=False)["series_oracle_vus_pr"].first()
        if per_series.notna().all():
            text += (f"Per-series oracle bound (best single method of each series, picked with its test labels): "
                     f"mean VUS-PR {per_series.mean():.3f}.\n")
    return text
