"""``augury detect``: fit a detector on TRAIN, write one score per step of TEST, report threshold and events."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from augury.cli._common import console, err_console, parse_overrides, print_metrics, warnings_to_stderr

if TYPE_CHECKING:
    import numpy as np


def detect(
    train: Annotated[Path, typer.Argument(help="Training series: CSV, Parquet or .npy [T, C].")],
    test: Annotated[Path, typer.Argument(help="Series to score, same channels as TRAIN.")],
    method: Annotated[str, typer.Option("--method", "-m", help="Detector name (see `augury methods`).")],
    preset: Annotated[str, typer.Option(help="Hyper-parameter preset: cpu (fits on 2 cores), paper, or another "
                                             "the method defines (see `augury methods`).")] = "cpu",
    out: Annotated[Path, typer.Option(help="Where to write the per-step scores (CSV).")] = Path("scores.csv"),
    threshold: Annotated[
        str | None,
        typer.Option(help="Also write 0/1 labels with this threshold rule fitted on TRAIN scores, e.g. "
                          "top:1 (flag the top 1 % of train scores), spot:1e-3, or fixed:3 with --calibrated "
                          "(beyond the top 0.43 % of train scores; without --calibrated fixed: is in the method's "
                          "own raw units). Default: the detector's (top:1)."),
    ] = None,
    calibrated: Annotated[
        bool, typer.Option(help="Write and threshold calibrated scores: one scale for every method, "
                                "training scores with median 0 and SD 1.")
    ] = False,
    label_column: Annotated[str | None, typer.Option(help="0/1 label column to exclude (default: found by name, "
                                                          "e.g. label).")] = None,
    timestamp_column: Annotated[str | None, typer.Option(help="Timestamp column to keep (default: found by name, "
                                                              "e.g. timestamp).")] = None,
    nan_policy: Annotated[str, typer.Option(help="error | interpolate | zero")] = "error",
    set_: Annotated[list[str], typer.Option("--set", help="Override a hyper-parameter: KEY=VALUE.")] = [],  # noqa: B006
    save_model: Annotated[Path | None, typer.Option(help="Save the fitted detector to this folder.")] = None,
    events: Annotated[Path | None, typer.Option(help="Write the flagged events (one row each) to this CSV.")] = None,
    min_gap: Annotated[
        int | None, typer.Option(help="Merge events separated by at most this many unflagged steps "
                                      "(default: max(window, 10), so a long shift is one event).")
    ] = None,
    plot: Annotated[Path | None, typer.Option(help="Draw the top channels, scores, threshold and events (PNG).")] = None,
    sort: Annotated[bool, typer.Option(help="Sort rows by timestamp (default: refuse rows out of time order).")] = False,
) -> None:
    """Fit METHOD on TRAIN and write one anomaly score per time step of TEST.

    Always prints the threshold used, how many steps and events it flags, and the top events with
    their top channels. Every output file is written before anything is printed.
    """
    import pandas as pd

    from augury.base.persistence import check_destination
    from augury.data.formats import read_series
    from augury.data.formats.table import positional_names, select_channels
    from augury.detectors.registry import create_detector
    from augury.events import default_min_gap, to_events
    from augury.utils.atomic import atomic_open
    from augury.utils.paths import check_output_file

    # Everything that can be refused is checked before any work or output (nothing half-written).
    for path in (out, events, plot):
        if path is not None:
            check_output_file(path)
    if save_model is not None:
        check_destination(save_model)
    det = create_detector(method, preset=preset, **parse_overrides(set_))
    if threshold is not None:
        det.set_params(threshold=threshold)
    with warnings_to_stderr():
        x_train = read_series(train, label_column=label_column, timestamp_column=timestamp_column,
                              nan_policy=nan_policy, sort=sort)
        x_test = read_series(test, label_column=label_column, timestamp_column=timestamp_column,
                             nan_policy=nan_policy, sort=sort)
    x_test = select_channels(x_test, x_train.channels, str(test), f"TRAIN ({train})")
    t0 = time.perf_counter()
    with err_console.status(f"fitting {method} on {x_train.values.shape[0]} steps"):
        det.fit(x_train.values)
    if not positional_names(x_train.channels):
        det.channels_ = list(x_train.channels)
    if save_model is not None and not det.get_tags().get("deep", False):
        from augury.stream import fit_causal_threshold

        with err_console.status("causal scores of the training series (for watch)"):
            fit_causal_threshold(det, x_train.values)
    with err_console.status(f"scoring {x_test.values.shape[0]} steps"):
        scores = det.decision_function(x_test.values)
        contributions = det.explain(x_test.values)
    strategy = det.threshold_strategy(calibrated)
    train_ref = det.calibrate(det.decision_scores_) if calibrated else det.decision_scores_
    if calibrated:
        scores = det.calibrate(scores)
    thr = float(strategy.threshold_)
    source = f"{strategy.spec()} of {'calibrated ' if calibrated else ''}train scores"
    gap = default_min_gap(det) if min_gap is None else min_gap
    timestamps = None if isinstance(x_test.index, pd.RangeIndex) else x_test.index
    event_table = to_events(scores, thr, timestamps=timestamps, min_gap=gap, contributions=contributions,
                            channels=x_test.channels)
    frame = pd.DataFrame({"score": scores}, index=x_test.index)
    frame.index.name = x_test.index.name or "step"
    if threshold is not None:
        frame["anomaly"] = strategy.apply(scores)
    metrics = None
    if x_test.labels is not None:
        from augury.metrics.protocols import evaluate_protocols

        metrics = {method: evaluate_protocols(x_test.labels, scores, train_ref, thr, train_threshold_source=source)}
    with atomic_open(out, "w") as fh:
        frame.to_csv(fh)
    if events is not None:
        with atomic_open(events, "w") as fh:
            event_table.to_csv(fh, index=False)
    if save_model is not None:
        det.save(save_model)
    if plot is not None:
        from augury.cli._plot import plot_detection

        plot_detection(plot, x_test.values, x_test.channels, scores, thr, event_table, timestamps)
    elapsed = time.perf_counter() - t0
    _report_flags(scores, thr, source, train_ref, event_table, gap)
    console.print(f"wrote {len(frame)} scores to [bold]{out}[/] ({elapsed:.1f} s)")
    if events is not None:
        console.print(f"wrote {len(event_table)} events to [bold]{events}[/]")
    if plot is not None:
        console.print(f"wrote the plot to [bold]{plot}[/]")
    if save_model is not None:
        console.print(f"saved the fitted model to [bold]{save_model}[/] (use: augury watch {save_model})")
    if metrics is not None:
        print_metrics(metrics)


def _report_flags(scores: np.ndarray, threshold: float, source: str, train_scores: np.ndarray, table: Any,
                  min_gap: int, top: int = 5) -> None:
    """Print the threshold, the flagged steps and events and the top events (with their top channels);
    warn (stderr) when the threshold flags nothing or everything."""
    import numpy as np
    from rich.table import Table

    from augury.events import flag_warning

    n_flagged = int(np.count_nonzero(scores > threshold))
    console.print(f"threshold: {threshold:.6g} ({source})")
    console.print(f"flagged: {n_flagged} of {scores.size} steps ({100 * n_flagged / scores.size:.2f} %) "
                  f"in {len(table)} events (runs at most {min_gap} steps apart merged)")
    reason = flag_warning(scores, threshold, train_scores)
    if reason is not None:
        err_console.print(f"warning: {reason}", soft_wrap=True)
    if len(table):
        shown = Table(title=f"top {min(top, len(table))} events by peak score")
        for c in ("start_time", "end_time", "length", "duration", "peak", "mean", "top_channels"):
            shown.add_column(c, justify="left" if c.endswith(("time", "channels")) else "right", no_wrap=True)
        for _, row in table.nlargest(top, "peak").iterrows():
            duration = str(row["duration"]).removeprefix("0 days ")
            shown.add_row(str(row["start_time"]), str(row["end_time"]), str(row["length"]), duration,
                          f"{row['peak']:.4g}", f"{row['mean']:.4g}", str(row["top_channels"]))
        console.print(shown)
