"""Entity scales of a concatenated collection: when one entity dominates the scaling, say so.

Concatenating a collection (the AT protocol) fits one scaler on all entities. When their
value ranges differ by orders of magnitude (NAB: one series reaches 8e8, others stay below
100), the big entity sets the scale and the others look flat, so every method scores near
chance. Running each entity separately (``bench --fleet``) avoids that.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: ratio of the largest to the smallest entity spread (median over channels) that triggers the note
SCALE_RATIO = 1000.0


def scale_warning(ds: Any) -> str | None:
    """A one-line note for a concatenated collection whose entity spreads differ by more than
    :data:`SCALE_RATIO`, else ``None``. Spread: per-channel standard deviation of the training part."""
    spans = ds.meta.get("entities") if ds.meta.get("format") == "collection" else None
    if not spans or len(spans) < 2:
        return None
    spreads = []
    for span in spans:
        part = np.asarray(ds.train[span["train_start"] : span["train_end"]], dtype=np.float64)
        if len(part):
            spreads.append((float(np.median(part.std(axis=0))), span["name"]))
    positive = [(s, n) for s, n in spreads if s > 0]
    if len(positive) < 2:
        return None
    (low, low_name), (high, high_name) = min(positive), max(positive)
    if high / low <= SCALE_RATIO:
        return None
    return (f"{ds.name}: entity spreads differ by {high / low:.2g}x ({high_name}: {high:.3g}, {low_name}: {low:.3g}); "
            "one scaler over the concatenation is dominated by the largest; consider --fleet")
