"""What the early-warning task is made of, before any model: entity shift, persistence, onsets.

For MSL (entities = the manifest's per-channel test spans) and SMD (entities = machines, in name
order as the concatenated benchmark has them), with windows of ``--window`` steps (100 = the
MTS-JEPA ``cpu`` preset: 5 patches × 20), this prints for the concatenated 6:2:2 protocol of
``augury.early_warning.protocol``:

- which entities each part holds and its positive rate (hypothesis: entity shift between parts);
- the share of next-window positives whose current window is already anomalous, and the window
  AUC of the *persistence oracle* (risk = the current window's anomalous fraction, read from the
  labels) on the test part: how far "it is already anomalous" gets you;
- the positive test windows under today's labels, under onset labels (current window clean, next
  window anomalous), and under a split made within each entity and pooled.

Needs no training: ``python benchmarks/ew_diagnosis.py --data-root ../shared/data``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from augury.early_warning.protocol import split_indices


def entity_spans(root: Path, name: str) -> tuple[np.ndarray, list[tuple[str, int, int]]]:
    """Concatenated test labels ``[T]`` and ``(entity, start, length)`` spans."""
    if name == "MSL":
        spans = json.loads((root / "MSL" / "manifest.json").read_text())["channels"]
        return np.load(root / "MSL" / "test_label.npy"), [(s["chan"], s["test_start"], s["test_len"]) for s in spans]
    labels, spans, start = [], [], 0
    for machine in sorted(p for p in (root / name).iterdir() if p.is_dir()):
        y = np.load(machine / "test_label.npy")
        labels.append(y)
        spans.append((machine.name, start, y.size))
        start += y.size
    return np.concatenate(labels), spans


def _samples(y: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray]:
    """(current-window anomalous fraction, next-window label) of every sample of a label series."""
    n = y.size // w
    per = y[: n * w].reshape(n, w)
    return per.mean(axis=1)[:-1], per.max(axis=1)[1:]


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    return float(roc_auc_score(y, s)) if 0 < y.sum() < y.size else float("nan")


def diagnose(root: Path, name: str, w: int) -> None:
    y, spans = entity_spans(root, name)
    frac, nxt = _samples(y, w)
    tr, va, te = split_indices(nxt.size)
    owner = np.empty(y.size, dtype=object)
    for ent, a, n in spans:
        owner[a: a + n] = ent
    print(f"\n## {name}: {y.size} test steps, {len(spans)} entities, window {w}, {nxt.size} samples")
    print("| part | samples | entities | positive rate | positives | already anomalous | onset positives |")
    print("|---|---|---|---|---|---|---|")
    for part, idx in (("head-train", tr), ("validation", va), ("test", te)):
        ents = sorted(set(owner[idx[0] * w: (idx[-1] + 2) * w]))
        pos = nxt[idx] == 1
        already = float(np.mean(frac[idx][pos] > 0)) if pos.any() else float("nan")
        onset = int(np.sum(pos & (frac[idx] == 0)))
        print(f"| {part} | {idx.size} | {len(ents)} | {pos.mean():.3f} | {int(pos.sum())} | {already:.2f} | {onset} |")
    print(f"persistence oracle window AUC on the test part: {_auc(nxt[te], frac[te]):.3f} "
          f"(onset mode leaves no signal to persistence: every kept current window is clean)")
    pooled_pos = pooled_onset = pooled_n = 0
    for _, a, n in spans:
        f_e, y_e = _samples(y[a: a + n], w)
        if y_e.size < 6:
            continue
        te_e = split_indices(y_e.size)[2]
        pooled_n += te_e.size
        pooled_pos += int(y_e[te_e].sum())
        pooled_onset += int(np.sum((y_e[te_e] == 1) & (f_e[te_e] == 0)))
    print(f"entity-aware split (6:2:2 within each entity, test parts pooled): {pooled_n} test samples, "
          f"{pooled_pos} positive, {pooled_onset} onset positives")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-root", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--window", type=int, default=100)
    ap.add_argument("--datasets", default="MSL,SMD")
    args = ap.parse_args()
    for name in args.datasets.split(","):
        diagnose(args.data_root, name, args.window)


if __name__ == "__main__":
    main()
