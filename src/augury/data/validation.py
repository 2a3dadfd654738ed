"""Validation of series and labels. Every failure raises ``DataError`` naming where and what."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Literal, get_args

import numpy as np

from augury.data.timestamps import RowName, array_row, option
from augury.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

NanPolicy = Literal["error", "interpolate", "zero"]
NAN_POLICIES: tuple[str, ...] = get_args(NanPolicy)


def _check_dtype(dtype: object, what: str) -> None:
    """Refuse dtypes whose cast to float would silently change meaning (complex, dates, records)."""
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(dtype, pd.DatetimeTZDtype):
        raise DataError(f"{what} are dates/times ({dtype}); expected numbers (name a time column as the timestamp column)")
    if not isinstance(dtype, np.dtype):
        return  # pandas extension dtypes (nullable ints, categories) meet the numeric test instead
    if dtype.kind == "c":
        raise DataError(f"{what} are complex ({dtype}); expected real numbers (int, float or bool)")
    if dtype.kind in ("M", "m"):
        raise DataError(f"{what} are dates/times ({dtype}); expected numbers (name a time column as the timestamp column)")
    if dtype.kind == "V" or dtype.fields is not None:
        raise DataError(f"{what} have a structured dtype ({dtype}); expected a plain numeric [time, channels] array")


def _where(source: str | None) -> str:
    return f"{source}: " if source else ""


def check_series(
    x: np.ndarray | pd.DataFrame,
    *,
    source: str | None = None,
    columns: list[str] | None = None,
    nan_policy: NanPolicy = "error",
    min_length: int = 1,
    row_name: RowName = array_row,
) -> np.ndarray:
    """Return ``x`` as a finite float32 array ``[T, C]`` or raise ``DataError``.

    ``x`` may be ``[T]`` (one channel), ``[T, C]`` or a DataFrame whose columns are channels.
    ``source`` (a file name) and ``columns`` (channel names) make the messages specific.
    ``nan_policy``: ``"error"`` (default), ``"interpolate"`` (linear in time per channel, edges
    filled with the nearest value) or ``"zero"``. ``inf`` is always an error. ``row_name`` names a
    row in messages (a CSV reader passes one giving the file's line number).
    """
    where = _where(source)
    if nan_policy not in NAN_POLICIES:
        raise DataError(f"unknown nan_policy {nan_policy!r}; expected one of {list(NAN_POLICIES)}")
    # pandas is not imported here (~100 MB): a DataFrame can only exist if its caller imported pandas
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(x, pd.DataFrame):
        columns = [str(c) for c in x.columns]
        if x.shape[0] == 0 or x.shape[1] == 0:
            raise DataError(f"{where}no data rows (shape {x.shape}); expected a [time, channels] table "
                            "with at least one row of numbers")
        for c in x.columns:
            _check_dtype(x[c].dtype, f"{where}column {str(c)!r}")
        bad = [c for c in x.columns if not pd.api.types.is_numeric_dtype(x[c])]
        if bad:
            col = bad[0]
            values = pd.to_numeric(x[col], errors="coerce")
            row = int(np.flatnonzero(values.isna() & x[col].notna())[0]) if (values.isna() & x[col].notna()).any() else 0
            raise DataError(
                f"{where}column {col!r} is not numeric ({row_name(row)}: {x[col].iloc[row]!r}); "
                "expected numbers in every channel column"
            )
        x = x.to_numpy()
    raw = np.asarray(x) if not isinstance(x, np.ndarray) else x
    _check_dtype(raw.dtype, f"{where}values")
    if raw.ndim == 0 or raw.size == 0:
        raise DataError(f"{where}no data (shape {raw.shape}); expected a [time, channels] array with at least one value")
    try:
        arr = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as exc:
        raise DataError(f"{where}values are not numeric: {exc}") from exc
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise DataError(f"{where}expected a 2-D [time, channels] array, got shape {arr.shape}")
    if arr.shape[1] == 0:
        raise DataError(f"{where}no channels (shape {arr.shape})")
    if arr.shape[0] < min_length:
        raise DataError(f"{where}series has {arr.shape[0]} time steps; at least {min_length} are needed")
    names = columns if columns is not None and len(columns) == arr.shape[1] else None

    def name(c: int) -> str:
        return f"column {names[c]!r}" if names else f"channel {c}"

    inf = np.isinf(arr)
    if inf.any():
        r, c = np.argwhere(inf)[0]
        raise DataError(f"{where}{name(c)} {row_name(int(r))} is {arr[r, c]}; expected finite values")
    nan = np.isnan(arr)
    if nan.any():
        if nan_policy == "error":
            r, c = np.argwhere(nan)[0]
            hint = option("nan_policy", "interpolate")
            raise DataError(
                f"{where}{name(c)} {row_name(int(r))} is NaN ({int(nan.sum())} NaN values in all); "
                f"pass {hint} or {'zero' if hint.startswith('--') else repr('zero')} to repair them"
            )
        if nan_policy == "zero":
            arr = np.where(nan, 0.0, arr)
        elif nan_policy == "interpolate":
            import pandas as pd
            df = pd.DataFrame(arr).interpolate(method="linear", limit_direction="both", axis=0)
            if df.isna().any().any():
                c = int(np.flatnonzero(df.isna().all(axis=0).to_numpy())[0])
                raise DataError(f"{where}{name(c)} is entirely NaN; nothing to interpolate from")
            arr = df.to_numpy()
    # Finiteness is checked again *after* the cast: 3.5e38 is finite in float64 but inf in float32.
    with np.errstate(over="ignore"):
        out = arr.astype(np.float32)
    overflow = ~np.isfinite(out)
    if overflow.any():
        r, c = np.argwhere(overflow)[0]
        raise DataError(
            f"{where}{name(c)} {row_name(int(r))} is {arr[r, c]:g}, beyond float32 range (|x| <= {np.finfo(np.float32).max:.3g}); "
            "rescale the data"
        )
    return out


def check_labels(y: np.ndarray, n_steps: int, *, source: str | None = None,
                 row_name: RowName = array_row) -> np.ndarray:
    """Return labels as uint8 ``[n_steps]`` of 0/1 or raise ``DataError`` (``row_name`` as in :func:`check_series`)."""
    where = _where(source)
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise DataError(f"{where}labels must be 1-D, got shape {arr.shape}")
    if arr.shape[0] != n_steps:
        raise DataError(f"{where}has {arr.shape[0]} labels for {n_steps} time steps; expected one label per step")
    try:
        num = arr.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{where}labels are not numeric: {exc}") from exc
    bad = ~np.isin(num, (0.0, 1.0))
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        # .item() so numpy scalars print as 2, not np.int64(2).
        value = arr[r].item() if isinstance(arr[r], np.generic) else arr[r]
        raise DataError(f"{where}label at {row_name(r)} is {value!r}; expected 0 or 1")
    return num.astype(np.uint8)


def constant_channels(x: np.ndarray, tol: float = 1e-8) -> np.ndarray:
    """Indices of channels whose variance over ``x`` ``[T, C]`` is ``<= tol``."""
    return np.flatnonzero(np.var(np.asarray(x, dtype=np.float64), axis=0) <= tol)


def check_same_channels(
    train_channels: list[str],
    test_channels: list[str],
    *,
    train_source: str | None = None,
    test_source: str | None = None,
) -> None:
    """Raise ``DataError`` unless train and test have the same channels in the same order.

    Names are compared only when both sides carry real names (e.g. CSV headers); otherwise
    only the counts must agree.
    """
    tr, te = train_source or "train", test_source or "test"
    if len(train_channels) != len(test_channels):
        raise DataError(
            f"{tr} has {len(train_channels)} channels but {te} has {len(test_channels)}; "
            "expected the same channels in train and test"
        )
    for i, (a, b) in enumerate(zip(train_channels, test_channels, strict=True)):
        if a != b:
            raise DataError(
                f"{te}: column {i} is {b!r} but in {tr} it is {a!r}; expected the same channels "
                "in the same order in train and test"
            )
