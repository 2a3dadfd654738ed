"""Parity of kmeansad and pca-tsbad with TSB-AD on the five TSB-AD files of the shared data.

    AUGURY_DATA=../shared/data OMP_NUM_THREADS=1 python benchmarks/tsbad_parity_field.py

For each method (``paper`` preset = TSB-AD's chosen hyper-parameters) and file, under TSB-AD's
protocol (both are unsupervised: fitted and scored on the whole series; VUS-PR with the
channel-0 period as window), prints our VUS-PR, the published leaderboard value
(``tsbad_rows_*_vus_pr.csv``, ``--reference``) and tsb-ad 1.5's own detector run here and scored
by tsb-ad's ``get_metrics``. On TSB-AD-U files TSB-AD runs ``KMeansAD_U``, whose window is the
rank-2 period of the series (``find_length_rank(rank=2)``); we pass that window to ours. TSB-AD
has no windowed PCA row for TSB-AD-U. Needs the ``parity`` extra (tsb-ad, statsmodels, hurst).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
from pathlib import Path

import numpy as np
import pandas as pd

from augury.data.loaders import load_collection
from augury.detectors.registry import create_detector
from augury.metrics import estimate_period, vus_roc_pr

#: (our name, TSB-AD column, collections it has published rows for)
METHODS = (("kmeansad", "KMeansAD", ("TSB-AD-M", "TSB-AD-U")), ("pca-tsbad", "PCA", ("TSB-AD-M",)))


def tsbad_scores(method: str, x: np.ndarray, univariate: bool) -> np.ndarray:
    """tsb-ad 1.5's detector, as its ``model_wrapper`` runs it with the chosen HPs."""
    from TSB_AD import model_wrapper as mw

    with contextlib.redirect_stdout(io.StringIO()):
        if method == "kmeansad":
            if univariate:
                return mw.run_KMeansAD_U(x, n_clusters=10, periodicity=2)
            return mw.run_KMeansAD(x, n_clusters=10, window_size=40)
        return mw.run_PCA(x, slidingWindow=100, n_components=0.25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", type=Path, default=Path(os.environ.get("AUGURY_DATA", "../shared/data")))
    parser.add_argument("--reference", type=Path, default=None,
                        help="folder of tsbad_rows_M_vus_pr.csv / _U_ (default: <data-root>/../reference)")
    args = parser.parse_args()
    from sklearn.preprocessing import MinMaxScaler
    from TSB_AD.evaluation.metrics import get_metrics
    from TSB_AD.utils.slidingWindows import find_length_rank

    ref_dir = args.reference or args.data_root.parent / "reference"
    published = {c: pd.read_csv(ref_dir / f"tsbad_rows_{c[-1]}_vus_pr.csv").set_index("file")
                 for c in ("TSB-AD-M", "TSB-AD-U")}
    load = os.getloadavg()
    rows = []
    for ours, column, collections in METHODS:
        for collection in collections:
            for ds in load_collection(collection, args.data_root):
                x, y = ds.test.astype(np.float64), ds.test_labels
                univariate = collection.endswith("-U")
                window = estimate_period(x[:, 0])
                params = {"window": int(find_length_rank(x, rank=2))} if univariate else {}
                det = create_detector(ours, "paper", **params).fit(x)
                mine = vus_roc_pr(y, det.decision_function(x), window=window)[1]
                theirs = MinMaxScaler().fit_transform(tsbad_scores(ours, x, univariate).reshape(-1, 1)).ravel()
                local = get_metrics(theirs, y, slidingWindow=window)["VUS-PR"]
                pub = published[collection].loc[f"{ds.name.split('/', 1)[1]}.csv", column]
                rows.append({"method": ours, "file": ds.name, "vus_window": window, "augury": mine,
                             "published": pub, "tsbad_1.5_local": local, "gap_vs_published": mine - pub})
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"load average before: {load[0]:.2f}; after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
