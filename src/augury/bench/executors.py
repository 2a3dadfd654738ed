"""Where runs execute: ``local`` (fresh spawned processes) or ``ray`` (one Ray task per run).

Both yield each run's result as soon as it finishes, in completion order; the driver records it.
Every run gets a process of its own (``max_tasks_per_child=1`` / ``max_calls=1``) so that the
peak-memory figure of a run is not inflated by the runs before it.
"""

from __future__ import annotations

import importlib.util
import logging
import multiprocessing
import os
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from augury.bench.config import RunSpec
from augury.bench.worker import execute_run, failed_result
from augury.errors import AuguryError

EXECUTORS = ("local", "ray")


class BenchError(AuguryError, ValueError):
    """A benchmark request that cannot run (unknown method, unsupported task, missing Ray, ...)."""


#: Imported once by the fork server, so that each per-run process starts in milliseconds instead
#: of re-importing scikit-learn and PyOD. torch is left out: it is imported by the run that needs it.
PRELOAD = ["numpy", "pandas", "sklearn.metrics", "pyod.models.iforest", "augury.metrics", "augury.data.loaders",
           "augury.detectors.classical", "augury.bench.worker", "augury.bench.executors"]


def usable_cpus() -> int:
    """CPUs this process may run on: its affinity mask where the OS has one (a 1-core ``taskset``
    on a 2-core machine is 1), else ``os.cpu_count()``."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _marked_run(marker: str, spec_dict: dict[str, Any], threads: int, driver_pid: int) -> dict[str, Any]:
    """:func:`execute_run` in a pool worker, after touching ``marker``: when the pool breaks, the
    driver can tell a run that never started (requeued) from one whose worker died (failed)."""
    Path(marker).touch()
    return execute_run(spec_dict, threads, driver_pid)


#: A spec whose pool breaks before its worker starts it this many times in a row is recorded failed.
MAX_REQUEUES = 3


def run_local(specs: Sequence[RunSpec], workers: int = 1) -> Iterator[dict[str, Any]]:
    """Run ``specs`` in up to ``workers`` concurrent processes, one fresh process per run.

    Processes are forked from a ``forkserver`` that has preloaded :data:`PRELOAD` (the driver's
    own threads are never forked, unlike with ``fork``); a run's peak RSS therefore starts at the
    server's footprint (``rss_before_mb``) and never includes an earlier run. If a worker process
    dies (killed, out of memory), the runs it had started are reported failed, the runs it had
    not started yet (e.g. an idle worker was killed) are requeued, and the rest continue in a new pool.
    """
    if workers < 1:
        raise BenchError(f"--workers must be >= 1, got {workers}")
    pending = list(specs)
    requeues: dict[str, int] = {}
    # Concurrent runs share the cores: each gets its slice of BLAS/OpenMP threads.
    threads = max(1, usable_cpus() // workers)
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    with tempfile.TemporaryDirectory(prefix="augury-runs-") as markers:
        while pending:
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, max_tasks_per_child=1)
            try:
                yield from _drain(pool, pending, requeues, workers, threads, Path(markers))
            finally:
                pool.shutdown(wait=True, cancel_futures=True)


def _drain(pool: ProcessPoolExecutor, pending: list[RunSpec], requeues: dict[str, int], workers: int,
           threads: int, markers: Path) -> Iterator[dict[str, Any]]:
    """Feed ``pending`` to ``pool`` (at most ``workers`` in flight, so a broken pool loses few runs)
    until it is empty or the pool breaks; yield each result."""
    in_flight: dict[Future, tuple[RunSpec, Path]] = {}

    def lost(spec: RunSpec, marker: Path) -> Iterator[dict[str, Any]]:
        """The pool broke with ``spec`` submitted: failed if its worker had started it, else requeued."""
        if marker.exists():
            yield failed_result(spec, "worker process died (killed or out of memory) during the run")
            return
        requeues[spec.run_id] = requeues.get(spec.run_id, 0) + 1
        if requeues[spec.run_id] > MAX_REQUEUES:
            yield failed_result(spec, f"worker process died {MAX_REQUEUES + 1} times before the run started")
        else:
            pending.insert(0, spec)

    while pending or in_flight:
        broken = False
        while pending and len(in_flight) < workers and not broken:
            spec = pending.pop(0)
            marker = markers / f"{spec.run_id}-{requeues.get(spec.run_id, 0)}"
            try:
                in_flight[pool.submit(_marked_run, str(marker), spec.to_dict(), threads, os.getpid())] = (spec, marker)
            except BrokenProcessPool:  # an idle worker died between runs: nothing of this spec ran
                broken = True
                yield from lost(spec, marker)
        if not broken:
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for fut in done:
                spec, marker = in_flight.pop(fut)
                try:
                    yield fut.result()
                except BrokenProcessPool:
                    broken = True
                    yield from lost(spec, marker)
        if broken:
            for spec, marker in in_flight.values():
                yield from lost(spec, marker)
            return


def connect_ray(workers: int | None = None, address: str | None = None) -> bool:
    """Initialise Ray unless it already is; return whether this call started it (and must stop it).

    Connects to the cluster at ``address`` (e.g. ``ray://head:10001`` or ``auto``) if given, else
    starts a local Ray with ``workers`` CPUs (default: all cores). Ray keeps retrying an
    unreachable address for minutes before it gives up; that surfaces as :class:`BenchError`.
    """
    if importlib.util.find_spec("ray") is None:
        raise BenchError("--executor ray needs Ray: pip install 'augury[dist]'")
    import ray

    if ray.is_initialized():
        return False
    kwargs: dict[str, Any] = {"logging_level": logging.WARNING, "include_dashboard": False}
    if not address:
        ray.init(num_cpus=workers or os.cpu_count(), **kwargs)
        return True
    try:
        ray.init(address=address, **kwargs)
    except (ConnectionError, RuntimeError) as exc:
        # Typically a wrong address or a missing cluster token (RAY_AUTH_TOKEN / RAY_AUTH_MODE).
        raise BenchError(f"cannot connect to Ray at {address!r}: {str(exc).splitlines()[0]}") from exc
    return True


def run_ray(specs: Sequence[RunSpec], cpus_per_run: float = 1.0, shutdown: bool = False) -> Iterator[dict[str, Any]]:
    """Run each spec as one Ray task declaring ``cpus_per_run`` CPUs, its math threads capped to match.

    Needs an initialised Ray (:func:`connect_ray`); ``shutdown`` stops it when the grid ends or is
    interrupted. Every node needs the same augury installed.
    """
    import ray

    try:
        remote_run = ray.remote(num_cpus=cpus_per_run, max_calls=1)(execute_run)
        threads = max(1, int(cpus_per_run))
        refs = {remote_run.remote(spec.to_dict(), threads): spec for spec in specs}
        while refs:
            done, _ = ray.wait(list(refs), num_returns=1)
            for ref in done:
                spec = refs.pop(ref)
                try:
                    yield ray.get(ref)
                except Exception as exc:  # worker crash or lost node: record it, keep the grid going
                    yield failed_result(spec, f"ray task failed: {type(exc).__name__}: {exc}")
    finally:
        if shutdown:
            ray.shutdown()


def execute(specs: Sequence[RunSpec], executor: str = "local", workers: int | None = None,
            ray_address: str | None = None) -> Iterator[dict[str, Any]]:
    """Dispatch ``specs`` to the named executor (see :data:`EXECUTORS`)."""
    if executor == "local":
        return run_local(specs, workers or 1)
    if executor == "ray":
        # Connected here, not at the generator's first step, so errors come before any progress.
        return run_ray(specs, shutdown=connect_ray(workers, ray_address))
    raise BenchError(f"unknown executor {executor!r}; expected one of {', '.join(EXECUTORS)}")
