"""``augury watch``: score a live feed with a saved detector, one output line per step."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from augury.errors import DataError


def watch(
    model_dir: Annotated[Path, typer.Argument(help="Folder of a saved detector (detect --save-model).")],
    input_: Annotated[str, typer.Option("--input", "-i", help="CSV file with a header, or - for stdin.")] = "-",
    follow: Annotated[bool, typer.Option(help="Keep reading a growing file, like tail -f.")] = False,
    format_: Annotated[str, typer.Option("--format", help="Output lines: csv | jsonl.")] = "csv",
    on_bad_row: Annotated[str, typer.Option(help="A malformed row: skip (report it) | stop (exit 2).")] = "skip",
    idle_timeout: Annotated[
        float | None, typer.Option(help="With --follow: stop after this many seconds without new data.")
    ] = None,
    timestamp_column: Annotated[
        str | None, typer.Option(help="Timestamp column (default: the first one if the header has C+1 columns).")
    ] = None,
    threshold: Annotated[float | None, typer.Option(help="Alarm threshold (default: the model's).")] = None,
    calibrate: Annotated[
        Path | None, typer.Option(help="Normal CSV (same columns): refit the model's threshold rule on its "
                                       "causal scores instead of using the batch threshold.")
    ] = None,
    min_duration: Annotated[int, typer.Option(help="Steps above the threshold before an alarm starts.")] = 1,
    cooldown: Annotated[int, typer.Option(help="Steps after an alarm ends before a new one may start.")] = 0,
    top_k: Annotated[int, typer.Option(help="Channels named per alarm step.")] = 3,
) -> None:
    """Score rows as they arrive with a saved model: one line per step (score, alarm, top channels)."""
    from augury.detectors.base import load_detector
    from augury.stream import StreamScorer, causal_threshold
    from augury.watch import read_csv_rows
    from augury.watch import watch as run_watch

    det = load_detector(model_dir)
    if calibrate is not None:
        if threshold is not None:
            raise DataError("give either --threshold or --calibrate, not both")
        threshold = causal_threshold(det, read_csv_rows(calibrate, det.n_features_in_, timestamp_column))
    scorer = StreamScorer(det, threshold=threshold, min_duration=min_duration, cooldown=cooldown, top_k=top_k)
    try:
        run_watch(scorer, input_, follow=follow, fmt=format_, on_bad_row=on_bad_row,  # type: ignore[arg-type]
                  idle_timeout=idle_timeout, timestamp_column=timestamp_column)
    except KeyboardInterrupt:  # every row scored so far has been written and flushed
        print("augury: interrupted", file=sys.stderr)
        raise typer.Exit(130) from None
    except BrokenPipeError:  # the reader went away (e.g. `| head`): stop quietly, no flush error at exit
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
