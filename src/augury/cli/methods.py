"""``augury methods``: the registered detectors and early-warning predictors with their tags."""

from __future__ import annotations

from rich.table import Table

from augury.cli._common import console


def methods() -> None:
    """List the available detectors with their tags."""
    from augury.detectors.registry import list_detectors

    table = Table(title="detectors")
    for c in ("name", "family", "deep", "multivariate", "pretrained weights", "early warning", "summary"):
        table.add_column(c)
    for d in list_detectors():
        t = d.tags
        table.add_row(d.name, str(t.get("family", "")), str(t["deep"]), str(t["multivariate"]),
                      str(t["needs_pretrained_weights"]), str(t["supports_early_warning"]), d.summary)
    console.print(table)
    _print_predictors()


def _print_predictors() -> None:
    """The early-warning predictors (task ``predict``; ``augury predict`` / ``augury bench --task predict``)."""
    from augury.early_warning.registry import list_predictors

    table = Table(title="early-warning predictors (task: predict)")
    for c in ("name", "task", "family", "summary"):
        table.add_column(c)
    for p in list_predictors():
        table.add_row(p.name, "predict", str(p.tags.get("family", "")), p.summary)
    console.print(table)
