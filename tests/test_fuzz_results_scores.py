"""Fuzz: hand-edited ``results.jsonl`` lines for ``augury report`` and scores files for
``augury bench --scores`` (``-m fuzz``: 1,000 cases per test).

Oracles. Report: whatever the edited lines hold, ``build_report`` ends in a report or an
``AuguryError``; every row the store accepts has the documented column types; every
well-formed line of the case is accepted and shown; nothing is written outside the folder.
Scores: a file ends in finite 1-D float scores or an ``AuguryError``; a well-formed file is
read back exactly (as float32, the precision scores are compared in).
"""

from __future__ import annotations

import io
import json
import math
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from augury.bench.imported import read_scores
from augury.bench.store import ResultStore
from augury.report.html import build_report
from fuzz_support import _report_counts, both, outcome  # noqa: F401  (fixture used by pytest)
from test_fuzz_readers import npy_bytes

GOOD = {"dataset": "A", "method": "knn", "preset": "cpu", "task": "detect", "seed": 0, "config_hash": "h",
        "run_id": "r0", "status": "ok", "auc_roc": 0.5, "vus_pr": 0.25}
ARRAYS = {"scores": np.linspace(0, 1, 30), "labels": (np.arange(30) > 25).astype(np.uint8), "threshold": np.float64(0.9)}
JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=12),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                    max_leaves=6)
NAMES = st.sampled_from(["$\\foo$", "../../../x", "=cmd()", "a/b", "", " ", "\u2028", "ü" * 40, "x" * 300, "nul\x00"])
SAFE = st.text(st.characters(min_codepoint=48, max_codepoint=122, categories=["Ll", "Lu", "Nd"]), min_size=1,
               max_size=10)


@st.composite
def edited_line(draw) -> bytes:
    """One results.jsonl line edited by hand or torn: random bytes, a good row with fields
    replaced by arbitrary JSON or hostile names, a truncated row, or a non-object."""
    kind = draw(st.integers(0, 4))
    row = {**GOOD, "run_id": "e" + draw(SAFE)}
    if kind == 0:
        return draw(st.binary(max_size=80)).replace(b"\n", b" ")
    if kind == 1:
        for key in draw(st.lists(st.sampled_from([*GOOD, "wall_s", "error", "n_test"]), min_size=1, max_size=3)):
            row[key] = draw(JSON)
    elif kind == 2:
        for key in draw(st.lists(st.sampled_from(["dataset", "method", "preset", "run_id", "config_hash"]),
                                 min_size=1, max_size=2)):
            row[key] = draw(NAMES)
    elif kind == 3:
        text = json.dumps(row).encode()
        return text[: draw(st.integers(0, len(text) - 1))]
    else:
        return json.dumps(draw(JSON)).encode()
    return json.dumps(row, allow_nan=True).encode()


@st.composite
def well_formed_rows(draw) -> list[dict]:
    """Rows a user could have written: safe names, int seeds, metrics in [0, 1] or NaN."""
    rows = []
    for i in range(draw(st.integers(1, 3))):
        rows.append({**GOOD, "dataset": draw(SAFE), "method": "m" + draw(SAFE), "seed": draw(st.integers(0, 9)),
                     "run_id": f"w{i}", "config_hash": draw(SAFE),
                     "auc_roc": draw(st.floats(0, 1) | st.just(math.nan)), "vus_pr": draw(st.floats(0, 1))})
    return rows


def _check_row_types(rows: list[dict]) -> None:
    for row in rows:
        for key in ("dataset", "method", "preset", "task", "config_hash", "run_id", "status"):
            assert isinstance(row[key], str), (key, row)
        assert isinstance(row["seed"], int) and not isinstance(row["seed"], bool), row
        for key in ("auc_roc", "vus_pr"):
            assert row.get(key) is None or isinstance(row[key], float | int), (key, row)


def _report_body(edited: list[bytes], good: list[dict]) -> None:
    with tempfile.TemporaryDirectory() as d:
        outer = Path(d)
        root = outer / "res"
        store = ResultStore(root)
        for row in good:
            store.record(row, ARRAYS)
        with open(store.jsonl, "ab") as fh:
            for line in edited:
                fh.write(line + b"\n")
        rows = ResultStore(root).read_rows()
        _check_row_types(rows)
        accepted = {r["run_id"] for r in rows}
        assert {r["run_id"] for r in good} <= accepted, "a well-formed line was skipped"

        def check(result: tuple[Path, int]) -> None:
            path, skipped = result
            html = path.read_text(encoding="utf-8")
            for row in good:
                assert row["method"] in html, "a well-formed run is missing from the report"
            assert 0 <= skipped <= len(edited)
            written = {p for p in outer.rglob("*") if p.is_file()}
            assert all(p.is_relative_to(root) for p in written), "the report wrote outside its folder"

        outcome("report results.jsonl", lambda: build_report(root, return_skipped=True), check,
                well_formed=True)
        store.jsonl.write_bytes(b"".join(line + b"\n" for line in edited))
        outcome("report results.jsonl", lambda: build_report(root, return_skipped=True),
                lambda result: result[0].is_file())


test_fuzz_report_lines, test_fuzz_report_lines_large = both(
    _report_body, {"edited": st.lists(edited_line(), min_size=1, max_size=4), "good": well_formed_rows()}, given)


@st.composite
def scores_file(draw) -> tuple[str, bytes]:
    """(suffix, bytes) of a hostile scores file: a mutated .npy, an .npz whose members are
    mutated or misnamed, a corrupted zip, or CSV text."""
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return ".npy", draw(npy_bytes())
    if kind == 1:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for name in draw(st.lists(st.sampled_from(["scores.npy", "train_scores.npy", "x.npy", "scores"]),
                                      min_size=1, max_size=2, unique=True)):
                z.writestr(name, draw(npy_bytes()))
        return ".npz", buf.getvalue()
    if kind == 2:
        buf = io.BytesIO()
        np.savez(buf, scores=np.arange(10.0))
        raw = bytearray(buf.getvalue())
        for pos in draw(st.lists(st.integers(0, len(raw) - 1), min_size=1, max_size=6)):
            raw[pos] = draw(st.integers(0, 255))
        return ".npz", bytes(raw)
    head = draw(st.sampled_from(["score", "scores", "score,x", ""]))
    cells = draw(st.lists(st.sampled_from(["1", "0.5", "nan", "inf", "1e39", "x", "", "\"1\n2\"", "1,2", "-0"]),
                          max_size=8))
    return ".csv", (head + "\n" + "\n".join(cells)).encode()


@st.composite
def clean_scores(draw) -> tuple[str, np.ndarray]:
    values = np.array(draw(st.lists(st.floats(-1e30, 1e30).map(lambda v: float(np.float32(v))), min_size=1, max_size=40)), dtype=np.float64)
    return draw(st.sampled_from([".npy", ".npz", ".csv"])), values


def _finite_scores(result: tuple[np.ndarray, np.ndarray | None]) -> None:
    for part in result:
        if part is not None:
            assert part.ndim == 1 and part.dtype.kind == "f" and np.all(np.isfinite(part)), part


def _write_clean(path: Path, values: np.ndarray) -> None:
    if path.suffix == ".npy":
        np.save(path, values)
    elif path.suffix == ".npz":
        np.savez(path, scores=values, train_scores=values[::-1])
    else:
        path.write_text("score\n" + "\n".join(repr(float(v)) for v in values) + "\n")


def _scores_body(hostile: tuple[str, bytes], clean: tuple[str, np.ndarray]) -> None:
    with tempfile.TemporaryDirectory() as d:
        suffix, values = clean
        path = Path(d) / f"s{suffix}"
        _write_clean(path, values)

        def exact(result: tuple[np.ndarray, np.ndarray | None]) -> None:
            _finite_scores(result)
            np.testing.assert_array_equal(result[0].astype(np.float32), values.astype(np.float32))

        outcome("bench --scores files", lambda: read_scores(path), exact, well_formed=True)
        suffix, raw = hostile
        path = Path(d) / f"h{suffix}"
        path.write_bytes(raw)
        outcome("bench --scores files", lambda: read_scores(path), _finite_scores)


test_fuzz_scores_files, test_fuzz_scores_files_large = both(
    _scores_body, {"hostile": scores_file(), "clean": clean_scores()}, given)
