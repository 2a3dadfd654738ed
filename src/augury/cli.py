"""The ``augury`` command line (typer + rich).

A user mistake (bad file, bad column, unknown method, ...) exits with code 2 and a one-line
reason on stderr; ``main`` is the only place that turns exceptions into exit codes.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

try:  # typer >= 0.29 vendors its own click (and no longer installs click)
    from typer._click import exceptions as _clickexc
except ImportError:  # pragma: no cover - older typer uses click itself
    from click import exceptions as _clickexc
import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from augury.errors import AuguryError, DataError
from augury.metrics.thresholds import parse_threshold

app = typer.Typer(
    name="augury",
    help="Anomaly detection and early warning for multivariate time series.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()


def _parse_overrides(items: list[str]) -> dict[str, Any]:
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


@app.command()
def detect(
    train: Annotated[Path, typer.Argument(help="Training series: CSV, Parquet or .npy [T, C].")],
    test: Annotated[Path, typer.Argument(help="Series to score, same channels as TRAIN.")],
    method: Annotated[str, typer.Option("--method", "-m", help="Detector name (see `augury methods`).")],
    preset: Annotated[str, typer.Option(help="Hyper-parameter preset: cpu or paper.")] = "cpu",
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
    label_column: Annotated[str | None, typer.Option(help="Name of a 0/1 label column to exclude.")] = None,
    timestamp_column: Annotated[str | None, typer.Option(help="Name of a timestamp column to keep.")] = None,
    nan_policy: Annotated[str, typer.Option(help="error | interpolate | zero")] = "error",
    set_: Annotated[list[str], typer.Option("--set", help="Override a hyper-parameter: KEY=VALUE.")] = [],  # noqa: B006
    save_model: Annotated[Path | None, typer.Option(help="Save the fitted detector to this folder.")] = None,
    events: Annotated[Path | None, typer.Option(help="Write the flagged events (one row each) to this CSV.")] = None,
    min_gap: Annotated[int, typer.Option(help="Merge events separated by at most this many unflagged steps.")] = 0,
    sort: Annotated[bool, typer.Option(help="Sort rows by timestamp (default: refuse rows out of time order).")] = False,
) -> None:
    """Fit METHOD on TRAIN and write one anomaly score per time step of TEST.

    Always prints the threshold used, how many steps and events it flags, and the top events.
    """
    import pandas as pd

    from augury.data.formats import read_series
    from augury.data.validation import check_same_channels
    from augury.detectors.model_format import check_destination
    from augury.detectors.registry import create_detector
    from augury.utils.atomic import atomic_open

    # Everything that can be refused is checked before any work or output (nothing half-written).
    _check_output_file(out)
    if events is not None:
        _check_output_file(events)
    if save_model is not None:
        check_destination(save_model)
    det = create_detector(method, preset=preset, **_parse_overrides(set_))
    if threshold is not None:
        det.set_params(threshold=threshold)
        parse_threshold(threshold)
    det.validate_params()
    with _warnings_to_stderr():
        x_train = read_series(train, label_column=label_column, timestamp_column=timestamp_column,
                              nan_policy=nan_policy, sort=sort)
        x_test = read_series(test, label_column=label_column, timestamp_column=timestamp_column,
                             nan_policy=nan_policy, sort=sort)
    check_same_channels(x_train.channels, x_test.channels, train_source=str(train), test_source=str(test))
    t0 = time.perf_counter()
    with console.status(f"fitting {method} on {x_train.values.shape[0]} steps"):
        det.fit(x_train.values)
    with console.status(f"scoring {x_test.values.shape[0]} steps"):
        scores = det.decision_function(x_test.values)
    strategy, train_ref = det.threshold_strategy_, det.decision_scores_
    if calibrated:
        train_ref = det.calibrate(det.decision_scores_)
        strategy = parse_threshold(strategy.spec()).fit(train_ref)
        scores = det.calibrate(scores)
    source = f"{strategy.spec()} of {'calibrated ' if calibrated else ''}train scores"
    frame = pd.DataFrame({"score": scores}, index=x_test.index)
    frame.index.name = x_test.index.name or "step"
    if threshold is not None:
        frame["anomaly"] = strategy.apply(scores)
    event_table = _report_flags(scores, float(strategy.threshold_), source, train_ref, x_test.index, min_gap)
    metrics = None
    if x_test.labels is not None:
        from augury.metrics.protocols import evaluate_protocols

        metrics = {method: evaluate_protocols(x_test.labels, scores, train_ref, float(strategy.threshold_),
                                              train_threshold_source=source, seeds=range(10))}
    with atomic_open(out, "w") as fh:
        frame.to_csv(fh)
    if events is not None:
        with atomic_open(events, "w") as fh:
            event_table.to_csv(fh, index=False)
    if save_model is not None:
        det.save(save_model)
    console.print(f"wrote {len(frame)} scores to [bold]{out}[/] ({time.perf_counter() - t0:.1f} s)")
    if events is not None:
        console.print(f"wrote {len(event_table)} events to [bold]{events}[/]")
    if metrics is not None:
        _print_metrics(metrics)


@contextlib.contextmanager
def _warnings_to_stderr() -> Iterator[None]:
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


def _report_flags(scores: np.ndarray, threshold: float, source: str, train_scores: np.ndarray, index: Any,
                  min_gap: int, top: int = 5) -> Any:
    """Print the threshold, the flagged steps and events and the top events; warn (stderr) when the
    threshold flags nothing or everything. Returns the events table (see :func:`augury.events.to_events`)."""
    import pandas as pd

    from augury.events import flag_warning, to_events

    timestamps = None if isinstance(index, pd.RangeIndex) else index
    table = to_events(scores, threshold, timestamps=timestamps, min_gap=min_gap)
    n_flagged = int(np.count_nonzero(scores > threshold))
    console.print(f"threshold: {threshold:.6g} ({source})")
    console.print(f"flagged: {n_flagged} of {scores.size} steps ({100 * n_flagged / scores.size:.2f} %) "
                  f"in {len(table)} events")
    reason = flag_warning(scores, threshold, train_scores)
    if reason is not None:
        Console(stderr=True).print(f"warning: {reason}", soft_wrap=True)
    if len(table):
        shown = Table(title=f"top {min(top, len(table))} events by peak score")
        for c in ("start_time", "end_time", "length", "duration", "peak", "mean"):
            shown.add_column(c, justify="left" if c.endswith("time") else "right", no_wrap=True)
        for _, row in table.nlargest(top, "peak").iterrows():
            duration = str(row["duration"]).removeprefix("0 days ")
            shown.add_row(str(row["start_time"]), str(row["end_time"]), str(row["length"]), duration,
                          f"{row['peak']:.4g}", f"{row['mean']:.4g}")
        console.print(shown)
    return table


def _check_output_file(path: Path) -> None:
    """Refuse an output path that is a folder or whose folder cannot be written, before any work."""
    import os

    if path.is_dir():
        raise DataError(f"{path}: is a folder; expected a file path for the output")
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise DataError(f"{path}: cannot write into {parent} (not a writable folder)")


def _print_metrics(results: dict[str, dict[str, Any]]) -> None:
    """One column per method, one row per metric: threshold-free metrics, then PA-F1 under each threshold
    protocol beside the random baseline's (names as in :mod:`augury.metrics.protocols`)."""
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


@app.command()
def methods() -> None:
    """List the available detectors with their tags."""
    from augury.detectors.registry import list_detectors

    table = Table(title="detectors")
    for c in ("name", "family", "deep", "multivariate", "pretrained weights", "early warning", "summary"):
        table.add_column(c)
    for d in list_detectors():
        t = d.tags
        table.add_row(d.name, str(t.get("family", "")), str(t["deep"]), str(t["multivariate"]),
                      str(t["needs_pretrained_weights"]), str(t["supports_early_warning"]), d.summary)
    console.print(table)
    _print_predictors()


def _print_predictors() -> None:
    """The early-warning predictors (task ``predict``; ``augury predict`` / ``augury bench --task predict``)."""
    from augury.early_warning.registry import list_predictors

    table = Table(title="early-warning predictors (task: predict)")
    for c in ("name", "task", "family", "summary"):
        table.add_column(c)
    for p in list_predictors():
        table.add_row(p.name, p.tags["task"], str(p.tags.get("family", "")), p.summary)
    console.print(table)


@app.command()
def datasets(
    data_root: Annotated[
        Path | None, typer.Option(help="Folder of datasets (default: $AUGURY_DATA).")
    ] = None,
) -> None:
    """Show the datasets and collections found under the data root, with shapes and anomaly ratios."""
    from augury.data.loaders import discover_datasets, resolve_root

    root = resolve_root(data_root)
    found = discover_datasets(root)
    table = Table(title=f"datasets in {root}")
    for c in ("name", "kind", "format", "entities", "train", "test", "channels", "anomaly %"):
        table.add_column(c, justify="right" if c in ("entities", "channels", "anomaly %") else "left")
    def shape(s: tuple[int | None, ...] | None) -> str:
        # CSV datasets are not parsed just to list them, and a collection may mix channel counts.
        return "×".join("?" if v is None else str(v) for v in s) if s else "?"

    for d in found:
        table.add_row(
            d.name, d.kind, d.format, str(d.n_entities), shape(d.train_shape),
            shape(d.test_shape), "mixed" if d.n_channels is None else str(d.n_channels),
            f"{100 * d.anomaly_ratio:.2f}" if d.anomaly_ratio is not None else "-",
        )
    console.print(table)
    if not found:
        console.print("no datasets found (expected folders with train.npy/test.npy/test_label.npy)")


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the plots and scores.")] = Path("augury-demo"),
    methods_: Annotated[str, typer.Option("--methods", help="Comma-separated detectors.")] = "iforest,pca",
) -> None:
    """Run detectors on the bundled CalIt2 example, print a results table, plot the scores."""
    from augury.data.formats import load_example
    from augury.detectors.registry import create_detector
    from augury.metrics.protocols import evaluate_protocols
    from augury.report.plots import plot_scores

    if out.exists() and not out.is_dir():
        raise DataError(f"{out}: exists and is not a folder; expected a folder for the demo's plots and scores")
    ds = load_example("CalIt2")
    console.print(f"[bold]{ds.name}[/]: train {ds.train.shape}, test {ds.test.shape}, "
                  f"{100 * ds.anomaly_ratio:.1f} % anomalous test steps ({ds.meta.get('attribution', '')})")
    results: dict[str, dict[str, Any]] = {}
    out.mkdir(parents=True, exist_ok=True)
    for name in [m.strip() for m in methods_.split(",") if m.strip()]:
        t0 = time.perf_counter()
        det = create_detector(name, preset="cpu").fit(ds.train)
        scores = det.decision_function(ds.test)
        results[name] = evaluate_protocols(ds.test_labels, scores, det.decision_scores_, det.threshold_,
                                           train_threshold_source=f"{det.threshold_strategy_.spec()} of train "
                                                                  "scores", seeds=range(10))
        png = plot_scores(out / f"{name}.png", scores, ds.test_labels, threshold=det.threshold_,
                          title=f"{name} on {ds.name} (threshold: {det.threshold_strategy_.spec()} of train scores)")
        console.print(f"{name}: {time.perf_counter() - t0:.1f} s, plot {png}")
        np.save(out / f"{name}_scores.npy", scores)
    _print_metrics(results)


@app.command()
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


def _register_optional_commands() -> None:
    """Commands that live beside the code they drive (benchmark runner, reports)."""
    from augury.bench.commands import bench_command, report_command

    app.command("bench", help=bench_command.__doc__)(bench_command)
    app.command("report", help=report_command.__doc__)(report_command)


_register_optional_commands()


def _register_predict_command() -> None:
    """``augury predict`` (early warning) lives beside the predictor contract."""
    from augury.early_warning.cli import predict_command

    app.command("predict", help=predict_command.__doc__)(predict_command)


_register_predict_command()


def _register_pretrain_mae_command() -> None:
    """``augury pretrain-mae`` (VAN-AD's heatmap MAE) lives beside the pre-training code."""
    from augury.detectors.vanad.pretrain_cli import pretrain_mae_command

    app.command("pretrain-mae", help=pretrain_mae_command.__doc__)(pretrain_mae_command)


_register_pretrain_mae_command()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: exit 0 on success, 2 with a one-line reason on a user mistake."""
    from augury.data.timestamps import CLI_SPELLING

    token = CLI_SPELLING.set(True)  # error hints name the command line's flags (--sort, not sort=True)
    try:
        _main(argv)
    finally:
        CLI_SPELLING.reset(token)


def _main(argv: list[str] | None) -> None:
    from augury.utils.atomic import exit_on_sigterm

    exit_on_sigterm()
    code = None
    try:
        # without standalone mode, typer returns (not raises) the code of a typer.Exit / Ctrl-C
        code = app(args=argv, prog_name="augury", standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except _clickexc.UsageError as exc:
        print(f"augury: error: {exc.format_message()}", file=sys.stderr)
        sys.exit(2)
    except typer.Abort:
        print("augury: interrupted", file=sys.stderr)
        sys.exit(130)
    except (AuguryError, FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError,
            PermissionError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"augury: error: {msg}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("augury: interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
