"""Long fits report progress on stderr also when it is not a terminal (a log file, CI)."""

from __future__ import annotations

import torch

import augury
from amad_support import TINY


def test_amad_reports_one_line_per_epoch_on_stderr_off_a_terminal(capfd):
    torch.set_num_threads(1)
    data = augury.make_synthetic(n_train=400, n_test=100, n_channels=3, seed=0, n_anomalies=0)
    augury.create_detector("amad", **{**TINY, "epochs": 2, "progress": True}).fit(data.train)
    err = capfd.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("AMAD epoch")]
    assert len(lines) == 2 and "train loss" in lines[0] and lines[1].startswith("AMAD epoch 2/2") and " s)" in lines[1]


def test_mtsjepa_reports_one_line_per_epoch_on_stderr(capfd):
    torch.set_num_threads(1)
    data = augury.make_synthetic(n_train=400, n_test=100, n_channels=2, seed=0, n_anomalies=0)
    augury.create_detector("mtsjepa", "cpu", n_patches=4, patch_len=5, d_model=16, n_codes=8, tokenizer_hidden=8,
                           n_layers=1, n_heads=2, d_ff=32, epochs=2, select_after=1, patience=3,
                           max_pairs_per_epoch=64, autocast="none", progress=True).fit(data.train)
    lines = [line for line in capfd.readouterr().err.splitlines() if line.startswith("mtsjepa epoch")]
    assert len(lines) == 2 and lines[1].startswith("mtsjepa epoch 2/2") and lines[1].endswith(" s)")


def test_vanad_reports_one_line_per_flow_epoch_on_stderr(capfd):
    torch.set_num_threads(1)
    data = augury.make_synthetic(n_train=300, n_test=100, n_channels=2, seed=0, n_anomalies=0)
    arch = {"img_size": 32, "patch_size": 8, "embed_dim": 32, "depth": 1, "num_heads": 4, "decoder_embed_dim": 16,
            "decoder_depth": 1, "decoder_num_heads": 2}
    augury.create_detector("vanad", "cpu", arch=arch, backbone="random", window=20, train_stride=10, epochs=2,
                           lambda_nf=0.1, mae_batch_size=16).fit(data.train)
    lines = [line for line in capfd.readouterr().err.splitlines() if line.startswith("VAN-AD flow epoch")]
    assert len(lines) == 2 and lines[1].startswith("VAN-AD flow epoch 2/2: loss") and lines[1].endswith(" s)")
