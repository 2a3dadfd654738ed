"""The ``watch`` row reader: CSV quoting, row ends, length limit, float32 finiteness, line numbers,
linear time; and a fuzz profile over generated feeds (``-m fuzz``: 1,000 cases per test).

Oracle: a feed is built row by row, each row well-formed (known values) or malformed in one
known way. After the feed is split into random chunks and read by ``watch``, the accepted rows
must be exactly the well-formed ones, in order and with their values, and every malformed row
must be reported with its 1-based file line. Random bytes must end in rows or typed errors only.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from augury.data.formats.rows import MAX_ROW_BYTES, RowSplitter, parse_number, split_fields
from augury.errors import AuguryError, DataError
from augury.stream import StreamResult
from augury.watch import read_csv_rows, watch

CHANNELS = ["cpu_pct", "mem_pct"]
_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture]
QUICK = settings(max_examples=40, deadline=None, suppress_health_check=_HEALTH, derandomize=True)
LARGE = settings(max_examples=1000, deadline=None, suppress_health_check=_HEALTH)


class _Detector:
    channels_ = CHANNELS


class RecordingScorer:
    """Stands in for a StreamScorer: records the rows watch hands over, scores them 0."""

    n_channels = len(CHANNELS)
    detector = _Detector()

    def __init__(self) -> None:
        self.rows: list[list[float]] = []

    def process(self, rows: np.ndarray) -> StreamResult:
        self.rows.extend(rows.tolist())
        n = len(rows)
        z = np.zeros(n, dtype=bool)
        return StreamResult(np.arange(n), np.zeros(n), z, z, z, z, [[] for _ in range(n)])


def _feed(data: bytes, cuts: list[int], tmp_path, on_bad_row: str = "skip") -> tuple[RecordingScorer, str]:
    """Run ``watch`` on ``data`` delivered in chunks cut at ``cuts``; (scorer, stderr)."""
    path = tmp_path / "feed.csv"
    path.write_bytes(data)
    scorer, err = RecordingScorer(), io.StringIO()
    import augury.watch as w

    original = w.READ_BYTES
    try:
        w.READ_BYTES = max(1, min(cuts) if cuts else original)
        watch(scorer, str(path), on_bad_row=on_bad_row, out=io.StringIO(), err=err)  # type: ignore[arg-type]
    finally:
        w.READ_BYTES = original
    return scorer, err.getvalue()


# ---------------------------------------------------------------- unit tests
def test_quoted_newline_is_one_bad_field_not_two_rows_joined(tmp_path):
    data = b'timestamp,cpu_pct,mem_pct\nt0,1,2\nt1,"1\n2",3\nt2,4,5\n'
    scorer, err = _feed(data, [], tmp_path)
    assert scorer.rows == [[1.0, 2.0], [4.0, 5.0]] and "line 3:" in err and "is not a number" in err


def test_only_newline_and_crlf_end_rows(tmp_path):
    data = "timestamp,cpu_pct,mem_pct\r\nt0,1,2\r\nt1,3\x0c,4\nt2,5,6\u2028\nt3,7,8\x85\nt4,9,10\n".encode()
    scorer, err = _feed(data, [], tmp_path)
    assert scorer.rows == [[1.0, 2.0], [9.0, 10.0]]
    assert [line.split(" line ")[1].split(":")[0] for line in err.splitlines()[:3]] == ["3", "4", "5"]


def test_unterminated_quote_at_the_end_is_reported_not_dropped(tmp_path):
    scorer, err = _feed(b'timestamp,cpu_pct,mem_pct\nt0,1,2\nt1,"3,4\nt2,5,6\n', [], tmp_path)
    assert scorer.rows == [[1.0, 2.0]] and "line 3: unterminated quoted field" in err


def test_float32_overflow_is_a_bad_row_and_keeps_its_neighbours(tmp_path):
    scorer, err = _feed(b"timestamp,cpu_pct,mem_pct\nt0,1,2\nt1,1e39,2\nt2,3.4e38,4\n", [], tmp_path)
    assert scorer.rows == [[1.0, 2.0], [3.4e38, 4.0]] and "line 3" in err and "float32" in err


def test_a_field_longer_than_the_limit_is_skipped_and_reading_resumes(tmp_path):
    long = b"9" * (MAX_ROW_BYTES + 10)
    scorer, err = _feed(b"timestamp,cpu_pct,mem_pct\nt0," + long + b",1\nt1,2,3\n", [], tmp_path)
    assert scorer.rows == [[2.0, 3.0]] and "line 2: row longer than" in err


def test_reading_a_long_line_is_linear():
    def cost(n: int) -> float:
        data = (b"1," * n)[:-1] + b"\n"
        splitter = RowSplitter(max_row_bytes=len(data) + 1)
        t0 = time.perf_counter()
        for i in range(0, len(data), 4096):
            splitter.feed(data[i : i + 4096])
        return time.perf_counter() - t0

    # Best of three each, so a busy neighbour on the shared cores does not decide the ratio.
    small, big = min(cost(250_000) for _ in range(3)), min(cost(2_000_000) for _ in range(3))
    assert big < 30 * max(small, 1e-3)  # 8x the bytes; quadratic would be 64x


def test_numbers_are_decimal_literals_only():
    assert parse_number(" 1.5e3\t") == 1500.0 and parse_number("-.5") == -0.5
    for bad in ("nan", "inf", "1_0", "0x10", "", " ", "1e39", "1.0.0", "+", "١"):
        with pytest.raises(ValueError):
            parse_number(bad)


def test_split_fields_follows_csv_quoting():
    assert split_fields('a,"b,c","d""e",') == (["a", "b,c", 'd"e', ""], None)
    assert split_fields('"a"b,1')[0] is None and split_fields('a"b')[0] is None


def test_non_utf8_calibrate_file_is_a_clear_error(tmp_path):
    path = tmp_path / "calib.csv"
    path.write_bytes(b"timestamp,cpu_pct,mem_pct\nt0,1,2\nt1,\xff\xfe,2\n")
    with pytest.raises(DataError, match=r"calib.csv line 3: not UTF-8"):
        read_csv_rows(path, 2, None, CHANNELS)


def test_truncating_a_followed_file_is_detected(tmp_path):
    import threading

    path = tmp_path / "live.csv"
    path.write_bytes(b"timestamp,cpu_pct,mem_pct\n" + b"t,1,2\n" * 50)

    def truncate() -> None:
        time.sleep(0.3)
        path.write_bytes(b"timestamp,cpu_pct,mem_pct\nt,3,4\n")

    thread = threading.Thread(target=truncate)
    thread.start()
    with pytest.raises(DataError, match="shrank"):
        watch(RecordingScorer(), str(path), follow=True, idle_timeout=5, out=io.StringIO(),  # type: ignore[arg-type]
              err=io.StringIO())
    thread.join()


# ---------------------------------------------------------------- generated feeds
@dataclass
class Row:
    text: str
    values: list[float] | None  # None: malformed
    lines: int = 1  # physical lines the row spans


_floats = st.floats(allow_nan=False, allow_infinity=False, width=32)


@st.composite
def good_row(draw) -> Row:
    vals = [float(draw(_floats)) for _ in CHANNELS]
    texts = [draw(st.sampled_from(["{!r}", " {!r} ", '"{!r}"', "{:.9e}"])).format(v) for v in vals]
    vals = [parse_number(t.strip('"')) for t in texts]
    stamp = draw(st.sampled_from(["2026-01-01 00:00:00", '"2026-01-01, 00:00"', "", "t"]))
    return Row(",".join([stamp, *texts]), vals)


SEPARATORS = ["\x0c", "\x85", "\u2028", "\x0b", ";2"]


@st.composite
def bad_row(draw) -> Row:
    kind = draw(st.sampled_from(["word", "huge", "count", "sep", "quoted_nl", "stray", "bytes", "empty"]))
    ok = "1.5"
    if kind == "word":
        return Row(f"t,{draw(st.sampled_from(['nan', 'inf', 'abc', '1_0', '0x1', '--1']))},{ok}", None)
    if kind == "huge":
        return Row(f"t,{ok},{draw(st.sampled_from(['1e39', '-4e38', '1' * 50]))}", None)
    if kind == "count":
        return Row(draw(st.sampled_from([f"t,{ok}", f"t,{ok},{ok},{ok}", f"t,{ok},{ok},"])), None)
    if kind == "sep":
        sep = draw(st.sampled_from(SEPARATORS))
        return Row(f"t,{ok}{sep},{ok}", None)
    if kind == "quoted_nl":
        return Row(f't,"1\n2",{ok}', None, lines=2)
    if kind == "stray":
        return Row(f't,1"2,{ok}', None)
    if kind == "bytes":
        return Row(f"t,{ok},\udcff{ok}", None)  # an invalid UTF-8 byte (surrogateescape)
    return Row(f"t,,{ok}", None)


@st.composite
def feed(draw) -> tuple[list[Row], bytes, list[int]]:
    rows = draw(st.lists(st.one_of(good_row(), good_row(), good_row(), bad_row()), min_size=1, max_size=30))
    header = draw(st.sampled_from(["timestamp,cpu_pct,mem_pct", "timestamp,mem_pct,cpu_pct"]))
    ends = [draw(st.sampled_from(["\n", "\r\n"])) for _ in rows]
    if header.endswith("cpu_pct"):  # reordered columns: the values must come back in model order
        rows = [Row(_swap(r.text), r.values, r.lines) if r.values is not None else r for r in rows]
    text = header + "\n" + "".join(r.text + e for r, e in zip(rows, ends, strict=True))
    data = text.encode("utf-8", errors="surrogateescape")
    cuts = [draw(st.integers(1, 64))]
    return rows, data, cuts


def _swap(text: str) -> str:
    fields = split_fields(text)[0]
    assert fields is not None
    stamp = f'"{fields[0]}"' if "," in fields[0] else fields[0]
    return ",".join([stamp, fields[2], fields[1]])


def _check_feed(case: tuple[list[Row], bytes, list[int]], tmp_path) -> tuple[int, int]:
    rows, data, cuts = case
    expected = [r.values for r in rows if r.values is not None]
    bad_lines, line = [], 2
    for r in rows:
        if r.values is None:
            bad_lines.append(line)
        line += r.lines
    try:
        scorer, err = _feed(data, cuts, tmp_path)
    except DataError as exc:  # only when no row at all could be scored
        assert not expected and "none of the" in str(exc)
        return 0, len(bad_lines)
    assert scorer.rows == expected  # exactly the well-formed rows, in order, values in model order
    reported = [int(e.split(" line ")[1].split(":")[0]) for e in err.splitlines() if "row skipped" in e]
    assert reported == bad_lines
    return len(expected), len(bad_lines)


def _check_bytes(data: bytes, tmp_path) -> None:
    try:
        scorer, _ = _feed(b"timestamp,cpu_pct,mem_pct\n" + data, [7], tmp_path)
    except AuguryError:
        return
    arr = np.asarray(scorer.rows, dtype=np.float64).reshape(-1, 2)
    assert np.all(np.isfinite(arr.astype(np.float32)))


_ACCEPTED: list[tuple[int, int]] = []


@QUICK
@given(case=feed())
def test_generated_feeds_quick(case, tmp_path):
    _check_feed(case, tmp_path)


@QUICK
@given(data=st.binary(max_size=400))
def test_random_bytes_quick(data, tmp_path):
    _check_bytes(data, tmp_path)


@pytest.mark.fuzz
@LARGE
@given(case=feed())
def test_generated_feeds_fuzz(case, tmp_path):
    _ACCEPTED.append(_check_feed(case, tmp_path))


@pytest.mark.fuzz
def test_generated_feeds_fuzz_accepts_the_well_formed_rows():
    """Run after the fuzz above: it must have accepted a real share of rows (not refuse everything)."""
    if not _ACCEPTED:
        pytest.skip("run together with test_generated_feeds_fuzz")
    good = sum(a for a, _ in _ACCEPTED)
    bad = sum(b for _, b in _ACCEPTED)
    assert len(_ACCEPTED) >= 1000 and good >= 0.6 * (good + bad)


@pytest.mark.fuzz
@LARGE
@given(data=st.binary(max_size=4000))
def test_random_bytes_fuzz(data, tmp_path):
    _check_bytes(data, tmp_path)


@pytest.mark.fuzz
@LARGE
@given(data=st.text(alphabet=st.sampled_from(list('0123456789.,e-+" \r\n\x0c\x85\u2028ab')), max_size=300))
def test_random_csv_like_text_fuzz(data, tmp_path):
    _check_bytes(data.encode(), tmp_path)
