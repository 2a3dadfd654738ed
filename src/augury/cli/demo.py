"""``augury demo``: detectors on the bundled CalIt2 example, with metrics and score plots."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from augury.cli._common import console, print_metrics, split_list
from augury.errors import DataError


def demo(
    out: Annotated[Path, typer.Option(help="Folder for the plots and scores.")] = Path("augury-demo"),
    methods_: Annotated[str, typer.Option("--methods", help="Comma-separated detectors.")] = "iforest,pca",
) -> None:
    """Run detectors on the bundled CalIt2 example, print a results table, plot the scores."""
    import numpy as np

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
    for name in split_list(methods_):
        t0 = time.perf_counter()
        det = create_detector(name, preset="cpu").fit(ds.train)
        scores = det.decision_function(ds.test)
        results[name] = evaluate_protocols(ds.test_labels, scores, det.decision_scores_, det.threshold_,
                                           train_threshold_source=f"{det.threshold_strategy_.spec()} of train "
                                                                  "scores")
        png = plot_scores(out / f"{name}.png", scores, ds.test_labels, threshold=det.threshold_,
                          title=f"{name} on {ds.name} (threshold: {det.threshold_strategy_.spec()} of train scores)")
        console.print(f"{name}: {time.perf_counter() - t0:.1f} s, plot {png}")
        np.save(out / f"{name}_scores.npy", scores)
    print_metrics(results)
