"""Wall time of augury's univariate detectors against tsb-ad 1.5 on the same series, in one run.

    AUGURY_DATA=<data root> OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
        python benchmarks/uni_speed.py [--methods subpca poly] [--repeats 3]

Series: channel 0 of the first MSL entity (its test span, from ``MSL/manifest.json``), the
TSB-AD-U file 001_NAB and channel 0 of SMD machine-1-2's test series. Both sides run TSB-AD's unsupervised protocol on the series (fit on it,
score it: augury ``paper`` preset ``fit`` + training scores, tsb-ad's ``model_wrapper`` runner
with its HP_list values). Best of ``--repeats`` per side, alternating, after one warm-up call
each (imports); prints a markdown table, the ratio tsb-ad / augury and the machine load.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import augury
from augury.data.loaders import load_dataset

#: augury name → (tsb-ad 1.5 runner in TSB_AD.model_wrapper, its HP_list kwargs)
METHODS = {
    "kshapead": ("run_KShapeAD", {"periodicity": 1}),
    "subpca": ("run_Sub_PCA", {"periodicity": 1, "n_components": None}),
    "poly": ("run_POLY", {"periodicity": 1, "power": 4}),
    "matrixprofile": ("run_MatrixProfile", {"periodicity": 1}),
}


def _series(root: Path) -> dict[str, np.ndarray]:
    chan = json.loads((root / "MSL" / "manifest.json").read_text())["channels"][0]
    msl = np.load(root / "MSL" / "test.npy")[chan["test_start"] : chan["test_start"] + chan["test_len"], :1]
    nab = load_dataset(root / "TSB-AD-U" / "001_NAB_id_1_Facility_tr_1007_1st_2014").test
    smd = load_dataset(root / "SMD" / "machine-1-2").test[:, :1]
    return {f"MSL {chan['chan']} ch0": msl.astype(np.float64), "TSB-AD-U 001_NAB": nab.astype(np.float64),
            "SMD machine-1-2 ch0": smd.astype(np.float64)}


def _seeded(fn: Callable[[], object]) -> object:
    """``fn()`` after seeding NumPy's global generator with augury's default seed 0: tsb-ad's k-Shape
    draws its random starts from it, so both sides run the same starts and iterations."""
    np.random.seed(0)
    return fn()


def _best(fn: Callable[[], object], repeats: int) -> float:
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    np.Inf = np.inf  # tsb-ad 1.5's SAND predates NumPy 2, which removed this alias
    from TSB_AD import model_wrapper

    print(f"load before: {os.getloadavg()}")
    print("| series | T | method | augury s | tsb-ad s | tsb-ad / augury |")
    print("|---|---|---|---|---|---|")
    for label, x in _series(Path(os.environ["AUGURY_DATA"])).items():
        for name in args.methods:
            runner, kwargs = METHODS[name]
            ours = functools.partial(lambda n, s: augury.create_detector(n, "paper").fit(s), name, x)
            ref = functools.partial(_seeded, functools.partial(getattr(model_wrapper, runner), x, **kwargs))
            ours()
            try:
                ref()
            except ValueError as err:  # tsb-ad's KShapeAD asks for more clusters than subsequences
                print(f"| {label} | {len(x)} | {name} | {_best(ours, args.repeats):.3f} | fails: {err} | - |")
                continue
            t_ours, t_ref = _best(ours, args.repeats), _best(ref, args.repeats)
            print(f"| {label} | {len(x)} | {name} | {t_ours:.3f} | {t_ref:.3f} | {t_ref / t_ours:.1f}× |")
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
