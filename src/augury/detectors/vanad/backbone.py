"""The MAE ViT (He et al.) written with plain torch layers, with the official checkpoint's parameter names.

Parameter names follow Meta's ``models_mae.py`` built on timm's ``PatchEmbed``/``Block``
(``patch_embed.proj``, ``blocks.N.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}``, ``norm``,
``decoder_embed``, ``mask_token``, ``decoder_pos_embed``, ``decoder_blocks.N.*``,
``decoder_norm``, ``decoder_pred``), so the "visualize" checkpoints load with ``strict=True``
without timm (which would pull torchvision and another torch build).

:meth:`MaskedAutoencoder.reconstruct_complementary` runs both checkerboard passes as one batch
of ``2B`` images: the patch embedding is computed once, each half keeps its own visible set, and
the masked-patch predictions of the two halves are summed (docs/methods/vanad.md §4.3).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from augury.detectors.vanad.masking import checkerboard_masks, visible_index

#: (field, lowest, highest) of every integer MAE shape.
_SHAPE_BOUNDS = (("img_size", 1, 1024), ("patch_size", 1, 1024), ("in_chans", 1, 64), ("embed_dim", 1, 4096),
                 ("depth", 1, 64), ("num_heads", 1, 64), ("decoder_embed_dim", 1, 4096), ("decoder_depth", 1, 64),
                 ("decoder_num_heads", 1, 64))


@dataclass(frozen=True)
class MAEConfig:
    """Shapes of a MAE ViT. ``img_size`` must be a multiple of ``patch_size``."""

    img_size: int = 224
    patch_size: int = 16
    in_chans: int = 3
    embed_dim: int = 768
    depth: int = 12
    num_heads: int = 12
    decoder_embed_dim: int = 512
    decoder_depth: int = 8
    decoder_num_heads: int = 16
    mlp_ratio: float = 4.0
    norm_eps: float = 1e-6

    def __post_init__(self) -> None:
        # Shapes come from user JSON and checkpoint files: bound them before any tensor is allocated
        # (ViT-H, the largest published MAE, is well inside; a crafted depth=10**6 is not).
        for name, low, high in _SHAPE_BOUNDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"arch: {name}={value!r} must be an integer in [{low}, {high}]")
        for name, low, high in (("mlp_ratio", 0.25, 16.0), ("norm_eps", 1e-12, 0.1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                raise ValueError(f"arch: {name}={value!r} must be a number in [{low:g}, {high:g}]")
        if self.img_size % self.patch_size:
            raise ValueError(f"arch: img_size {self.img_size} is not a multiple of patch_size {self.patch_size}")
        for dim, heads in (("embed_dim", "num_heads"), ("decoder_embed_dim", "decoder_num_heads")):
            if getattr(self, dim) % getattr(self, heads):
                raise ValueError(f"arch: {dim}={getattr(self, dim)} is not a multiple of {heads}={getattr(self, heads)}")

    @property
    def grid(self) -> int:
        return self.img_size // self.patch_size

    @property
    def n_patches(self) -> int:
        return self.grid**2

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


#: The three "visualize" MAE checkpoints Meta published (all trained without norm_pix_loss).
ARCHS: dict[str, MAEConfig] = {
    "mae_base": MAEConfig(),
    "mae_large": MAEConfig(embed_dim=1024, depth=24, num_heads=16),
    "mae_huge": MAEConfig(patch_size=14, embed_dim=1280, depth=32, num_heads=16),
}


def resolve_arch(arch: str | dict[str, Any]) -> MAEConfig:
    """An ``arch`` name (``mae_base``/``mae_large``/``mae_huge``) or a dict of :class:`MAEConfig` fields."""
    if isinstance(arch, dict):
        try:
            cfg = MAEConfig(**arch)
        except TypeError as exc:
            raise ValueError(f"arch dict has unknown fields: {exc}") from exc
        return cfg
    if arch not in ARCHS:
        raise ValueError(f"arch must be one of {sorted(ARCHS)} or a dict of MAEConfig fields, got {arch!r}")
    return ARCHS[arch]


def sincos_pos_embed(dim: int, grid: int, cls_token: bool = True) -> torch.Tensor:
    """Fixed 2-D sin-cos position embedding of MAE ``[1, grid² (+1), dim]`` (float32; cls row = 0)."""
    if dim % 4:
        raise ValueError(f"embedding dim {dim} must be a multiple of 4 for the 2-D sin-cos embedding")
    coords = torch.arange(grid, dtype=torch.float64)
    # MAE's meshgrid(w, h) order: the first half of the channels encodes the column (w) index.
    gh, gw = torch.meshgrid(coords, coords, indexing="ij")
    omega = 1.0 / 10000 ** (torch.arange(dim // 4, dtype=torch.float64) / (dim / 4.0))

    def one_axis(pos: torch.Tensor) -> torch.Tensor:
        out = pos.reshape(-1, 1) * omega.reshape(1, -1)
        return torch.cat([torch.sin(out), torch.cos(out)], dim=1)

    emb = torch.cat([one_axis(gw), one_axis(gh)], dim=1)
    if cls_token:
        emb = torch.cat([torch.zeros(1, dim, dtype=torch.float64), emb], dim=0)
    return emb.unsqueeze(0).float()


class PatchEmbed(nn.Module):
    """Non-overlapping patches → tokens by a strided convolution: ``[B, 3, H, W]`` → ``[B, N, D]``."""

    def __init__(self, patch_size: int, in_chans: int, embed_dim: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).flatten(2).transpose(1, 2)


class Attention(nn.Module):
    """Multi-head self-attention with a fused ``qkv`` projection (timm layout)."""

    def __init__(self, dim: int, num_heads: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.num_heads, d // self.num_heads).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])
        return self.proj(out.transpose(1, 2).reshape(b, n, d))


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    """Pre-norm transformer block (no dropout, no drop-path, no layer scale: as the MAE checkpoints)."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float, eps: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = Attention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class MaskedAutoencoder(nn.Module):
    """MAE ViT encoder + decoder; outputs are per-patch pixel predictions ``[B, N, p²·3]``."""

    def __init__(self, cfg: MAEConfig) -> None:
        super().__init__()
        self.cfg = cfg
        d, dd = cfg.embed_dim, cfg.decoder_embed_dim
        self.patch_embed = PatchEmbed(cfg.patch_size, cfg.in_chans, d)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embed = nn.Parameter(sincos_pos_embed(d, cfg.grid), requires_grad=False)
        self.blocks = nn.ModuleList(Block(d, cfg.num_heads, cfg.mlp_ratio, cfg.norm_eps) for _ in range(cfg.depth))
        self.norm = nn.LayerNorm(d, eps=cfg.norm_eps)
        self.decoder_embed = nn.Linear(d, dd)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, dd))
        self.decoder_pos_embed = nn.Parameter(sincos_pos_embed(dd, cfg.grid), requires_grad=False)
        self.decoder_blocks = nn.ModuleList(
            Block(dd, cfg.decoder_num_heads, cfg.mlp_ratio, cfg.norm_eps) for _ in range(cfg.decoder_depth)
        )
        self.decoder_norm = nn.LayerNorm(dd, eps=cfg.norm_eps)
        self.decoder_pred = nn.Linear(dd, cfg.patch_size**2 * cfg.in_chans)
        self._init_weights()
        mask1, mask2 = checkerboard_masks(cfg.grid)
        self.register_buffer("pass_masks", torch.stack([mask1, mask2]), persistent=False)
        self.register_buffer("pass_visible", torch.stack([visible_index(mask1), visible_index(mask2)]),
                             persistent=False)

    def _init_weights(self) -> None:
        # MAE's initialisation, so that backbone="random" has sane activations (the values only
        # matter for structural tests and timing; real use loads a checkpoint).
        w = self.patch_embed.proj.weight.data
        nn.init.xavier_uniform_(w.view(w.shape[0], -1))
        nn.init.normal_(self.cls_token, std=0.02)
        nn.init.normal_(self.mask_token, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def unpatchify(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, N, p²·c]`` → images ``[B, c, H, W]`` (MAE's patch layout: row-major, channel last)."""
        p, g, c = self.cfg.patch_size, self.cfg.grid, self.cfg.in_chans
        x = x.reshape(x.shape[0], g, g, p, p, c)
        return torch.einsum("nhwpqc->nchpwq", x).reshape(x.shape[0], c, g * p, g * p)

    def _encode(self, tokens: torch.Tensor) -> torch.Tensor:
        cls = (self.cls_token + self.pos_embed[:, :1]).expand(tokens.shape[0], -1, -1)
        x = torch.cat([cls, tokens], dim=1)
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)

    def _decode(self, latent: torch.Tensor, visible: torch.Tensor) -> torch.Tensor:
        x = self.decoder_embed(latent)
        b, dd = x.shape[0], x.shape[-1]
        # Scattering the visible tokens into a grid of mask tokens equals MAE's cat + gather(ids_restore).
        full = self.mask_token.to(x.dtype).expand(b, self.cfg.n_patches, dd).clone()
        full.scatter_(1, visible.unsqueeze(-1).expand(-1, -1, dd), x[:, 1:])
        x = torch.cat([x[:, :1], full], dim=1) + self.decoder_pos_embed
        for blk in self.decoder_blocks:
            x = blk(x)
        return self.decoder_pred(self.decoder_norm(x))[:, 1:]

    def predict_patches(self, imgs: torch.Tensor, visible: torch.Tensor) -> torch.Tensor:
        """One masked pass per image: ``imgs`` ``[B, 3, H, W]``, ``visible`` ``[B, n_vis]`` → ``[B, N, p²·3]``."""
        tokens = self.patch_embed(imgs) + self.pos_embed[:, 1:]
        kept = torch.gather(tokens, 1, visible.unsqueeze(-1).expand(-1, -1, tokens.shape[-1]))
        return self._decode(self._encode(kept), visible)

    def reconstruct_complementary(self, imgs: torch.Tensor) -> torch.Tensor:
        """Both checkerboard passes in one batch; returns the fused image ``[B, 3, H, W]``.

        Each patch of the output is the prediction of the pass that masked it (no input pixel
        is copied through).
        """
        b = imgs.shape[0]
        tokens = self.patch_embed(imgs) + self.pos_embed[:, 1:]
        visible = self.pass_visible.repeat_interleave(b, dim=0)  # [2B, n_vis]: pass 1 then pass 2
        tokens2 = tokens.repeat(2, 1, 1)
        kept = torch.gather(tokens2, 1, visible.unsqueeze(-1).expand(-1, -1, tokens.shape[-1]))
        pred = self._decode(self._encode(kept), visible)  # [2B, N, p²·3]
        masks = self.pass_masks.to(pred.dtype).repeat_interleave(b, dim=0).unsqueeze(-1)
        pred = pred * masks
        return self.unpatchify(pred[:b] + pred[b:])

    def flops_per_image(self) -> float:
        """Multiply-add FLOPs (×2) of :meth:`reconstruct_complementary` per input image (both passes)."""
        c = self.cfg
        n, n_vis = c.n_patches, c.n_patches - c.n_patches // 2

        def block_flops(tokens: int, dim: int) -> float:
            linear = tokens * dim * dim * (3 + 1 + 2 * c.mlp_ratio)
            attn = 2 * tokens * tokens * dim
            return 2.0 * (linear + attn)

        embed = 2.0 * n * c.embed_dim * c.patch_size**2 * c.in_chans
        enc = c.depth * block_flops(n_vis + 1, c.embed_dim)
        dec = c.decoder_depth * block_flops(n + 1, c.decoder_embed_dim)
        heads = 2.0 * ((n_vis + 1) * c.embed_dim * c.decoder_embed_dim + (n + 1) * c.decoder_embed_dim
                       * c.patch_size**2 * c.in_chans)
        return embed + 2 * (enc + dec + heads)


FINETUNE_MODES = ("none", "ln", "bias", "attn", "mlp", "full")


def finetune_parameters(mae: MaskedAutoencoder, mode: str) -> list[nn.Parameter]:
    """The MAE parameters a fine-tune ``mode`` trains (Table VII), selected by name as the official code.

    ``ln``: names containing ``norm``; ``bias``: ``bias``; ``attn``: ``.attn.``; ``mlp``: ``.mlp.``;
    ``full``: all; ``none``: nothing. The fixed sin-cos position embeddings are never trained.
    """
    if mode not in FINETUNE_MODES:
        raise ValueError(f"finetune must be one of {FINETUNE_MODES}, got {mode!r}")
    keys = {"none": None, "ln": "norm", "bias": "bias", "attn": ".attn.", "mlp": ".mlp.", "full": ""}[mode]
    if keys is None:
        return []
    fixed = {"pos_embed", "decoder_pos_embed"}
    return [p for n, p in mae.named_parameters() if keys in n and n not in fixed]
