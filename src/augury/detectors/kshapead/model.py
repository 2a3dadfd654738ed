"""KShapeAD (TSB-AD's univariate detector: SAND in batch mode), applied per channel (:mod:`augury.detectors.per_channel`).

Fitting one training channel ``x`` ``[T]`` with window W (the *pattern* length):

- subsequences of L = 4·W steps are cut every ⌊1.5·W⌋ steps (starts 0, ⌊1.5W⌋, ... < T − L);
- k-Shape (tslearn's ``KShape``: shape-based distance, z-normalised centroids, ``n_clusters``
  clusters, seeded by ``seed``) groups them; empty clusters are dropped;
- cluster j gets SAND's weight ``w_j = f_j² / c_j``, with f_j its size and c_j the summed
  shape-based distance of its centroid to the other centroids, each min–max mapped to [1, 2],
  then blended with its recency as SAND's single batch does:
  ``w_j · (1 + 1 / (1 + T − s_j)) / 2`` (s_j the start of the cluster's last subsequence).

Scoring a channel: ``d_j[i]`` is the z-normalised distance of the W-step subsequence starting at
i to its nearest W-step subsequence of centroid j (stumpy's AB-join), ``d = Σ w_j d_j / Σ w_j``,
and the step score is the mean of ``d`` over the W subsequences starting at t − W + 1 .. t (TSB-AD's
running mean; past the last subsequence ``d`` is extended with its last value, and the first
W − 1 steps take the first mean). TSB-AD then z-scores the series by its own mean and deviation;
here the per-channel robust standardisation on the *training* scores takes that place (an
increasing affine map on one channel, so rankings, AUC and VUS are unchanged).

k-Shape needs distinct shapes: a channel with fewer subsequences than ``n_clusters`` is
clustered into as many clusters as it has subsequences, and when its subsequences cannot fill
the clusters (tslearn gives up after ten random starts that leave one empty) it is clustered
with one cluster fewer, down to one; the clusters kept are part of the saved model. A channel
constant over training keeps one constant centroid: a constant test subsequence is at distance
0 from it and any other at √W (stumpy's convention), so its departures from the constant score.

Causal scoring (``decision_function(causal=True)``, streaming): step t gets the mean of ``d``
over the W subsequences that *end* at t − W + 1 .. t, which needs no later step
(``causal_warmup() = 2·W − 2``); it is the batch score shifted by W − 1 steps.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np

from augury.base.params import Int, Rule
from augury.detectors.matrixprofile.model import stump_profile
from augury.detectors.per_channel import PER_CHANNEL_RULES, PerChannelDetector
from augury.errors import DataError
from augury.utils.threads import keep_torch_threads

#: subsequence length L = SUBSEQUENCE_FACTOR · W (TSB-AD: ``subsequence_length=4*slidingWindow``)
SUBSEQUENCE_FACTOR = 4
#: stride between clustered subsequences = ⌊STRIDE_FACTOR · W⌋ (TSB-AD: ``overlaping_rate=int(1.5*slidingWindow)``)
STRIDE_FACTOR = 1.5


def _tslearn() -> Any:
    """tslearn, imported quietly: it warns at import that h5py (which augury never uses) is missing."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*h5py", category=UserWarning)
        import tslearn.clustering
        import tslearn.metrics
    return tslearn


def _shape_distances(centroids: np.ndarray) -> np.ndarray:
    """Shape-based distance 1 − max normalised cross-correlation between centroids ``[k, L]`` → ``[k, k]``."""
    cdist_normalized_cc = _tslearn().metrics.cdist_normalized_cc

    data = centroids[:, :, None]
    norms = np.linalg.norm(centroids, axis=1)
    # tslearn divides by the norms; a zero-norm (constant) centroid is at distance 1 from every other
    safe = np.where(norms > 0, norms, np.inf)
    with keep_torch_threads():
        return 1.0 - cdist_normalized_cc(data, data, norms1=safe, norms2=safe, self_similarity=False)


def _unit_interval_plus_one(v: np.ndarray) -> np.ndarray:
    """SAND's min–max map onto [1, 2) (with its 1e-7 guard against a zero range)."""
    return (v - v.min()) / (v.max() - v.min() + 1e-7) + 1.0


def sand_weights(sizes: np.ndarray, centroids: np.ndarray, last_starts: np.ndarray, n_steps: int) -> np.ndarray:
    """SAND's batch weight of each cluster ``[k]`` from its size, centrality and recency (module docstring)."""
    dist = _shape_distances(centroids)
    centrality = dist.sum(axis=1) - np.diag(dist)
    weight = _unit_interval_plus_one(sizes.astype(np.float64)) ** 2 / _unit_interval_plus_one(centrality)
    decay = np.maximum(0.0, n_steps - last_starts.astype(np.float64))
    return 0.5 * weight + 0.5 * weight / (1.0 + decay)


def running_mean(v: np.ndarray, n: int) -> np.ndarray:
    """Means of the ``n``-step windows of ``v`` ``[m]`` → ``[m − n + 1]`` (TSB-AD's cumulative-sum form)."""
    c = np.cumsum(np.insert(v, 0, 0.0))
    return (c[n:] - c[:-n]) / n


class KShapeAD(PerChannelDetector):
    """KShapeAD per channel.

    Parameters: ``window`` (pattern length W, ``None`` = the training channel-0 period),
    ``n_clusters`` (k-Shape clusters per channel), ``max_iter`` (k-Shape iterations), ``combine``,
    ``scaling``, ``threshold``, ``seed`` (k-Shape's random starts).
    """

    name = "kshapead"
    param_rules: ClassVar[dict[str, Rule]] = {**PER_CHANNEL_RULES, "n_clusters": Int(1, 100),
                                              "max_iter": Int(1, 10_000)}
    presets: ClassVar[dict[str, dict[str, Any]]] = {
        # Clustering ~T / (1.5 W) subsequences and k AB-joins per channel are cheap: cpu = paper.
        "cpu": {"window": None, "n_clusters": 6, "max_iter": 100},
        # TSB-AD HP_list (Optimal_Uni_algo_HP_dict): periodicity 1; SAND's defaults k = 6, tslearn's 100 iterations.
        "paper": {"window": None, "n_clusters": 6, "max_iter": 100},
    }

    def __init__(self, window: int | None = None, n_clusters: int = 6, max_iter: int = 100, combine: str = "mean",
                 scaling: str = "standard", threshold: str = "top:1", seed: int = 0) -> None:
        self.window = window
        self.n_clusters = n_clusters
        self.max_iter = max_iter
        self.combine = combine
        self.scaling = scaling
        self.threshold = threshold
        self.seed = seed

    def _lengths(self, window: int) -> tuple[int, int]:
        return SUBSEQUENCE_FACTOR * window, int(STRIDE_FACTOR * window)

    def _min_fit_length(self, window: int) -> int:
        return SUBSEQUENCE_FACTOR * window + 1  # one subsequence start below T − L

    def causal_warmup(self) -> int:
        if hasattr(self, "window_"):
            return 2 * self.window_ - 2
        return super().causal_warmup()

    def _fit_channel(self, x: np.ndarray) -> dict[str, np.ndarray]:
        length, stride = self._lengths(self.window_)
        starts = np.arange(0, x.size - length, stride)
        if np.ptp(x) == 0:
            return {"centroids": np.full((1, length), x[0]), "weights": np.ones(1)}
        subs = np.lib.stride_tricks.sliding_window_view(x, length)[starts]
        labels, centres = self._kshape(subs)
        keep = [j for j in range(centres.shape[0]) if np.any(labels == j)]
        centroids = np.nan_to_num(centres[keep])
        sizes = np.array([np.sum(labels == j) for j in keep])
        last = np.array([starts[labels == j].max() for j in keep])
        return {"centroids": centroids, "weights": sand_weights(sizes, centroids, last, x.size)}

    def _kshape(self, subs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """k-Shape labels ``[n]`` and centroids ``[k, L]`` of subsequences ``[n, L]`` (fewer clusters when k cannot fill)."""
        KShape = _tslearn().clustering.KShape  # noqa: N806 (a class)

        for k in range(min(self.n_clusters, subs.shape[0]), 0, -1):
            model = KShape(n_clusters=k, max_iter=self.max_iter, random_state=self.seed)
            with keep_torch_threads(), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # zero-norm (flat) subsequences divide by 0
                model.fit(subs[:, :, None])
            # tslearn retries a start that leaves a cluster empty and, when all ten fail, keeps no
            # result; n_iter_ stays 0 only then
            if model.n_iter_ > 0:
                return np.asarray(model.labels_), np.asarray(model.cluster_centers_[:, :, 0], dtype=np.float64)
        raise DataError(f"KShapeAD: k-Shape found no clusters in {subs.shape[0]} subsequences")

    def _weighted_join(self, c: int, x: np.ndarray) -> np.ndarray:
        """Weighted distance ``d`` ``[T − W + 1]`` of every W-step subsequence of ``x`` to channel c's centroids."""
        model = self.channel_models_[c]
        joins = np.stack([np.nan_to_num(stump_profile(x, self.window_, centroid)) for centroid in model["centroids"]])
        return model["weights"] @ joins / model["weights"].sum()

    def _score_channel(self, c: int, x: np.ndarray) -> np.ndarray:
        w = self.window_
        d = self._weighted_join(c, x)
        means = running_mean(np.concatenate([d, np.full(w - 1, d[-1])]), w)
        return np.concatenate([np.full(w - 1, means[0]), means])

    def _causal_channel(self, c: int, x: np.ndarray) -> np.ndarray:
        return running_mean(self._weighted_join(c, x), self.window_)

    def _set_state(self, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> None:
        super()._set_state(arrays, info)
        length = SUBSEQUENCE_FACTOR * self.window_
        for c, m in enumerate(self.channel_models_):
            cents, weights = m.get("centroids"), m.get("weights")
            if (set(m) != {"centroids", "weights"} or cents.ndim != 2 or cents.shape[1] != length
                    or weights.shape != (cents.shape[0],) or not np.all(weights > 0)
                    or not np.all(np.isfinite(cents))):
                raise ValueError(f"channel {c}: expected 'centroids' [k, {length}] and positive 'weights' [k]")
