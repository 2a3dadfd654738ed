"""Speed of kmeansad and pca-tsbad against tsb-ad 1.5's implementations on the same input.

    AUGURY_DATA=../shared/data OMP_NUM_THREADS=1 flock /tmp/augury-heavy.lock \
        python benchmarks/field_speed.py [--series MSL/C-1,TSB-AD-M/001_Genesis_id_1_Sensor_tr_4055_1st_15538]

Both sides fit and score the whole series once (TSB-AD's unsupervised protocol) with TSB-AD's
chosen hyper-parameters (our ``paper`` preset); both timings come from this one process, one after
the other, so their ratio is measured in one run. Prints a markdown table and the load average.
Needs the ``parity`` extra (tsb-ad, statsmodels, hurst).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import time

import numpy as np

from augury.data.loaders import load_dataset
from augury.detectors.registry import create_detector


def _tsbad(method: str, x: np.ndarray) -> np.ndarray:
    from TSB_AD import model_wrapper as mw

    with contextlib.redirect_stdout(io.StringIO()):
        if method == "kmeansad":
            return mw.run_KMeansAD(x, n_clusters=10, window_size=40)
        return mw.run_PCA(x, slidingWindow=100, n_components=0.25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", default="MSL/C-1,TSB-AD-M/001_Genesis_id_1_Sensor_tr_4055_1st_15538")
    parser.add_argument("--methods", default="kmeansad,pca-tsbad")
    args = parser.parse_args()
    # Import both sides' libraries before timing, so neither pays the other's first import.
    import sklearn.cluster  # noqa: F401
    from TSB_AD import model_wrapper  # noqa: F401
    from TSB_AD.models import PCA, KMeansAD  # noqa: F401

    print(f"load average at start: {os.getloadavg()[0]:.2f}\n")
    print("| series | T x C | method | augury s | tsb-ad s | tsb-ad / augury |\n|---|---|---|---|---|---|")
    for name in args.series.split(","):
        x = load_dataset(name).test.astype(np.float64)
        for method in args.methods.split(","):
            t0 = time.perf_counter()
            create_detector(method, "paper").fit(x).decision_function(x)
            ours = time.perf_counter() - t0
            t0 = time.perf_counter()
            _tsbad(method, x)
            theirs = time.perf_counter() - t0
            print(f"| {name} | {x.shape[0]} x {x.shape[1]} | {method} | {ours:.2f} | {theirs:.2f} | {theirs / ours:.1f} |")
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
