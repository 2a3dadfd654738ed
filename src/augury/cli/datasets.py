"""``augury datasets``: the datasets and collections found under the data root."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from augury.cli._common import console


def datasets(
    data_root: Annotated[
        Path | None, typer.Option(help="Folder of datasets (default: $AUGURY_DATA).")
    ] = None,
) -> None:
    """Show the datasets and collections found under the data root, with shapes and anomaly ratios."""
    from augury.data.loaders import discover_datasets, resolve_root

    root = resolve_root(data_root)
    found = discover_datasets(root)
    table = Table(title=f"datasets in {root}")
    for c in ("name", "kind", "format", "entities", "train", "test", "channels", "anomaly %"):
        table.add_column(c, justify="right" if c in ("entities", "channels", "anomaly %") else "left")
    def shape(s: tuple[int | None, ...] | None) -> str:
        # CSV datasets are not parsed just to list them, and a collection may mix channel counts.
        return "×".join("?" if v is None else str(v) for v in s) if s else "?"

    for d in found:
        table.add_row(
            d.name, d.kind, d.format, str(d.n_entities), shape(d.train_shape),
            shape(d.test_shape), "mixed" if d.n_channels is None else str(d.n_channels),
            f"{100 * d.anomaly_ratio:.2f}" if d.anomaly_ratio is not None else "-",
        )
    console.print(table)
    if not found:
        console.print("no datasets found (expected folders with train.npy/test.npy/test_label.npy)")
