"""Series ↔ image maps (docs/methods/vanad.md §4.1) and the ``imaging=`` table (Table V's alternatives).

Every imaging turns a window ``x`` ``[B, L, C]`` into small grey images ``[N, 1, h, w]`` and
maps reconstructed grey images of the same size back to ``[B, L, C]`` (``decode(grey, B, L)``). The shared pipeline in
:mod:`augury.detectors.vanad.model` resizes them to the MAE's input size and back with
:func:`resize` and repeats the grey channel 3 times; no ImageNet normalisation is applied.

- ``heatmap`` (VAN-AD, the official ``multi_var``): one image per window, variables are rows
  and time is columns; the raw (globally scaled) values are imaged.
- ``seg`` (VisionTS's segmentation, channel-independent): one image per variable, the series
  folded into ``periodicity`` rows (after left replicate-padding to a multiple of it).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


def resize(img: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize of ``[N, c, h, w]`` to ``size``: torchvision ``Resize(BILINEAR, antialias=False)``."""
    return F.interpolate(img, size=size, mode="bilinear", align_corners=False, antialias=False)


class HeatmapImaging:
    """Variables × time heatmap: ``[B, L, C]`` ↔ ``[B, 1, C, L]``."""

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return x.transpose(1, 2).unsqueeze(1)

    def decode(self, grey: torch.Tensor, batch: int, length: int) -> torch.Tensor:
        return grey[:, 0].transpose(1, 2)


@dataclass(frozen=True)
class SegmentImaging:
    """Per-variable folding into ``periodicity`` rows: ``[B, L, C]`` ↔ ``[B·C, 1, P, ⌈L/P⌉]``."""

    periodicity: int = 1

    def _pad(self, length: int) -> int:
        return (-length) % self.periodicity

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        b, length, c = x.shape
        pad = self._pad(length)
        series = x.transpose(1, 2)  # [B, C, L]
        if pad:
            series = F.pad(series, (pad, 0), mode="replicate")
        cols = (length + pad) // self.periodicity
        # time index t = col·P + row  ('b n (p f) -> (b n) 1 f p' with f = P)
        return series.reshape(b * c, cols, self.periodicity).transpose(1, 2).unsqueeze(1)

    def decode(self, grey: torch.Tensor, batch: int, length: int) -> torch.Tensor:
        n, _, rows, cols = grey.shape
        series = grey[:, 0].transpose(1, 2).reshape(batch, n // batch, rows * cols)
        # The official code keeps the first L steps; with left padding the last L are the window's
        # own steps (identical whenever L is a multiple of the periodicity, as in every config).
        return series[..., rows * cols - length:].transpose(1, 2)


IMAGINGS: dict[str, type] = {"heatmap": HeatmapImaging, "seg": SegmentImaging}


def make_imaging(name: str, periodicity: int = 1) -> HeatmapImaging | SegmentImaging:
    """The imaging registered as ``name`` (``heatmap`` or ``seg``)."""
    if name == "heatmap":
        return HeatmapImaging()
    if name == "seg":
        if periodicity < 1:
            raise ValueError(f"periodicity must be >= 1, got {periodicity}")
        return SegmentImaging(periodicity)
    raise ValueError(f"imaging must be one of {sorted(IMAGINGS)}, got {name!r}")
