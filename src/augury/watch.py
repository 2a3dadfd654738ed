"""``augury watch``: score CSV rows as they arrive (file, growing file or stdin) with a saved model.

Input: CSV with a header line. The channel columns are the header's columns minus an optional
timestamp column (``timestamp_column``, or the first column when the header has one column
more than the model has channels). Whatever is available is read at once (``os.read``), so a
burst of rows is scored in one batched call and a single row is scored as soon as its line
is complete. Output: one line per step, written and flushed per burst, so nothing already
scored is lost when the run stops (end of input, a bad row with ``on_bad_row="stop"``,
Ctrl-C). A bad row (wrong field count, a non-numeric, empty, NaN or infinite value) is
reported on stderr with its line number (1 = the header).
"""

from __future__ import annotations

import csv
import json
import math
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

import numpy as np

from augury.errors import DataError
from augury.stream import StreamResult, StreamScorer

OutputFormat = Literal["csv", "jsonl"]
BadRowPolicy = Literal["skip", "stop"]

READ_BYTES = 1 << 16
POLL_SECONDS = 0.05


def read_lines(fd: int, *, follow: bool, idle_timeout: float | None) -> Iterator[list[str]]:
    """Yield lists of complete text lines as they become available on file descriptor ``fd``.

    At end of input: stop, or with ``follow`` poll for more (like ``tail -f``) and stop once
    nothing new arrived for ``idle_timeout`` seconds (``None``: never). A trailing line without
    a newline is yielded when the input ends (it may still be growing while following).
    """
    pending = b""
    idle_since = time.monotonic()
    while True:
        chunk = os.read(fd, READ_BYTES)
        if chunk:
            idle_since = time.monotonic()
            pending += chunk
            head, sep, pending = pending.rpartition(b"\n")
            if sep:
                yield (head + b"\n").decode("utf-8", errors="replace").splitlines()
            else:
                pending = head + pending
            continue
        if follow and (idle_timeout is None or time.monotonic() - idle_since < idle_timeout):
            time.sleep(POLL_SECONDS)
            continue
        if pending:
            yield pending.decode("utf-8", errors="replace").splitlines()
        return


@dataclass
class Columns:
    """Where the timestamp and the channels are in each row."""

    names: list[str]
    timestamp: int | None
    channels: list[int]


def parse_header(fields: list[str], n_channels: int, timestamp_column: str | None, source: str) -> Columns:
    """Locate the timestamp and the ``n_channels`` channel columns in the header ``fields``."""
    names = [f.strip() for f in fields]
    if timestamp_column is not None:
        if timestamp_column not in names:
            raise DataError(f"{source} line 1: no timestamp column {timestamp_column!r} in header {names}")
        ts: int | None = names.index(timestamp_column)
    elif len(names) == n_channels + 1:
        ts = 0
    else:
        ts = None
    channels = [i for i in range(len(names)) if i != ts]
    if len(channels) != n_channels:
        raise DataError(
            f"{source} line 1: header has {len(channels)} channel columns {[names[i] for i in channels]}; "
            f"the model expects {n_channels} (plus an optional timestamp column)"
        )
    return Columns(names, ts, channels)


def parse_row(fields: list[str], cols: Columns) -> tuple[list[float], str]:
    """Channel values and timestamp of one row; ``ValueError`` with the reason if it is malformed."""
    if len(fields) != len(cols.names):
        raise ValueError(f"expected {len(cols.names)} fields, got {len(fields)}")
    values = []
    for i in cols.channels:
        raw = fields[i].strip()
        try:
            v = float(raw)
        except ValueError:
            raise ValueError(f"column {cols.names[i]!r} is not a number: {raw!r}") from None
        if not math.isfinite(v):
            raise ValueError(f"column {cols.names[i]!r} is {raw!r}; expected a finite number")
        values.append(v)
    return values, "" if cols.timestamp is None else fields[cols.timestamp].strip()


def read_csv_rows(path: Path, n_channels: int, timestamp_column: str | None) -> np.ndarray:
    """All rows ``[T, C]`` of a CSV in the ``watch`` input layout; any malformed row raises ``DataError``."""
    rows = []
    cols: Columns | None = None
    with Path(path).open(newline="", encoding="utf-8") as fh:
        for line_no, fields in enumerate(csv.reader(fh), start=1):
            if not fields:
                continue
            if cols is None:
                cols = parse_header(fields, n_channels, timestamp_column, str(path))
                continue
            try:
                rows.append(parse_row(fields, cols)[0])
            except ValueError as exc:
                raise DataError(f"{path} line {line_no}: {exc}") from None
    if not rows:
        raise DataError(f"{path}: no data rows")
    return np.asarray(rows, dtype=np.float64)


def format_steps(result: StreamResult, timestamps: list[str], names: list[str], fmt: OutputFormat) -> str:
    """One output line per step of ``result`` (scores with full precision: ``repr``)."""
    lines = []
    for i in range(len(result.step)):
        top = [(names[c], v) for c, v in result.top[i]]
        if fmt == "jsonl":
            lines.append(json.dumps({
                "step": int(result.step[i]), "timestamp": timestamps[i] or None, "score": float(result.score[i]),
                "warmup": bool(result.warmup[i]), "above": bool(result.above[i]), "alarm": bool(result.alarm[i]),
                "alarm_start": bool(result.alarm_start[i]),
                "top": [{"channel": n, "contribution": v} for n, v in top],
            }))
        else:
            top_text = ";".join(f"{n}:{v:.6g}" for n, v in top)
            lines.append(f"{int(result.step[i])},{_csv_field(timestamps[i])},{float(result.score[i])!r},"
                         f"{int(result.above[i])},{int(result.alarm[i])},{_csv_field(top_text)}")
    return "".join(line + "\n" for line in lines)


CSV_HEADER = "step,timestamp,score,above,alarm,top_channels\n"


def _csv_field(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if ("," in text or '"' in text) else text


def watch(
    scorer: StreamScorer,
    source: str,
    *,
    follow: bool = False,
    fmt: OutputFormat = "csv",
    on_bad_row: BadRowPolicy = "skip",
    idle_timeout: float | None = None,
    timestamp_column: str | None = None,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
) -> int:
    """Score the rows of ``source`` (a path or ``"-"`` for stdin) with ``scorer``; returns rows scored.

    Raises ``DataError`` on a bad header, or on a bad row when ``on_bad_row == "stop"`` (after
    writing every row before it).
    """
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    if fmt not in ("csv", "jsonl") or on_bad_row not in ("skip", "stop"):
        raise DataError(f"format must be csv|jsonl and on_bad_row skip|stop (got {fmt!r}, {on_bad_row!r})")
    name = "stdin" if source == "-" else source
    if source == "-":
        return _run(sys.stdin.buffer.fileno(), scorer, name, follow=False, fmt=fmt, on_bad_row=on_bad_row,
                    idle_timeout=idle_timeout, timestamp_column=timestamp_column, out=out, err=err)
    path = Path(source)
    if not path.is_file():
        raise DataError(f"{source}: no such input file")
    with path.open("rb") as fh:
        return _run(fh.fileno(), scorer, name, follow=follow, fmt=fmt, on_bad_row=on_bad_row,
                    idle_timeout=idle_timeout, timestamp_column=timestamp_column, out=out, err=err)


def _run(fd: int, scorer: StreamScorer, source: str, *, follow: bool, fmt: OutputFormat, on_bad_row: BadRowPolicy,
         idle_timeout: float | None, timestamp_column: str | None, out: IO[str], err: IO[str]) -> int:
    cols: Columns | None = None
    line_no = 0
    n_scored = 0
    for lines in read_lines(fd, follow=follow, idle_timeout=idle_timeout):
        rows: list[list[float]] = []
        stamps: list[str] = []
        stop: str | None = None
        for fields in csv.reader(lines):
            line_no += 1
            if not fields:
                continue
            if cols is None:
                cols = parse_header(fields, scorer.n_channels, timestamp_column, source)
                if fmt == "csv":
                    out.write(CSV_HEADER)
                continue
            try:
                values, stamp = parse_row(fields, cols)
            except ValueError as exc:
                if on_bad_row == "stop":
                    stop = f"{source} line {line_no}: {exc}"
                    break
                err.write(f"augury: {source} line {line_no}: {exc}; row skipped\n")
                err.flush()
                continue
            rows.append(values)
            stamps.append(stamp)
        if rows and cols is not None:
            result = scorer.process(np.asarray(rows, dtype=np.float64))
            out.write(format_steps(result, stamps, [cols.names[i] for i in cols.channels], fmt))
            n_scored += len(rows)
        out.flush()
        if stop is not None:
            raise DataError(stop)
    return n_scored
