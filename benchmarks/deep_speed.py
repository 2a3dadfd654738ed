"""Wall time of augury's deep field detectors against tsb-ad 1.5's on the same input, in one run.

    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 flock /tmp/augury-heavy.lock nice -n 5 \
        env AUGURY_DATA=/work/shared/data PYTHONPATH=src python benchmarks/deep_speed.py \
        [--data MSL TSB-AD-M/018_Daphnet_id_1_HumanActivity_tr_9693_1st_20732] [--methods cnn usad lstmad omnianomaly] \
        [--epochs 1] [--max-train 20000]

Both sides get the same hyper-parameters (TSB-AD's TSB-AD-M choice of window and lr, batch 128,
20 % validation) and exactly ``--epochs`` epochs on the first ``--max-train`` training steps, then
score the whole test split; the time is fit + score. Ours runs first, then tsb-ad's, alternating per
method, so both see the same machine load (printed before and after).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

from augury.data.loaders import load_dataset
from augury.detectors.registry import create_detector

#: TSB-AD-M's chosen window / lr (``HP_list.Optimal_Multi_algo_HP_dict``)
HP = {"cnn": (50, 0.0008), "lstmad": (150, 0.0008), "usad": (100, 0.001), "omnianomaly": (100, 0.002)}


def _theirs(method: str, train: np.ndarray, test: np.ndarray, epochs: int) -> np.ndarray:
    if not hasattr(np, "Inf"):  # tsb-ad 1.5's early stopping still uses the alias NumPy 2 removed
        np.Inf = np.inf
    window, lr = HP[method]
    c = train.shape[1]
    if method == "cnn":
        from TSB_AD.models.CNN import CNN

        clf = CNN(window_size=window, feats=c, lr=lr, epochs=epochs, batch_size=128)
    elif method == "lstmad":
        from TSB_AD.models.LSTMAD import LSTMAD

        clf = LSTMAD(window_size=window, feats=c, lr=lr, epochs=epochs, batch_size=128)
    elif method == "usad":
        from TSB_AD.models.USAD import USAD

        clf = USAD(win_size=window, feats=c, lr=lr, epochs=epochs)
    else:
        from TSB_AD.models.OmniAnomaly import OmniAnomaly

        clf = OmniAnomaly(win_size=window, feats=c, lr=lr, epochs=epochs)
    clf.fit(train)
    return clf.decision_function(test)


def _ours(method: str, train: np.ndarray, test: np.ndarray, epochs: int) -> np.ndarray:
    window, lr = HP[method]
    det = create_detector(method, "paper", window=window, lr=lr, epochs=epochs, patience=epochs,
                          max_train_windows=None, progress=False)
    return det.fit(train).decision_function(test)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=["MSL", "TSB-AD-M/018_Daphnet_id_1_HumanActivity_tr_9693_1st_20732"])
    parser.add_argument("--methods", nargs="+", default=["cnn", "usad", "lstmad", "omnianomaly"])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--max-train", type=int, default=20_000)
    args = parser.parse_args()
    print(f"load before: {os.getloadavg()}, torch threads {torch.get_num_threads()}")
    print("| data | method | T train / test | ours s | tsb-ad s | tsb-ad / ours |")
    print("|---|---|---|---|---|---|")
    for name in args.data:
        ds = load_dataset(name)
        train, test = ds.train[: args.max_train].astype(np.float32), ds.test.astype(np.float32)
        for method in args.methods:
            t0 = time.perf_counter()
            _ours(method, train, test, args.epochs)
            ours = time.perf_counter() - t0
            t0 = time.perf_counter()
            _theirs(method, train, test, args.epochs)
            theirs = time.perf_counter() - t0
            print(f"| {name.split('/')[-1][:20]} | {method} | {len(train)} / {len(test)} | {ours:.1f} | {theirs:.1f} "
                  f"| {theirs / ours:.2f} |", flush=True)
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
