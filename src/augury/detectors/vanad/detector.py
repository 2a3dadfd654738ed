"""The ``vanad`` detector (Chen et al.), following docs/methods/vanad.md."""

from __future__ import annotations

import logging
import time
from typing import Any, ClassVar

import numpy as np
import torch

from augury.base.params import SEED, AnyOf, Bool, Choice, Float, Int, IntList, Mapping, Rule, Text
from augury.detectors.base import Detector
from augury.detectors.vanad.admm import check_admm
from augury.detectors.vanad.backbone import (
    FINETUNE_MODES,
    MAEConfig,
    MaskedAutoencoder,
    finetune_parameters,
    resolve_arch,
)
from augury.detectors.vanad.checkpoint import (
    MissingWeightsError,
    load_pretrained,
    resolve_checkpoint,
    state_digest,
)
from augury.detectors.vanad.flow import MAF, FlowConfig
from augury.detectors.vanad.imaging import IMAGINGS, make_imaging
from augury.detectors.vanad.model import bf16_copy, reconstruct, step_scores
from augury.detectors.vanad.presets import PRESETS
from augury.detectors.vanad.pretrain import (
    HEATMAP_ARCH,
    PretrainConfig,
    pretrain_mae,
    read_mae_config,
    resolve_weights_file,
    spread_starts,
    stderr_progress,
)
from augury.detectors.vanad.train import (
    FlowHistory,
    FlowTrainConfig,
    reconstruction_constant,
    train_flow,
    train_joint,
)
from augury.errors import DataError, ModelFormatError, ParameterError
from augury.nn.precision import AUTOCAST_MODES, check_autocast
from augury.nn.serialization import load_numpy_state, state_to_numpy

log = logging.getLogger(__name__)

TAIL_MODES = ("window", "hold")
BACKBONES = ("pretrained", "random", "heatmap-mae")


def covered_steps(n_steps: int, window: int) -> int:
    """Steps the official protocol scores and evaluates: ``(⌊(T − L)/L⌋ + 1)·L`` (the tail is dropped)."""
    if n_steps < window:
        raise DataError(f"series has {n_steps} time steps, shorter than one window of {window} steps")
    return ((n_steps - window) // window + 1) * window


class VANAD(Detector):
    """VAN-AD: frozen ImageNet MAE reconstruction of a series heatmap + masked autoregressive flow.

    Full description, presets, deviations and numbers: docs/methods/vanad.md.

    Pipeline (docs/methods/vanad.md §4): each window ``[L, C]`` of the standard-scaled series is
    imaged (``imaging``), reconstructed by the MAE with two complementary checkerboard masks,
    turned back into a series X̂ and re-scaled with the window's own statistics (``admm``); a MAF
    (``n_blocks`` × ``hidden_size`` × ``n_hidden``, ``activation``) is trained on X̂ of the
    training windows (docs/methods/vanad.md §5: ``lr``, ``epochs``, ``clip_value``,
    ``train_stride``, ``batch_size``, ``max_train_windows``).

    Score per step (docs/methods/vanad.md §6):
    ``lambda_rec·mean_c (X̃ − x)² + lambda_nf·(−log p(x))``, the flow on the original observation.
    Scoring windows do not overlap; ``tail="window"`` scores one extra window ending at the last
    step for the uncovered tail (``"hold"`` repeats the last covered score), so every step is
    scored and the first :func:`covered_steps` scores are the official protocol's.
    ``decision_scores_`` are the scores of every position of the cached training windows;
    ``causal=True`` gives step t the last score of the window ending at t, scored on its own
    (one MAE pass per step; the first ``window − 1`` steps get the lowest training score).

    Deviations and ablations, each an option (docs/methods/vanad.md §10): ``admm``
    (``"official"`` σ/0.4 | ``"paper"`` | ``False``), ``use_nf``, ``base_mean``, ``flow_masked``,
    ``univariate_mode`` (``"official"`` degenerate C = 1 MADE | ``"correct"``), ``finetune``
    (Table VII), ``imaging`` (Table V), ``tail``.

    Backbone (docs/methods/vanad.md §9): ``backbone="pretrained"`` loads Meta's MAE from
    ``mae_checkpoint``, ``$AUGURY_MAE_CHECKPOINT`` or ``~/.cache/augury/``, else raises
    :class:`~augury.detectors.vanad.checkpoint.MissingWeightsError` saying where to get it;
    ``"heatmap-mae"`` pre-trains a small MAE on series heatmaps (not the paper's configuration;
    ``pretrain_*`` parameters); ``"random"`` is for tests and timing, never a fallback. ``arch``
    names the MAE size or gives small shapes. ``autocast="bf16"`` runs MAE inference on a bf16
    weight copy; ``mae_batch_size`` bounds scoring memory; ``channels`` keeps listed channels
    after scaling.

    Presets (docs/methods/vanad.md §8): ``paper-<dataset>`` per official config, ``paper`` (the
    paper's stated defaults), ``cpu`` (≤ 256 training windows, bf16).

    Example (a tiny random-weight MAE, for shapes only; real use needs the checkpoint)::

        >>> import augury
        >>> ds = augury.make_synthetic(n_train=400, n_test=300, n_channels=2, n_anomalies=2, seed=0)
        >>> tiny = {"img_size": 32, "patch_size": 8, "embed_dim": 32, "depth": 1, "num_heads": 4,
        ...         "decoder_embed_dim": 16, "decoder_depth": 1, "decoder_num_heads": 2}
        >>> det = augury.create_detector("vanad", "cpu", arch=tiny, backbone="random", window=20,
        ...                              epochs=1).fit(ds.train)
        >>> det.decision_function(ds.test).shape
        (300,)
    """

    name: ClassVar[str] = "vanad"
    tags: ClassVar[dict[str, Any]] = {"deep": True, "needs_pretrained_weights": True, "family": "reconstruction"}
    param_rules: ClassVar[dict[str, Rule]] = {
        "window": Int(2, 100_000), "train_stride": Int(1), "arch": AnyOf(Text(), Mapping(), none_ok=True),
        "backbone": Choice(*BACKBONES), "mae_checkpoint": Text(none_ok=True), "imaging": Choice(*IMAGINGS),
        "periodicity": Int(1), "admm": Choice("official", "paper", False), "use_nf": Bool(),
        "n_blocks": Int(1, 64), "hidden_size": Int(1, 65_536), "n_hidden": Int(0, 64),
        "activation": Choice("tanh", "relu"), "base_mean": Choice("rand", "zero"),
        "univariate_mode": Choice("official", "correct"), "flow_masked": Bool(), "finetune": Choice(*FINETUNE_MODES),
        "lambda_rec": Float(0), "lambda_nf": Float(0), "lr": Float(0, low_open=True), "epochs": Int(0, 100_000),
        "batch_size": Int(1, 1 << 20), "clip_value": Float(0, low_open=True), "max_train_windows": Int(1, none_ok=True),
        "autocast": Choice(*AUTOCAST_MODES), "mae_batch_size": Int(1, 1 << 16), "tail": Choice(*TAIL_MODES),
        "channels": IntList(none_ok=True), "scaling": Text(), "threshold": Text(), "seed": SEED,
        "pretrain_epochs": Int(0, 100_000), "pretrain_windows": Int(0), "pretrain_lr": Float(0, low_open=True),
        "pretrain_batch_size": Int(1, 1 << 16),
    }
    presets: ClassVar[dict[str, dict[str, Any]]] = PRESETS

    def __init__(
        self,
        *,
        window: int = 100,
        train_stride: int = 10,
        arch: str | dict[str, Any] | None = None,
        backbone: str = "pretrained",
        mae_checkpoint: str | None = None,
        imaging: str = "heatmap",
        periodicity: int = 1,
        admm: str | bool = "official",
        use_nf: bool = True,
        n_blocks: int = 2,
        hidden_size: int = 32,
        n_hidden: int = 1,
        activation: str = "tanh",
        base_mean: str = "rand",
        univariate_mode: str = "official",
        flow_masked: bool = True,
        finetune: str = "none",
        lambda_rec: float = 1.0,
        lambda_nf: float = 0.01,
        lr: float = 5e-3,
        epochs: int = 5,
        batch_size: int = 128,
        clip_value: float = 1.0,
        max_train_windows: int | None = None,
        autocast: str = "none",
        mae_batch_size: int = 16,
        tail: str = "window",
        channels: list[int] | None = None,
        scaling: str = "standard",
        threshold: str = "top:1",
        seed: int = 42,
        pretrain_epochs: int = 2,
        pretrain_windows: int = 2048,
        pretrain_lr: float = 1.5e-3,
        pretrain_batch_size: int = 16,
    ) -> None:
        self.window = window
        self.train_stride = train_stride
        self.arch = arch
        self.backbone = backbone
        self.mae_checkpoint = mae_checkpoint
        self.imaging = imaging
        self.periodicity = periodicity
        self.admm = admm
        self.use_nf = use_nf
        self.n_blocks = n_blocks
        self.hidden_size = hidden_size
        self.n_hidden = n_hidden
        self.activation = activation
        self.base_mean = base_mean
        self.univariate_mode = univariate_mode
        self.flow_masked = flow_masked
        self.finetune = finetune
        self.lambda_rec = lambda_rec
        self.lambda_nf = lambda_nf
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.clip_value = clip_value
        self.max_train_windows = max_train_windows
        self.autocast = autocast
        self.mae_batch_size = mae_batch_size
        self.tail = tail
        self.channels = channels
        self.scaling = scaling
        self.threshold = threshold
        self.seed = seed
        self.pretrain_epochs = pretrain_epochs
        self.pretrain_windows = pretrain_windows
        self.pretrain_lr = pretrain_lr
        self.pretrain_batch_size = pretrain_batch_size

    # ------------------------------------------------------------------ building blocks
    def _check_param_relations(self) -> None:
        if self.arch is not None:
            try:
                resolve_arch(self.arch)
            except ValueError as exc:
                raise ParameterError(f"{type(self).__name__}: arch={self.arch!r} is invalid ({exc})") from exc
        if self.backbone == "heatmap-mae" and self.mae_checkpoint is None and self.pretrain_windows < 1:
            raise ParameterError(f"{type(self).__name__}: pretrain_windows must be >= 1 to pre-train the heatmap MAE")

    def _select(self, X: np.ndarray) -> np.ndarray:
        if self.channels is None:
            return X
        idx = [int(c) for c in self.channels]
        bad = [c for c in idx if not -X.shape[1] <= c < X.shape[1]]
        if bad or not idx:
            raise DataError(f"channels={self.channels} does not select from the series' {X.shape[1]} channels")
        return np.ascontiguousarray(X[:, idx])

    def _arch_name(self) -> str:
        if self.arch is None:
            return "mae_base"
        return self.arch if isinstance(self.arch, str) else "custom"

    def _mae_config(self) -> MAEConfig:
        """The MAE shapes: ``arch``, or for ``heatmap-mae`` the checkpoint's or the small default."""
        if self.arch is not None or self.backbone != "heatmap-mae":
            return resolve_arch(self._arch_name() if self.arch is None else self.arch)
        if self.mae_checkpoint is not None:
            return read_mae_config(self._heatmap_checkpoint())
        return HEATMAP_ARCH

    def _heatmap_checkpoint(self) -> str:
        """The heatmap-MAE file named by ``mae_checkpoint`` (``$AUGURY_MAE_CHECKPOINT`` is for ImageNet MAEs)."""
        path = resolve_weights_file(str(self.mae_checkpoint))
        if not path.is_file():
            raise MissingWeightsError(
                f"mae_checkpoint={self.mae_checkpoint!r}: no heatmap-MAE checkpoint there; write one with "
                "`augury pretrain-mae DATASETS... --out DIR` (then pass DIR), or leave mae_checkpoint unset "
                "to pre-train during fit"
            )
        return str(path)

    def _pretrain_heatmap_mae(self, mae: MaskedAutoencoder, X: np.ndarray) -> None:
        starts = spread_starts(X.shape[0], self.window, int(self.pretrain_windows))
        cfg = PretrainConfig(epochs=self.pretrain_epochs, batch_size=self.pretrain_batch_size, lr=self.pretrain_lr,
                             autocast=check_autocast(self.autocast), seed=self.seed)
        history = pretrain_mae(mae, [self._gather(X, starts, self.window)], cfg,
                               progress=stderr_progress("VAN-AD heatmap-MAE pre-training"))
        self.pretrain_history_ = [h.__dict__ for h in history]

    def _build_mae(self, cfg: MAEConfig, X: np.ndarray | None = None) -> MaskedAutoencoder:
        torch.manual_seed(self.seed)
        mae = MaskedAutoencoder(cfg)
        self.pretrain_history_: list[dict[str, float]] = []
        if self.backbone == "heatmap-mae":
            if self.mae_checkpoint is not None:
                source = self._heatmap_checkpoint()
                load_pretrained(mae, source)
                log.info("VAN-AD: loaded heatmap-MAE weights from %s", source)
            elif X is not None:
                self._pretrain_heatmap_mae(mae, X)
            self.mae_digest_ = state_digest(mae)
        elif self.backbone == "pretrained":
            source = resolve_checkpoint(self._arch_name(), self.mae_checkpoint)
            self.mae_digest_ = load_pretrained(mae, source)
            log.info("VAN-AD: loaded MAE weights from %s", source)
        else:
            log.warning("VAN-AD: backbone='random' — random MAE weights, for structural tests and timing only")
            self.mae_digest_ = ""
        mae.requires_grad_(False)
        return mae.eval()

    def _flow_config(self, n_features: int) -> FlowConfig:
        return FlowConfig(n_features=n_features, n_blocks=self.n_blocks, hidden_size=self.hidden_size,
                          n_hidden=self.n_hidden, activation=self.activation, base_mean=self.base_mean,
                          univariate_mode=self.univariate_mode, masked=self.flow_masked)

    def _inference_mae(self) -> MaskedAutoencoder:
        """The MAE used for inference: ``mae_`` itself, or (``autocast="bf16"``) a bf16 copy made once."""
        if check_autocast(self.autocast) == "none":
            return self.mae_
        if getattr(self, "_mae_bf16_source", None) is not self.mae_:
            self._mae_bf16, self._mae_bf16_source = bf16_copy(self.mae_), self.mae_
        return self._mae_bf16

    def _reconstruct_batch(self, windows: np.ndarray) -> torch.Tensor:
        imaging = make_imaging(self.imaging, self.periodicity)
        with torch.inference_mode():
            return reconstruct(self._inference_mae(), imaging, torch.from_numpy(windows), check_autocast(self.autocast))

    def _scores_batch(self, windows: np.ndarray, x_hat: torch.Tensor | None = None) -> np.ndarray:
        x = torch.from_numpy(windows)
        if x_hat is None:
            x_hat = self._reconstruct_batch(windows)
        with torch.inference_mode():
            s = step_scores(x, x_hat, self.flow_ if self.use_nf else None, admm=check_admm(self.admm),
                            lambda_rec=self.lambda_rec, lambda_nf=self.lambda_nf)
        return s.double().numpy()

    @staticmethod
    def _gather(X: np.ndarray, starts: np.ndarray, window: int) -> np.ndarray:
        return np.stack([X[s:s + window] for s in starts]).astype(np.float32, copy=False)

    # ------------------------------------------------------------------ fitting
    def _train_starts(self, n_steps: int) -> np.ndarray:
        starts = np.arange(0, n_steps - self.window + 1, self.train_stride, dtype=np.int64)
        if self.max_train_windows is not None and starts.size > self.max_train_windows:
            keep = np.linspace(0, starts.size - 1, int(self.max_train_windows)).round().astype(np.int64)
            starts = starts[keep]
        return starts

    def _fit(self, X: np.ndarray) -> None:
        X = self._select(X)
        self.mae_ = self._build_mae(self._mae_config(), X)
        starts = self._train_starts(X.shape[0])
        windows = self._gather(X, starts, self.window)
        torch.manual_seed(self.seed)
        self.flow_ = MAF(self._flow_config(X.shape[1]))
        cfg = FlowTrainConfig(lr=self.lr, epochs=self.epochs, batch_size=self.batch_size,
                              clip_value=self.clip_value, lambda_nf=self.lambda_nf, lambda_rec=self.lambda_rec)
        self.history_ = FlowHistory()
        if self.finetune != "none":
            self.history_ = train_joint(
                self.mae_, self.flow_ if self.use_nf else None, make_imaging(self.imaging, self.periodicity),
                windows, finetune_parameters(self.mae_, self.finetune), cfg, admm=check_admm(self.admm),
                autocast_mode=check_autocast(self.autocast))
        t0 = time.perf_counter()
        cache = np.empty_like(windows)
        for i in range(0, starts.size, self.mae_batch_size):
            cache[i:i + self.mae_batch_size] = self._reconstruct_batch(windows[i:i + self.mae_batch_size]).numpy()
        log.info("VAN-AD: %d training windows reconstructed in %.1f s", starts.size, time.perf_counter() - t0)
        if self.use_nf and self.finetune == "none":
            self.history_ = train_flow(self.flow_, cache, cfg)
        self.history_.rec_constant = reconstruction_constant(windows, cache, check_admm(self.admm))
        self.flow_.eval()
        log.info("VAN-AD: constant reconstruction term λ_rec·MSE(X̃, x) = %.5f",
                 self.lambda_rec * self.history_.rec_constant)
        self._train_window_scores = np.concatenate([
            self._scores_batch(windows[i:i + 1024], torch.from_numpy(cache[i:i + 1024])).ravel()
            for i in range(0, starts.size, 1024)
        ])

    def _train_scores(self, X: np.ndarray) -> np.ndarray:
        scores = self._train_window_scores
        del self._train_window_scores
        return scores

    # ------------------------------------------------------------------ scoring
    def _score(self, X: np.ndarray) -> np.ndarray:
        X = self._select(X)
        n, w = X.shape[0], self.window
        covered = covered_steps(n, w)
        starts = np.arange(0, covered, w, dtype=np.int64)
        if covered < n and self.tail == "window":
            starts = np.append(starts, n - w)
        out = np.empty(n, dtype=np.float64)
        for i in range(0, starts.size, self.mae_batch_size):
            batch = starts[i:i + self.mae_batch_size]
            scores = self._scores_batch(self._gather(X, batch, w))
            for s, sc in zip(batch, scores, strict=True):
                lo = max(int(s), covered) if s + w > covered else int(s)
                out[lo:s + w] = sc[lo - s:]
        if covered < n and self.tail == "hold":
            out[covered:] = out[covered - 1]
        return out

    # ------------------------------------------------------------------ persistence
    def _stores_mae(self) -> bool:
        """Random, heatmap-MAE or fine-tuned weights live in the saved detector; frozen pretrained ones are reloaded."""
        return self.backbone in ("random", "heatmap-mae") or self.finetune != "none"

    def _get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays = {f"flow.{k}": v for k, v in state_to_numpy(self.flow_).items()}
        if self._stores_mae():
            arrays.update({f"mae.{k}": v for k, v in state_to_numpy(self.mae_).items()})
        info = {
            "mae_config": self.mae_.cfg.to_dict(),
            "mae_digest": self.mae_digest_,
            "flow_config": self.flow_.cfg.to_dict(),
            "history": self.history_.to_dict(),
            "pretrain_history": self.pretrain_history_,
        }
        return arrays, info

    def _set_state(self, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> None:
        cfg = MAEConfig(**info["mae_config"])
        if self._stores_mae():
            self.mae_ = MaskedAutoencoder(cfg)
            load_numpy_state(self.mae_, {k[4:]: v for k, v in arrays.items() if k.startswith("mae.")})
            self.mae_.requires_grad_(False)
            self.mae_.eval()
            self.mae_digest_ = state_digest(self.mae_) if self.backbone == "heatmap-mae" else ""
            self.pretrain_history_ = info.get("pretrain_history", [])
        else:
            self.mae_ = self._build_mae(cfg)
            if self.mae_digest_ != info["mae_digest"]:
                raise ModelFormatError(
                    "the MAE checkpoint found now differs from the one this detector was fitted with "
                    f"(digest {self.mae_digest_[:12]} vs {info['mae_digest'][:12]}); pass the original file "
                    "as mae_checkpoint= or via AUGURY_MAE_CHECKPOINT"
                )
        self.flow_ = MAF(FlowConfig(**info["flow_config"]))
        load_numpy_state(self.flow_, {k[5:]: v for k, v in arrays.items() if k.startswith("flow.")})
        self.flow_.eval()
        self.history_ = FlowHistory(**info["history"])
