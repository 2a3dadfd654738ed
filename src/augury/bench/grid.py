"""The benchmark driver: expand (dataset × method × seed) into runs, skip finished ones, execute, record."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from augury.bench.config import PROTOCOL_TASK, PROTOCOLS, TASKS, RunSpec, anomaly_ratio_for
from augury.bench.executors import BenchError, execute
from augury.bench.store import ResultStore
from augury.data.loaders import DATA_ENV, resolve_root
from augury.early_warning.windows import LABEL_MODES


def _resolve_params(method: str, preset: str, seed: int, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    from augury.detectors.registry import create_detector, get_detector_class

    # Seed the detector itself when it has a seed parameter, so seeds change the model.
    seeded = {"seed": seed} if "seed" in get_detector_class(method)._get_param_names() else {}
    det = create_detector(method, preset, **{**(overrides or {}), **seeded})
    det.validate_params()  # a bad --set value is refused before any run
    # deep=False: the constructor arguments a worker rebuilds the detector from (an ensemble's
    # members are given by its members / member_params, not as member__param keys).
    return det.get_params(deep=False)


def _predictor_infos(methods: Sequence[str], preset: str, seeds: int) -> tuple[dict[str, Any], dict]:
    """``--task predict``: registry targets and resolved parameters of early-warning predictors."""
    from augury.early_warning.registry import DETECT_NOW, create_predictor, is_predictor, list_predictors

    unknown = [m for m in methods if not is_predictor(m)]
    if unknown:
        names = ", ".join(f"{p.name}:<detector>" if p.name == DETECT_NOW else p.name for p in list_predictors())
        raise BenchError(f"no early-warning predictor named {', '.join(unknown)} (predictors: {names}; "
                         f"a detector warns as detect-now:<detector>, e.g. detect-now:{unknown[0]})")
    infos = {p.name: p for p in list_predictors()}
    # create_predictor also rejects a detect-now:<unknown detector> before anything runs.
    params = {(m, s): create_predictor(m, preset, seed=s).get_params() for m in methods for s in range(seeds)}
    return {m: infos[m.partition(":")[0]] for m in methods}, params


def _saved_model(path: str | Path, methods: Sequence[str], task: str, seeds: int,
                 overrides: dict[str, Any] | None) -> tuple[list[str], dict, dict[str, str]]:
    """``--model DIR``: the saved detector's name, its parameters and ``{"path", "checksum"}``."""
    from augury.base.persistence import CONFIG_FILE
    from augury.detectors.base import load_detector

    if task != "detect" or seeds != 1 or overrides:
        raise BenchError("--model scores one saved detector: it takes no --task predict, --seeds, --set or "
                         "--threshold (the model keeps its own)")
    det = load_detector(path)  # refuses a foreign or edited folder before any run
    if methods and list(methods) != [det.name]:
        raise BenchError(f"--model {path} holds a {det.name} detector; drop --method or give --method {det.name}")
    checksum = json.loads((Path(path) / CONFIG_FILE).read_text())["checksum"]
    return [det.name], {(det.name, 0): det.get_params()}, {"path": str(Path(path).resolve()), "checksum": checksum}


def _imported_scores(path: str | Path, datasets: Sequence[str], methods: Sequence[str], task: str, seeds: int,
                     overrides: dict[str, Any] | None, fleet: bool,
                     data_root: str | Path | None) -> tuple[str, dict[str, str]]:
    """``--scores FILE``: the name the scores are shown under and ``{"path", "checksum"}``."""
    from augury.bench.imported import checksum

    if task != "detect" or seeds != 1 or overrides or fleet or len(datasets) != 1 or len(methods) > 1:
        raise BenchError("--scores evaluates one scores file on one dataset: it takes one --dataset, at most one "
                         "--method (the name to show), and no --task predict, --seeds, --set, --threshold or --fleet")
    _check_scores_length(path, datasets[0], data_root)
    name = methods[0] if methods else Path(path).stem
    return name, {"path": str(Path(path).resolve()), "checksum": checksum(path)}


def _check_scores_length(path: str | Path, dataset: str, data_root: str | Path | None) -> None:
    """Refuse (``BenchError``) a scores file whose length is not the dataset's test length, before
    any run: a run that could only fail would otherwise be recorded and the command exit 0."""
    from augury.bench.imported import read_scores
    from augury.data.loaders import load_dataset

    test, _ = read_scores(path)  # refuses a missing or malformed file
    n_test = load_dataset(dataset, data_root).test.shape[0]
    if test.size != n_test:
        raise BenchError(f"{path}: {test.size} scores for the {n_test} test steps of {dataset}; "
                         "expected one score per test step")


def _check_methods(methods: Sequence[str]) -> dict[str, Any]:
    """Registry entries of the detectors ``methods`` (an unknown name raises ``BenchError`` listing the known)."""
    from augury.detectors.registry import list_detectors

    infos = {d.name: d for d in list_detectors()}
    unknown = [m for m in methods if m not in infos]
    if unknown:
        raise BenchError(f"unknown method(s) {', '.join(unknown)}; available: {', '.join(sorted(infos))}")
    return infos


def _dataset_sources(dataset: str, data_root: str | None, fleet: bool) -> list[tuple[str, str]]:
    """``(display name, load_dataset source)`` pairs: the dataset itself, or one per fleet entity."""
    from augury.data.loaders import load_collection

    # load_collection resolves the name immediately (MissingResourceError on a typo) and reads
    # entities lazily; without --fleet nothing beyond a plain dataset is read here.
    entities = load_collection(dataset, data_root)
    if not fleet:
        # A path is made absolute so that a worker with another working directory finds it.
        local = Path(dataset).expanduser()
        return [(local.name, str(local.resolve())) if local.exists() else (dataset, dataset)]
    return [(ent.name, str(Path(ent.meta["path"]).resolve())) for ent in entities]


def expand_grid(
    datasets: Sequence[str],
    methods: Sequence[str],
    *,
    task: str = "detect",
    preset: str = "cpu",
    seeds: int = 1,
    data_root: str | Path | None = None,
    fleet: bool = False,
    overrides: dict[str, Any] | None = None,
    model: str | Path | None = None,
    scores: str | Path | None = None,
    protocol: str = "default",
    label_mode: str = "next",
) -> list[RunSpec]:
    """All runs of the grid in a stable order (dataset, method, seed); seeds are ``0..seeds-1``.

    ``overrides`` (``--set KEY=VALUE``, ``--threshold SPEC``) replace preset hyper-parameters of
    every detector; they are part of each run's config hash. ``model`` (``--model DIR``) scores a
    detector saved by ``augury detect --save-model`` instead of training one: ``methods`` must be
    empty or its name, and the run's hash includes the model's checksum. ``scores`` (``--scores
    FILE``, see :mod:`augury.bench.imported`) evaluates imported test scores of one dataset under
    the name ``methods[0]`` (default: the file's stem); the hash includes the file's checksum.
    ``protocol`` (:data:`~augury.bench.config.PROTOCOLS`): ``"tsbad"`` fits unsupervised detectors
    on the whole test series and takes the VUS window from its channel-0 period (detect task only);
    ``"entity-aware"`` splits the labelled series of ``--task predict`` within each entity.
    ``label_mode`` (``next`` or ``onset``, predict task only): the early-warning sample labels.

    Raises :class:`BenchError` (or the data layer's errors) before anything runs when a method,
    preset, task or dataset is unusable.
    """
    if task not in TASKS:
        raise BenchError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    if seeds < 1:
        raise BenchError(f"--seeds must be >= 1, got {seeds}")
    if protocol not in PROTOCOLS:
        raise BenchError(f"unknown protocol {protocol!r}; expected one of {', '.join(PROTOCOLS)}")
    if protocol != "default" and PROTOCOL_TASK[protocol] != task:
        raise BenchError(f"--protocol {protocol} is a protocol of --task {PROTOCOL_TASK[protocol]}, not {task}")
    if protocol == "tsbad" and (model is not None or scores is not None):
        raise BenchError(f"--protocol {protocol} fits detectors itself: it needs --task detect and no --model/--scores")
    if label_mode not in LABEL_MODES:
        raise BenchError(f"unknown --label-mode {label_mode!r}; expected one of {', '.join(LABEL_MODES)}")
    if label_mode != "next" and task != "predict":
        raise BenchError("--label-mode is an early-warning option: it needs --task predict")
    if not datasets or not (methods or model is not None or scores is not None):
        raise BenchError("need at least one dataset and one method (or --model / --scores)")
    if model is not None and scores is not None:
        raise BenchError("give --model or --scores, not both")
    saved = imported = None
    if scores is not None:
        name, imported = _imported_scores(scores, datasets, methods, task, seeds, overrides, fleet, data_root)
        methods, params, infos = [name], {(name, 0): {}}, {}
    elif model is not None:
        methods, params, saved = _saved_model(model, methods, task, seeds, overrides)
        infos = _check_methods(methods)
    elif task == "predict":
        infos, params = _predictor_infos(methods, preset, seeds)
    else:
        infos = _check_methods(methods)
        params = {(m, s): _resolve_params(m, preset, s, overrides) for m in methods for s in range(seeds)}
    # Resolved here (default $AUGURY_DATA) so that workers do not depend on their environment.
    root = str(resolve_root(data_root).resolve()) if data_root is not None or os.environ.get(DATA_ENV) else None
    specs = []
    for dataset in datasets:
        for name, source in _dataset_sources(dataset, root, fleet):
            for method in methods:
                for seed in range(seeds):
                    specs.append(RunSpec(dataset=name, source=source, data_root=root, method=method,
                                         target=infos[method].target if method in infos else "",
                                         preset=preset, task=task, seed=seed,
                                         params=params[method, seed], anomaly_ratio=anomaly_ratio_for(name),
                                         model=saved, scores=imported, protocol=protocol,
                                         label_mode=label_mode))
    return specs


class _LineProgress:
    """The part of rich's ``Progress`` the grid uses, printed as one line per update.

    Lines read ``bench 12/91 elapsed 0:03:10 ETA 0:20:05 <description>``; the ETA assumes the
    remaining runs take the mean time of the finished ones.
    """

    def __init__(self, console: Console) -> None:
        self._console = console
        self._total = 0
        self._done = 0
        self._start = 0.0

    def __enter__(self) -> _LineProgress:
        self._start = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def add_task(self, description: str, total: int) -> int:
        self._total = total
        return 0

    def update(self, task: int, advance: int, description: str) -> None:
        self._done += advance
        elapsed = time.monotonic() - self._start
        eta = elapsed / self._done * (self._total - self._done)
        clock = [timedelta(seconds=round(t)) for t in (elapsed, eta)]  # H:MM:SS
        self._console.print(f"bench {self._done}/{self._total} elapsed {clock[0]} ETA {clock[1]} "
                            f"{description}", highlight=False, markup=False)


def run_grid(
    specs: Sequence[RunSpec],
    out: str | Path,
    *,
    executor: str = "local",
    workers: int | None = None,
    ray_address: str | None = None,
    compare_paper: bool = False,
    console: Console | None = None,
    retry_failed: bool = False,
) -> pd.DataFrame:
    """Run every spec not already finished in ``out`` and return the regenerated results table.

    Each result is recorded by this (driver) process the moment it arrives, so an interrupted
    grid resumes where it stopped. A failed run is recorded with its error and the grid goes on;
    a deterministic failure (bad data or parameters) is not rerun unless ``retry_failed``.
    """
    console = console or Console(stderr=True)
    store = ResultStore(out)
    with store.lock():
        return _run_locked(specs, store, executor, workers, ray_address, compare_paper, console, retry_failed)


def _run_locked(specs: Sequence[RunSpec], store: ResultStore, executor: str, workers: int | None,
                ray_address: str | None, compare_paper: bool, console: Console,
                retry_failed: bool = False) -> pd.DataFrame:
    out = store.root
    done = store.finished_keys(retry_failed)
    if store.skipped_lines:
        console.print(f"[yellow]skipped {store.skipped_lines} unreadable line(s) of {store.jsonl}[/]")
    todo = [s for s in specs if s.key not in done]
    if len(todo) < len(specs):
        console.print(f"resuming: {len(specs) - len(todo)} of {len(specs)} runs already finished in {out} "
                      "(failures from bad data count as finished; --retry-failed reruns them)")
    failed = 0
    columns = (TextColumn("[bold]bench"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("ETA"), TimeRemainingColumn(), TextColumn("{task.description}"))
    # Nothing to do: start no process pool and no Ray. Connecting (Ray) happens before the bar shows.
    results = execute(todo, executor, workers, ray_address) if todo else ()
    # rich draws its bar only on a terminal; a log file gets one plain line per finished run instead.
    bar_or_lines = (Progress(*columns, console=console, transient=False) if console.is_terminal
                    else _LineProgress(console))
    with bar_or_lines as progress:
        bar = progress.add_task("", total=len(todo))
        for result in results:
            row = result["row"]
            store.record(row, result["arrays"])
            store.write_csv(compare_paper)
            if row["status"] != "ok":
                failed += 1
                console.print(f"[red]failed[/] {row['dataset']} {row['method']} seed {row['seed']}: {row['error']}")
            progress.update(bar, advance=1, description=f"{row['dataset']} {row['method']} s{row['seed']}: {row['status']}")
    table = store.write_csv(compare_paper)
    if failed:
        console.print(f"[yellow]{failed} run(s) failed; rerun the same command to retry those that did not fail "
                      "on their data (--retry-failed: all)[/]")
    return table
