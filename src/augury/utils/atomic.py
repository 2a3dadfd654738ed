"""Atomic file writes: write to a temporary file in the same folder, fsync, then rename.

A reader (or a crashed run) therefore sees either the old file or the complete new one,
never a truncated file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from augury.utils.lifetime import pid_alive

TMP_SUFFIX = ".tmp"


def process_umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux: /proc)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def remove_stale_temps(path: Path) -> int:
    """Delete temp files of ``path`` left by writers that died (SIGKILL, power loss); return how many.

    Temp names carry the writer's pid (``.<name>.<pid>.<random>.tmp``); a file whose pid is no
    longer running is an orphan. Files of live writers are left alone.
    """
    removed = 0
    for tmp in path.parent.glob(f".{glob_escape(path.name)}.*{TMP_SUFFIX}"):
        parts = tmp.name[len(path.name) + 2:].split(".")
        if len(parts) >= 3 and parts[0].isdigit() and not pid_alive(int(parts[0])):
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
                removed += 1
    return removed


def glob_escape(name: str) -> str:
    """``name`` with glob metacharacters escaped."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Open a temporary sibling of ``path`` for writing; rename it onto ``path`` on success.

    On an exception (and on SIGTERM, see :func:`exit_on_sigterm`) the temporary file is
    removed and ``path`` is left untouched; orphans of killed writers are removed on the next
    write to the same path. The file gets the permissions a plain ``open`` would give
    (0666 minus the umask), not ``mkstemp``'s 0600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=TMP_SUFFIX)
    binary = "b" in mode
    try:
        os.fchmod(fd, 0o666 & ~process_umask())
        with os.fdopen(fd, mode, encoding=None if binary else encoding) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def exit_on_sigterm() -> None:
    """Turn SIGTERM into ``SystemExit(143)`` in the main thread, so ``finally``/``except`` blocks
    (temp-file cleanup, lock release) run as they do for Ctrl-C. SIGKILL cannot be caught; its
    orphans are removed by :func:`remove_stale_temps`."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def _raise(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _raise)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic_open(path, "w") as fh:
        fh.write(text)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path, "wb", encoding=None) as fh:
        fh.write(data)


def append_line_durably(path: str | os.PathLike[str], line: str) -> None:
    """Append one complete line (``line`` must not contain a newline) with a single write + fsync.

    A single ``write`` of a short line in append mode is not torn by a concurrent crash on
    local file systems; readers must still ignore a final line without its newline.
    """
    if "\n" in line:
        raise ValueError("append_line_durably takes a single line without newline characters")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
