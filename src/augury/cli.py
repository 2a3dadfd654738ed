"""The ``augury`` command line (typer + rich).

A user mistake (bad file, bad column, unknown method, ...) exits with code 2 and a one-line
reason on stderr; ``main`` is the only place that turns exceptions into exit codes.
"""

from __future__ import annotations

import json
import sys
import time
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
        typer.Option(help="Also write 0/1 labels with this threshold rule fitted on TRAIN scores, "
                          "e.g. percentile:99, topk:0.01, fixed:3.2, spot:1e-3."),
    ] = None,
    label_column: Annotated[str | None, typer.Option(help="Name of a 0/1 label column to exclude.")] = None,
    timestamp_column: Annotated[str | None, typer.Option(help="Name of a timestamp column to keep.")] = None,
    nan_policy: Annotated[str, typer.Option(help="error | interpolate | zero")] = "error",
    set_: Annotated[list[str], typer.Option("--set", help="Override a hyper-parameter: KEY=VALUE.")] = [],  # noqa: B006
    save_model: Annotated[Path | None, typer.Option(help="Save the fitted detector to this folder.")] = None,
) -> None:
    """Fit METHOD on TRAIN and write one anomaly score per time step of TEST."""
    import pandas as pd

    from augury.data.formats import read_series
    from augury.detectors.registry import create_detector
    from augury.utils.atomic import atomic_open

    x_train = read_series(train, label_column=label_column, timestamp_column=timestamp_column, nan_policy=nan_policy)
    x_test = read_series(test, label_column=label_column, timestamp_column=timestamp_column, nan_policy=nan_policy)
    if x_train.values.shape[1] != x_test.values.shape[1]:
        raise DataError(
            f"{test}: has {x_test.values.shape[1]} channels, {train} has {x_train.values.shape[1]}; "
            "train and test need the same channels"
        )
    det = create_detector(method, preset=preset, **_parse_overrides(set_))
    if threshold is not None:
        det.set_params(threshold=threshold)
    t0 = time.perf_counter()
    with console.status(f"fitting {method} on {x_train.values.shape[0]} steps"):
        det.fit(x_train.values)
    with console.status(f"scoring {x_test.values.shape[0]} steps"):
        scores = det.decision_function(x_test.values)
    frame = pd.DataFrame({"score": scores}, index=x_test.index)
    frame.index.name = x_test.index.name or "step"
    if threshold is not None:
        frame["anomaly"] = det.threshold_strategy_.apply(scores)
    with atomic_open(out, "w") as fh:
        frame.to_csv(fh)
    if save_model is not None:
        det.save(save_model)
    console.print(f"wrote {len(frame)} scores to [bold]{out}[/] ({time.perf_counter() - t0:.1f} s)")
    if x_test.labels is not None and x_test.labels.any():
        from augury.metrics import evaluate

        _print_metrics({method: evaluate(x_test.labels, scores, threshold=det.threshold_,
                                         threshold_source=f"{det.threshold_strategy_.spec()} of train scores")})


def _print_metrics(results: dict[str, dict[str, Any]]) -> None:
    """One row per method: threshold-free metrics, then PA-F1 beside the random baseline's."""
    table = Table(title="test metrics (PA-F1 at the train-score threshold, beside a random scorer flagging as many steps)")
    cols = ["auc_roc", "auc_pr", "vus_roc", "vus_pr", "pa_f1", "random_pa_f1"]
    table.add_column("method")
    for c in cols:
        table.add_column(c, justify="right")
    for name, m in results.items():
        table.add_row(name, *(f"{m[c]:.3f}" if isinstance(m.get(c), float) else "-" for c in cols))
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
    from augury.metrics import evaluate
    from augury.report.plots import plot_scores

    ds = load_example("CalIt2")
    console.print(f"[bold]{ds.name}[/]: train {ds.train.shape}, test {ds.test.shape}, "
                  f"{100 * ds.anomaly_ratio:.1f} % anomalous test steps ({ds.meta.get('attribution', '')})")
    results: dict[str, dict[str, Any]] = {}
    out.mkdir(parents=True, exist_ok=True)
    for name in [m.strip() for m in methods_.split(",") if m.strip()]:
        t0 = time.perf_counter()
        det = create_detector(name, preset="cpu").fit(ds.train)
        scores = det.decision_function(ds.test)
        results[name] = evaluate(ds.test_labels, scores, threshold=det.threshold_,
                                 threshold_source=f"{det.threshold_strategy_.spec()} of train scores")
        png = plot_scores(out / f"{name}.png", scores, ds.test_labels, threshold=det.threshold_,
                          title=f"{name} on {ds.name} (threshold: {det.threshold_strategy_.spec()} of train scores)")
        console.print(f"{name}: {time.perf_counter() - t0:.1f} s, plot {png}")
        np.save(out / f"{name}_scores.npy", scores)
    _print_metrics(results)


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


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: exit 0 on success, 2 with a one-line reason on a user mistake."""
    try:
        app(args=argv, prog_name="augury", standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except _clickexc.UsageError as exc:
        print(f"augury: error: {exc.format_message()}", file=sys.stderr)
        sys.exit(2)
    except typer.Abort:
        print("augury: interrupted", file=sys.stderr)
        sys.exit(130)
    except (AuguryError, FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"augury: error: {msg}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("augury: interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(0)


if __name__ == "__main__":
    main()
