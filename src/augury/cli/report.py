"""``augury report``: render report.html from a folder written by ``augury bench``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console


def report_command(
    results_dir: Annotated[Path, typer.Argument(help="A folder written by `augury bench`.")],
    out: Annotated[Path | None, typer.Option(help="Where to write report.html (default: RESULTS_DIR).")] = None,
) -> None:
    """Write report.html: a leaderboard per dataset first, then the details and one score plot per run (plots/)."""
    from augury.report.html import build_report

    err = Console(stderr=True)
    with err.status("rendering the report") as status:
        def progress(done: int, total: int) -> None:
            status.update(f"rendering plot {done}/{total}")
            if not err.is_terminal and (done == total or done % 20 == 0):
                err.print(f"rendered {done}/{total} plots")  # a log file gets a line every 20 plots

        path, skipped = build_report(results_dir, out, return_skipped=True, progress=progress)
    if skipped:
        err.print(f"[yellow]skipped {skipped} unreadable line(s) or score file(s)[/]")
    err.print(f"wrote {path}")
