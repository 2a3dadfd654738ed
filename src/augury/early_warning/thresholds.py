"""δ*: the decision threshold of the early-warning protocol, chosen on validation windows only
(docs/methods/early_warning.md §5)."""

from __future__ import annotations

import numpy as np

from augury.metrics.window import select_window_threshold

#: Candidates when the validation probabilities are (nearly) constant (docs/methods/mtsjepa.md §7.6).
FLAT_CANDIDATES = (0.1, 0.3, 0.5, 0.7, 0.9)


def select_delta(y_val: np.ndarray, prob_val: np.ndarray) -> float:
    """F1-maximising δ for ``prob > δ`` on validation ``[N]``: 200-point grid between min and max,
    or :data:`FLAT_CANDIDATES` when ``std(prob_val) < 1e-6``; the first maximum wins."""
    prob = np.asarray(prob_val, dtype=np.float64)
    if prob.std() < 1e-6:
        y = np.asarray(y_val).astype(bool)
        f1 = []
        for d in FLAT_CANDIDATES:
            pred = prob > d
            tp = float((pred & y).sum())
            f1.append(2 * tp / max(pred.sum() + y.sum(), 1))
        return float(FLAT_CANDIDATES[int(np.argmax(f1))])
    return select_window_threshold(y_val, prob)
