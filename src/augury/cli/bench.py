"""``augury bench``: run datasets × methods × seeds, resumably, and print the results table."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from augury.cli._common import parse_overrides, split_list

if TYPE_CHECKING:  # pandas is imported by the command itself, keeping `augury --help` fast
    import pandas as pd

_SHOWN = ["dataset", "method", "seed", "status", "n_entities", "wall_s", "peak_mem_mb", "auc_roc", "auc_pr", "vus_roc", "vus_pr",
          "pa_f1", "random_pa_f1", "pa_f1_train", "flagged_fraction_train"]
#: ``--task predict``: window-level early-warning metrics (no PA), counts first, the label-reading reference last
_SHOWN_PREDICT = ["dataset", "method", "seed", "status", "wall_s", "n_test", "test_pos", "win_auc", "win_auc_ci_low",
                  "win_auc_ci_high", "win_f1", "events_warned", "events", "mean_lead_steps", "false_warnings_per_1000",
                  "flat_risk", "persistence_win_auc"]
_TITLES = {"detect": "detection results (PA-F1: Anomaly-Transformer protocol; random_pa_f1: random scores)",
           "predict": "early-warning results: will the next window hold an anomaly? (window AUC with bootstrap 95 %; "
                      "F1, events warned, lead steps and false warnings per 1,000 normal windows at δ*; "
                      "persistence reads the current window's labels)"}


def _print_table(df: pd.DataFrame, console: Console, compare_paper: bool = False) -> None:
    """Summary of the results, one table per task: for detection the threshold-free metrics, then PA-F1
    beside the random scorer's; for early warning the window metrics of docs/methods/early_warning.md §6.6.
    With ``compare_paper`` also the papers' numbers and our ratio to them (``paper_*``, ``ratio_*`` columns)."""
    import pandas as pd

    tasks = df["task"] if "task" in df.columns else pd.Series("detect", index=df.index)
    for task, shown in (("detect", _SHOWN), ("predict", _SHOWN_PREDICT)):
        part = df[tasks.eq(task)]
        if part.empty:
            continue
        table = Table(title=_TITLES[task])
        cols = [c for c in shown if c in part.columns and (c in shown[:4] or part[c].notna().any())]
        if compare_paper:
            cols += [c for c in part.columns if c.startswith(("paper_", "ratio_")) and c != "paper_source"
                     and pd.api.types.is_numeric_dtype(part[c]) and part[c].notna().any()]
        for c in cols:
            table.add_column(c, justify="left" if c in ("dataset", "method", "status") else "right")
        for _, row in part.iterrows():
            table.add_row(*("-" if pd.isna(row[c]) else _cell(row[c], c) for c in cols))
        console.print(table)


def _cell(value: object, column: str) -> str:
    from augury.bench.store import COUNT_COLUMNS

    if isinstance(value, float) and column in COUNT_COLUMNS and value.is_integer():
        return str(int(value))
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def bench_command(
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset name(s) or path(s), comma-separated.")],
    method: Annotated[str, typer.Option("--method", "-m", help="Detector name(s), comma-separated.")] = "",
    task: Annotated[str, typer.Option(help="detect (per-step scores) or predict (early warning).")] = "detect",
    preset: Annotated[str, typer.Option(help="Hyper-parameter preset: cpu (fits on 2 cores), paper, or another "
                                             "the method defines (see `augury methods`).")] = "cpu",
    seeds: Annotated[int, typer.Option(help="Runs per (dataset, method) with seeds 0..N-1.")] = 1,
    data_root: Annotated[Path | None, typer.Option(help="Folder of datasets (default: $AUGURY_DATA).")] = None,
    out: Annotated[Path, typer.Option(help="Results folder (results.csv, results.jsonl, scores/).")] = Path(
        "bench-results"),
    executor: Annotated[str, typer.Option(help="local (process per run) or ray.")] = "local",
    ray_address: Annotated[str | None, typer.Option(help="Ray cluster address (default: start a local Ray).")] = None,
    workers: Annotated[int | None, typer.Option(help="Concurrent runs (local: default 1; ray: CPUs of "
                                                           "the local Ray, default all).")] = None,
    compare_paper: Annotated[bool, typer.Option("--compare-paper", help="Add paper_<metric> and ratio_<metric> "
                                                                        "columns from the papers' tables.")] = False,
    fleet: Annotated[bool, typer.Option("--fleet", help="Run each entity of a collection (e.g. SMD machines) "
                                                        "separately, plus an aggregate row.")] = False,
    set_: Annotated[list[str], typer.Option("--set", help="Override a hyper-parameter of every method: "
                                                          "KEY=VALUE.")] = [],  # noqa: B006
    threshold: Annotated[str | None, typer.Option(help="Train-score threshold rule of the *_train metrics, "
                                                       "e.g. top:1 or spot:1e-3.")] = None,
    model: Annotated[Path | None, typer.Option(help="Score a detector saved by `augury detect --save-model` "
                                                    "instead of training one.")] = None,
    scores: Annotated[Path | None, typer.Option(help="Evaluate a scores file of one dataset's test steps (.csv with a "
                                                     "'score' column as `augury detect --out` writes, .npy, or .npz "
                                                     "with scores and train_scores) instead of training; --method "
                                                     "names it.")] = None,
    protocol: Annotated[str, typer.Option(help="default (fit on train; predict: one chronological 6:2:2 split), "
                                               "tsbad (detect, TSB-AD's: unsupervised methods fit on the whole test "
                                               "series, VUS window from its channel-0 period) or entity-aware "
                                               "(predict: 6:2:2 within each entity, pooled).")
                        ] = "default",
    label_mode: Annotated[str, typer.Option(help="predict: next (the next window holds an anomaly) or onset (one "
                                                 "starts there and the current window is clean).")] = "next",
    retry_failed: Annotated[bool, typer.Option("--retry-failed", help="Also rerun runs that failed on their data "
                                                                      "(by default recorded once).")] = False,
) -> None:
    """Run every (dataset, method, seed) and write results.csv / results.jsonl to OUT; reruns resume."""
    from augury.bench.executors import BenchError
    from augury.bench.grid import expand_grid, run_grid

    # AuguryError rather than typer.BadParameter: the CLI wrapper turns it into exit code 2.
    if ray_address and executor != "ray":
        raise BenchError("--ray-address needs --executor ray")
    if workers is not None and workers < 1:
        raise BenchError(f"--workers must be >= 1, got {workers}")
    if out.exists() and not out.is_dir():
        raise BenchError(f"{out}: exists and is not a folder; --out expects a results folder")
    console = Console(stderr=True)
    from augury.metrics.thresholds import parse_threshold

    overrides = parse_overrides(set_)
    if threshold is not None:
        parse_threshold(threshold)
        overrides["threshold"] = threshold
    specs = expand_grid(split_list(dataset), split_list(method), task=task, preset=preset,
                        seeds=seeds, data_root=data_root, fleet=fleet, overrides=overrides, model=model,
                        scores=scores, protocol=protocol, label_mode=label_mode)
    t0 = time.perf_counter()
    table = run_grid(specs, out, executor=executor, workers=workers, ray_address=ray_address,
                     compare_paper=compare_paper, console=console, retry_failed=retry_failed)
    # Off a terminal (CI logs, pipes) rich would squeeze the table into 80 columns.
    stdout = Console()
    _print_table(table, stdout if stdout.is_terminal else Console(width=200), compare_paper)
    console.print(f"{len(specs)} runs, grid wall time {time.perf_counter() - t0:.1f} s; results in {out}/results.csv")
    if "scale_warning" in table.columns and not fleet:
        for note in table["scale_warning"].dropna().unique():
            console.print(f"warning: {note}", soft_wrap=True)
    if scores is not None and scores.suffix.lower() != ".npz":
        # the AT protocol thresholds train+test scores; a scores-only file has no train part
        console.print("note: this scores file has no train scores, so pa_f1 uses the percentile of the test scores "
                      "alone and the *_train metrics are absent; threshold-free metrics (auc_*, vus_*) are "
                      "comparable with a trained run. An .npz with scores and train_scores is evaluated like one.")
