"""The downstream early-warning head on frozen features (MTS-JEPA paper App. B.4; docs/methods/early_warning.md §4).

Features are ``[N, P, F]`` (P patches, F features per patch, e.g. K max-pooled code probabilities).
``attention`` (default, the official ``SimpleClassifier`` + focal loss) or ``mlp_bce`` (the paper's
wording: flatten → MLP → sigmoid, BCE). The threshold δ* and the kept epoch come from validation only.
"""

from __future__ import annotations

import copy
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from torch import nn
from torch.nn import functional as F

from augury.early_warning.head_params import CLASSIFIERS
from augury.early_warning.thresholds import select_delta


class AttentionPoolClassifier(nn.Module):
    """Per patch Linear(F→2F)+LN+ReLU+Dropout, attention pooling over patches, 2-layer MLP → 2 logits."""

    def __init__(self, n_feat: int) -> None:
        super().__init__()
        h = 2 * n_feat
        self.patch = nn.Sequential(nn.Linear(n_feat, h), nn.LayerNorm(h), nn.ReLU(), nn.Dropout(0.2))
        self.attn = nn.Sequential(nn.Linear(h, 64), nn.Tanh(), nn.Linear(64, 1))
        self.head = nn.Sequential(nn.Linear(h, 256), nn.LayerNorm(256), nn.ReLU(), nn.Dropout(0.3),
                                  nn.Linear(256, 128), nn.LayerNorm(128), nn.ReLU(), nn.Dropout(0.3),
                                  nn.Linear(128, 2))
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, 0.02)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, P, F]`` → logits ``[B, 2]``."""
        e = self.patch(x)
        a = torch.softmax(self.attn(e), dim=1)
        return self.head((a * e).sum(1))


class MLPClassifier(nn.Module):
    """Flatten ``[B, P, F]`` → MLP → one logit ``[B]`` (the paper's "MLP trained with BCE")."""

    def __init__(self, n_patches: int, n_feat: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(n_patches * n_feat, 256), nn.ReLU(), nn.Dropout(0.3),
                                 nn.Linear(256, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)


@dataclass(frozen=True)
class HeadConfig:
    """Head training: AdamW, cosine schedule, clip 1.0, focal γ 2.5, patience on val AUC.

    See docs/methods/mtsjepa.md §7.5.
    """

    classifier: str = "attention"
    epochs: int = 30
    patience: int = 5
    lr: float = 2e-3
    weight_decay: float = 5e-5
    batch_size: int = 128
    focal_gamma: float = 2.5
    restore_best: bool = True


@dataclass
class HeadHistory:
    """Per-epoch validation AUC, the kept epoch and its threshold."""

    val_auc: list[float] = field(default_factory=list)
    best_epoch: int = 0
    threshold: float = 0.5

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return asdict(self)


def build_classifier(kind: str, n_patches: int, n_feat: int) -> nn.Module:
    """The head module for ``kind`` (``attention`` or ``mlp_bce``)."""
    if kind == "attention":
        return AttentionPoolClassifier(n_feat)
    if kind == "mlp_bce":
        return MLPClassifier(n_patches, n_feat)
    raise ValueError(f"classifier must be one of {CLASSIFIERS}, got {kind!r}")


def focal_loss(logits: torch.Tensor, y: torch.Tensor, class_weight: torch.Tensor, gamma: float) -> torch.Tensor:
    """Focal loss (α = 1) over weighted 2-class cross-entropy: mean of ``(1 − p_t)^γ · CE_w``."""
    ce = F.cross_entropy(logits, y, weight=class_weight, reduction="none")
    pt = torch.softmax(logits, dim=-1).gather(1, y[:, None]).squeeze(1)
    return ((1 - pt) ** gamma * ce).mean()


@torch.no_grad()
def head_proba(model: nn.Module, feats: np.ndarray) -> np.ndarray:
    """P(next window anomalous) ``[N]`` float64 for features ``[N, P, F]`` (eval mode)."""
    model.eval()
    out = model(torch.from_numpy(np.ascontiguousarray(feats, dtype=np.float32)))
    p = torch.softmax(out, -1)[:, 1] if out.ndim == 2 else torch.sigmoid(out)
    return p.double().numpy()


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    # Undefined with one class: 0.5 keeps the selection rule going without preferring any epoch.
    return float(roc_auc_score(y, p)) if 0 < y.sum() < y.size else 0.5


def train_head(x_tr: np.ndarray, y_tr: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, cfg: HeadConfig,
               seed: int) -> tuple[nn.Module, HeadHistory]:
    """Train the head on ``x_tr`` ``[N, P, F]`` / 0-1 ``y_tr`` ``[N]``; select by val AUC; δ* from val.

    Returns the classifier (best-AUC weights when ``restore_best``, else the last epoch's, as the
    official code does) and the history holding δ*.
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = build_classifier(cfg.classifier, x_tr.shape[1], x_tr.shape[2])
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs, eta_min=1e-6)
    pos = max(int(y_tr.sum()), 1)
    neg = int(y_tr.size - y_tr.sum())
    cw = torch.tensor([1.0, min(3.0 * neg / pos, 15.0)], dtype=torch.float32)
    xt = torch.from_numpy(np.ascontiguousarray(x_tr, dtype=np.float32))
    yt = torch.from_numpy(np.asarray(y_tr, dtype=np.int64))
    hist = HeadHistory()
    best_auc, since, best_state = -math.inf, 0, None
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        for idx in np.array_split(rng.permutation(len(yt)), max(1, math.ceil(len(yt) / cfg.batch_size))):
            out = model(xt[idx])
            if cfg.classifier == "mlp_bce":
                loss = F.binary_cross_entropy_with_logits(out, yt[idx].float(), pos_weight=cw[1])
            else:
                loss = focal_loss(out, yt[idx], cw, cfg.focal_gamma)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        sched.step()
        p_val = head_proba(model, x_val)
        auc = _auc(y_val, p_val)
        hist.val_auc.append(auc)
        if auc > best_auc:
            best_auc, since, hist.best_epoch = auc, 0, epoch
            hist.threshold = select_delta(y_val, p_val)
            best_state = copy.deepcopy(model.state_dict())
        else:
            since += 1
            if since >= cfg.patience:
                break
    if cfg.restore_best and best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return model, hist
