"""Long fits report progress on stderr also when it is not a terminal (a log file, CI)."""

from __future__ import annotations

import torch

import augury

AMAD_TINY = dict(d_model=32, n_layers=1, n_heads=2, train_stride=3, lr=3e-3, batch_size=32,
                 max_train_windows=None, train_score_stride=100, autocast="none")

def test_amad_reports_one_line_per_epoch_on_stderr_off_a_terminal(capfd):
    torch.set_num_threads(1)
    data = augury.make_synthetic(n_train=400, n_test=100, n_channels=3, seed=0, n_anomalies=0)
    augury.create_detector("amad", **{**AMAD_TINY, "epochs": 2, "progress": True}).fit(data.train)
    err = capfd.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("AMAD epoch")]
    assert len(lines) == 2 and "train loss" in lines[0] and lines[1].startswith("AMAD epoch 2/2") and " s)" in lines[1]
