"""Benchmark runner: (dataset × method × seed) grids, executed locally or on Ray, resumable.

``config`` (what a run is, its stable hash), ``worker`` (one run, measured), ``executors``
(local process pool / Ray), ``store`` (results.jsonl → results.csv, fleet and seed aggregates),
``paper`` (published numbers), ``grid`` (the driver) and ``commands`` (``augury bench`` /
``augury report``).
"""

from augury.bench.config import RunSpec
from augury.bench.executors import BenchError
from augury.bench.grid import expand_grid, run_grid
from augury.bench.store import ResultStore

__all__ = ["BenchError", "ResultStore", "RunSpec", "expand_grid", "run_grid"]
