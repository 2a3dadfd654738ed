"""Seeded synthetic multivariate series with labelled planted anomalies.

The clean signal is a sum of a few seasonal latent factors mixed into every channel through a
random loading matrix (so the channels are correlated), plus a per-channel offset and Gaussian
noise. The test part continues the training part in time, so a model fitted on train sees the
same seasonality in test. Anomalies are planted only in test, never overlap, and the labels
cover exactly the planted steps (``end`` is exclusive everywhere in this module).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from augury.data.dataset import Dataset

ANOMALY_KINDS: tuple[str, ...] = ("spike", "level_shift", "trend", "frequency", "correlation", "flatline")

# Defaults chosen so that every kind is clearly detectable by a simple model: shifts of several
# channel standard deviations, spikes beyond the largest deviation already in the series.
DEFAULT_MAGNITUDE: dict[str, float] = {
    "spike": 1.5,  # times the largest |x - median| / std over all channels so far
    "level_shift": 4.0,  # channel standard deviations
    "trend": 6.0,  # channel standard deviations reached at the end of the segment
    "frequency": 4.0,  # speed-up factor of the local oscillation
    "correlation": 1.0,  # the segment's deviation from the channel mean is mirrored and scaled
    "flatline": 0.0,  # unused: the channel holds the value before the segment
}


def inject_anomaly(
    x: np.ndarray,
    kind: str,
    start: int,
    length: int,
    channels: Sequence[int],
    rng: np.random.Generator,
    magnitude: float | None = None,
) -> np.ndarray:
    """Return a copy of ``x`` ``[T, C]`` with one anomaly planted in ``[start, start + length)``.

    The copy keeps a floating input's dtype (other inputs become float64).

    ``kind`` is one of :data:`ANOMALY_KINDS`; ``channels`` are the affected channel indices;
    ``rng`` draws the sign of spikes and shifts; ``magnitude`` defaults to
    :data:`DEFAULT_MAGNITUDE` ``[kind]``, in the units given there. Statistics (std, median)
    are taken per channel over the whole of ``x``; a spike's height is ``magnitude`` times the
    largest deviation from the median, in channel-std units, of any channel of ``x``. For
    ``"correlation"`` the listed channels are mirrored around their mean, so their correlation
    with the other channels flips sign.
    """
    if kind not in DEFAULT_MAGNITUDE:
        raise ValueError(f"unknown anomaly kind {kind!r}; expected one of {ANOMALY_KINDS}")
    in_dtype = np.asarray(x).dtype
    out_dtype = in_dtype if np.issubdtype(in_dtype, np.floating) else np.float64
    x = np.array(x, dtype=np.float64, copy=True)
    if x.ndim != 2:
        raise ValueError(f"expected a [T, C] array, got shape {x.shape}")
    n = x.shape[0]
    if length < 1 or start < 0 or start + length > n:
        raise ValueError(f"segment [{start}, {start + length}) does not fit in a series of {n} steps")
    mag = DEFAULT_MAGNITUDE[kind] if magnitude is None else float(magnitude)
    seg = slice(start, start + length)
    medians = np.median(x, axis=0)
    stds = np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
    peak_z = float(np.max(np.abs(x - medians) / stds)) or 1.0
    for c in channels:
        col = x[:, c]
        std = float(stds[c])
        if kind == "spike":
            col[seg] = medians[c] + rng.choice((-1.0, 1.0)) * mag * peak_z * std
        elif kind == "level_shift":
            col[seg] += rng.choice((-1.0, 1.0)) * mag * std
        elif kind == "trend":
            col[seg] += rng.choice((-1.0, 1.0)) * mag * std * np.linspace(1.0 / length, 1.0, length)
        elif kind == "frequency":
            # Replay a stretch of the channel `mag` times faster: same values and noise level,
            # but the oscillation inside the segment is `mag` times quicker.
            factor = max(int(round(mag)), 2)
            src0 = max(0, min(start, n - length * factor))
            src = (src0 + np.arange(length) * factor) % n
            col[seg] = col[src].copy()
        elif kind == "correlation":
            mean = float(col.mean())
            col[seg] = mean - mag * (col[seg] - mean)
        else:  # flatline
            col[seg] = col[start - 1] if start > 0 else col[start]
    return x.astype(out_dtype, copy=False)


def _seasonal_signal(
    n_steps: int, n_channels: int, periods: Sequence[float], noise: float, rng: np.random.Generator
) -> np.ndarray:
    t = np.arange(n_steps, dtype=np.float64)[:, None]
    phases = rng.uniform(0.0, 2.0 * np.pi, size=len(periods))
    factors = np.sin(2.0 * np.pi * t / np.asarray(periods, dtype=np.float64) + phases)  # [T, K]
    # Loadings bounded away from zero so every channel carries every season and the channels
    # stay strongly (positively or negatively) correlated.
    loadings = rng.uniform(0.5, 1.5, size=(len(periods), n_channels)) * rng.choice(
        (-1.0, 1.0), size=(len(periods), n_channels)
    )
    offsets = rng.uniform(-2.0, 2.0, size=n_channels)
    return factors @ loadings + offsets + noise * rng.standard_normal((n_steps, n_channels))


def _place_segments(n_test: int, lengths: list[int], rng: np.random.Generator, gap: int) -> list[int]:
    """Start of each segment: one per equal slot of the test series, so none overlap or touch."""
    slot = n_test // len(lengths)
    starts = []
    for i, length in enumerate(lengths):
        lo = i * slot + gap
        hi = (i + 1) * slot - gap - length
        if hi < lo:
            raise ValueError(
                f"n_test={n_test} is too short for {len(lengths)} anomalies of up to {max(lengths)} steps"
            )
        starts.append(int(rng.integers(lo, hi + 1)))
    return starts


def make_synthetic(
    n_train: int = 2000,
    n_test: int = 2000,
    n_channels: int = 4,
    anomaly_kinds: Sequence[str] = ANOMALY_KINDS,
    n_anomalies: int = 6,
    seed: int = 0,
    *,
    periods: Sequence[float] = (24.0, 60.0, 150.0),
    noise: float = 0.1,
    min_length: int = 20,
    max_length: int = 60,
    magnitude: dict[str, float] | None = None,
) -> Dataset:
    """Seeded multivariate seasonal series: clean train, test with labelled planted anomalies.

    Returns a ``Dataset`` with ``train`` float32 ``[n_train, n_channels]``, ``test`` float32
    ``[n_test, n_channels]``, ``test_labels`` uint8 ``[n_test]`` equal to 1 exactly on the planted
    steps and ``train_labels`` all 0. Anomaly ``i`` has kind ``anomaly_kinds[i % len(kinds)]``
    (so every kind appears once ``n_anomalies >= len(anomaly_kinds)``), placed in a random order
    in non-overlapping slots of test. Spikes last 1 step and are planted after the other kinds so
    that each is the largest deviation of its channel; other kinds last ``min_length`` to
    ``max_length`` steps. ``meta["anomalies"]`` lists ``{"kind", "start", "end", "channels",
    "magnitude"}`` per anomaly (test indices, ``end`` exclusive), sorted by ``start``.
    ``magnitude`` overrides :data:`DEFAULT_MAGNITUDE` per kind. Same arguments -> same arrays.
    """
    kinds = list(anomaly_kinds)
    unknown = [k for k in kinds if k not in DEFAULT_MAGNITUDE]
    if unknown:
        raise ValueError(f"unknown anomaly kinds {unknown}; expected some of {ANOMALY_KINDS}")
    if n_anomalies > 0 and not kinds:
        raise ValueError("n_anomalies > 0 needs at least one anomaly kind")
    if n_channels < 1 or n_train < 1 or n_test < 1:
        raise ValueError("n_train, n_test and n_channels must be >= 1")
    mags = {**DEFAULT_MAGNITUDE, **(magnitude or {})}
    rng = np.random.default_rng(seed)

    full = _seasonal_signal(n_train + n_test, n_channels, periods, noise, rng)
    train, test = full[:n_train], full[n_train:]

    planned = [kinds[i % len(kinds)] for i in range(n_anomalies)]
    rng.shuffle(planned)
    lengths = [1 if k == "spike" else int(rng.integers(min_length, max_length + 1)) for k in planned]
    starts = _place_segments(n_test, lengths, rng, gap=max(1, min_length // 2)) if planned else []

    anomalies = []
    for kind, start, length in zip(planned, starts, lengths, strict=True):
        if kind == "correlation" and n_channels > 1:
            # Mirror about half the channels so they decorrelate from the untouched rest.
            k = max(1, n_channels // 2)
        elif kind == "spike":
            k = 1
        else:
            k = int(rng.integers(1, min(2, n_channels) + 1))
        chans = sorted(int(c) for c in rng.choice(n_channels, size=k, replace=False))
        anomalies.append(
            {"kind": kind, "start": start, "end": start + length, "channels": chans, "magnitude": mags[kind]}
        )

    labels = np.zeros(n_test, dtype=np.uint8)
    # Frequency anomalies replay the clean signal, so they go first; spikes go last so that each
    # one exceeds every deviation the other anomalies created.
    order = {"frequency": 0, "spike": 2}
    for a in sorted(anomalies, key=lambda a: order.get(a["kind"], 1)):
        test = inject_anomaly(
            test, a["kind"], a["start"], a["end"] - a["start"], a["channels"], rng, a["magnitude"]
        )
        labels[a["start"] : a["end"]] = 1

    return Dataset(
        name=f"synthetic-seed{seed}",
        train=train.astype(np.float32),
        test=test.astype(np.float32),
        test_labels=labels,
        train_labels=np.zeros(n_train, dtype=np.uint8),
        channels=[f"ch{i}" for i in range(n_channels)],
        meta={
            "format": "synthetic",
            "seed": seed,
            "periods": [float(p) for p in periods],
            "noise": noise,
            "anomalies": sorted(anomalies, key=lambda a: a["start"]),
        },
    )
