"""VAN-AD's heatmap MAE (backbone="heatmap-mae"): pre-training, checkpoint format, resume, CLI, detector."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from augury import create_detector, load_detector
from augury.cli import main
from augury.detectors.vanad.backbone import MAEConfig, MaskedAutoencoder
from augury.detectors.vanad.checkpoint import MissingWeightsError, load_pretrained
from augury.detectors.vanad.pretrain import (
    HEATMAP_ARCH,
    STATE_FILE,
    WEIGHTS_FILE,
    PretrainConfig,
    checkerboard_loss,
    draw_masks,
    heatmap_images,
    patchify,
    pretrain_mae,
    read_mae_config,
    save_heatmap_mae,
    spread_starts,
)
from augury.errors import DataError, ModelFormatError

TINY = {"img_size": 32, "patch_size": 8, "in_chans": 1, "embed_dim": 32, "depth": 1, "num_heads": 4,
        "decoder_embed_dim": 16, "decoder_depth": 1, "decoder_num_heads": 2}
FAST = PretrainConfig(epochs=3, batch_size=16, lr=3e-3, seed=1)



def _series(n: int, c: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)[:, None]
    periods = rng.uniform(5, 15, size=c)
    return (np.sin(t / periods + rng.uniform(0, 6, size=c)) + 0.05 * rng.normal(size=(n, c))).astype(np.float32)


def _windows(n: int, c: int, seed: int, window: int = 20) -> np.ndarray:
    x = _series(n * 5 + window, c, seed)
    return np.stack([x[s:s + window] for s in spread_starts(x.shape[0], window, n)])


def _mae(seed: int = 0) -> MaskedAutoencoder:
    torch.manual_seed(seed)
    return MaskedAutoencoder(MAEConfig(**TINY))


def test_masks_patchify_and_default_arch():
    rng = np.random.default_rng(0)
    masks, visible, is_cb = draw_masks(4, 64, 0.5, rng)
    assert masks.shape == (64, 16) and visible.shape == (64, 8)
    assert (masks.sum(1) == 8).all() and 0 < int(is_cb.sum()) < 64
    for m, v in zip(masks, visible, strict=True):
        assert not m[v].any()  # the visible patches are exactly the unmasked ones
    mae = _mae()
    imgs = heatmap_images(_windows(3, 2, 0), 32, 1)
    assert imgs.shape == (3, 1, 32, 32)
    assert torch.equal(mae.unpatchify(patchify(mae, imgs)), imgs)
    assert HEATMAP_ARCH.img_size == 224 and HEATMAP_ARCH.patch_size == 16 and HEATMAP_ARCH.in_chans == 1


def test_pretraining_lowers_masked_patch_loss():
    # two sources with different channel counts: the heatmap resize absorbs them
    train = [_windows(96, 2, 0), _windows(96, 5, 1)]
    held_out = _windows(32, 3, 2)
    mae = _mae()
    before = checkerboard_loss(mae, held_out)
    history = pretrain_mae(mae, train, FAST)
    after = checkerboard_loss(mae, held_out)
    assert len(history) == 3 and history[-1].loss < history[0].loss
    assert after < 0.6 * before, (before, after)
    assert not any(p.requires_grad for p in mae.parameters()) and not mae.training


def test_save_load_strictly_identical_reconstructions(tmp_path):
    mae = _mae()
    pretrain_mae(mae, [_windows(32, 2, 0)], PretrainConfig(epochs=1, batch_size=16, seed=3))
    path = tmp_path / WEIGHTS_FILE
    save_heatmap_mae(path, mae, {"note": "test"})
    assert read_mae_config(path) == mae.cfg and read_mae_config(tmp_path) == mae.cfg
    assert set(torch.load(path, weights_only=True)["model"]) == set(mae.state_dict())  # official key layout
    fresh = _mae(seed=99)
    load_pretrained(fresh, str(path))
    imgs = heatmap_images(_windows(4, 3, 5), 32, 1)
    with torch.no_grad():
        assert torch.equal(fresh.reconstruct_complementary(imgs), mae.reconstruct_complementary(imgs))
    wider = MaskedAutoencoder(MAEConfig(**{**TINY, "embed_dim": 64}))
    with pytest.raises(ModelFormatError, match=WEIGHTS_FILE):
        load_pretrained(wider, str(path))


def test_resume_ends_with_the_uninterrupted_weights(tmp_path):
    data = [_windows(48, 2, 0)]
    whole = _mae()
    pretrain_mae(whole, data, FAST, state_path=tmp_path / "a" / STATE_FILE)

    class Stop(Exception):
        pass

    def stop_after_first(rep, epochs):
        if rep.epoch == 1:
            raise Stop

    state = tmp_path / "b" / STATE_FILE
    with pytest.raises(Stop):
        pretrain_mae(_mae(), data, FAST, state_path=state, progress=stop_after_first)
    seen = []
    resumed = _mae(seed=5)  # the state replaces the weights
    history = pretrain_mae(resumed, data, FAST, state_path=state, progress=lambda rep, n: seen.append(rep.epoch))
    assert seen == [2, 3] and [h.epoch for h in history] == [1, 2, 3]
    for (k, a), b in zip(whole.state_dict().items(), resumed.state_dict().values(), strict=True):
        assert torch.equal(a, b), k
    with pytest.raises(DataError, match="other settings"):
        pretrain_mae(_mae(), data, PretrainConfig(epochs=4, batch_size=16, lr=3e-3, seed=1), state_path=state)


def _write_dataset(folder, c: int, seed: int) -> None:
    folder.mkdir(parents=True)
    np.save(folder / "train.npy", _series(300, c, seed))
    np.save(folder / "test.npy", _series(200, c, seed + 1))
    labels = np.zeros(200, dtype=np.uint8)
    labels[50:60] = 1
    np.save(folder / "test_label.npy", labels)


def test_cli_pretrain_mae_writes_a_loadable_checkpoint(tmp_path, capsys):
    _write_dataset(tmp_path / "data" / "A", 2, 0)
    _write_dataset(tmp_path / "data" / "B", 5, 1)
    out = tmp_path / "mae"
    args = ["pretrain-mae", "A", "B", "--data-root", str(tmp_path / "data"), "--out", str(out), "--window", "20",
            "--windows", "24", "--epochs", "2", "--batch-size", "16", "--autocast", "none", "--arch", json.dumps(TINY)]
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 0
    captured = capsys.readouterr()
    assert "pretrain-mae epoch 1/2: masked-patch loss" in captured.err and "epoch 2/2" in captured.err
    summary = json.loads((out / "pretrain.json").read_text())
    assert [d["channels"] for d in summary["datasets"]] == [2, 5]
    assert (out / STATE_FILE).is_file()
    # rerun: nothing left to train, the same weights are written again
    with pytest.raises(SystemExit):
        main(args)
    assert "epoch" not in capsys.readouterr().err
    assert json.loads((out / "pretrain.json").read_text())["digest"] == summary["digest"]
    train = np.load(tmp_path / "data" / "A" / "train.npy")
    det = create_detector("vanad", "cpu", backbone="heatmap-mae", mae_checkpoint=str(out), window=20, epochs=1)
    det.fit(train)
    assert det.mae_.cfg == MAEConfig(**TINY) and det.mae_digest_ == summary["digest"]
    assert np.isfinite(det.decision_function(np.load(tmp_path / "data" / "A" / "test.npy"))).all()


def test_cli_pretrain_mae_bad_input_exit_2(tmp_path, capsys):
    _write_dataset(tmp_path / "data" / "A", 2, 0)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cases = [(["nosuchset", "--out", str(tmp_path / "o")], "nosuchset"),
             (["A", "--out", str(blocker)], "not a folder"),
             (["A", "--out", str(blocker / "sub")], "cannot write"),
             (["A", "--out", str(tmp_path / "o"), "--arch", "{bad"], "--arch")]
    for args, needle in cases:
        with pytest.raises(SystemExit) as exit_info:
            main(["pretrain-mae", *args, "--data-root", str(tmp_path / "data")])
        assert exit_info.value.code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and needle in err[0], err
    assert not (tmp_path / "o").exists()  # nothing written for refused input


@pytest.fixture(scope="module")
def planted():
    x = _series(1300, 3, 7)
    train, test = x[:800], x[800:].copy()
    test[300:310, 1] += 3.0
    return train, test


def _heatmae(**kw):
    params = {"arch": TINY, "backbone": "heatmap-mae", "window": 20, "train_stride": 10, "epochs": 2,
              "lambda_nf": 0.1, "pretrain_epochs": 3, "pretrain_windows": 256, "pretrain_batch_size": 16,
              "pretrain_lr": 3e-3, "autocast": "none", **kw}
    return create_detector("vanad", "cpu", **params)


def test_detector_end_to_end_ranks_the_planted_anomaly_and_round_trips(planted, tmp_path, capfd):
    train, test = planted
    det = _heatmae().fit(train)
    assert "VAN-AD heatmap-MAE pre-training epoch 3/3" in capfd.readouterr().err
    assert len(det.pretrain_history_) == 3
    scores = det.decision_function(test)
    top = np.argsort(scores)[::-1][:10]
    assert np.isin(top, np.arange(295, 315)).mean() >= 0.8
    det.save(tmp_path / "m")
    again = load_detector(tmp_path / "m")
    assert np.array_equal(again.decision_function(test), scores)
    assert again.mae_digest_ == det.mae_digest_ and again.pretrain_history_ == det.pretrain_history_


def test_pretrained_backbone_reconstructs_better_than_random(planted):
    train, test = planted
    normal = test[:280]
    zero_shot = {"admm": False, "use_nf": False}
    err_heat = _heatmae(**zero_shot).fit(train).decision_function(normal).mean()
    err_rand = _heatmae(backbone="random", **zero_shot).fit(train).decision_function(normal).mean()
    assert err_heat < 0.8 * err_rand, (err_heat, err_rand)


def test_missing_heatmap_checkpoint_and_preset_arch(tmp_path, planted):
    det = _heatmae(mae_checkpoint=str(tmp_path / "none"), arch=None)
    with pytest.raises(MissingWeightsError, match="pretrain-mae"):
        det.fit(planted[0])
    assert create_detector("vanad", "cpu", backbone="heatmap-mae")._mae_config() == HEATMAP_ARCH
    assert create_detector("vanad", "cpu", backbone="random")._mae_config().embed_dim == 768
    with pytest.raises(ValueError, match="backbone"):
        _heatmae(backbone="imagenet").fit(planted[0])
