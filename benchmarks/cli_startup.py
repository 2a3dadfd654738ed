"""Wall time of ``augury --help`` (median of 5 runs, after one warm-up) and the machine load.

Usage: ``python benchmarks/cli_startup.py`` (uses the interpreter that runs it). The target
is 0.5 s on a 2-core machine: command modules import only typer and rich, and ``augury``
itself resolves its public names lazily.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

RUNS = 5


def main() -> None:
    src = Path(__file__).resolve().parents[1] / "src"
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    cmd = [sys.executable, "-m", "augury.cli", "--help"]
    subprocess.run(cmd, env=env, capture_output=True, check=True)  # warm the file cache
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    load = os.getloadavg()
    print(f"augury --help: median {statistics.median(times):.3f} s over {RUNS} runs "
          f"(min {min(times):.3f}, max {max(times):.3f}); load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
          f"{os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
