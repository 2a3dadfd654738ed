"""Fuzz: CSV, NPY and Parquet reading end in finite float32 values or a typed error."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from augury.data.formats import load_csv_pair, read_series
from fuzz_support import _report_counts, both, outcome  # noqa: F401  (fixture used by pytest)


def _finite_table(table) -> None:
    assert table.values.dtype == np.float32 and table.values.ndim == 2 and table.values.shape[0] >= 1
    assert np.all(np.isfinite(table.values)), "silent non-finite output"


CELLS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**40), 10**40).map(str),
    st.sampled_from(["", "nan", "NaN", "inf", "-inf", "1e39", "3.5e38", "-1e308", "1e-320", "0x10", "true",
                     "2020-01-01", "1,5", '"7"', "abc", " 3 ", "1e", "--1", "\t"]),
    st.text(max_size=6),
)
NAMES = st.one_of(st.sampled_from(["a", "b", "c", "label", "timestamp", "Label", "is_anomaly", "", "a"]),
                  st.text(max_size=4))


@st.composite
def clean_csv(draw) -> tuple[bytes, bytes]:
    """A well-formed (train, labelled test) pair: unique channel names, finite numbers, ≥ 1 row each."""
    n_cols = draw(st.integers(1, 4))
    number = st.floats(-1e6, 1e6).map(repr) | st.integers(-5, 5).map(str)

    def table(labelled: bool) -> bytes:
        rows = draw(st.lists(st.lists(number, min_size=n_cols, max_size=n_cols), min_size=1, max_size=25))
        if labelled:
            rows = [[*r, draw(st.sampled_from(["0", "1"]))] for r in rows]
        header = ",".join([f"ch{i}" for i in range(n_cols)] + (["label"] if labelled else []))
        return (header + "\n" + "\n".join(",".join(r) for r in rows) + draw(st.sampled_from(["", "\n"]))).encode()

    return table(False), table(True)


@st.composite
def csv_text(draw) -> bytes:
    n_cols = draw(st.integers(0, 5))
    header = ",".join(draw(st.lists(NAMES, min_size=n_cols, max_size=n_cols)))
    # Half of the files are well-formed numbers, so the accepting path is fuzzed as well as the refusals.
    cells = CELLS if draw(st.booleans()) else st.floats(-1e6, 1e6).map(repr) | st.integers(-5, 5).map(str)
    rows = draw(st.lists(st.lists(cells, min_size=n_cols, max_size=n_cols) if draw(st.booleans())
                         else st.lists(cells, min_size=0, max_size=n_cols + 1), max_size=25))
    text = header + "\n" + "\n".join(",".join(r) for r in rows)
    raw = text.encode("utf-8", errors="surrogatepass") if draw(st.booleans()) else text.encode("utf-8", "replace")
    if draw(st.integers(0, 9)) == 0:
        raw += draw(st.binary(max_size=20))
    return raw


def _finite_pair(ds) -> None:
    assert np.all(np.isfinite(ds.train)) and np.all(np.isfinite(ds.test)), "silent non-finite output"


def _csv_body(raw: bytes, second: bytes | None, clean: tuple[bytes, bytes]) -> None:
    with tempfile.TemporaryDirectory() as d:
        path, other = Path(d) / "x.csv", Path(d) / "y.csv"
        path.write_bytes(clean[0])
        outcome("csv read_series", lambda: read_series(path), _finite_table, well_formed=True)
        other.write_bytes(clean[1])
        outcome("csv load_csv_pair", lambda: load_csv_pair(path, other), _finite_pair, well_formed=True)
        path.write_bytes(raw)
        outcome("csv read_series", lambda: read_series(path), _finite_table)
        if second is not None:
            other.write_bytes(second)
            outcome("csv load_csv_pair", lambda: load_csv_pair(path, other), _finite_pair)


test_fuzz_csv, test_fuzz_csv_large = both(
    _csv_body, {"raw": csv_text(), "second": st.none() | csv_text(), "clean": clean_csv()}, given)


DTYPES = st.sampled_from(["f2", "f4", "f8", "i1", "i8", "u8", "?", "c8", "c16", "M8[s]", "m8[s]", "U3", "S3",
                          "V4", "f4,i4", ">f8"])
SHAPES = st.one_of(st.just(()), st.tuples(st.integers(0, 30)), st.tuples(st.integers(0, 30), st.integers(0, 4)),
                   st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3)))
VALUES = st.sampled_from([0.0, 1.0, -1.0, np.nan, np.inf, -np.inf, 1e39, 3.5e38, 1e308, 6.5e4, 1e-45])


@st.composite
def npy_bytes(draw) -> bytes:
    dtype = np.dtype(draw(DTYPES))
    shape = draw(SHAPES)
    size = int(np.prod(shape))
    if dtype.kind in "fc":
        with np.errstate(over="ignore"):
            arr = np.array(draw(st.lists(VALUES, min_size=size, max_size=size)), dtype=np.float64).astype(dtype)
        arr = arr.reshape(shape)
    else:
        arr = np.zeros(shape, dtype=dtype)
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    raw = bytearray(buf.getvalue())
    mutation = draw(st.integers(0, 5))
    if mutation == 0 and raw:  # flip bytes, header included
        for pos in draw(st.lists(st.integers(0, len(raw) - 1), max_size=4)):
            raw[pos] = draw(st.integers(0, 255))
    elif mutation == 1:
        raw = raw[: draw(st.integers(0, len(raw)))]
    elif mutation == 2:  # a header claiming a different shape
        header = repr({"descr": dtype.str if dtype.fields is None else "<f8", "fortran_order": False,
                       "shape": draw(st.tuples(st.integers(0, 10**13), st.integers(0, 10**6)))}).encode()
        header += b" " * (63 - (len(header) + 10) % 64) + b"\n"
        raw = bytearray(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header) + raw[128:]
    return bytes(raw)


@st.composite
def clean_npy(draw) -> np.ndarray:
    """A well-formed array: float32/float64, one or two dimensions, finite values in float32 range."""
    shape = draw(st.tuples(st.integers(1, 30)) | st.tuples(st.integers(1, 30), st.integers(1, 4)))
    values = draw(st.lists(st.floats(-1e30, 1e30), min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    return np.array(values, dtype=draw(st.sampled_from(["<f4", "<f8", ">f8"]))).reshape(shape)


def _npy_body(raw: bytes, clean: np.ndarray) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "x.npy"
        np.save(path, clean, allow_pickle=False)
        outcome("npy read_series", lambda: read_series(path), _finite_table, well_formed=True)
        path.write_bytes(raw)
        outcome("npy read_series", lambda: read_series(path), _finite_table)


test_fuzz_npy, test_fuzz_npy_large = both(_npy_body, {"raw": npy_bytes(), "clean": clean_npy()}, given)


COLUMNS = st.sampled_from(["float", "int", "str", "datetime", "bool", "nullable", "category", "object"])


@st.composite
def parquet_frame(draw) -> tuple[pd.DataFrame, int]:
    n = draw(st.integers(0, 20))
    kinds = draw(st.lists(COLUMNS, min_size=0, max_size=4))
    data = {}
    for i, kind in enumerate(kinds):
        if kind == "float":
            col = draw(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=n, max_size=n))
        elif kind == "int":
            col = draw(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=n, max_size=n))
        elif kind == "str":
            col = draw(st.lists(st.text(max_size=3), min_size=n, max_size=n))
        elif kind == "datetime":
            col = pd.date_range("2020-01-01", periods=n, freq="s")
        elif kind == "bool":
            col = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        elif kind == "nullable":
            col = pd.array(draw(st.lists(st.none() | st.integers(-5, 5), min_size=n, max_size=n)), dtype="Int64")
        elif kind == "category":
            col = pd.Categorical(draw(st.lists(st.sampled_from(["x", "y"]), min_size=n, max_size=n)))
        else:
            col = pd.array(draw(st.lists(st.none() | st.floats(), min_size=n, max_size=n)), dtype=object)
        data[draw(st.sampled_from(["a", "b", "label", "timestamp", f"c{i}"])) + str(i)] = col
    return pd.DataFrame(data, index=pd.RangeIndex(n)), draw(st.integers(0, 3))


@st.composite
def clean_frame(draw) -> pd.DataFrame:
    """A well-formed frame: one to three finite float columns with distinct names, at least one row."""
    n = draw(st.integers(1, 20))
    return pd.DataFrame({f"c{i}": draw(st.lists(st.floats(-1e6, 1e6), min_size=n, max_size=n))
                         for i in range(draw(st.integers(1, 3)))})


def _parquet_body(frame: tuple[pd.DataFrame, int], clean: pd.DataFrame) -> None:
    df, mutation = frame
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "x.parquet"
        clean.to_parquet(path)
        outcome("parquet read_series", lambda: read_series(path), _finite_table, well_formed=True)
        try:
            df.to_parquet(path)
        except Exception:  # noqa: BLE001 - pyarrow cannot store this frame; nothing to read
            return
        if mutation == 1:
            raw = path.read_bytes()
            path.write_bytes(raw[: len(raw) // 2])
        elif mutation == 2:
            raw = bytearray(path.read_bytes())
            raw[len(raw) // 3] ^= 0xFF
            path.write_bytes(bytes(raw))
        outcome("parquet read_series", lambda: read_series(path), _finite_table)


test_fuzz_parquet, test_fuzz_parquet_large = both(_parquet_body, {"frame": parquet_frame(), "clean": clean_frame()}, given)
