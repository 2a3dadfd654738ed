"""Finding and loading pretrained MAE weights without ever executing code from a file.

Accepted sources (``mae_checkpoint=`` or the environment variable ``AUGURY_MAE_CHECKPOINT``):

- a file in Meta's "visualize" layout (``mae_visualize_vit_base.pth``: a dict whose ``model``
  entry is the state dict), read with ``torch.load(weights_only=True)`` only;
- a Hugging Face ``ViTMAEForPreTraining`` folder (``facebook/vit-mae-base`` layout:
  ``model.safetensors`` or ``pytorch_model.bin``), whose names are mapped onto ours;
- ``hf:<repo id>`` (e.g. ``hf:facebook/vit-mae-base``), downloaded through ``huggingface_hub``
  when the optional extra ``augury[hub]`` is installed and the machine is online.

Without any of them, the default location ``$XDG_CACHE_HOME/augury/<file>`` (``~/.cache`` when
unset) is tried; if that is missing too, :class:`MissingWeightsError` says what to download and
where to put it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import zipfile
from pathlib import Path

import torch

from augury.errors import MissingResourceError, ModelFormatError

ENV_VAR = "AUGURY_MAE_CHECKPOINT"
DOWNLOAD_URL = "https://dl.fbaipublicfiles.com/mae/visualize/"
CHECKPOINT_FILES = {
    "mae_base": "mae_visualize_vit_base.pth",
    "mae_large": "mae_visualize_vit_large.pth",
    "mae_huge": "mae_visualize_vit_huge.pth",
}
HF_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


class MissingWeightsError(MissingResourceError):
    """The pretrained MAE checkpoint is not on this machine; the message says how to get it."""


def default_checkpoint_dir() -> Path:
    """``$XDG_CACHE_HOME/augury`` (``~/.cache/augury`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "augury"


def missing_message(arch: str, tried: str | None) -> str:
    """The instruction shown when no checkpoint is found for ``arch``."""
    name = CHECKPOINT_FILES.get(arch, CHECKPOINT_FILES["mae_base"])
    where = f"{tried} does not exist" if tried else "no MAE checkpoint was given"
    return (
        f"VAN-AD needs the pretrained MAE weights '{name}' ({where}). Download "
        f"{DOWNLOAD_URL}{name} and either pass mae_checkpoint='/path/to/{name}' or set "
        f"{ENV_VAR}=/path/to/{name} (or save it as {default_checkpoint_dir() / name}). A Hugging Face "
        f"folder of facebook/vit-mae-{arch.removeprefix('mae_')} works as well. backbone='random' runs "
        f"without weights, for structural tests only."
    )


def resolve_checkpoint(arch: str, mae_checkpoint: str | None) -> str:
    """The checkpoint source to use: parameter, then ``$AUGURY_MAE_CHECKPOINT``, then the default path.

    Returns a path string or an ``hf:<repo>`` reference; raises :class:`MissingWeightsError`.
    """
    given = mae_checkpoint or os.environ.get(ENV_VAR) or None
    if given:
        if given.startswith("hf:"):
            return given
        if not Path(given).expanduser().exists():
            raise MissingWeightsError(missing_message(arch, given))
        return str(Path(given).expanduser())
    if arch not in CHECKPOINT_FILES:
        raise MissingWeightsError(
            f"arch {arch!r} has no published checkpoint; pass mae_checkpoint= or set {ENV_VAR} "
            "(or use backbone='random')"
        )
    default = default_checkpoint_dir() / CHECKPOINT_FILES[arch]
    if not default.is_file():
        raise MissingWeightsError(missing_message(arch, None))
    return str(default)


def load_weights_only(path: Path) -> object:
    """The object in the torch file at ``path``, unpickled weights-only (tensors, containers, numbers, strings).

    Raises :class:`ModelFormatError` naming ``path`` for anything else (corrupted bytes, pickled code).
    """
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    # Corrupted bytes surface from the weights-only unpickler as any of these (IndexError and KeyError
    # from bad memo/opcode arguments: 8 % of random 2 KiB files); each means "not a checkpoint".
    except (
        pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError, IndexError, KeyError, zipfile.BadZipFile
    ) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelFormatError(
            f"{path}: refused to load as a weights-only checkpoint ({first}). augury never unpickles "
            "code; re-download the file if it is corrupted"
        ) from exc


def read_official(path: Path) -> dict[str, torch.Tensor]:
    """State dict of Meta's MAE checkpoint at ``path`` (``{"model": state_dict}`` or a bare state dict)."""
    obj = load_weights_only(path)
    if isinstance(obj, dict) and isinstance(obj.get("model"), dict):
        obj = obj["model"]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ModelFormatError(f"{path}: not a MAE checkpoint (expected a dict of tensors under 'model')")
    return obj


def _hf_block(src: dict[str, torch.Tensor], hf: str, ours: str) -> dict[str, torch.Tensor]:
    att = f"{hf}.attention"
    out = {
        f"{ours}.norm1.weight": src[f"{hf}.layernorm_before.weight"],
        f"{ours}.norm1.bias": src[f"{hf}.layernorm_before.bias"],
        f"{ours}.norm2.weight": src[f"{hf}.layernorm_after.weight"],
        f"{ours}.norm2.bias": src[f"{hf}.layernorm_after.bias"],
        f"{ours}.attn.proj.weight": src[f"{att}.output.dense.weight"],
        f"{ours}.attn.proj.bias": src[f"{att}.output.dense.bias"],
        f"{ours}.mlp.fc1.weight": src[f"{hf}.intermediate.dense.weight"],
        f"{ours}.mlp.fc1.bias": src[f"{hf}.intermediate.dense.bias"],
        f"{ours}.mlp.fc2.weight": src[f"{hf}.output.dense.weight"],
        f"{ours}.mlp.fc2.bias": src[f"{hf}.output.dense.bias"],
    }
    for kind in ("weight", "bias"):
        out[f"{ours}.attn.qkv.{kind}"] = torch.cat(
            [src[f"{att}.attention.{n}.{kind}"] for n in ("query", "key", "value")], dim=0
        )
    return out


def hf_to_official(src: dict[str, torch.Tensor], depth: int, decoder_depth: int,
                   pos_embed: torch.Tensor, decoder_pos_embed: torch.Tensor) -> dict[str, torch.Tensor]:
    """Map a ``ViTMAEForPreTraining`` state dict onto the official MAE names.

    Recent ``transformers`` versions do not store the fixed sin-cos position embeddings; then
    ``pos_embed``/``decoder_pos_embed`` (ours, identical by construction) fill them in.
    """
    src = {k.removeprefix("model."): v for k, v in src.items()}
    emb = "vit.embeddings"
    out = {
        "cls_token": src[f"{emb}.cls_token"],
        "pos_embed": src.get(f"{emb}.position_embeddings", pos_embed),
        "patch_embed.proj.weight": src[f"{emb}.patch_embeddings.projection.weight"],
        "patch_embed.proj.bias": src[f"{emb}.patch_embeddings.projection.bias"],
        "norm.weight": src["vit.layernorm.weight"],
        "norm.bias": src["vit.layernorm.bias"],
        "decoder_embed.weight": src["decoder.decoder_embed.weight"],
        "decoder_embed.bias": src["decoder.decoder_embed.bias"],
        "mask_token": src["decoder.mask_token"],
        "decoder_pos_embed": src.get("decoder.decoder_pos_embed", decoder_pos_embed),
        "decoder_norm.weight": src["decoder.decoder_norm.weight"],
        "decoder_norm.bias": src["decoder.decoder_norm.bias"],
        "decoder_pred.weight": src["decoder.decoder_pred.weight"],
        "decoder_pred.bias": src["decoder.decoder_pred.bias"],
    }
    for i in range(depth):
        out.update(_hf_block(src, f"vit.encoder.layer.{i}", f"blocks.{i}"))
    for i in range(decoder_depth):
        out.update(_hf_block(src, f"decoder.decoder_layers.{i}", f"decoder_blocks.{i}"))
    return out


def read_hf_folder(folder: Path) -> dict[str, torch.Tensor]:
    """The raw tensors of a Hugging Face model folder (safetensors preferred, else a weights-only .bin)."""
    st = folder / HF_WEIGHT_FILES[0]
    if st.is_file():
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            return load_file(str(st))
        except (SafetensorError, OSError, ValueError) as exc:
            raise ModelFormatError(f"{st}: unreadable safetensors file ({exc})") from exc
    binf = folder / HF_WEIGHT_FILES[1]
    if binf.is_file():
        obj = load_weights_only(binf)
        if not isinstance(obj, dict):
            raise ModelFormatError(f"{binf}: not a state dict")
        return obj
    raise ModelFormatError(f"{folder}: no {' or '.join(HF_WEIGHT_FILES)} in this Hugging Face model folder")


def download_hf(repo_id: str) -> Path:
    """Fetch ``repo_id`` with ``huggingface_hub`` (optional extra ``augury[hub]``); returns the local folder."""
    try:
        from huggingface_hub import snapshot_download
    except ImportError as exc:
        raise MissingWeightsError(
            f"mae_checkpoint='hf:{repo_id}' needs huggingface_hub (pip install 'augury[hub]'); or download "
            f"the folder yourself and pass its path as mae_checkpoint= or {ENV_VAR}"
        ) from exc
    try:
        return Path(snapshot_download(repo_id, allow_patterns=["*.json", *HF_WEIGHT_FILES]))
    except Exception as exc:  # the hub raises many network/HTTP error types; all mean "not available"
        raise MissingWeightsError(
            f"could not download hf:{repo_id} ({type(exc).__name__}: {exc}); download it on a machine with "
            f"internet and pass the folder as mae_checkpoint= or {ENV_VAR}"
        ) from exc


def load_pretrained(model: torch.nn.Module, source: str) -> str:
    """Load ``source`` (file, HF folder or ``hf:<repo>``) into ``model`` strictly; returns a content digest.

    Mismatched names or shapes raise :class:`ModelFormatError` naming the file.
    """
    path = download_hf(source[3:]) if source.startswith("hf:") else Path(source)
    if path.is_dir():
        state = hf_to_official_checked(read_hf_folder(path), model, path)
    else:
        state = read_official(path)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ModelFormatError(f"{path}: the checkpoint does not match the MAE shape {cfg_name(model)} ({exc})") from exc
    return state_digest(model)


def hf_to_official_checked(src: dict[str, torch.Tensor], model: torch.nn.Module, path: Path) -> dict[str, torch.Tensor]:
    """:func:`hf_to_official` with a :class:`ModelFormatError` naming ``path`` on a missing name."""
    cfg = model.cfg
    try:
        return hf_to_official(src, cfg.depth, cfg.decoder_depth, model.pos_embed.data, model.decoder_pos_embed.data)
    except KeyError as exc:
        raise ModelFormatError(f"{path}: not a ViTMAEForPreTraining checkpoint of this size (missing {exc})") from exc


def cfg_name(model: torch.nn.Module) -> str:
    c = model.cfg
    return f"(embed {c.embed_dim}, depth {c.depth}, patch {c.patch_size}, image {c.img_size})"


def state_digest(model: torch.nn.Module) -> str:
    """SHA-256 over the model's parameter names and bytes (identifies the loaded weights)."""
    h = hashlib.sha256()
    for k, v in model.state_dict().items():
        h.update(k.encode())
        h.update(v.detach().contiguous().cpu().numpy().tobytes())
    return h.hexdigest()
