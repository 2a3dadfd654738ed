"""Streaming CSV rows for ``augury watch``: bytes in, parsed records out, in linear time.

Why not :mod:`csv`: the stream arrives in arbitrary chunks, a row may be cut between two
reads, and the reader must survive hostile input (a 40 MB line, a stray quote, form-feeds,
invalid UTF-8) without a traceback, without quadratic re-scanning and without silently
joining or splitting rows. The rules (RFC 4180 with the usual relaxations):

- a row ends at ``\\n`` or ``\\r\\n`` outside quotes; nothing else ends a row (form-feed,
  ``\\x85``, ``\\u2028`` are ordinary characters, so they make a field non-numeric);
- fields are separated by ``,``; a field that starts with ``"`` is quoted, ``""`` inside it is
  one quote and a row end inside it belongs to the field; a quote elsewhere makes the row bad;
- a row longer than :data:`MAX_ROW_BYTES` is bad; the reader skips to the next ``\\n``;
- a row that is not UTF-8 is bad; an unterminated quote at the end of input is a bad row.

Each record carries its 1-based line number in the file, so error messages point at the line
an editor shows. Numbers (:func:`parse_number`) are decimal literals only, finite after the
cast to float32 (the precision every detector scores in).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

#: longest accepted row in bytes (a wide feed of 10,000 channels of 20 characters fits)
MAX_ROW_BYTES = 1 << 20

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)  # ASCII digits only
_QUOTED_FIELD = re.compile(r'"((?:[^"]|"")*)"')
_FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclass
class Record:
    """One row: ``fields`` (``None`` when the row is bad), its 1-based first ``line`` and, for a
    bad row, the ``error`` that says why."""

    line: int
    fields: list[str] | None
    error: str | None = None


class RowSplitter:
    """Incremental splitter: :meth:`feed` byte chunks, get complete :class:`Record` objects back.

    State between chunks is the bytes of the unfinished row and whether it is inside quotes,
    so each byte is looked at a constant number of times (``bytes.find``/``count`` in C).
    """

    def __init__(self, max_row_bytes: int = MAX_ROW_BYTES) -> None:
        self.max_row_bytes = max_row_bytes
        self._parts: list[bytes] = []
        self._size = 0
        self._in_quotes = False
        self._overlong = False
        self._line = 1  # line number of the row being assembled
        self._lines_in_row = 0
        self._last = b""  # last byte of the row so far (b"": at the row start)
        self._last_closed = False  # that byte was a closing quote

    def feed(self, chunk: bytes) -> list[Record]:
        """Records completed by ``chunk``."""
        out: list[Record] = []
        pos, n = 0, len(chunk)
        while pos < n:
            nl = chunk.find(b"\n", pos)
            end = n if nl < 0 else nl
            piece = chunk[pos:end]
            if self._overlong:
                if nl >= 0:  # resynchronise at the next newline, quotes or not
                    self._lines_in_row += 1
                    out.append(self._finish_overlong())
                pos = end + 1
                continue
            self._scan_quotes(piece)
            self._append(piece)
            if nl < 0:
                break
            self._lines_in_row += 1
            if self._overlong:
                out.append(self._finish_overlong())
            elif self._in_quotes:
                self._append(b"\n")
                self._last, self._last_closed = b"\n", False
            else:
                out.append(self._complete())
            pos = nl + 1
        return out

    def finish(self) -> list[Record]:
        """The last row when the input ends without a newline (an open quote makes it bad)."""
        if self._overlong:
            return [self._finish_overlong()]
        if not self._size:
            return []
        if self._in_quotes:
            rec = Record(self._line, None, "unterminated quoted field at the end of input")
            self._reset()
            return [rec]
        return [self._complete()]

    def _scan_quotes(self, piece: bytes) -> None:
        """Follow the quoting state through ``piece`` (one look per quote character).

        A quote opens a quoted field only at the start of a field (or right after a closing
        quote: ``""`` is an escaped quote); elsewhere it is a stray quote that makes the row bad
        in :func:`split_fields` but must not swallow the rows after it.
        """
        i = piece.find(b'"')
        last_close = -2
        while i >= 0:
            if self._in_quotes:
                self._in_quotes = False
                last_close = i
            else:
                at_start = (self._last in (b"", b",")) if i == 0 else piece[i - 1 : i] == b","
                escaped = self._last_closed if i == 0 else last_close == i - 1
                self._in_quotes = at_start or escaped
            i = piece.find(b'"', i + 1)
        if piece:
            self._last, self._last_closed = piece[-1:], last_close == len(piece) - 1

    def _append(self, piece: bytes) -> None:
        self._size += len(piece)
        if self._size > self.max_row_bytes:
            self._overlong = True
            self._parts = []
        else:
            self._parts.append(piece)

    def _finish_overlong(self) -> Record:
        rec = Record(self._line, None, f"row longer than {self.max_row_bytes} bytes")
        self._reset()
        return rec

    def _complete(self) -> Record:
        raw = b"".join(self._parts)
        line = self._line
        self._reset()
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return Record(line, None, f"not UTF-8 text (byte {exc.start + 1} of the row)")
        fields, error = split_fields(text)
        return Record(line, fields, error)

    def _reset(self) -> None:
        self._parts, self._size, self._in_quotes, self._overlong = [], 0, False, False
        self._last, self._last_closed = b"", False
        self._line += self._lines_in_row
        self._lines_in_row = 0


def split_fields(text: str) -> tuple[list[str] | None, str | None]:
    """``text`` of one row → (fields, None), or (None, reason) when its quoting is malformed."""
    if '"' not in text:
        return text.split(","), None
    fields: list[str] = []
    pos = 0
    while True:
        if text.startswith('"', pos):
            m = _QUOTED_FIELD.match(text, pos)
            if m is None:
                return None, f"unterminated quoted field at character {pos + 1}"
            fields.append(m.group(1).replace('""', '"'))
            pos = m.end()
            if pos < len(text) and text[pos] != ",":
                return None, f"text after a closing quote at character {pos + 1}"
        else:
            comma = text.find(",", pos)
            field = text[pos:] if comma < 0 else text[pos:comma]
            if '"' in field:
                return None, f"a quote inside an unquoted field at character {pos + field.index(chr(34)) + 1}"
            fields.append(field)
            pos = len(text) if comma < 0 else comma
        if pos >= len(text):
            return fields, None
        pos += 1  # the comma
        if pos == len(text):
            fields.append("")
            return fields, None


def parse_number(raw: str) -> float:
    """A decimal literal (surrounding spaces/tabs allowed) that stays finite as float32 → float.

    ``ValueError`` with the reason otherwise: not a number (``nan``, ``inf``, ``1_0``, ``0x1``
    and empty fields are refused too) or too large for float32 (e.g. ``1e39``).
    """
    text = raw.strip(" \t")
    if not _NUMBER.fullmatch(text):
        raise ValueError("is not a number" if text else "is empty")
    value = float(text)
    if not abs(value) <= _FLOAT32_MAX:
        raise ValueError(f"is {text!r}, beyond the float32 range (±{_FLOAT32_MAX:.4g})")
    return value


def iter_records(chunks: Iterator[bytes], max_row_bytes: int = MAX_ROW_BYTES) -> Iterator[list[Record]]:
    """The records of a byte stream, one list per chunk (the last list holds the unterminated tail)."""
    splitter = RowSplitter(max_row_bytes)
    for chunk in chunks:
        yield splitter.feed(chunk)
    yield splitter.finish()
