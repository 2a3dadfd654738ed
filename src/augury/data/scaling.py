"""Per-channel scaling fitted on the training series only (never on test data)."""

from __future__ import annotations

from typing import Literal

import numpy as np

from augury.errors import DataError

ScalingKind = Literal["standard", "minmax", "none"]


class Scaler:
    """Per-channel affine scaling ``(x - offset_) / scale_`` fitted on train.

    ``kind``: ``"standard"`` (mean / std), ``"minmax"`` (min / range) or ``"none"``.
    Constant channels get scale 1 so they map to 0 instead of dividing by zero.
    """

    def __init__(self, kind: ScalingKind = "standard") -> None:
        if kind not in ("standard", "minmax", "none"):
            raise DataError(f"unknown scaling {kind!r}; expected 'standard', 'minmax' or 'none'")
        self.kind = kind

    def fit(self, x: np.ndarray) -> Scaler:
        """Fit on the training series ``x`` ``[T, C]``."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2:
            raise DataError(f"scaler expects a 2-D [time, channels] array, got shape {x.shape}")
        c = x.shape[1]
        if self.kind == "standard":
            offset, scale = x.mean(axis=0), x.std(axis=0)
        elif self.kind == "minmax":
            offset, scale = x.min(axis=0), x.max(axis=0) - x.min(axis=0)
        else:
            offset, scale = np.zeros(c), np.ones(c)
        scale = np.where(scale > 1e-12, scale, 1.0)
        self.offset_ = offset.astype(np.float64)
        self.scale_ = scale.astype(np.float64)
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Scale ``x`` ``[T, C]`` with the fitted parameters; returns float32 ``[T, C]``."""
        if not hasattr(self, "offset_"):
            raise DataError("Scaler.transform called before fit")
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.offset_.shape[0]:
            raise DataError(
                f"expected {self.offset_.shape[0]} channels (as in the training data), got shape {x.shape}"
            )
        with np.errstate(over="ignore"):
            out = ((x - self.offset_) / self.scale_).astype(np.float32)
        bad = ~np.isfinite(out)
        if bad.any():
            # A value finite in float32 can still be ~1e30 training std-devs out: refuse, do not score inf.
            r, c = np.argwhere(bad)[0]
            raise DataError(f"channel {c} row {r}: value {x[r, c]:g} is beyond float32 range after scaling by the "
                            f"training data (scale {self.scale_[c]:g}); check the data for corrupt values")
        return out

    def fit_transform(self, x: np.ndarray) -> np.ndarray:
        """``fit(x).transform(x)``."""
        return self.fit(x).transform(x)
