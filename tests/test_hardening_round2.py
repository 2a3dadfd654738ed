"""Hardening round 2 (issue 21): one test per failure class, named by behaviour (section = item)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from augury import create_detector, load_detector
from augury.base.persistence import CONFIG_FILE, WEIGHTS_FILE, config_checksum
from augury.bench.imported import read_scores
from augury.bench.store import ResultStore
from augury.cli import main
from augury.errors import DataError, ModelFormatError
from augury.report.html import build_report

ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}


def run(argv: list[str], capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    return int(exc.value.code or 0), capsys.readouterr().err


def one_line(code: int, err: str) -> bool:
    """A user mistake: exit 2, one line on stderr, no traceback."""
    return code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def _dataset(root: Path, n: int = 300) -> Path:
    rng = np.random.default_rng(0)
    root.mkdir(parents=True, exist_ok=True)
    np.save(root / "train.npy", rng.normal(size=(n, 2)).astype(np.float32))
    np.save(root / "test.npy", rng.normal(size=(n, 2)).astype(np.float32))
    labels = np.zeros(n, np.uint8)
    labels[100:110] = 1
    np.save(root / "test_label.npy", labels)
    return root


def _rewrite_config(folder: Path, edit) -> None:
    """Apply ``edit`` to the saved config and recompute its checksum (a deliberate edit)."""
    cfg = json.loads((folder / CONFIG_FILE).read_text())
    edit(cfg)
    cfg["checksum"] = config_checksum(cfg)
    (folder / CONFIG_FILE).write_text(json.dumps(cfg))


# 1 predictor folders --------------------------------------------------------------------------
def test_predictor_folder_with_an_edited_threshold_is_refused(tmp_path):
    from augury.early_warning.base import load_predictor
    from augury.early_warning.registry import create_predictor

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(600, 2)).astype(np.float32), (rng.random(600) < 0.1).astype(np.uint8)
    pred = create_predictor("random", window=20).fit(x)
    pred.fit_head(x, y)
    pred.save(tmp_path / "m")
    text = (tmp_path / "m" / CONFIG_FILE).read_text()
    cfg = json.loads(text)
    cfg["state"]["threshold_"] = 0.99
    (tmp_path / "m" / CONFIG_FILE).write_text(json.dumps(cfg))
    with pytest.raises(ModelFormatError, match="checksum"):
        load_predictor(tmp_path / "m")
    (tmp_path / "m" / CONFIG_FILE).write_text(text)
    (tmp_path / "big").mkdir()
    os.symlink(tmp_path / "m" / CONFIG_FILE, tmp_path / "big" / CONFIG_FILE)
    os.symlink(tmp_path / "m" / WEIGHTS_FILE, tmp_path / "big" / WEIGHTS_FILE)
    with pytest.raises(ModelFormatError, match="symbolic link"):
        load_predictor(tmp_path / "big")


def test_detector_folder_with_an_edited_n_layers_is_refused_before_allocation(tmp_path):
    x = np.random.default_rng(0).normal(size=(200, 2)).astype(np.float32)
    create_detector("lstmad", window=10, epochs=1, hidden=4, n_layers=1).fit(x).save(tmp_path / "m")
    _rewrite_config(tmp_path / "m", lambda c: c["params"].update(n_layers=10**6))
    with pytest.raises(ModelFormatError, match="n_layers"):
        load_detector(tmp_path / "m")


# 2 path traversal ------------------------------------------------------------------------------
def test_bench_method_name_with_traversal_never_writes_outside_out(tmp_path, capsys):
    data = _dataset(tmp_path / "data" / "D")
    np.save(tmp_path / "s.npy", np.random.default_rng(1).random(300))
    out = tmp_path / "a" / "b" / "out"
    before = set(tmp_path.rglob("*"))
    code, err = run(["bench", "--dataset", str(data), "--scores", str(tmp_path / "s.npy"), "-m", "../../../../X",
                     "--out", str(out)], capsys)
    new = set(tmp_path.rglob("*")) - before
    assert all(p.is_relative_to(out) or p in out.parents for p in new), sorted(map(str, new))
    assert code == 0 or one_line(code, err), err


def test_report_run_id_with_traversal_never_writes_outside_the_folder(tmp_path):
    store = ResultStore(tmp_path / "r" / "out")
    row = {"dataset": "A", "method": "knn", "preset": "cpu", "task": "detect", "seed": 0, "config_hash": "h",
           "run_id": "../../../R", "status": "ok", "auc_roc": 0.5}
    arrays = {"scores": np.random.default_rng(0).random(20), "labels": np.zeros(20), "threshold": np.float64(0.5)}
    before = set(tmp_path.rglob("*"))
    try:
        store.record(row, arrays)
        build_report(store.root)
    except DataError:
        pass
    new = set(tmp_path.rglob("*")) - before
    assert all(p.is_relative_to(store.root) or p in store.root.parents for p in new), sorted(map(str, new))


def test_safe_name_rule():
    from augury.utils.names import safe_child, safe_name

    assert safe_name("knn") == "knn" and safe_name("SMD machine-1.1") == "SMD-machine-1.1"
    for bad in ("../x", "..", ".", "a/../../b", "/etc/passwd", "", "\x00"):
        assert "/" not in safe_name(bad) and safe_name(bad) not in ("", ".", "..")
    with pytest.raises(DataError, match="outside"):
        safe_child(Path("/tmp/out"), "../x.png")


# 3 saves under SIGKILL and concurrent saves -----------------------------------------------------
_SAVER = """
import sys, numpy as np
from augury import create_detector
folder, seed = sys.argv[1], int(sys.argv[2])
x = np.random.default_rng(seed).normal(size=(2000, 3)).astype(np.float32)
# two different models saved in turn: every save replaces both the weights and the config
dets = [create_detector("iforest", n_estimators=100, seed=seed + s).fit(x) for s in (0, 1000)]
print("fitted", flush=True)
for i in range(int(sys.argv[3])):
    dets[i % 2].save(folder)
"""


def _kill_saves(tmp_path: Path, kills: int) -> None:
    folder = tmp_path / "m"
    x = np.random.default_rng(0).normal(size=(300, 3)).astype(np.float32)
    create_detector("iforest", n_estimators=50, seed=0).fit(x).save(folder)
    rng = random.Random(0)
    for k in range(kills):
        proc = subprocess.Popen([sys.executable, "-c", _SAVER, str(folder), str(k + 1), "1000000"], env=ENV,
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "fitted"
        time.sleep(rng.uniform(0.0, 0.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        load_detector(folder).decision_function(x[:20])  # old or new, never neither
    leftovers = [p.name for p in folder.parent.iterdir() if p.name != "m"]
    assert len(leftovers) <= 2, leftovers  # at most the lock and one dead writer's sibling


def test_sigkill_during_save_leaves_a_loadable_model(tmp_path):
    _kill_saves(tmp_path, 3)


@pytest.mark.slow
def test_sigkill_during_save_at_20_random_points_leaves_a_loadable_model(tmp_path):
    _kill_saves(tmp_path, 20)


def test_two_concurrent_saves_end_with_one_complete_model(tmp_path):
    folder = tmp_path / "m"
    procs = [subprocess.Popen([sys.executable, "-c", _SAVER, str(folder), str(s), "30"], env=ENV, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for s in (1, 2)]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    x = np.random.default_rng(0).normal(size=(20, 3)).astype(np.float32)
    load_detector(folder).decision_function(x)
    assert sorted(p.name for p in folder.iterdir()) == [CONFIG_FILE, WEIGHTS_FILE]


def test_replacing_a_model_folder_keeps_no_stale_files_and_refuses_foreign_folders(tmp_path):
    x = np.random.default_rng(0).normal(size=(100, 2)).astype(np.float32)
    det = create_detector("iforest", n_estimators=10).fit(x)
    det.save(tmp_path / "m")
    det.save(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [CONFIG_FILE, WEIGHTS_FILE]
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(ModelFormatError, match="other files"):
        det.save(tmp_path / "other")
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"


# 4 augury predict ------------------------------------------------------------------------------
@pytest.fixture
def series(tmp_path):
    rng = np.random.default_rng(0)
    t = np.arange(1200)
    x = np.stack([np.sin(t / 3.0), np.cos(t / 7.0)], axis=1) + 0.1 * rng.normal(size=(1200, 2))
    np.save(tmp_path / "train.npy", x[:600].astype(np.float32))
    np.save(tmp_path / "test.npy", x[600:].astype(np.float32))
    labels = np.zeros(600, dtype=np.uint8)
    labels[rng.choice(600, 40, replace=False)] = 1
    np.save(tmp_path / "labels.npy", labels)
    return tmp_path


def _predict_args(d: Path, *extra: str) -> list[str]:
    return ["predict", str(d / "train.npy"), str(d / "test.npy"), "--labels", str(d / "labels.npy"),
            "--method", "random", "--set", "window=20", *extra]


def test_predict_set_seed_is_accepted(series, capsys):
    code, err = run(_predict_args(series, "--set", "seed=3", "--out", str(series / "r.csv")), capsys)
    assert code == 0 or one_line(code, err), err


@pytest.mark.parametrize("value", ["0", "-5", "nan", "abc", "1e9"])
def test_predict_invalid_hyper_parameter_exits_2_naming_it(series, capsys, value):
    code, err = run(["predict", str(series / "train.npy"), str(series / "test.npy"), "--labels",
                     str(series / "labels.npy"), "--method", "random", "--set", f"window={value}",
                     "--out", str(series / "r.csv")], capsys)
    assert one_line(code, err) and "window" in err, err


def test_predict_save_model_is_checked_before_the_run(series, capsys):
    x = np.load(series / "train.npy")
    create_detector("iforest", n_estimators=10).fit(x).save(series / "det")
    (series / "busy").mkdir()
    (series / "busy" / "notes.txt").write_text("mine")
    for target in ("det", "busy"):
        code, err = run(_predict_args(series, "--out", str(series / "r.csv"), "--save-model", str(series / target)),
                        capsys)
        assert one_line(code, err) and target in err, err
        assert not (series / "r.csv").exists()
    load_detector(series / "det")


# 5 augury watch ----------------------------------------------------------------------------------
def test_watch_threshold_nan_is_refused(tmp_path, capsys):
    x = np.random.default_rng(0).normal(size=(200, 2)).astype(np.float32)
    create_detector("iforest", n_estimators=10).fit(x).save(tmp_path / "m")
    (tmp_path / "in.csv").write_text("a,b\n1,2\n")
    for bad in ("nan", "fixed:nan", "inf", "fixed:-inf"):
        code, err = run(["watch", str(tmp_path / "m"), str(tmp_path / "in.csv"), "--threshold", bad], capsys)
        assert one_line(code, err) and "threshold" in err.lower(), (bad, err)


def test_watch_rows_with_a_huge_number_and_a_long_field_keep_their_neighbours():
    from augury.data.formats.rows import RowSplitter, parse_number

    data = b"a,b\n1,2\n1e39,3\n" + b"9" * 200_000 + b",1\n4,5\n\"1\n2\",3\n6,7\x0c8\n"
    splitter, records = RowSplitter(), []
    for i in range(0, len(data), 4096):  # the feed arrives in chunks, as watch reads it
        records += splitter.feed(data[i:i + 4096])
    records += splitter.finish()
    good, bad = [], []
    for rec in records[1:]:
        try:
            good.append([parse_number(f) for f in rec.fields])
        except (TypeError, ValueError):
            bad.append(rec.line)
    assert good == [[1.0, 2.0], [4.0, 5.0]]
    assert bad == [3, 4, 6, 8]  # file lines: the quoted field spans lines 6-7


# 6 report ------------------------------------------------------------------------------------------
def test_report_survives_mathtext_in_names(tmp_path):
    store = ResultStore(tmp_path)
    row = {"dataset": "$\\foo$", "method": "m$\\bar", "preset": "cpu", "task": "detect", "seed": 0,
           "config_hash": "h", "run_id": "r1", "status": "ok", "auc_roc": 0.5}
    arrays = {"scores": np.random.default_rng(0).random(30), "labels": np.zeros(30), "threshold": np.float64(0.5),
              "signal": np.zeros((30, 1)), "channel_names": np.array(["$\\baz$"])}
    store.record(row, arrays)
    path = build_report(tmp_path)
    assert path.exists() and (tmp_path / "plots" / "r1.png").exists()


@pytest.mark.parametrize("edit", [{"seed": 0.5}, {"seed": "abc"}, {"run_id": 7}, {"auc_roc": [1, 2]},
                                  {"run_id": None}, {"status": "weird"}, {"auc_roc": {"a": 1}}])
def test_report_skips_and_counts_hand_edited_lines(tmp_path, edit):
    store = ResultStore(tmp_path)
    good = {"dataset": "A", "method": "knn", "preset": "cpu", "task": "detect", "seed": 0, "config_hash": "h",
            "run_id": "r1", "status": "ok", "auc_roc": 0.5}
    store.record(good, {"scores": np.zeros(3), "labels": np.zeros(3), "threshold": np.float64(1)})
    with open(store.jsonl, "a") as fh:
        fh.write(json.dumps({**good, "method": "edited", "run_id": "r2", **edit}) + "\n")
    path, skipped = build_report(tmp_path, return_skipped=True)
    assert path.exists() and skipped == 1


# 7 bench --scores files -----------------------------------------------------------------------------
def _npz_bomb(path: Path, n: int) -> Path:
    """A small .npz whose member declares ``n`` float64 (zeros: compresses ~1000x)."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (n,)})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z, z.open("scores.npy", "w", force_zip64=True) as fh:
        fh.write(header.getvalue())
        block = bytes(1 << 20)
        for _ in range(n * 8 // len(block)):
            fh.write(block)
    return path


def test_scores_npz_declaring_huge_array_is_refused_before_allocation(tmp_path):
    path = _npz_bomb(tmp_path / "bomb.npz", 40_000_000)  # 320 MB declared, ~0.3 MB on disk
    assert path.stat().st_size < 2_000_000
    with pytest.raises(DataError, match="limit"):
        read_scores(path)
    bad = io.BytesIO()
    np.lib.format.write_array_header_1_0(bad, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
    with zipfile.ZipFile(tmp_path / "lie.npz", "w") as z:
        z.writestr("scores.npy", bad.getvalue() + bytes(80))
    with pytest.raises(DataError):
        read_scores(tmp_path / "lie.npz")


@pytest.mark.parametrize("values", [np.array([1 + 2j, 3j]), np.array(["2020-01-01", "2020-01-02"], "datetime64[D]"),
                                    np.array([1.0, 1e308]), np.array([True, False])])
def test_scores_of_a_non_real_dtype_or_beyond_float32_are_refused(tmp_path, values):
    np.save(tmp_path / "s.npy", values)
    np.savez(tmp_path / "s.npz", scores=values)
    for path in (tmp_path / "s.npy", tmp_path / "s.npz"):
        with pytest.raises(DataError, match=str(path.name)):
            read_scores(path)


def _patched_npz(path: Path, local: dict[int, bytes], central: dict[int, bytes], text: tuple[bytes, bytes]) -> Path:
    """A stored one-member .npz with bytes overwritten at offsets of its local and central zip
    headers, and ``text[0]`` replaced by ``text[1]`` (same length) in the member's bytes."""
    np.savez(path, scores=np.arange(10.0))
    raw = bytearray(path.read_bytes().replace(*text))
    starts = {"local": raw.find(b"PK\x03\x04"), "central": raw.find(b"PK\x01\x02")}
    for where, edits in (("local", local), ("central", central)):
        for offset, value in edits.items():
            raw[starts[where] + offset:starts[where] + offset + len(value)] = value
    path.write_bytes(bytes(raw))
    return path


@pytest.mark.parametrize("local, central, text", [
    ({6: b"\x01\x00"}, {8: b"\x01\x00"}, (b"", b"")),    # encryption flag: zipfile asks for a password
    ({8: b"\x21\x00"}, {10: b"\x21\x00"}, (b"", b"")),   # compression method 33: zipfile cannot decompress it
    ({8: b"\x08\x00"}, {10: b"\x08\x00"}, (b"", b"")),   # claims deflate over stored bytes: a zlib error
    ({}, {}, (b"(10,)", b"(10,(")),                     # an unclosed header literal: a tokenizer error
], ids=["encrypted", "unknown-compression", "not-deflate-data", "mangled-header"])
def test_scores_npz_with_odd_zip_members_is_a_clear_error(tmp_path, local, central, text):
    path = _patched_npz(tmp_path / "odd.npz", local, central, text)
    with pytest.raises(DataError, match="odd.npz"):
        read_scores(path)


def test_bench_scores_of_the_wrong_length_exit_2_before_any_run(tmp_path, capsys):
    data = _dataset(tmp_path / "data" / "D")
    np.save(tmp_path / "short.npy", np.random.default_rng(1).random(250))
    code, err = run(["bench", "--dataset", str(data), "--scores", str(tmp_path / "short.npy"),
                     "--out", str(tmp_path / "out")], capsys)
    assert one_line(code, err) and "250" in err and "300" in err, err
    assert not (tmp_path / "out" / "results.jsonl").exists()


# 8 pretrain-mae -------------------------------------------------------------------------------------
@pytest.mark.parametrize("args, name", [
    (["--threads", "0"], "--threads"), (["--lr", "nan"], "--lr"), (["--lr", "inf"], "--lr"), (["--lr", "-1"], "--lr"),
    (["--arch", "[1]"], "--arch"), (["--arch", '{"nosuch": 1}'], "--arch"), (["--arch", '{"depth": -3}'], "--arch"),
    (["--arch", '{"depth": "x"}'], "--arch"), (["--epochs", "0"], "--epochs"), (["--batch-size", "0"], "--batch-size"),
    (["--window", "1"], "--window"), (["--autocast", "fp8"], "--autocast"), (["--windows", "0"], "--windows"),
])
def test_pretrain_mae_bad_arguments_exit_2_before_any_work(tmp_path, capsys, args, name):
    code, err = run(["pretrain-mae", "A", "--data-root", str(tmp_path), "--out", str(tmp_path / "o"), *args], capsys)
    assert one_line(code, err) and name in err, err
    assert not (tmp_path / "o").exists()


def test_pretrain_mae_refuses_a_crafted_or_nan_resume_state_and_a_diverging_run(tmp_path):
    import torch

    from augury.detectors.vanad.backbone import MAEConfig, MaskedAutoencoder
    from augury.detectors.vanad.pretrain import STATE_FILE, PretrainConfig, pretrain_mae

    tiny = MAEConfig(img_size=32, patch_size=8, in_chans=1, embed_dim=32, depth=1, num_heads=4,
                     decoder_embed_dim=16, decoder_depth=1, decoder_num_heads=2)
    data = [np.random.default_rng(0).normal(size=(16, 20, 2)).astype(np.float32)]
    cfg = PretrainConfig(epochs=2, batch_size=8, lr=1e-3, seed=1)

    def stop(rep, epochs):
        raise KeyboardInterrupt

    state_path = tmp_path / "run" / STATE_FILE
    with pytest.raises(KeyboardInterrupt):
        pretrain_mae(MaskedAutoencoder(tiny), data, cfg, state_path=state_path, progress=stop)
    state = torch.load(state_path, weights_only=True)
    for edit, match in ((lambda st: st["model"].pop("norm.weight"), "unreadable resume state"),
                        (lambda st: st["model"]["norm.weight"].fill_(float("nan")), "NaN or inf"),
                        (lambda st: st.update(history=[{"epoch": "x"}]), "unreadable resume state")):
        crafted = {**state, "model": dict(state["model"]), "history": list(state["history"])}
        crafted["model"]["norm.weight"] = crafted["model"]["norm.weight"].clone()
        edit(crafted)
        torch.save(crafted, state_path)
        with pytest.raises(DataError, match=match):
            pretrain_mae(MaskedAutoencoder(tiny), data, cfg, state_path=state_path)
    with pytest.raises(ValueError, match="depth"):
        MAEConfig(depth=10**6)
    diverging = MaskedAutoencoder(tiny)
    with torch.no_grad():
        diverging.decoder_pred.weight.fill_(float("inf"))
    with pytest.raises(DataError, match="diverged"):
        pretrain_mae(diverging, data, cfg, state_path=tmp_path / "div" / STATE_FILE)
    assert not (tmp_path / "div" / STATE_FILE).exists()


# 9 bench executor -------------------------------------------------------------------------------------
_SLOW = """
import os, time
from pathlib import Path
from augury.detectors.registry import get_detector_class


class Slow(get_detector_class("iforest")):
    def fit(self, x, y=None):
        Path(os.environ["PIDS"], str(os.getpid())).touch()
        time.sleep(float(os.environ.get("SLOW_S", "1.5")))
        return super().fit(x, y)
"""

_DRIVER = """
import dataclasses, sys
from augury.bench.grid import expand_grid, run_grid
specs = [dataclasses.replace(s, method="slow", target="slowdet:Slow")
         for s in expand_grid(["A", "B", "C"], ["iforest"], data_root=sys.argv[1])]
table = run_grid(specs, sys.argv[2], executor="local", workers=1)
print(table["status"].tolist())
"""


def _start_driver(tmp_path: Path, **env: str) -> tuple[subprocess.Popen, Path]:
    """A bench driver over three datasets with the slow detector, once its first worker has started
    (its pid is the name of the file in the returned folder)."""
    root = tmp_path / "data"
    for name in ("A", "B", "C"):
        _dataset(root / name)
    (tmp_path / "slowdet.py").write_text(_SLOW)
    pids = tmp_path / "pids"
    pids.mkdir()
    env = {**ENV, **env, "PIDS": str(pids), "PYTHONPATH": os.pathsep.join([str(tmp_path), ENV["PYTHONPATH"]])}
    driver = subprocess.Popen([sys.executable, "-c", _DRIVER, str(root), str(tmp_path / "out")], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not any(pids.iterdir()) and time.time() < deadline:
        time.sleep(0.05)
    return driver, pids


def test_bench_driver_survives_kill_9_of_a_worker_and_finishes_the_grid(tmp_path):
    driver, pids = _start_driver(tmp_path)
    os.kill(int(next(pids.iterdir()).name), signal.SIGKILL)
    stdout, stderr = driver.communicate(timeout=300)
    assert driver.returncode == 0, stderr
    assert stdout.strip() == "['failed', 'ok', 'ok']", (stdout, stderr)
    rows = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert "worker process died" in rows[0]["error"]


def test_killing_the_driver_ends_its_workers_and_fork_server(tmp_path):
    driver, _ = _start_driver(tmp_path, SLOW_S="60")
    spawned = _descendants(driver.pid)
    assert spawned, "the driver started no processes"
    driver.kill()
    driver.communicate()
    deadline = time.time() + 15
    while time.time() < deadline and any(_alive(p) for p in spawned):
        time.sleep(0.1)
    left = [p for p in spawned if _alive(p)]
    for p in left:
        os.kill(p, signal.SIGKILL)
    assert not left, f"processes outlived the killed driver: {left}"


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped by init, does not count)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


def _descendants(pid: int) -> list[int]:
    """Child pids of ``pid`` (Linux /proc), then theirs."""
    children = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:  # the process ended meanwhile
        return []
    for task in tasks:
        try:
            children += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass  # the thread ended meanwhile
    return children + [d for c in children for d in _descendants(c)]


def test_killing_an_idle_worker_between_runs_does_not_crash_the_driver(tmp_path):
    from augury.bench.executors import run_local
    from augury.bench.grid import expand_grid

    root = tmp_path / "data"
    for name in ("A", "B", "C"):
        _dataset(root / name)
    specs = expand_grid(["A", "B", "C"], ["iforest"], data_root=root)
    statuses = []
    for result in run_local(specs, workers=1):
        statuses.append(result["row"]["status"])
        # The driver is suspended here: the pool's replacement worker is idle. Kill it (and any
        # worker that replaces it) for 0.4 s: the next submit then meets a broken pool.
        for _ in range(20):
            for server in _descendants(os.getpid()):
                for worker in _descendants(server):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(worker, signal.SIGKILL)
            time.sleep(0.02)
    assert statuses == ["ok", "ok", "ok"]


# 10 spreadsheet-safe CSV --------------------------------------------------------------------------------
def test_results_csv_text_cells_are_spreadsheet_safe_and_numbers_untouched(tmp_path):
    store = ResultStore(tmp_path)
    row = {"dataset": "=HYPERLINK(\"x\")", "method": "+cmd", "preset": "@cpu", "task": "detect", "seed": 0,
           "config_hash": "-h", "run_id": "r1", "status": "ok", "auc_roc": -0.5, "wall_s": 1.5}
    store.record(row, None)
    store.write_csv()
    with open(store.csv, newline="") as fh:
        first = next(r for r in csv.DictReader(fh))
    assert first["dataset"] == "'=HYPERLINK(\"x\")" and first["method"] == "'+cmd" and first["preset"] == "'@cpu"
    assert first["config_hash"] == "'-h" and float(first["auc_roc"]) == -0.5 and float(first["wall_s"]) == 1.5
