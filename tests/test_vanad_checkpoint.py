"""Loading MAE weights: official .pth and Hugging Face layouts, missing / corrupted / malicious files."""

from __future__ import annotations

import json
import os
import pickle

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from augury.cli import main
from augury.detectors.vanad.backbone import MAEConfig, MaskedAutoencoder
from augury.detectors.vanad.checkpoint import (
    ENV_VAR,
    MissingWeightsError,
    load_pretrained,
    resolve_checkpoint,
)
from augury.errors import MissingResourceError, ModelFormatError

TINY = MAEConfig(img_size=32, patch_size=8, embed_dim=32, depth=2, num_heads=4, decoder_embed_dim=16,
                 decoder_depth=2, decoder_num_heads=2)


def _official_to_hf(state: dict[str, torch.Tensor], cfg: MAEConfig) -> dict[str, torch.Tensor]:
    """Write a state dict under ViTMAEForPreTraining's names (what transformers saves)."""
    out = {
        "vit.embeddings.cls_token": state["cls_token"],
        "vit.embeddings.position_embeddings": state["pos_embed"],
        "vit.embeddings.patch_embeddings.projection.weight": state["patch_embed.proj.weight"],
        "vit.embeddings.patch_embeddings.projection.bias": state["patch_embed.proj.bias"],
        "vit.layernorm.weight": state["norm.weight"],
        "vit.layernorm.bias": state["norm.bias"],
        "decoder.decoder_embed.weight": state["decoder_embed.weight"],
        "decoder.decoder_embed.bias": state["decoder_embed.bias"],
        "decoder.mask_token": state["mask_token"],
        "decoder.decoder_pos_embed": state["decoder_pos_embed"],
        "decoder.decoder_norm.weight": state["decoder_norm.weight"],
        "decoder.decoder_norm.bias": state["decoder_norm.bias"],
        "decoder.decoder_pred.weight": state["decoder_pred.weight"],
        "decoder.decoder_pred.bias": state["decoder_pred.bias"],
    }
    for ours, hf, depth in (("blocks", "vit.encoder.layer", cfg.depth),
                            ("decoder_blocks", "decoder.decoder_layers", cfg.decoder_depth)):
        for i in range(depth):
            o, h = f"{ours}.{i}", f"{hf}.{i}"
            for kind in ("weight", "bias"):
                q, k, v = state[f"{o}.attn.qkv.{kind}"].chunk(3, dim=0)
                out[f"{h}.attention.attention.query.{kind}"] = q.clone()
                out[f"{h}.attention.attention.key.{kind}"] = k.clone()
                out[f"{h}.attention.attention.value.{kind}"] = v.clone()
                out[f"{h}.attention.output.dense.{kind}"] = state[f"{o}.attn.proj.{kind}"]
                out[f"{h}.layernorm_before.{kind}"] = state[f"{o}.norm1.{kind}"]
                out[f"{h}.layernorm_after.{kind}"] = state[f"{o}.norm2.{kind}"]
                out[f"{h}.intermediate.dense.{kind}"] = state[f"{o}.mlp.fc1.{kind}"]
                out[f"{h}.output.dense.{kind}"] = state[f"{o}.mlp.fc2.{kind}"]
    return {k: v.contiguous() for k, v in out.items()}


@pytest.fixture(scope="module")
def source():
    torch.manual_seed(7)
    mae = MaskedAutoencoder(TINY).eval()
    for p in mae.parameters():  # non-trivial values, incl. LayerNorms and the mask token
        if p.requires_grad:  # the fixed sin-cos position embeddings stay as they are in real checkpoints
            p.data.add_(0.05 * torch.randn_like(p))
    imgs = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        ref = mae.reconstruct_complementary(imgs)
    return mae, imgs, ref


def _fresh_and_reconstruct(path, imgs):
    torch.manual_seed(99)  # different random init: the loaded weights must replace every value
    mae = MaskedAutoencoder(TINY).eval()
    load_pretrained(mae, str(path))
    with torch.no_grad():
        return mae.reconstruct_complementary(imgs)


def test_official_pth_and_hf_layouts_load_strictly_and_agree(source, tmp_path):
    mae, imgs, ref = source
    pth = tmp_path / "mae_visualize_vit_base.pth"
    torch.save({"model": mae.state_dict()}, pth)  # Meta's "visualize" layout
    hf_st = tmp_path / "hf_safetensors"
    hf_st.mkdir()
    save_file(_official_to_hf(mae.state_dict(), TINY), str(hf_st / "model.safetensors"))
    (hf_st / "config.json").write_text(json.dumps({"model_type": "vit_mae"}))
    hf_bin = tmp_path / "hf_bin"
    hf_bin.mkdir()
    hf = _official_to_hf(mae.state_dict(), TINY)
    del hf["vit.embeddings.position_embeddings"], hf["decoder.decoder_pos_embed"]  # newer transformers
    torch.save(hf, hf_bin / "pytorch_model.bin")
    outs = [_fresh_and_reconstruct(p, imgs) for p in (pth, hf_st, hf_bin)]
    for name, out in zip(("official .pth", "HF safetensors", "HF bin"), outs, strict=True):
        assert torch.equal(out, ref), name


def test_strict_loading_refuses_mismatched_checkpoint(source, tmp_path):
    mae, _, _ = source
    state = dict(mae.state_dict())
    state["extra.weight"] = torch.zeros(1)
    path = tmp_path / "extra.pth"
    torch.save({"model": state}, path)
    with pytest.raises(ModelFormatError, match="does not match"):
        load_pretrained(MaskedAutoencoder(TINY), str(path))
    empty = tmp_path / "empty_folder"
    empty.mkdir()
    with pytest.raises(ModelFormatError, match="model.safetensors"):
        load_pretrained(MaskedAutoencoder(TINY), str(empty))


def test_missing_checkpoint_message(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(MissingWeightsError) as info:
        resolve_checkpoint("mae_base", None)
    msg = str(info.value)
    assert isinstance(info.value, MissingResourceError)
    for part in ("mae_visualize_vit_base.pth", "https://dl.fbaipublicfiles.com/mae/visualize/mae_visualize_vit_base.pth",
                 "mae_checkpoint=", ENV_VAR):
        assert part in msg
    assert "\n" not in msg
    with pytest.raises(MissingWeightsError, match="nowhere.pth does not exist"):
        resolve_checkpoint("mae_base", str(tmp_path / "nowhere.pth"))
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env.pth"))
    with pytest.raises(MissingWeightsError, match="env.pth does not exist"):
        resolve_checkpoint("mae_base", None)


def test_env_var_and_default_location(tmp_path, monkeypatch):
    f = tmp_path / "w.pth"
    f.write_bytes(b"x")
    monkeypatch.setenv(ENV_VAR, str(f))
    assert resolve_checkpoint("mae_base", None) == str(f)
    monkeypatch.delenv(ENV_VAR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    (tmp_path / "augury").mkdir()
    (tmp_path / "augury" / "mae_visualize_vit_large.pth").write_bytes(b"x")
    assert resolve_checkpoint("mae_large", None).endswith("mae_visualize_vit_large.pth")


def test_cli_missing_weights_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    series = "a,b\n" + "\n".join(f"{i % 7},{i % 5}" for i in range(80))
    (tmp_path / "train.csv").write_text(series)
    (tmp_path / "test.csv").write_text(series)
    with pytest.raises(SystemExit) as exit_info:
        main(["detect", str(tmp_path / "train.csv"), str(tmp_path / "test.csv"), "-m", "vanad",
              "--set", "window=20", "--out", str(tmp_path / "s.csv")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "mae_visualize_vit_base.pth" in err[0] and ENV_VAR in err[0]


def test_corrupted_file_refused(source, tmp_path):
    mae, _, _ = source
    good = tmp_path / "good.pth"
    torch.save({"model": mae.state_dict()}, good)
    truncated = tmp_path / "truncated.pth"
    truncated.write_bytes(good.read_bytes()[:300])
    # Seeded garbage: a few hundred files cover every error the weights-only unpickler raises
    # on random bytes (UnpicklingError, IndexError, KeyError, UnicodeDecodeError).
    rng = np.random.default_rng(0)
    garbage = []
    for i in range(300):
        garbage.append(tmp_path / f"garbage{i}.pth")
        garbage[-1].write_bytes(rng.bytes(256))
    for path in (truncated, *garbage):
        with pytest.raises(ModelFormatError, match="refused"):
            load_pretrained(MaskedAutoencoder(TINY), str(path))
    broken_st = tmp_path / "broken_hf"
    broken_st.mkdir()
    (broken_st / "model.safetensors").write_bytes(os.urandom(64))
    with pytest.raises(ModelFormatError, match="safetensors"):
        load_pretrained(MaskedAutoencoder(TINY), str(broken_st))


class _Payload:
    """Unpickling this would run ``os.system`` and create the marker file."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pickle_with_code_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    torch_zip = tmp_path / "evil.pth"
    torch.save({"model": {"w": _Payload(str(marker))}}, torch_zip)
    plain = tmp_path / "evil_plain.pth"
    with plain.open("wb") as fh:
        pickle.dump({"model": _Payload(str(marker))}, fh)
    hf_bin = tmp_path / "evil_hf"
    hf_bin.mkdir()
    torch.save({"vit.embeddings.cls_token": _Payload(str(marker))}, hf_bin / "pytorch_model.bin")
    for path in (torch_zip, plain, hf_bin):
        with pytest.raises(ModelFormatError, match="refused"):
            load_pretrained(MaskedAutoencoder(TINY), str(path))
    assert not marker.exists()
