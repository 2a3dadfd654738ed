"""Atomic writes leave either the old or the complete new file; seeding is reproducible."""

from __future__ import annotations

import numpy as np
import pytest

from augury.utils.atomic import append_line_durably, atomic_open, atomic_write_bytes, atomic_write_text
from augury.utils.seed import seed_everything


def test_atomic_write_replaces_whole_file(tmp_path):
    path = tmp_path / "sub" / "f.txt"
    atomic_write_text(path, "old")
    atomic_write_text(path, "new")
    assert path.read_text() == "new"
    atomic_write_bytes(path, b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01"
    assert [p.name for p in path.parent.iterdir()] == ["f.txt"]


def test_failed_write_keeps_old_file_and_no_temp(tmp_path):
    path = tmp_path / "f.txt"
    atomic_write_text(path, "old")
    with pytest.raises(RuntimeError), atomic_open(path) as fh:
        fh.write("half")
        raise RuntimeError("crash mid-write")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_append_line(tmp_path):
    path = tmp_path / "log.jsonl"
    append_line_durably(path, '{"a": 1}')
    append_line_durably(path, '{"a": 2}')
    assert path.read_text().splitlines() == ['{"a": 1}', '{"a": 2}']
    with pytest.raises(ValueError):
        append_line_durably(path, "two\nlines")


def test_seed_everything_reproducible():
    a = seed_everything(5).random(3), np.random.random(3)
    b = seed_everything(5).random(3), np.random.random(3)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_core_threads_caps_at_the_affinity_mask_and_never_raises_a_lower_setting(monkeypatch):
    import torch

    from augury.nn import threads

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        monkeypatch.setattr(threads, "allowed_cores", lambda: 2)
        with threads.core_threads() as n:
            assert n == 1 and torch.get_num_threads() == 1  # the caller chose one thread
        torch.set_num_threads(4)
        with threads.core_threads() as n:
            assert n == 2 and torch.get_num_threads() == 2  # pinned to two cores
        assert torch.get_num_threads() == 4
    finally:
        torch.set_num_threads(before)
