"""The on-disk format of a saved detector, and its verification before anything is trusted.

A saved detector is a folder with two regular files (symlinks are refused):

- ``weights.safetensors``: every fitted array (no pickle, no code);
- ``config.json``: a JSON object with the detector name, its hyper-parameters, the fitted
  scalars, ``weights_sha256`` and ``weights_bytes`` of the weights file, and ``checksum``: the
  SHA-256 of the canonical JSON of everything else in the config. Since the config holds the
  weights' hash, this one checksum covers config *and* weights: swapping the class, editing a
  parameter or the threshold, or replacing the weights is detected. (It detects corruption and
  accidental edits; it is not a signature against someone who recomputes it.)

Reading checks, in order: regular files within size limits (before reading them), valid JSON
(bounded nesting), format name and version, the checksum, the weights' size and hash
(streamed, before parsing), then the schema of the envelope. Every failure raises
:class:`~augury.errors.ModelFormatError`.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from augury.errors import ModelFormatError
from augury.utils.atomic import atomic_write_bytes, atomic_write_text

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


def write_model(path: Path, body: dict[str, Any], blob: bytes) -> Path:
    """Write ``blob`` (safetensors bytes) and ``body`` (+ weights hash, size, checksum) to folder ``path``."""
    check_destination(path)
    path.mkdir(parents=True, exist_ok=True)
    body = {**body, "format": FORMAT_NAME, "format_version": FORMAT_VERSION,
            "weights_sha256": hashlib.sha256(blob).hexdigest(), "weights_bytes": len(blob)}
    body["checksum"] = config_checksum(body)
    atomic_write_bytes(path / WEIGHTS_FILE, blob)
    atomic_write_text(path / CONFIG_FILE, json.dumps(body, indent=2, allow_nan=False))
    return path


def check_destination(path: Path) -> None:
    """Raise ``ModelFormatError`` unless ``path`` can receive a saved detector.

    Allowed: a missing folder whose nearest existing parent is a writable folder, an empty
    folder, or a folder holding a saved detector (overwritten). Called before any work so a
    bad ``--save-model`` fails before outputs are written.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ModelFormatError(f"{path}: exists and is not a folder; expected a folder to save the detector into")
    if path.is_dir():
        foreign = [p.name for p in path.iterdir() if p.name not in (CONFIG_FILE, WEIGHTS_FILE)
                   and not p.name.endswith(".tmp")]
        if foreign:
            raise ModelFormatError(f"{path}: folder holds other files ({foreign[:3]}); "
                                   "expected an empty folder or a saved detector to overwrite")
    parent = path
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise ModelFormatError(f"{path}: cannot write into {parent} (not a writable folder)")


def _regular_file(path: Path, limit: int) -> int:
    if path.is_symlink():
        raise ModelFormatError(f"{path}: is a symbolic link; saved detectors must hold regular files")
    if not path.is_file():
        raise ModelFormatError(f"{path.parent}: not a saved augury detector (expected {CONFIG_FILE} and {WEIGHTS_FILE})")
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


def _expect(cond: bool, cfg: Path, what: str) -> None:
    if not cond:
        raise ModelFormatError(f"{cfg}: invalid config: {what}")


def read_model(path: Path) -> tuple[dict[str, Any], bytes]:
    """Verify the folder ``path`` and return ``(config, weights bytes)``; raise ``ModelFormatError``."""
    path = Path(path)
    cfg_path, w_path = path / CONFIG_FILE, path / WEIGHTS_FILE
    if not cfg_path.exists() and not cfg_path.is_symlink() or not w_path.exists() and not w_path.is_symlink():
        raise ModelFormatError(f"{path}: not a saved augury detector (expected {CONFIG_FILE} and {WEIGHTS_FILE})")
    _regular_file(cfg_path, MAX_CONFIG_BYTES)
    w_size = _regular_file(w_path, int(os.environ.get("AUGURY_MAX_MODEL_BYTES", MAX_WEIGHTS_BYTES)))
    config = _parse_json(cfg_path)
    if not isinstance(config, dict) or config.get("format") != FORMAT_NAME:
        raise ModelFormatError(f"{cfg_path}: not an augury detector config (format field missing or foreign)")
    version = config.get("format_version")
    if version == 1:
        raise ModelFormatError(
            f"{cfg_path}: format version 1 (augury 0.1) is no longer read: its config was not covered by the "
            "checksum and classical models were refitted on load. Fit the detector again and save it "
            f"(Detector.save or `augury detect --save-model`) to get format version {FORMAT_VERSION}"
        )
    if version != FORMAT_VERSION:
        raise ModelFormatError(
            f"{cfg_path}: format version {version!r} is not supported (this augury reads version {FORMAT_VERSION})"
        )
    if config.get("checksum") != config_checksum(config):
        raise ModelFormatError(f"{cfg_path}: checksum mismatch; the config was edited or corrupted")
    _expect(isinstance(config.get("weights_bytes"), int) and isinstance(config.get("weights_sha256"), str),
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
    check_envelope(config, cfg_path)
    return config, w_path.read_bytes()


def check_envelope(config: dict[str, Any], cfg_path: Path) -> None:
    """Types of the fields every saved detector has (the detector checks its own ``state.model``)."""
    _expect(isinstance(config.get("detector"), str), cfg_path, "'detector' must be a string")
    _expect(isinstance(config.get("params"), dict), cfg_path, "'params' must be an object")
    state = config.get("state")
    _expect(isinstance(state, dict), cfg_path, "'state' must be an object")
    n = state.get("n_features_in")
    _expect(isinstance(n, int) and not isinstance(n, bool) and n >= 1, cfg_path,
            "'state.n_features_in' must be an integer >= 1")
    thr = state.get("threshold")
    _expect(isinstance(thr, (int, float)) and not isinstance(thr, bool) and math.isfinite(thr), cfg_path,
            "'state.threshold' must be a finite number")
    _expect(isinstance(state.get("threshold_spec"), str), cfg_path, "'state.threshold_spec' must be a string")
    _expect(isinstance(state.get("model"), dict), cfg_path, "'state.model' must be an object")


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
