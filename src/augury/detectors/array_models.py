"""Fitted outlier models whose whole state is a dict of NumPy arrays.

Why: a saved detector must load without pickle *and* without refitting (a refit on load made
``load_detector`` run for minutes on a config asking for ``n_estimators=10**9``, and loading
is where a tampered folder gets its say). Each model here is fitted with PyOD/scikit-learn,
then reduced to the arrays its scoring needs; ``decision_function`` uses only those arrays
(PyOD's convention: higher = more anomalous) and matches PyOD's scores on the same data
(``tests/test_array_models.py``; iforest up to a constant: PyOD passes ``contamination=0.1``,
which only moves scikit-learn's offset). ``restore`` rebuilds a model from saved arrays in O(size).

Scores are computed in float64: squared distances of float32-scaled inputs near 1e20 overflow
float32 (the untyped RuntimeError of issue 10, item 4).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from augury.errors import DataError

ArrayState = dict[str, np.ndarray]


def _f64(rows: np.ndarray) -> np.ndarray:
    return np.asarray(rows, dtype=np.float64)


def _kneighbors(train: np.ndarray, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    # Brute force: "fitting" it only stores the rows, so restoring costs nothing.
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(train)
    return nn.kneighbors(query)


def _need_rows(name: str, rows: np.ndarray, needed: int, why: str) -> None:
    if rows.shape[0] < needed:
        fix = f" or a smaller {why.split('=')[0]}" if "=" in why else ""
        raise DataError(f"{name}: {rows.shape[0]} training windows, but {why} needs at least {needed}; "
                        f"use a longer training series, a smaller window or stride{fix}")


class KNNModel:
    """Distance to the ``n_neighbors``-th nearest training row (PyOD KNN, ``method='largest'``)."""

    def __init__(self, n_neighbors: int) -> None:
        self.n_neighbors = n_neighbors

    def fit(self, rows: np.ndarray) -> KNNModel:
        _need_rows("knn", rows, self.n_neighbors + 1, f"n_neighbors={self.n_neighbors}")
        self.rows_ = _f64(rows)
        return self

    def decision_function(self, rows: np.ndarray) -> np.ndarray:
        dist, _ = _kneighbors(self.rows_, _f64(rows), self.n_neighbors)
        return dist[:, -1]

    def state(self) -> ArrayState:
        return {"rows": self.rows_}

    def restore(self, arrays: ArrayState) -> KNNModel:
        self.rows_ = _f64(arrays["rows"])
        _need_rows("knn", self.rows_, self.n_neighbors + 1, f"n_neighbors={self.n_neighbors}")
        return self


class LOFModel:
    """Local outlier factor in novelty mode (scikit-learn's, as PyOD LOF uses), kept as arrays:
    training rows, their k-distances and local reachability densities."""

    def __init__(self, n_neighbors: int) -> None:
        self.n_neighbors = n_neighbors

    def fit(self, rows: np.ndarray) -> LOFModel:
        from sklearn.neighbors import LocalOutlierFactor

        _need_rows("lof", rows, self.n_neighbors + 1, f"n_neighbors={self.n_neighbors}")
        lof = LocalOutlierFactor(n_neighbors=self.n_neighbors, novelty=True).fit(_f64(rows))
        self.rows_ = _f64(rows)
        self.k_distance_ = lof._distances_fit_X_[:, self.n_neighbors - 1].astype(np.float64)
        self.lrd_ = lof._lrd.astype(np.float64)
        return self

    def decision_function(self, rows: np.ndarray) -> np.ndarray:
        dist, idx = _kneighbors(self.rows_, _f64(rows), self.n_neighbors)
        reach = np.maximum(dist, self.k_distance_[idx])
        lrd = 1.0 / (reach.mean(axis=1) + 1e-10)
        return self.lrd_[idx].mean(axis=1) / lrd

    def state(self) -> ArrayState:
        return {"rows": self.rows_, "k_distance": self.k_distance_, "lrd": self.lrd_}

    def restore(self, arrays: ArrayState) -> LOFModel:
        self.rows_, self.k_distance_, self.lrd_ = (_f64(arrays[k]) for k in ("rows", "k_distance", "lrd"))
        if not self.rows_.shape[0] == self.k_distance_.shape[0] == self.lrd_.shape[0]:
            raise ValueError("lof arrays rows/k_distance/lrd disagree in length")
        _need_rows("lof", self.rows_, self.n_neighbors + 1, f"n_neighbors={self.n_neighbors}")
        return self


class PCAModel:
    """Regularised Mahalanobis distance in the principal-component basis (scikit-learn PCA).

    Not PyOD's PCA: PyOD divides by each component's explained-variance ratio, which is 0 for
    the zero-variance directions that constant channels (SMAP, MSL, some NAB series) create,
    so its scores were inf/NaN there and ~7e18 on an SMD machine. Here variances are floored
    at 1e-3 of the mean per-feature variance, and the residual outside the kept components is
    measured at that floor, so a score is at most ``||x - mean|| / sqrt(floor)``: finite and
    bounded for every finite input.
    """

    def __init__(self, n_components: int | float | None, seed: int) -> None:
        self.n_components = n_components
        self.seed = seed

    def fit(self, rows: np.ndarray) -> PCAModel:
        from sklearn.decomposition import PCA as SkPCA

        rows = _f64(rows)
        _need_rows("pca", rows, 2, "PCA")
        n_comp = self.n_components
        if isinstance(n_comp, int) and n_comp > min(rows.shape):
            raise DataError(f"pca: n_components={n_comp} exceeds min(training windows, features) = {min(rows.shape)}")
        pca = SkPCA(n_components=n_comp, svd_solver="full", random_state=self.seed).fit(rows)
        self.mean_ = pca.mean_.astype(np.float64)
        self.components_ = pca.components_.astype(np.float64)
        total = float(np.var(rows, axis=0).sum())
        floor = max(1e-3 * total / rows.shape[1], 1e-6)
        self.variance_ = np.maximum(pca.explained_variance_.astype(np.float64), floor)
        self.floor_ = np.array([floor])
        return self

    def decision_function(self, rows: np.ndarray) -> np.ndarray:
        centred = _f64(rows) - self.mean_
        z = centred @ self.components_.T
        resid = centred - z @ self.components_
        d2 = (z**2 / self.variance_).sum(axis=1) + (resid**2).sum(axis=1) / self.floor_[0]
        return np.sqrt(d2)

    def state(self) -> ArrayState:
        return {"mean": self.mean_, "components": self.components_, "variance": self.variance_, "floor": self.floor_}

    def restore(self, arrays: ArrayState) -> PCAModel:
        self.mean_, self.components_, self.variance_, self.floor_ = (
            _f64(arrays[k]) for k in ("mean", "components", "variance", "floor"))
        d = self.mean_.shape[0]
        if (self.components_.ndim != 2 or self.components_.shape[1] != d
                or self.variance_.shape != (self.components_.shape[0],) or self.floor_.shape != (1,)
                or np.any(self.variance_ <= 0) or self.floor_[0] <= 0):
            raise ValueError("pca arrays have inconsistent shapes or non-positive variances")
        return self


class KMeansModel:
    """Distance to the nearest k-means centroid (scikit-learn k-means; PyOD has no plain k-means)."""

    def __init__(self, n_clusters: int, seed: int) -> None:
        self.n_clusters = n_clusters
        self.seed = seed

    def fit(self, rows: np.ndarray) -> KMeansModel:
        from sklearn.cluster import KMeans

        _need_rows("kmeans", rows, self.n_clusters, f"n_clusters={self.n_clusters}")
        km = KMeans(n_clusters=self.n_clusters, n_init=3, random_state=self.seed).fit(_f64(rows))
        self.centers_ = km.cluster_centers_.astype(np.float64)
        return self

    def decision_function(self, rows: np.ndarray) -> np.ndarray:
        from scipy.spatial.distance import cdist

        return cdist(_f64(rows), self.centers_).min(axis=1)

    def state(self) -> ArrayState:
        return {"centers": self.centers_}

    def restore(self, arrays: ArrayState) -> KMeansModel:
        self.centers_ = _f64(arrays["centers"])
        if self.centers_.ndim != 2 or self.centers_.shape[0] < 1:
            raise ValueError("kmeans centers must be a non-empty [k, features] array")
        return self


class CBLOFModel:
    """PyOD CBLOF (``use_weights=False``) as arrays: cluster centres and which clusters are large.

    A row's score is its distance to its own centre if that cluster is large, else to the
    nearest large centre (PyOD's ``_decision_function``)."""

    def __init__(self, n_clusters: int, seed: int) -> None:
        self.n_clusters = n_clusters
        self.seed = seed

    def fit(self, rows: np.ndarray) -> CBLOFModel:
        from pyod.models.cblof import CBLOF

        _need_rows("cblof", rows, 2 * self.n_clusters, f"n_clusters={self.n_clusters}")
        try:
            m = CBLOF(n_clusters=self.n_clusters, random_state=self.seed).fit(_f64(rows))
        except ValueError as exc:
            raise DataError(f"cblof: cannot split {rows.shape[0]} training windows into large and small "
                            f"clusters with n_clusters={self.n_clusters} ({exc}); try fewer clusters") from exc
        self.centers_ = np.asarray(m.cluster_centers_, dtype=np.float64)
        large = np.zeros(self.centers_.shape[0], dtype=np.float64)
        large[np.asarray(m.large_cluster_labels_, dtype=np.int64)] = 1.0
        self.large_ = large
        return self

    def decision_function(self, rows: np.ndarray) -> np.ndarray:
        from scipy.spatial.distance import cdist

        d = cdist(_f64(rows), self.centers_)
        own = d.argmin(axis=1)
        is_large = self.large_[own] > 0.5
        return np.where(is_large, d[np.arange(d.shape[0]), own], d[:, self.large_ > 0.5].min(axis=1))

    def state(self) -> ArrayState:
        return {"centers": self.centers_, "large": self.large_}

    def restore(self, arrays: ArrayState) -> CBLOFModel:
        self.centers_, self.large_ = _f64(arrays["centers"]), _f64(arrays["large"])
        if self.large_.shape != (self.centers_.shape[0],) or not np.any(self.large_ > 0.5):
            raise ValueError("cblof arrays: 'large' must flag at least one of the centres")
        return self


class HBOSModel:
    """PyOD HBOS; its fitted state already is two arrays (histograms and bin edges per feature)."""

    def __init__(self, n_bins: int) -> None:
        self.n_bins = n_bins

    def _pyod(self) -> Any:
        from pyod.models.hbos import HBOS

        return HBOS(n_bins=self.n_bins)

    def fit(self, rows: np.ndarray) -> HBOSModel:
        self.model_ = self._pyod().fit(_f64(rows))
        return self

    def decision_function(self, rows: np.ndarray) -> np.ndarray:
        return self.model_.decision_function(_f64(rows))

    def state(self) -> ArrayState:
        return {"hist": np.asarray(self.model_.hist_, np.float64), "bin_edges": np.asarray(self.model_.bin_edges_, np.float64)}

    def restore(self, arrays: ArrayState) -> HBOSModel:
        hist, edges = _f64(arrays["hist"]), _f64(arrays["bin_edges"])
        if hist.ndim != 2 or hist.shape[0] != self.n_bins or edges.shape != (self.n_bins + 1, hist.shape[1]):
            raise ValueError(f"hbos arrays must be hist [{self.n_bins}, d] and bin_edges [{self.n_bins + 1}, d]")
        self.model_ = self._pyod()
        self.model_.hist_, self.model_.bin_edges_ = hist, edges
        return self


class OCSVMModel:
    """One-class SVM (RBF) as arrays: support vectors, dual coefficients, intercept and gamma;
    ``decision_function`` is minus scikit-learn's (PyOD's sign)."""

    def __init__(self, nu: float) -> None:
        self.nu = nu

    def fit(self, rows: np.ndarray) -> OCSVMModel:
        from sklearn.svm import OneClassSVM

        _need_rows("ocsvm", rows, 2, "OCSVM")
        svm = OneClassSVM(nu=self.nu, kernel="rbf", gamma="auto").fit(_f64(rows))
        self.sv_ = svm.support_vectors_.astype(np.float64)
        self.coef_ = svm.dual_coef_.ravel().astype(np.float64)
        self.scalars_ = np.array([float(svm.intercept_[0]), float(svm._gamma)])
        return self

    def decision_function(self, rows: np.ndarray) -> np.ndarray:
        from sklearn.metrics.pairwise import rbf_kernel

        intercept, gamma = self.scalars_
        return -(rbf_kernel(_f64(rows), self.sv_, gamma=gamma) @ self.coef_ + intercept)

    def state(self) -> ArrayState:
        return {"support_vectors": self.sv_, "dual_coef": self.coef_, "scalars": self.scalars_}

    def restore(self, arrays: ArrayState) -> OCSVMModel:
        self.sv_, self.coef_, self.scalars_ = (_f64(arrays[k]) for k in ("support_vectors", "dual_coef", "scalars"))
        if self.sv_.ndim != 2 or self.coef_.shape != (self.sv_.shape[0],) or self.scalars_.shape != (2,):
            raise ValueError("ocsvm arrays have inconsistent shapes")
        return self


def _avg_path_length(n: np.ndarray) -> np.ndarray:
    """Expected path length of an unsuccessful BST search among ``n`` points (sklearn's c(n))."""
    n = np.asarray(n, dtype=np.float64)
    out = np.zeros_like(n)
    out[n == 2] = 1.0
    big = n > 2
    out[big] = 2.0 * (np.log(n[big] - 1.0) + np.euler_gamma) - 2.0 * (n[big] - 1.0) / n[big]
    return out


class IForestModel:
    """Isolation forest (scikit-learn's, as PyOD IForest uses) as concatenated tree arrays.

    Per node: left/right child (-1 at leaves), split feature and threshold, and the path
    length credited at a leaf (its depth + c(n_samples)); per tree, the node offset and the
    features it sees. Scoring walks all rows down each tree at once.
    """

    def __init__(self, n_estimators: int, seed: int) -> None:
        self.n_estimators = n_estimators
        self.seed = seed

    def fit(self, rows: np.ndarray) -> IForestModel:
        from sklearn.ensemble import IsolationForest

        _need_rows("iforest", rows, 2, "an isolation forest")
        forest = IsolationForest(n_estimators=self.n_estimators, random_state=self.seed, n_jobs=1).fit(
            np.asarray(rows, dtype=np.float32))
        lefts, rights, feats, thrs, leaf_len, offsets = [], [], [], [], [], [0]
        for tree, features in zip(forest.estimators_, forest.estimators_features_, strict=True):
            t = tree.tree_
            depth = np.zeros(t.node_count)
            for node in range(t.node_count):  # children always have larger ids than their parent
                for child in (t.children_left[node], t.children_right[node]):
                    if child >= 0:
                        depth[child] = depth[node] + 1
            lefts.append(t.children_left)
            rights.append(t.children_right)
            feats.append(np.where(t.feature >= 0, np.asarray(features)[np.maximum(t.feature, 0)], -1))
            thrs.append(t.threshold)
            leaf_len.append(depth + _avg_path_length(t.n_node_samples))
            offsets.append(offsets[-1] + t.node_count)
        self.left_, self.right_, self.feature_ = (np.concatenate(a).astype(np.int64) for a in (lefts, rights, feats))
        self.threshold_ = np.concatenate(thrs).astype(np.float64)
        self.leaf_length_ = np.concatenate(leaf_len).astype(np.float64)
        self.offsets_ = np.asarray(offsets, dtype=np.int64)
        self.scalars_ = np.array([float(forest._max_samples), float(forest.offset_)])
        return self

    def decision_function(self, rows: np.ndarray) -> np.ndarray:
        # Trees compare float32 inputs (scikit-learn casts X to float32 before splitting).
        x = np.asarray(rows, dtype=np.float32).astype(np.float64)
        if x.ndim != 2 or self.feature_.max() >= x.shape[1]:
            raise ValueError(f"iforest splits on feature {int(self.feature_.max())} but rows have shape {x.shape}")
        idx = np.arange(x.shape[0])
        depths = np.zeros(x.shape[0])
        for t in range(self.offsets_.shape[0] - 1):
            node = np.full(x.shape[0], self.offsets_[t])
            for _ in range(self.offsets_[t + 1] - self.offsets_[t]):
                inner = self.left_[node] >= 0
                if not inner.any():
                    break
                n_in = node[inner]
                go_left = x[idx[inner], self.feature_[n_in]] <= self.threshold_[n_in]
                node[inner] = self.offsets_[t] + np.where(go_left, self.left_[n_in], self.right_[n_in])
            depths += self.leaf_length_[node]
        max_samples, offset = self.scalars_
        n_trees = self.offsets_.shape[0] - 1
        scores = 2.0 ** (-depths / (n_trees * _avg_path_length(np.array([max_samples]))[0]))
        # PyOD's IForest.decision_function is minus scikit-learn's (score_samples - offset_).
        return scores + offset

    def state(self) -> ArrayState:
        return {"left": self.left_, "right": self.right_, "feature": self.feature_, "threshold": self.threshold_,
                "leaf_length": self.leaf_length_, "offsets": self.offsets_, "scalars": self.scalars_}

    def restore(self, arrays: ArrayState) -> IForestModel:
        self.left_, self.right_, self.feature_, self.offsets_ = (
            np.asarray(arrays[k], dtype=np.int64) for k in ("left", "right", "feature", "offsets"))
        self.threshold_, self.leaf_length_, self.scalars_ = (
            _f64(arrays[k]) for k in ("threshold", "leaf_length", "scalars"))
        n = self.left_.shape[0]
        ok = (self.right_.shape == self.feature_.shape == self.threshold_.shape == self.leaf_length_.shape == (n,)
              and self.offsets_.ndim == 1 and self.offsets_.shape[0] >= 2 and self.offsets_[0] == 0
              and self.offsets_[-1] == n and np.all(np.diff(self.offsets_) > 0) and self.scalars_.shape == (2,)
              and self.scalars_[0] >= 2)
        if ok:
            sizes = np.repeat(np.diff(self.offsets_), np.diff(self.offsets_))
            local = np.arange(n) - np.repeat(self.offsets_[:-1], np.diff(self.offsets_))
            inner = self.left_ >= 0
            # Children must point forward inside their own tree, or a walk could loop or escape.
            ok = bool(np.all((self.left_ < 0) == (self.right_ < 0))
                      and np.all(self.left_[inner] > local[inner]) and np.all(self.right_[inner] > local[inner])
                      and np.all(self.left_[inner] < sizes[inner]) and np.all(self.right_[inner] < sizes[inner])
                      and np.all(self.feature_[inner] >= 0))
        if not ok:
            raise ValueError("iforest arrays are inconsistent (tree structure)")
        return self
