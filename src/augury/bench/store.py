"""The results folder: ``results.jsonl`` (append-only run log), ``results.csv`` (derived) and ``scores/``.

Only the driver writes here. Each finished run is one JSON line appended with a single
``write`` + ``fsync``; a torn last line (the driver was killed mid-write) is ignored on read.
``results.csv`` is regenerated atomically from the log after every run: exactly one row per
run (the latest per run key; an ``ok`` row wins over a failed one) and, on request, the
published numbers. ``summary.csv`` beside it holds the derived rows: fleet aggregates (over
the entities every compared method finished) and seed means.

A failed run is retried on the next invocation unless its failure is deterministic (bad data or
parameters: ``failure_kind == "data"``); those are recorded once and rerun only on request.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from augury.errors import AuguryError
from augury.utils.atomic import append_line_durably, atomic_open, atomic_write_bytes
from augury.utils.names import safe_child

KEY_COLUMNS = ["dataset", "method", "preset", "task", "seed", "config_hash"]
LEAD_COLUMNS = ["dataset", "method", "preset", "task", "seed", "status", "wall_s", "peak_mem_mb", "n_test",
                "coverage"]
THRESHOLD_FREE = ["auc_roc", "auc_pr", "vus_roc", "vus_pr"]
PA_METRICS = ["pa_precision", "pa_recall", "pa_f1"]
WINDOW_METRICS = ["win_precision", "win_recall", "win_f1", "win_auc", "win_auc_ci_low", "win_auc_ci_high"]
METRIC_COLUMNS = THRESHOLD_FREE + PA_METRICS + ["random_pa_f1"] + WINDOW_METRICS
AGGREGATE = "aggregate"
SEED_MEAN = "seed_mean"
RUN_STATUSES = ("ok", "failed")
#: Columns that hold counts: shown without decimals even after a seed mean or aggregate made them floats.
COUNT_COLUMNS = frozenset({"rank", "seed", "n_test", "n_entities", "n_seeds", "test_pos", "events", "events_warned",
                           "flat_risk"})
#: ``failure_kind`` of a failed run that would fail the same way again (DataError and the like)
DETERMINISTIC = "data"
LOCK_FILE = ".lock"


def _json_safe(value: Any) -> Any:
    # JSON has no NaN: undefined metrics are stored as null.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return _json_safe(value.item())
    return value


def _parse_row(raw: bytes) -> dict[str, Any] | None:
    """One log line as a row dict, or ``None`` if it is torn, undecodable or lacks the key columns."""
    if not raw.endswith(b"\n"):
        return None
    try:
        row = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(row, dict) or not all(k in row for k in KEY_COLUMNS + ["status", "run_id"]):
        return None
    # A hand-edited line must be skipped, not crash the table or the report: each column its type.
    if not all(isinstance(row[k], str) for k in ("dataset", "method", "preset", "task", "config_hash", "run_id")):
        return None
    if type(row["seed"]) is not int or row["seed"] < 0 or row["status"] not in RUN_STATUSES:
        return None
    if any(not _is_number(v) for k, v in row.items() if _numeric_column(k)):
        return None
    return row


def _numeric_column(key: str) -> bool:
    # The metrics and costs the table and the report compute with (and train-threshold variants).
    return key.removesuffix("_train") in METRIC_COLUMNS or key in ("wall_s", "peak_mem_mb", "n_test", "coverage")


def _is_number(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


class StoreLockedError(AuguryError, RuntimeError):
    """Another process is writing to the same results folder."""


@contextlib.contextmanager
def _exclusive_lock(root: Path) -> Iterator[None]:
    # flock, not a pid file: the kernel drops the lock when its holder dies, even by SIGKILL.
    if root.exists() and not root.is_dir():
        raise StoreLockedError(f"{root}: exists and is not a folder; expected a results folder for --out")
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreLockedError(f"{root}: another augury bench is writing to this folder; wait for it to "
                                   "finish or choose another --out") from None
        yield
    finally:
        os.close(fd)


class ResultStore:
    """Reader/writer of one results folder ``root``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.jsonl = self.root / "results.jsonl"
        self.csv = self.root / "results.csv"
        self.summary_csv = self.root / "summary.csv"
        self.scores_dir = self.root / "scores"
        #: lines of ``results.jsonl`` the last :meth:`read_rows` could not use
        self.skipped_lines = 0

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """Hold an exclusive lock on the folder (one writer at a time); raises ``StoreLockedError``."""
        return _exclusive_lock(self.root)

    def read_rows(self) -> list[dict[str, Any]]:
        """Every complete, well-formed row of the log, in order.

        Skipped, and counted in ``skipped_lines`` (a user may have edited or concatenated logs):
        a torn last line, bytes that are not UTF-8, JSON that is not an object, and rows without
        the run key columns, ``status`` and ``run_id``, or with a non-scalar key value.
        """
        self.skipped_lines = 0
        if not self.jsonl.exists():
            return []
        rows = []
        for raw in self.jsonl.read_bytes().splitlines(keepends=True):
            row = _parse_row(raw)
            if row is None:
                self.skipped_lines += raw.strip() != b""
            else:
                rows.append(row)
        return rows

    def finished_keys(self, retry_failed: bool = False) -> set[tuple]:
        """Keys of runs not to run again: status ``ok``, and deterministic failures (bad data or
        parameters) unless ``retry_failed``. Other failures (a killed worker, out of memory) are retried."""
        return {tuple(r[c] for c in KEY_COLUMNS) for r in self.read_rows()
                if r.get("status") == "ok" or (not retry_failed and r.get("failure_kind") == DETERMINISTIC)}

    def scores_path(self, run_id: str) -> Path:
        """Where the test scores of run ``run_id`` are kept."""
        return safe_child(self.scores_dir, f"{run_id}.npz")

    def record(self, row: dict[str, Any], arrays: dict[str, np.ndarray] | None) -> None:
        """Persist one finished run: its scores file first, then its log line (so a logged run always
        has its scores)."""
        if arrays is not None:
            buf = io.BytesIO()
            np.savez_compressed(buf, **arrays)
            atomic_write_bytes(self.scores_path(row["run_id"]), buf.getvalue())
            row = {**row, "scores_file": f"scores/{row['run_id']}.npz"}
        self._end_torn_line()
        append_line_durably(self.jsonl, json.dumps({k: _json_safe(v) for k, v in row.items()}, sort_keys=True))

    def _end_torn_line(self) -> None:
        # A driver killed mid-append leaves a line without newline; terminate it so the next row
        # starts on a line of its own (the torn line stays unparseable and is skipped on read).
        if not self.jsonl.exists() or self.jsonl.stat().st_size == 0:
            return
        with open(self.jsonl, "rb") as fh:
            fh.seek(-1, 2)
            if fh.read(1) != b"\n":
                append_line_durably(self.jsonl, "")

    def table(self, compare_paper: bool = False) -> pd.DataFrame:
        """Latest row per run key, plus fleet aggregate and seed-mean rows; columns in the contract's order."""
        rows = self.read_rows()
        if not rows:
            return pd.DataFrame(columns=LEAD_COLUMNS)
        df = pd.DataFrame(rows)
        df["_ok"] = df["status"].eq("ok")
        df["_order"] = range(len(df))
        df = (df.sort_values(["_ok", "_order"]).drop_duplicates(KEY_COLUMNS, keep="last")
              .sort_values("_order").drop(columns=["_ok", "_order"]))
        df = pd.concat([df, fleet_aggregates(df), seed_means(df)], ignore_index=True)
        # Aggregate rows have no seed; keep the others integers in the CSV (not 0.0).
        df["seed"] = pd.to_numeric(df["seed"]).astype("Int64")
        if compare_paper:
            from augury.bench.paper import add_paper_columns

            df = add_paper_columns(df)
        return df[order_columns(df.columns)].reset_index(drop=True)

    def write_csv(self, compare_paper: bool = False) -> pd.DataFrame:
        """Regenerate ``results.csv`` (one row per run) and ``summary.csv`` (fleet aggregates and seed
        means) atomically from the log; returns the whole table."""
        df = self.table(compare_paper)
        runs = df["status"].isin(RUN_STATUSES)
        for path, part in ((self.csv, df[runs]), (self.summary_csv, df[~runs])):
            with atomic_open(path, "w") as fh:
                spreadsheet_safe(part.drop(columns=["traceback"], errors="ignore")).to_csv(fh, index=False)
        return df


#: A text cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell that a spreadsheet would read as a formula prefixed by ``'``
    (a dataset named ``=HYPERLINK(...)``); numbers, including negative ones, are untouched."""
    def cell(value: Any) -> Any:
        return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value

    text = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
    return df.assign(**{c: df[c].map(cell) for c in text}) if text else df


def order_columns(columns: Any) -> list[str]:
    """Contract columns first, then metrics, random baselines, paper columns, then the rest sorted."""
    cols = list(columns)
    first = [c for c in LEAD_COLUMNS + METRIC_COLUMNS if c in cols]
    random = sorted(c for c in cols if c.startswith("random_") and c not in first)
    paper = sorted((c for c in cols if c.startswith(("paper_", "ratio_"))), key=lambda c: (c.split("_", 1)[1], c))
    taken = set(first) | set(random) | set(paper)
    return first + random + paper + sorted(c for c in cols if c not in taken)


def fleet_aggregates(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (collection, method, preset, task, seed) over fleet entity rows ``<collection>/<entity>``.

    Numeric columns are the mean over the entities that *every* method of the same (collection,
    preset, task, seed) ran ``ok``, so methods are compared on the same series: ``n_entities``
    counts them, ``n_failed`` the entities this method failed on and ``n_excluded`` the entities
    it finished but another method did not (both left out, never counted as zero), ``n_labelled`` the
    common entities with a labelled anomaly (those the AUC/VUS means cover). ``status`` is
    ``aggregate``, ``wall_s`` and ``n_test`` the sum, ``peak_mem_mb`` the maximum. A metric that is
    undefined on some common entities (e.g. AUC on an anomaly-free series) is the mean over the others.
    """
    runs = df[df["dataset"].astype(str).str.contains("/", regex=False) & df["status"].isin(RUN_STATUSES)].copy()
    if runs.empty:
        return pd.DataFrame()
    runs["collection"] = runs["dataset"].str.split("/", n=1).str[0]
    group_cols = ["collection", "method", "preset", "task", "seed"]
    common = {}
    for key, group in runs.groupby(["collection", "preset", "task", "seed"], sort=False):
        ok_sets = [set(g.loc[g["status"].eq("ok"), "dataset"]) for _, g in group.groupby("method")]
        common[key] = set.intersection(*ok_sets)
    out = []
    for key, group in runs.groupby(group_cols, sort=True):
        shared = common[(key[0], key[2], key[3], key[4])]
        finished = group[group["status"].eq("ok")]
        ok = finished[finished["dataset"].isin(shared)]
        numeric = ok.select_dtypes("number").drop(columns=["seed"], errors="ignore")
        row: dict[str, Any] = dict(numeric.mean(numeric_only=True)) if not ok.empty else {}
        row.update(dict(zip(["dataset", "method", "preset", "task", "seed"], key, strict=True)))
        row.update(status=AGGREGATE, n_entities=len(ok), n_failed=int(group["status"].ne("ok").sum()),
                   n_excluded=len(finished) - len(ok),
                   n_labelled=int(ok["auc_roc"].notna().sum()) if "auc_roc" in ok else None,
                   wall_s=float(ok["wall_s"].sum()) if "wall_s" in ok else None,
                   peak_mem_mb=float(ok["peak_mem_mb"].max()) if "peak_mem_mb" in ok else None,
                   n_test=int(ok["n_test"].sum()) if "n_test" in ok else None,
                   run_id=f"{key[0]}__{key[1]}__{key[2]}__{key[3]}__s{key[4]}__aggregate")
        out.append(row)
    return pd.DataFrame(out)


#: run settings besides (dataset, method, preset, task) that change the numbers: runs that differ in one
#: are never averaged together (absent in older results, where they had their default value)
_VARIANT_DEFAULTS = {"protocol": "default", "label_mode": "next"}


def variant_columns(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with :data:`_VARIANT_DEFAULTS` columns present and filled with their defaults."""
    return df.assign(**{c: df[c].fillna(d) if c in df else d for c, d in _VARIANT_DEFAULTS.items()})


def seed_means(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (dataset, method, preset, task, protocol, label mode) run with more than one seed:
    mean ± std over seeds.

    Numeric columns are the mean over the seeds that ran ``ok``; each metric of
    :data:`METRIC_COLUMNS` also gets ``<metric>_std`` (sample std, as "mean ± std over 5 seeds" is
    reported). ``status`` is ``seed_mean``, ``seed`` empty, ``seeds`` lists the seeds averaged.
    """
    runs = variant_columns(df[df["status"].isin(RUN_STATUSES)])
    keys = ["dataset", "method", "preset", "task", *_VARIANT_DEFAULTS]
    out = []
    for key, group in runs.groupby(keys, sort=False):
        ok = group[group["status"].eq("ok")]
        if group["seed"].nunique() < 2 or ok.empty:
            continue
        numeric = ok.select_dtypes("number").drop(columns=["seed"], errors="ignore")
        row: dict[str, Any] = dict(numeric.mean(numeric_only=True))
        row.update({f"{m}_std": float(ok[m].std()) for m in METRIC_COLUMNS if m in ok})
        row.update(dict(zip(keys, key, strict=True)))
        variant = "".join(f"__{v}" for c, v in zip(_VARIANT_DEFAULTS, key[4:], strict=True)
                          if v != _VARIANT_DEFAULTS[c])
        row.update(seed=None, status=SEED_MEAN, seeds=",".join(str(int(s)) for s in sorted(ok["seed"])),
                   n_seeds=len(ok), n_failed=int(group["status"].ne("ok").sum()),
                   run_id=f"{key[0].replace('/', '-')}__{key[1]}__{key[2]}__{key[3]}{variant}__seed_mean")
        out.append(row)
    return pd.DataFrame(out)
