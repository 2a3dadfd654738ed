"""``augury watch``: score a live feed with a saved detector, one output line per step."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer


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
        str | None, typer.Option(help="Timestamp column (default: found by name as in detect, e.g. timestamp).")
    ] = None,
    label_column: Annotated[
        str | None, typer.Option(help="0/1 label column to ignore (default: found by name, e.g. label).")
    ] = None,
    threshold: Annotated[
        str | None,
        typer.Option(help="Alarm threshold rule as in detect (top:1, spot:1e-3, fixed:VALUE; a bare number "
                          "means fixed:), fitted on the model's causal train scores. Default: the model's "
                          "causal threshold (saved by detect --save-model), else its batch threshold."),
    ] = None,
    calibrate: Annotated[
        Path | None, typer.Option(help="Normal CSV (same columns): refit the model's threshold rule on its "
                                       "causal scores (for models saved without a causal threshold).")
    ] = None,
    min_duration: Annotated[int, typer.Option(help="Steps above the threshold before an alarm starts.")] = 1,
    cooldown: Annotated[int, typer.Option(help="Steps after an alarm ends before a new one may start.")] = 0,
    min_gap: Annotated[
        int | None, typer.Option(help="A run resuming at most this many steps after an alarm continues it "
                                      "(default: as detect, max(window, 10)).")
    ] = None,
    top_k: Annotated[int, typer.Option(help="Channels named per alarm step.")] = 3,
) -> None:
    """Score rows as they arrive with a saved model: one line per step, columns matched by name.

    Each line holds the score, warm-up, alarm and top channels; a summary goes to stderr at the end.
    """
    from augury.detectors.base import load_detector
    from augury.errors import DataError
    from augury.events import default_min_gap
    from augury.stream import StreamScorer, causal_threshold, stream_threshold
    from augury.watch import read_csv_rows
    from augury.watch import watch as run_watch

    det = load_detector(model_dir)
    if calibrate is not None:
        if threshold is not None:
            raise DataError("give either --threshold or --calibrate, not both")
        value = causal_threshold(det, read_csv_rows(calibrate, det.n_features_in_, timestamp_column,
                                                    getattr(det, "channels_", None)))
    else:
        value = stream_threshold(det, threshold)[0]
    gap = default_min_gap(det) if min_gap is None else min_gap
    scorer = StreamScorer(det, threshold=value, min_duration=min_duration, cooldown=cooldown, top_k=top_k,
                          min_gap=gap)
    try:
        run_watch(scorer, input_, follow=follow, fmt=format_, on_bad_row=on_bad_row,  # type: ignore[arg-type]
                  idle_timeout=idle_timeout, timestamp_column=timestamp_column, label_column=label_column)
    except KeyboardInterrupt:  # every row scored so far has been written and flushed
        print("augury: interrupted", file=sys.stderr)
        raise typer.Exit(130) from None
