"""Helpers every command shares: the consoles, ``--set`` parsing, data warnings on stderr and the
metrics table. Domain logic lives in the library; commands only read, call and print."""

from __future__ import annotations

import contextlib
import json
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import typer
from rich.console import Console


class _Console(Console):
    """A rich console that leaves a closed pipe to the entry point (one rule for every command,
    see :func:`augury.cli.app.main`) instead of exiting 1 on its own."""

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError


#: Results and tables (stdout); progress, warnings and notes go to :data:`err_console` (stderr).
console = _Console()
err_console = _Console(stderr=True)
if not console.is_terminal:  # pipes and files: rich would squeeze tables into 80 columns
    console = _Console(width=200)


def split_list(value: str) -> list[str]:
    """``"a, b,,c"`` → ``["a", "b", "c"]`` (comma-separated option values)."""
    return [v.strip() for v in value.split(",") if v.strip()]


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``["window=32", "lr=1e-3", "name=x"]`` → typed dict (JSON values, else strings)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"--set expects KEY=VALUE, got {item!r}")
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.strip()] = raw
    return out


@contextlib.contextmanager
def warnings_to_stderr() -> Iterator[None]:
    """Show the readers' data warnings (gaps, duplicates kept) as one ``warning:`` line each on stderr."""
    from augury.data.timestamps import TimestampWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TimestampWarning)
        yield
    for w in caught:
        if issubclass(w.category, TimestampWarning):
            print(f"augury: warning: {w.message}", file=sys.stderr)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def print_metrics(results: dict[str, dict[str, Any]]) -> None:
    """One column per method, one row per metric: threshold-free metrics, then PA-F1 under each threshold
    protocol beside the random baseline's (names as in :mod:`augury.metrics.protocols`)."""
    from rich.table import Table

    from augury.metrics.baseline import format_interval

    table = Table(title="test metrics (pa_f1: Anomaly-Transformer threshold on train+test scores; pa_f1_train: "
                        "threshold on train scores; random_*: a random scorer flagging as many steps, mean "
                        "[95 % interval over seeds])")
    rows = ["auc_roc", "auc_pr", "vus_roc", "vus_pr", "pa_f1", "random_pa_f1", "pa_f1_train", "random_pa_f1_train",
            "flagged_fraction_train", "events_per_1k_train"]
    table.add_column("metric")
    for name in results:
        table.add_column(name, justify="right")
    for r in rows:
        cells = []
        for m in results.values():
            if r.startswith("random_"):
                # The random baseline's 95 % interval over seeds: is the detector's gap larger than chance?
                cells.append(format_interval(m.get(r), m.get(f"{r}_ci_low"), m.get(f"{r}_ci_high")))
            else:
                cells.append(f"{m[r]:.3f}" if isinstance(m.get(r), float) else "-")
        table.add_row(r, *cells)
    console.print(table)
