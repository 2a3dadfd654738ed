"""The on-disk format of a saved estimator (detector or predictor), and its verification before
anything is trusted.

A saved estimator is a folder with two regular files (symlinks are refused):

- ``weights.safetensors``: every fitted array (no pickle, no code);
- ``config.json``: a JSON object with the format name (``augury-detector`` or
  ``augury-predictor``: its *kind*), the estimator's registry name under the key of its kind
  (``"detector": "knn"``), its hyper-parameters, the fitted
  scalars, ``weights_sha256`` and ``weights_bytes`` of the weights file, and ``checksum``: the
  SHA-256 of the canonical JSON of everything else in the config. Since the config holds the
  weights' hash, this one checksum covers config *and* weights: swapping the class, editing a
  parameter or the threshold, or replacing the weights is detected. (It detects corruption and
  accidental edits; it is not a signature against someone who recomputes it.)

Reading checks, in order: regular files within size limits (before reading them), valid JSON
(bounded nesting), format name and version, the checksum, the weights' size and hash
(streamed, before parsing), then the schema of the envelope. Every failure raises
:class:`~augury.errors.ModelFormatError`. The task classes check their own fitted state on top
(:func:`augury.detectors.base.load_detector`, :func:`augury.early_warning.base.load_predictor`).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from augury.errors import DataError, ModelFormatError
from augury.utils.atomic import TMP_SUFFIX, glob_escape, process_umask
from augury.utils.lifetime import pid_alive
from augury.utils.paths import check_writable

#: The kinds of saved estimator, each with its own format name ``augury-<kind>``.
KINDS = ("detector", "predictor")
FORMAT_NAME = "augury-detector"
FORMAT_VERSION = 2
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "weights.safetensors"
#: A config is a few KB; a megabyte leaves room for long histories but not for a hostile blob.
MAX_CONFIG_BYTES = 1 << 20
#: Weights above this are refused before being read (override with $AUGURY_MAX_MODEL_BYTES).
MAX_WEIGHTS_BYTES = 2 << 30
#: Deeper JSON than this is not a config (and would exhaust the recursion limit).
MAX_JSON_DEPTH = 64


def canonical_json(obj: Any) -> bytes:
    """The bytes the checksum is computed over: sorted keys, no spaces, no NaN/inf."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False).encode("utf-8")


def config_checksum(body: dict[str, Any]) -> str:
    """SHA-256 of :func:`canonical_json` of the config without its ``checksum`` field."""
    return hashlib.sha256(canonical_json({k: v for k, v in body.items() if k != "checksum"})).hexdigest()


def format_name(kind: str) -> str:
    """The ``format`` field of a saved estimator of ``kind`` (``"detector"`` → ``"augury-detector"``)."""
    if kind not in KINDS:
        raise ValueError(f"unknown estimator kind {kind!r}; kinds: {KINDS}")
    return f"augury-{kind}"


def write_model(path: Path, body: dict[str, Any], blob: bytes, kind: str = "detector") -> Path:
    """Write ``blob`` (safetensors bytes) and ``body`` (+ weights hash, size, checksum) to folder ``path``.

    The folder is replaced as a whole (see :func:`replace_folder`): a reader, or a save killed at
    any point, sees the old model or the complete new one, never new weights beside an old config.
    Concurrent saves to the same folder are serialised by a lock; the last one wins.
    """
    path = Path(os.path.abspath(path))  # "." or "x/.." have no name to build siblings from
    body = {**body, "format": format_name(kind), "format_version": FORMAT_VERSION,
            "weights_sha256": hashlib.sha256(blob).hexdigest(), "weights_bytes": len(blob)}
    body["checksum"] = config_checksum(body)
    check_destination(path, kind)
    path.parent.mkdir(parents=True, exist_ok=True)
    with folder_lock(path):
        check_destination(path, kind)  # another save may have changed it while we waited
        remove_stale_siblings(path)
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=TMP_SUFFIX))
        try:
            os.chmod(tmp, 0o777 & ~process_umask())
            for name, data in ((WEIGHTS_FILE, blob),
                               (CONFIG_FILE, json.dumps(body, indent=2, allow_nan=False).encode("utf-8"))):
                _write_synced(tmp / name, data)
            _fsync_dir(tmp)
            replace_folder(tmp, path)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return path


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "xb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap the folders ``a`` and ``b`` (Linux ``renameat2(RENAME_EXCHANGE)``); ``False``
    where the OS or file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def replace_folder(new: Path, path: Path) -> None:
    """Put the complete folder ``new`` at ``path`` (a sibling); the previous folder is removed.

    A missing ``path`` is a plain rename. An existing one is swapped with ``new`` in one atomic
    step where the OS allows (so ``path`` always holds the old or the new model), else renamed
    aside first (a crash between the two renames leaves the old model in the ``.old`` sibling).
    """
    if not path.exists():
        os.rename(new, path)
    elif _exchange(new, path):
        pass  # ``new`` now holds the old folder; the caller's cleanup removes it
    else:
        aside = path.with_name(f".{path.name}.{os.getpid()}.old{TMP_SUFFIX}")
        os.rename(path, aside)
        os.rename(new, path)
        shutil.rmtree(aside, ignore_errors=True)
    _fsync_dir(path.parent)


@contextlib.contextmanager
def folder_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on saving into folder ``path`` (a ``.<name>.lock`` file beside it).

    flock, not a pid file: the kernel drops it when its holder dies, even by SIGKILL. The lock
    file lives beside the folder because the folder itself is replaced by each save.
    """
    fd = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def remove_stale_siblings(path: Path) -> None:
    """Remove the temporary sibling folders of ``path`` left by saves that were killed."""
    for tmp in path.parent.glob(f".{glob_escape(path.name)}.*{TMP_SUFFIX}"):
        pid = tmp.name[len(path.name) + 2:].split(".")[0]
        if tmp.is_dir() and not tmp.is_symlink() and pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(tmp, ignore_errors=True)


def check_destination(path: Path, kind: str = "detector") -> None:
    """Raise ``ModelFormatError`` unless ``path`` can receive a saved estimator of ``kind``.

    Allowed: a missing folder whose nearest existing parent is a writable folder, an empty
    folder, or a folder holding a saved model (overwritten). Called before any work so a
    bad ``--save-model`` fails before outputs are written.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ModelFormatError(f"{path}: exists and is not a folder; expected a folder to save the {kind} into")
    if path.is_dir():
        foreign = [p.name for p in path.iterdir() if p.name not in (CONFIG_FILE, WEIGHTS_FILE)
                   and not p.name.endswith(".tmp")]
        if foreign:
            raise ModelFormatError(f"{path}: folder holds other files ({foreign[:3]}); "
                                   f"expected an empty folder or a saved {kind} to overwrite")
        config = path / CONFIG_FILE
        if config.is_file() and _saved_format(config) != format_name(kind):
            raise ModelFormatError(f"{path}: holds a saved {_saved_format(config) or 'unreadable model'}, not an "
                                   f"augury {kind}; save the {kind} to another folder")
    try:
        check_writable(path)
    except DataError as exc:
        raise ModelFormatError(str(exc)) from exc


def _saved_format(config: Path) -> str | None:
    """The ``format`` field of a saved ``config.json`` (``None`` when unreadable or oversized)."""
    if config.is_symlink() or config.stat().st_size > MAX_CONFIG_BYTES:
        return None
    try:
        body = json.loads(config.read_bytes())
    except (ValueError, RecursionError, OSError):
        return None
    fmt = body.get("format") if isinstance(body, dict) else None
    return fmt if isinstance(fmt, str) else None


def _regular_file(path: Path, limit: int, kind: str) -> int:
    if path.is_symlink():
        raise ModelFormatError(f"{path}: is a symbolic link; saved models must hold regular files")
    if not path.is_file():
        raise ModelFormatError(f"{path.parent}: not a saved augury {kind} (expected {CONFIG_FILE} and {WEIGHTS_FILE})")
    size = path.stat().st_size
    if size > limit:
        raise ModelFormatError(f"{path}: {size} bytes exceeds the limit of {limit} bytes for this file")
    return size


def _depth(obj: Any) -> int:
    depth, level = 0, [obj]
    while level:
        depth += 1
        level = [v for o in level if isinstance(o, (dict, list))
                 for v in (o.values() if isinstance(o, dict) else o)]
    return depth


def _parse_json(path: Path) -> Any:
    raw = path.read_bytes()
    # RecursionError: json.loads recurses once per nesting level (the size limit bounds the work).
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError) as exc:
        raise ModelFormatError(f"{path}: not valid JSON ({exc})") from exc
    if _depth(data) > MAX_JSON_DEPTH:
        raise ModelFormatError(f"{path}: JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a valid JSON value")


def expect(cond: bool, cfg: Path, what: str) -> None:
    """Raise ``ModelFormatError`` ("``cfg``: invalid config: ``what``") unless ``cond``."""
    if not cond:
        raise ModelFormatError(f"{cfg}: invalid config: {what}")


#: Why version 1 of each kind is refused, and how to get a readable model again.
_V1_REFUSAL = {
    "detector": "its config was not covered by the checksum and classical models were refitted on load. "
                "Fit the detector again and save it (Detector.save or `augury detect --save-model`)",
    "predictor": "it had no size limits, no config checksum and no parameter checks. Fit the predictor "
                 "again and save it (Predictor.save or `augury predict --save-model`)",
}


def read_model(path: Path, kind: str = "detector",
               check_state: Callable[[dict[str, Any], Path], None] | None = None) -> tuple[dict[str, Any], bytes]:
    """Verify the folder ``path`` holding a saved ``kind`` and return ``(config, weights bytes)``;
    raise ``ModelFormatError``. ``check_state(state, config_path)`` checks the task's own fields
    of ``config["state"]`` (raising ``ModelFormatError`` via :func:`expect`)."""
    path = Path(path)
    cfg_path, w_path = path / CONFIG_FILE, path / WEIGHTS_FILE
    if not cfg_path.exists() and not cfg_path.is_symlink() or not w_path.exists() and not w_path.is_symlink():
        raise ModelFormatError(f"{path}: not a saved augury {kind} (expected {CONFIG_FILE} and {WEIGHTS_FILE})")
    _regular_file(cfg_path, MAX_CONFIG_BYTES, kind)
    w_size = _regular_file(w_path, int(os.environ.get("AUGURY_MAX_MODEL_BYTES", MAX_WEIGHTS_BYTES)), kind)
    config = _parse_json(cfg_path)
    if not isinstance(config, dict) or config.get("format") != format_name(kind):
        other = [k for k in KINDS if k != kind and isinstance(config, dict) and config.get("format") == format_name(k)]
        hint = f" (it is a saved {other[0]})" if other else " (format field missing or foreign)"
        raise ModelFormatError(f"{cfg_path}: not an augury {kind} config{hint}")
    version = config.get("format_version")
    if version == 1:
        raise ModelFormatError(
            f"{cfg_path}: format version 1 (augury 0.1) is no longer read: {_V1_REFUSAL[kind]} "
            f"to get format version {FORMAT_VERSION}"
        )
    if version != FORMAT_VERSION:
        raise ModelFormatError(
            f"{cfg_path}: format version {version!r} is not supported (this augury reads version {FORMAT_VERSION})"
        )
    if config.get("checksum") != config_checksum(config):
        raise ModelFormatError(f"{cfg_path}: checksum mismatch; the config was edited or corrupted")
    expect(isinstance(config.get("weights_bytes"), int) and isinstance(config.get("weights_sha256"), str),
            cfg_path, "weights_bytes/weights_sha256 missing")
    if w_size != config["weights_bytes"]:
        raise ModelFormatError(f"{w_path}: {w_size} bytes, the config expects {config['weights_bytes']}; "
                               "the weights file is corrupted or was replaced")
    digest = hashlib.sha256()
    with open(w_path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    if digest.hexdigest() != config["weights_sha256"]:
        raise ModelFormatError(f"{w_path}: checksum mismatch; the weights file is corrupted or was replaced")
    check_envelope(config, cfg_path, kind)
    if check_state is not None:
        check_state(config["state"], cfg_path)
    return config, w_path.read_bytes()


def check_envelope(config: dict[str, Any], cfg_path: Path, kind: str = "detector") -> None:
    """Types of the fields every saved estimator of ``kind`` has (each class checks its own ``state.model``)."""
    expect(isinstance(config.get(kind), str), cfg_path, f"'{kind}' must be a string")
    expect(isinstance(config.get("params"), dict), cfg_path, "'params' must be an object")
    state = config.get("state")
    expect(isinstance(state, dict), cfg_path, "'state' must be an object")
    n = state.get("n_features_in")
    expect(isinstance(n, int) and not isinstance(n, bool) and n >= 1, cfg_path,
            "'state.n_features_in' must be an integer >= 1")
    expect(isinstance(state.get("model"), dict), cfg_path, "'state.model' must be an object")


def check_array(arrays: dict[str, np.ndarray], key: str, shape: tuple[int | None, ...], where: Path,
                positive: bool = False) -> np.ndarray:
    """``arrays[key]`` as a finite float array of ``shape`` (``None`` = any length) or ``ModelFormatError``."""
    if key not in arrays:
        raise ModelFormatError(f"{where}: array {key!r} is missing")
    a = arrays[key]
    ok = a.ndim == len(shape) and all(s is None or s == d for s, d in zip(shape, a.shape, strict=True))
    if not ok or a.dtype.kind not in "fiu" or not np.all(np.isfinite(a)) or (positive and np.any(a <= 0)):
        raise ModelFormatError(f"{where}: array {key!r} has shape {a.shape} / dtype {a.dtype}; expected "
                               f"finite{' positive' if positive else ''} numbers of shape {shape}")
    return a


def json_safe(obj: Any) -> Any:
    """Plain JSON types (NumPy scalars → Python, tuples and sets → lists) so the checksum is reproducible."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [json_safe(v) for v in obj]
    return obj.item() if isinstance(obj, np.generic) else obj


def save_estimator(path: str | Path, kind: str, name: str, params: dict[str, Any], state: dict[str, Any],
                   arrays: dict[str, np.ndarray]) -> Path:
    """Save one fitted estimator to folder ``path``: ``arrays`` in the safetensors file, ``name``,
    ``params`` and ``state`` (JSON) in the checksummed config (see the module docstring)."""
    from safetensors.numpy import save as st_save

    from augury._version import __version__

    body = {"augury_version": __version__, kind: name, "params": json_safe(params), "state": json_safe(state)}
    blob = st_save({k: np.ascontiguousarray(v) for k, v in arrays.items()})
    return write_model(Path(path), body, blob, kind)


def load_arrays(blob: bytes, where: Path) -> dict[str, np.ndarray]:
    """The arrays of a verified safetensors blob (``ModelFormatError`` if it does not parse)."""
    from safetensors import SafetensorError
    from safetensors.numpy import load as st_load

    try:
        return st_load(blob)
    except (SafetensorError, ValueError) as exc:
        raise ModelFormatError(f"{where}: unreadable safetensors file ({exc})") from exc


def build_estimator(kind: str, config: dict[str, Any], cfg_path: Path) -> Any:
    """Instantiate the registered class named in a verified ``config`` with its saved parameters,
    validated (``ModelFormatError`` naming the config if the class or a parameter is refused)."""
    from augury.base.registry import get_class
    from augury.errors import AuguryError

    try:
        cls = get_class(kind, config[kind])
        # Every parameter is saved; one missing would silently load at its default (another model).
        missing = sorted(set(cls._get_param_names()) - set(config["params"]))
        if missing:
            raise ModelFormatError(f"{cfg_path}: parameters {missing} of {kind} {config[kind]!r} are missing")
        return cls(**config["params"]).validate_params()
    except ModelFormatError:
        raise
    except (AuguryError, TypeError) as exc:
        raise ModelFormatError(f"{cfg_path}: invalid {kind} or parameters ({exc})") from exc
