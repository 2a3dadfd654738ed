"""Execute one benchmark run (load → fit → score → metrics) and measure it.

Runs inside a worker process that serves exactly one run (a fresh process forked from a
preloaded fork server locally, a ``max_calls=1`` Ray worker under Ray), so the process's peak
resident set size (``ru_maxrss``) is the peak memory of this run alone, including the
interpreter and the preloaded libraries (their footprint when the run starts is recorded as
``rss_before_mb``). A reused process would report the peak of every earlier run as well. The
worker never writes result files: it returns the row and the test scores to the driver, which
also works when the worker is on another machine.

Times: ``wall_s`` is the detector's fit + score time; ``load_s`` (data), ``eval_s`` (metrics,
including the random baseline) and ``run_s`` (everything) are recorded beside it.
"""

from __future__ import annotations

import contextlib
import os
import resource
import sys
import time
import traceback
from typing import Any

import numpy as np

from augury.bench.config import PA_THRESHOLD_PROTOCOL, RunSpec


def _label_percent(labels: np.ndarray) -> float:
    """Percent of anomalous test steps: the data's own ratio, beside ``anomaly_ratio`` (the share of steps
    the Anomaly-Transformer protocol's threshold flags, a protocol constant per dataset)."""
    return float(100.0 * np.mean(labels))


def _peak_rss_mb() -> float:
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def _build_detector(spec: RunSpec) -> Any:
    from augury.detectors import registry

    # A detector registered at run time in the driver is unknown to a fresh worker process.
    if spec.method not in {d.name for d in registry.list_detectors()}:
        registry.register_detector(spec.method, spec.target, "registered by the benchmark driver")
    cls = registry.get_detector_class(spec.method)
    return cls(**spec.params)


def _run_detect(spec: RunSpec, row: dict[str, Any]) -> dict[str, np.ndarray]:
    from augury.data.loaders import load_dataset
    from augury.metrics import at_threshold
    from augury.metrics.protocols import evaluate_protocols

    t0 = time.perf_counter()
    ds = load_dataset(spec.source, spec.data_root)
    row.update(n_train=int(ds.train.shape[0]), n_test=int(ds.test.shape[0]), n_channels=ds.n_channels,
               load_s=time.perf_counter() - t0)
    from augury.bench.scales import scale_warning

    note = scale_warning(ds)
    if note is not None:
        row["scale_warning"] = note
    if spec.scores is not None:
        return _run_imported(spec, row, ds)
    if spec.model is not None:  # bench --model: score the saved detector, no training (fit_s = 0)
        from augury.detectors.base import load_detector

        det = load_detector(spec.model["path"])
        t1 = t2 = time.perf_counter()
    else:
        det = _build_detector(spec)
        t1 = time.perf_counter()
        det.fit(_fit_series(spec, det, ds, row))
        t2 = time.perf_counter()
    scores = det.decision_function(ds.test)
    t3 = time.perf_counter()
    window = _vus_window(spec, ds, row)
    # Anomaly-Transformer protocol: percentile of train + test scores (it peeks at test scores,
    # never at labels); recorded in pa_threshold_protocol so no one mistakes it for deployable.
    # The detector's own train-score threshold gives the *_train columns (augury.metrics.protocols).
    threshold = at_threshold(det.decision_scores_, scores, spec.anomaly_ratio)
    metrics = evaluate_protocols(ds.test_labels, scores, det.decision_scores_, det.threshold_,
                                 anomaly_ratio=spec.anomaly_ratio, window=window,
                                 thresholds=spec.vus_thresholds,
                                 train_threshold_source=f"{det.threshold_strategy_.spec()} of train scores")
    row.update(metrics)
    row.update(fit_s=t2 - t1, score_s=t3 - t2, eval_s=time.perf_counter() - t3, wall_s=t3 - t1,
               pa_threshold_protocol=PA_THRESHOLD_PROTOCOL, anomaly_ratio=spec.anomaly_ratio,
               test_anomaly_ratio=_label_percent(ds.test_labels))
    arrays = {"scores": scores.astype(np.float32), "labels": ds.test_labels.astype(np.uint8),
              "threshold": np.float64(threshold), "train_threshold": np.float64(det.threshold_)}
    return arrays | _plot_context(ds)


def _fit_series(spec: RunSpec, det: Any, ds: Any, row: dict[str, Any]) -> np.ndarray:
    """What the detector is fitted on: the training series, or under ``--protocol tsbad`` the whole
    scored series for a detector tagged ``supervision="unsupervised"`` (TSB-AD's Run_Detector_M/_U)."""
    row["protocol"] = spec.protocol
    if spec.protocol == "tsbad" and type(det).get_tags().get("supervision") == "unsupervised":
        row["fit_on"] = "test"
        return ds.test
    row["fit_on"] = "train"
    return ds.train


def _vus_window(spec: RunSpec, ds: Any, row: dict[str, Any]) -> int:
    """The VUS buffer: the spec's, or under ``--protocol tsbad`` TSB-AD's channel-0 period of the
    scored series (its fallback 125 when channel 0 is constant)."""
    if spec.protocol != "tsbad":
        return spec.vus_window
    from augury.errors import MetricError
    from augury.metrics.vus_window import PERIOD_FALLBACK, estimate_period

    try:
        window = estimate_period(ds.test[:, 0])
    except MetricError:
        window = PERIOD_FALLBACK
    row["vus_window"] = window
    return window


def _run_imported(spec: RunSpec, row: dict[str, Any], ds: Any) -> dict[str, np.ndarray]:
    """``bench --scores``: evaluate the imported test scores on the dataset's labels (no fit, ``wall_s`` 0)."""
    from augury.bench.imported import evaluate_imported, read_scores
    from augury.errors import DataError

    test, train = read_scores(spec.scores["path"])
    if test.size != ds.test.shape[0]:
        raise DataError(f"{spec.scores['path']}: {test.size} scores for the {ds.test.shape[0]} test steps of "
                        f"{spec.dataset}")
    t0 = time.perf_counter()
    metrics, threshold = evaluate_imported(ds.test_labels, test, train, anomaly_ratio=spec.anomaly_ratio,
                                           window=spec.vus_window, thresholds=spec.vus_thresholds)
    row.update(metrics)
    row.update(fit_s=0.0, score_s=0.0, wall_s=0.0, eval_s=time.perf_counter() - t0,
               pa_threshold_protocol=PA_THRESHOLD_PROTOCOL if train is not None else "at_percentile(test scores, 100-ar)",
               anomaly_ratio=spec.anomaly_ratio, test_anomaly_ratio=_label_percent(ds.test_labels))
    arrays = {"scores": test.astype(np.float32), "labels": ds.test_labels.astype(np.uint8),
              "threshold": np.float64(threshold)}
    if "threshold_train" in metrics:
        arrays["train_threshold"] = np.float64(metrics["threshold_train"])
    return arrays | _plot_context(ds)


#: raw channels kept beside the scores for the report's plots
PLOT_CHANNELS = 3


def _plot_context(ds: Any) -> dict[str, np.ndarray]:
    """What the report draws above the scores: the raw test values ``[T, k]`` of the k channels
    that leave their training range the most (robust z-score, 99th percentile over test), their
    names and, when the data has them, the test timestamps (datetime64 or numbers)."""
    med = np.median(ds.train, axis=0)
    iqr = np.subtract(*np.percentile(ds.train, [75, 25], axis=0))
    spread = np.where(iqr > 0, iqr, np.maximum(np.std(ds.train, axis=0), 1e-12))
    deviation = np.percentile(np.abs(ds.test - med) / spread, 99, axis=0) if ds.test.size else np.zeros(ds.n_channels)
    top = np.argsort(-deviation, kind="stable")[:PLOT_CHANNELS]
    out = {"signal": ds.test[:, top].astype(np.float32), "channel_names": np.array([str(ds.channels[i]) for i in top])}
    index = ds.meta.get("test_index")
    if index is not None and len(index) == ds.test.shape[0]:
        out.update(_timestamps(index))
    return out


def _timestamps(index: Any) -> dict[str, np.ndarray]:
    """``{"timestamps": [T]}`` as numbers or naive UTC datetime64 (text dates parsed), or ``{}``
    when the index is free-form text (a score file holds no Python objects)."""
    import pandas as pd

    values = np.asarray(index)
    if np.issubdtype(values.dtype, np.number) or np.issubdtype(values.dtype, np.datetime64):
        return {"timestamps": values}
    try:
        parsed = pd.to_datetime(pd.Index(index), utc=True, format="mixed")
    except (ValueError, TypeError, OverflowError):
        return {}
    return {} if parsed.hasnans else {"timestamps": parsed.tz_localize(None).to_numpy()}


def _run_predict(spec: RunSpec, row: dict[str, Any]) -> dict[str, np.ndarray]:
    """Early warning: pre-train on train, then the 6:2:2 protocol on test with head seed ``spec.seed``
    (within each entity under ``--protocol entity-aware``), labels of ``spec.label_mode``."""
    from augury.data.loaders import load_dataset, test_spans
    from augury.early_warning.protocol import evaluate_predictor
    from augury.early_warning.registry import get_predictor_class
    from augury.errors import DataError

    t0 = time.perf_counter()
    ds = load_dataset(spec.source, spec.data_root)
    row.update(n_train=int(ds.train.shape[0]), n_channels=ds.n_channels, load_s=time.perf_counter() - t0)
    spans = None
    if spec.protocol == "entity-aware":
        spans = test_spans(ds)
        if spans is None:
            raise DataError(f"{spec.dataset}: no entities (a collection of folders or a manifest listing spans); "
                            "--protocol entity-aware needs them, the default protocol splits one series")
    row.update(protocol=spec.protocol, label_mode=spec.label_mode)
    pred = get_predictor_class(spec.method)(**spec.params)
    t1 = time.perf_counter()
    pred.fit(ds.train)
    t2 = time.perf_counter()
    metrics, arrays = evaluate_predictor(pred, ds.test, ds.test_labels, seed=spec.seed, label_mode=spec.label_mode,
                                         spans=spans)
    t3 = time.perf_counter()
    row.update(metrics)
    row.update(fit_s=t2 - t1, head_s=t3 - t2, wall_s=t3 - t1, coverage=1.0)
    return {"scores": arrays["prob"], "labels": arrays["y"].astype(np.uint8), "window_start": arrays["start"],
            "threshold": np.float64(metrics["threshold"])}


_TASKS = {"detect": _run_detect, "predict": _run_predict}


def _limit_threads(threads: int | None) -> contextlib.AbstractContextManager:
    """Cap BLAS/OpenMP threads so that concurrent runs do not oversubscribe the cores."""
    if threads is None:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    # torch is not loaded yet in a fresh worker; it sizes its pool from this variable on import.
    os.environ["OMP_NUM_THREADS"] = str(threads)
    return threadpool_limits(limits=threads)


def execute_run(spec_dict: dict[str, Any], threads: int | None = None,
                driver_pid: int | None = None) -> dict[str, Any]:
    """Run one :class:`RunSpec` (given as a dict) and return ``{"row": ..., "arrays": ...}``.

    ``row`` has the result columns (``status`` ``ok`` or ``failed``; a failed run carries
    ``error`` and no metrics). ``arrays`` holds ``scores``, ``labels`` and ``threshold`` of the
    test series, or ``None`` if the run failed. ``threads`` caps the math libraries' threads
    (``None``: leave them alone). ``driver_pid``: end this (worker) process when that process
    dies, so a killed driver leaves no orphan blocked on a dead pipe. Never raises for a failing run.
    """
    if driver_pid is not None and driver_pid != os.getpid():
        from augury.utils.lifetime import die_with_parent, watch_process

        die_with_parent()
        watch_process(driver_pid)
    from augury._version import __version__
    from augury.utils.seed import seed_everything

    spec = RunSpec(**spec_dict)
    row: dict[str, Any] = {
        "dataset": spec.dataset, "method": spec.method, "preset": spec.preset, "task": spec.task,
        "seed": spec.seed, "config_hash": spec.config_hash, "run_id": spec.run_id,
        "augury_version": __version__, "rss_before_mb": _peak_rss_mb(), "threads": threads,
    }
    started = time.perf_counter()
    try:
        seed_everything(spec.seed)
        with _limit_threads(threads):
            arrays: dict[str, np.ndarray] | None = _TASKS[spec.task](spec, row)
        row["status"] = "ok"
    except Exception as exc:  # a failing run is a result, not a crash of the grid
        arrays = None
        keep = {k: row[k] for k in ("dataset", "method", "preset", "task", "seed", "config_hash", "run_id",
                                    "augury_version", "rss_before_mb", "threads", "n_train", "n_test", "n_channels")
                if k in row}
        row = {**keep, "status": "failed", "error": f"{type(exc).__name__}: {exc}".splitlines()[0],
               "traceback": traceback.format_exc(limit=8), "failure_kind": _failure_kind(exc)}
    row["run_s"] = time.perf_counter() - started
    row["peak_mem_mb"] = _peak_rss_mb()
    return {"row": row, "arrays": arrays}


def _failure_kind(exc: BaseException) -> str:
    """``"data"`` for a failure that a rerun would repeat (bad data, parameters or metric input),
    else ``"run"`` (e.g. out of memory, a bug): see :data:`augury.bench.store.DETERMINISTIC`."""
    from augury.bench.store import DETERMINISTIC
    from augury.errors import DataError, MetricError, ParameterError

    return DETERMINISTIC if isinstance(exc, DataError | MetricError | ParameterError) else "run"


def failed_result(spec: RunSpec, error: str) -> dict[str, Any]:
    """The result of a run whose worker died before returning (killed, out of memory, lost node)."""
    row = {"dataset": spec.dataset, "method": spec.method, "preset": spec.preset, "task": spec.task,
           "seed": spec.seed, "config_hash": spec.config_hash, "run_id": spec.run_id, "status": "failed",
           "error": error.splitlines()[0] if error else "worker died"}
    return {"row": row, "arrays": None}
