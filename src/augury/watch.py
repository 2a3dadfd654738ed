"""``augury watch``: score CSV rows as they arrive (file, growing file or stdin) with a saved model.

Input: CSV with a header line, split by :mod:`augury.data.formats.rows` (CSV quoting, only
``\\n``/``\\r\\n`` end a row, a length limit per row). Column roles follow the same rules as
batch reading (:func:`augury.data.formats.table.column_roles`): the timestamp and label columns
are found by name, and the channel columns are matched **by name** against the channels the
model was fitted on, so a feed with reordered columns is read in the model's order and a
missing or unexpected column is refused up front. Models saved without channel names (fitted on
arrays) match by position: the header has C columns, or C + 1 with the timestamp first.

Whatever is available is read at once (``os.read``), so a burst of rows is scored in one batched
call and a single row is scored as soon as its line is complete. Output: one line per step,
written and flushed per burst, so nothing already scored is lost when the run stops (end of
input, a bad row with ``on_bad_row="stop"``, Ctrl-C). A bad row (wrong field count, a
non-numeric, empty or non-float32-finite value, bad quoting, not UTF-8, too long) is reported on
stderr with its 1-based file line number. At the end a summary (rows, skipped, alarms, top
channels) goes to stderr; a stream where rows arrived but none could be scored is an error.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

import numpy as np

from augury.data.formats.rows import Record, iter_records, parse_number
from augury.data.formats.table import column_roles, match_channels
from augury.errors import DataError
from augury.stream import StreamResult, StreamScorer

OutputFormat = Literal["csv", "jsonl"]
BadRowPolicy = Literal["skip", "stop"]

READ_BYTES = 1 << 16
POLL_SECONDS = 0.05
CSV_HEADER = "step,timestamp,score,warmup,above,alarm,top_channels\n"


def read_chunks(fd: int, source: str, *, follow: bool, idle_timeout: float | None) -> Iterator[bytes]:
    """Byte chunks of file descriptor ``fd`` as they become available.

    At end of input: stop, or with ``follow`` poll for more (like ``tail -f``) and stop once
    nothing new arrived for ``idle_timeout`` seconds (``None``: never). A regular file that
    shrinks while followed (truncated or rotated) raises ``DataError``: its new rows would
    otherwise be lost silently.
    """
    idle_since = time.monotonic()
    offset = 0
    while True:
        chunk = os.read(fd, READ_BYTES)
        if chunk:
            idle_since = time.monotonic()
            offset += len(chunk)
            yield chunk
            continue
        if not follow:
            return
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode) and info.st_size < offset:
            raise DataError(f"{source} shrank from {offset} to {info.st_size} bytes while being followed "
                            "(truncated or rotated); restart watch on the new file")
        if idle_timeout is not None and time.monotonic() - idle_since >= idle_timeout:
            return
        time.sleep(POLL_SECONDS)


@dataclass
class Columns:
    """Where the timestamp and the channels (in the model's order) are in each row."""

    names: list[str]
    timestamp: int | None
    channels: list[int]

    @property
    def channel_names(self) -> list[str]:
        return [self.names[i] for i in self.channels]


def parse_header(fields: list[str], n_channels: int, timestamp_column: str | None, source: str,
                 channels: list[str] | None = None, label_column: str | None = None) -> Columns:
    """Locate the timestamp and the model's channel columns in the header ``fields``.

    ``channels``: the model's channel names (matched by name); ``None`` for a model saved without
    them (matched by position).
    """
    names = [f.strip(" \t") for f in fields]
    where = f"{source} line 1"
    label, ts_name = column_roles(names, label_column, timestamp_column, where)
    ts = None if ts_name is None else names.index(ts_name)
    rest = [i for i, n in enumerate(names) if n not in (label, ts_name)]
    if channels is not None:
        order = match_channels([names[i] for i in rest], channels, where)
        return Columns(names, ts, [rest[k] for k in order])
    if ts is None and len(rest) == n_channels + 1:
        ts, rest = rest[0], rest[1:]
    if len(rest) != n_channels:
        raise DataError(f"{where}: header has {len(rest)} channel columns {[names[i] for i in rest]}; "
                        f"the model expects {n_channels} (plus optional timestamp and label columns)")
    return Columns(names, ts, rest)


def parse_row(fields: list[str], cols: Columns) -> tuple[list[float], str]:
    """Channel values (model order) and timestamp of one row; ``ValueError`` with the reason if malformed."""
    if len(fields) != len(cols.names):
        raise ValueError(f"expected {len(cols.names)} fields, got {len(fields)}")
    values = []
    for i in cols.channels:
        try:
            values.append(parse_number(fields[i]))
        except ValueError as exc:
            raise ValueError(f"column {cols.names[i]!r} {exc}: {fields[i][:40]!r}") from None
    return values, "" if cols.timestamp is None else fields[cols.timestamp].strip(" \t")


def _is_blank(rec: Record) -> bool:
    return rec.fields == [""]


def read_csv_rows(path: Path, n_channels: int, timestamp_column: str | None,
                  channels: list[str] | None = None) -> np.ndarray:
    """All rows ``[T, C]`` (model channel order) of a CSV in the ``watch`` input layout; any
    malformed row raises ``DataError`` naming its line."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    rows: list[list[float]] = []
    cols: Columns | None = None
    with path.open("rb") as fh:
        chunks = iter(lambda: fh.read(READ_BYTES), b"")
        for records in iter_records(chunks):
            for rec in records:
                if _is_blank(rec):
                    continue
                if rec.fields is None:
                    raise DataError(f"{path} line {rec.line}: {rec.error}")
                if cols is None:
                    cols = parse_header(rec.fields, n_channels, timestamp_column, str(path), channels)
                    continue
                try:
                    rows.append(parse_row(rec.fields, cols)[0])
                except ValueError as exc:
                    raise DataError(f"{path} line {rec.line}: {exc}") from None
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
                         f"{int(result.warmup[i])},{int(result.above[i])},{int(result.alarm[i])},"
                         f"{_csv_field(top_text)}")
    return "".join(line + "\n" for line in lines)


def _csv_field(text: str) -> str:
    needs = any(c in text for c in ',"\r\n')
    return '"' + text.replace('"', '""') + '"' if needs else text


@dataclass
class Summary:
    """What a watch run did: rows scored and skipped, alarms started, and each channel's summed
    contribution over the alarm steps (as ``detect`` ranks an event's channels by their mean)."""

    scored: int = 0
    skipped: int = 0
    alarms: int = 0
    alarm_steps: int = 0
    top: Counter[str] = field(default_factory=Counter)

    def add(self, result: StreamResult, names: list[str]) -> None:
        self.scored += len(result.step)
        self.alarms += int(result.alarm_start.sum())
        self.alarm_steps += int(result.alarm.sum())
        for pairs in result.top:
            for c, v in pairs:
                self.top[names[c]] += v

    def text(self, source: str) -> str:
        total = sum(self.top.values()) or 1.0
        top = ", ".join(f"{n} ({100 * v / total:.0f} %)" for n, v in self.top.most_common(3)) or "-"
        return (f"augury: watch {source}: {self.scored} rows scored, {self.skipped} skipped, {self.alarms} alarms "
                f"({self.alarm_steps} steps in alarm); top channels (share of contributions): {top}\n")


def watch(
    scorer: StreamScorer,
    source: str,
    *,
    follow: bool = False,
    fmt: OutputFormat = "csv",
    on_bad_row: BadRowPolicy = "skip",
    idle_timeout: float | None = None,
    timestamp_column: str | None = None,
    label_column: str | None = None,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
) -> Summary:
    """Score the rows of ``source`` (a path or ``"-"`` for stdin) with ``scorer``; returns the :class:`Summary`
    (also written to ``err``).

    Raises ``DataError`` on a bad header, on a bad row when ``on_bad_row == "stop"`` (after
    writing every row before it), and when rows arrived but none could be scored.
    """
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    if fmt not in ("csv", "jsonl") or on_bad_row not in ("skip", "stop"):
        raise DataError(f"format must be csv|jsonl and on_bad_row skip|stop (got {fmt!r}, {on_bad_row!r})")
    opts = {"fmt": fmt, "on_bad_row": on_bad_row, "timestamp_column": timestamp_column,
            "label_column": label_column, "out": out, "err": err}
    if source == "-":
        chunks = read_chunks(sys.stdin.buffer.fileno(), "stdin", follow=False, idle_timeout=idle_timeout)
        return _run(chunks, scorer, "stdin", **opts)  # type: ignore[arg-type]
    path = Path(source)
    if not path.is_file():
        raise DataError(f"{source}: no such input file")
    with path.open("rb") as fh:
        chunks = read_chunks(fh.fileno(), source, follow=follow, idle_timeout=idle_timeout)
        return _run(chunks, scorer, source, **opts)  # type: ignore[arg-type]


def _run(chunks: Iterator[bytes], scorer: StreamScorer, source: str, *, fmt: OutputFormat,
         on_bad_row: BadRowPolicy, timestamp_column: str | None, label_column: str | None, out: IO[str],
         err: IO[str]) -> Summary:
    cols: Columns | None = None
    summary = Summary()
    model_channels = getattr(scorer.detector, "channels_", None)
    for records in iter_records(chunks):
        rows: list[list[float]] = []
        stamps: list[str] = []
        stop: str | None = None
        for rec in records:
            if _is_blank(rec):
                continue
            if cols is None:
                if rec.fields is None:
                    raise DataError(f"{source} line {rec.line}: bad header ({rec.error})")
                cols = parse_header(rec.fields, scorer.n_channels, timestamp_column, source, model_channels,
                                    label_column)
                if fmt == "csv":
                    out.write(CSV_HEADER)
                continue
            try:
                if rec.fields is None:
                    raise ValueError(rec.error)
                values, stamp = parse_row(rec.fields, cols)
            except ValueError as exc:
                if on_bad_row == "stop":
                    stop = f"{source} line {rec.line}: {exc}"
                    break
                summary.skipped += 1
                err.write(f"augury: {source} line {rec.line}: {exc}; row skipped\n")
                err.flush()
                continue
            rows.append(values)
            stamps.append(stamp)
        if rows and cols is not None:
            result = scorer.process(np.asarray(rows, dtype=np.float64))
            out.write(format_steps(result, stamps, cols.channel_names, fmt))
            summary.add(result, cols.channel_names)
        out.flush()
        if stop is not None:
            raise DataError(stop)
    if summary.skipped and not summary.scored:
        raise DataError(f"{source}: none of the {summary.skipped} data rows could be scored (see the "
                        "messages above); is this the feed the model was fitted on?")
    err.write(summary.text(source))
    err.flush()
    return summary
