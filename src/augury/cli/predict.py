"""``augury predict``: pre-train a predictor, fit its head where labels exist, write per-window risk."""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console

from augury.cli._common import parse_overrides
from augury.errors import DataError


def _read_labels(path: Path) -> np.ndarray:
    """Per-step 0/1 labels from ``.npy`` or a CSV/text file with one column (or a ``label`` column)."""
    if not path.is_file():
        raise DataError(f"{path}: labels file not found")
    if path.suffix == ".npy":
        try:
            return np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise DataError(f"{path}: not a numeric .npy array ({exc})") from exc
    import pandas as pd

    frame = pd.read_csv(path)
    if frame.shape[1] == 1:
        return frame.iloc[:, 0].to_numpy()
    for c in frame.columns:
        if str(c).lower() in ("label", "labels", "anomaly", "is_anomaly"):
            return frame[c].to_numpy()
    raise DataError(f"{path}: {frame.shape[1]} columns and none named 'label'; expected one label per step")


def _summary(m: dict, part: str, label_mode: str) -> str:
    """The scored windows in plain words: counts first (an AUC on 10 windows means little), the AUC with its
    bootstrap interval, F1 at δ*, lead time, false warnings and the label-reading persistence reference."""
    few = ("; few windows: read the interval, not the point value"
           if m["n_test"] < 30 or m["test_pos"] < 5 else "")
    lead = f", mean lead {m['mean_lead_steps']:.0f} steps" if m["events_warned"] else ""
    return (f"{part}: {m['n_test']} windows, {m['test_pos']} with an anomalous next window ({label_mode} labels){few}\n"
            f"  window AUC {m['win_auc']:.3f} [{m['win_auc_ci_low']:.3f}, {m['win_auc_ci_high']:.3f}] (bootstrap 95 %); "
            f"at δ* = {m['threshold']:.4g}: F1 {m['win_f1']:.3f}, precision {m['win_precision']:.3f}, "
            f"recall {m['win_recall']:.3f}\n"
            f"  events warned {m['events_warned']}/{m['events']}{lead}; "
            f"{m['false_warnings_per_1000']:.0f} false warnings per 1,000 normal windows\n"
            f"  persistence (reads the current window's labels, not deployable): window AUC "
            f"{m['persistence_win_auc']:.3f}")


def predict_command(
    train: Annotated[Path, typer.Argument(help="Training series (pre-training, no labels): CSV, Parquet or .npy.")],
    test: Annotated[Path, typer.Argument(help="Series to warn on, same channels as TRAIN.")],
    labels: Annotated[Path | None, typer.Option(help="0/1 per-step labels of TEST (.npy or CSV); a label column "
                                                     "in TEST works too. Then the 6:2:2 protocol runs on TEST.")] = None,
    train_labels: Annotated[Path | None, typer.Option(help="0/1 per-step labels of TRAIN: the head is fitted on "
                                                           "TRAIN and every TEST window is out of sample.")] = None,
    method: Annotated[str, typer.Option("--method", "-m", help="Predictor (see `augury methods`).")] = "mtsjepa",
    preset: Annotated[str, typer.Option(help="Hyper-parameter preset: cpu or paper.")] = "cpu",
    out: Annotated[Path, typer.Option(help="Per-window risk CSV.")] = Path("risk.csv"),
    model: Annotated[Path | None, typer.Option(help="Use a saved predictor (with a head) instead of training.")] = None,
    save_model: Annotated[Path | None, typer.Option(help="Save the fitted predictor to this folder.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of pre-training and head.")] = 0,
    label_mode: Annotated[str, typer.Option(help="next (the next window holds an anomaly) or onset (an anomaly "
                                                 "starts in the next window and none is in the current one).")
                          ] = "next",
    nan_policy: Annotated[str, typer.Option(help="error | interpolate | zero")] = "error",
    set_: Annotated[list[str], typer.Option("--set", help="Override a hyper-parameter: KEY=VALUE.")] = [],  # noqa: B006
) -> None:
    """Warn before anomalies: the probability that the window after each window of TEST is anomalous.

    Writes OUT with one row per full window: window, start, end (steps, end exclusive), risk,
    warning (risk > δ*), and, with labels, next_label and split (head_train / val / test: only
    ``test`` rows are out of sample).
    """
    import pandas as pd

    from augury.base.persistence import check_destination
    from augury.data.formats import read_series
    from augury.data.validation import check_labels
    from augury.early_warning.base import load_predictor
    from augury.early_warning.protocol import (
        FlatRiskWarning,
        evaluate_predictor,
        score_labelled,
        split_series,
    )
    from augury.early_warning.registry import create_predictor
    from augury.early_warning.windows import LABEL_MODES, next_window_labels
    from augury.utils.atomic import atomic_open
    from augury.utils.paths import check_output_file

    # Everything that can be refused is checked before any work or output (nothing half-written).
    check_output_file(out)
    if label_mode not in LABEL_MODES:
        raise DataError(f"--label-mode must be one of {', '.join(LABEL_MODES)}, got {label_mode!r}")
    if save_model is not None:
        check_destination(save_model, "predictor")
    console = Console(stderr=True)
    x_train = read_series(train, nan_policy=nan_policy)
    x_test = read_series(test, nan_policy=nan_policy)
    if x_train.values.shape[1] != x_test.values.shape[1]:
        raise DataError(f"{test}: has {x_test.values.shape[1]} channels, {train} has {x_train.values.shape[1]}; "
                        "train and test need the same channels")
    pred = load_predictor(model) if model is not None else create_predictor(method, preset,
                                                                              **{"seed": seed, **parse_overrides(set_)})
    w = pred.window
    for name, x in ((test, x_test.values), (train, x_train.values)):
        if x.shape[0] < 2 * w:
            raise DataError(f"{name}: {x.shape[0]} time steps; at least two windows of {w} steps are needed")
    y_test = _read_labels(labels) if labels is not None else x_test.labels
    if y_test is not None:
        y_test = check_labels(y_test, x_test.values.shape[0], source=str(labels or test))
    y_train = None
    if train_labels is not None:
        y_train = check_labels(_read_labels(train_labels), x_train.values.shape[0], source=str(train_labels))
    if model is None and y_test is None and y_train is None:
        raise DataError(f"{test}: no labels to fit the risk head; pass --labels (per-step 0/1 of TEST), "
                        "--train-labels, or --model with a saved predictor")
    t0 = time.perf_counter()
    split, metrics = None, None
    # The protocol's own functions score the windows, so `predict` and `bench --task predict` agree.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FlatRiskWarning)
        if model is None:
            pred.fit(x_train.values)
            if y_train is not None:
                pred.fit_head(x_train.values, y_train, label_mode=label_mode)
            else:
                split = split_series(x_test.values, y_test, w)
                metrics, _ = evaluate_predictor(pred, x_test.values, y_test, seed=seed, label_mode=label_mode)
        if metrics is None and y_test is not None:
            metrics, _ = score_labelled(pred, x_test.values, y_test, label_mode=label_mode, seed=seed)
    flat_notes = [str(c.message) for c in caught if issubclass(c.category, FlatRiskWarning)]
    for c in caught:
        if not issubclass(c.category, FlatRiskWarning):
            warnings.warn_explicit(c.message, c.category, c.filename, c.lineno)
    risk = pred.predict_proba(x_test.values)
    start, end = pred.window_index(x_test.values.shape[0])
    frame = pd.DataFrame({"window": np.arange(risk.size), "start": start, "end": end, "risk": risk,
                          "warning": (risk > pred.threshold_).astype(np.uint8)})
    if y_test is not None:
        frame["next_label"] = np.append(next_window_labels(y_test, w), -1)
    if split is not None:
        first_val, first_test = split.offsets[1] // w, split.offsets[2] // w
        frame["split"] = np.where(frame["window"] < first_val, "head_train",
                                  np.where(frame["window"] < first_test, "val", "test"))
    if metrics is not None:
        console.print(_summary(metrics, "test part (last 20 % of TEST)" if split is not None
                               else "every TEST window (out of sample)", label_mode), soft_wrap=True)
    for note in flat_notes:
        console.print(f"warning: {note}", soft_wrap=True)
    with atomic_open(out, "w") as fh:
        frame.to_csv(fh, index=False)
    if save_model is not None:
        pred.save(save_model)
    console.print(f"wrote {len(frame)} window risks to {out} (δ* = {pred.threshold_:.4g}, "
                  f"{time.perf_counter() - t0:.1f} s)")
