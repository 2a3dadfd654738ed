"""Run the shared suite for a list of methods and write the leaderboard (docs/benchmarks/leaderboard.md).

    OMP_NUM_THREADS=1 flock /tmp/augury-heavy.lock python benchmarks/leaderboard.py \
        --methods knn,kmeansad --data-root ../shared/data --out leaderboard-results

Resumable: runs already in ``--out`` are not run again; ``--summary-only`` runs nothing and
tables what is there. Writes ``<out>/leaderboard.md`` and
``<out>/leaderboard_parts.csv`` and prints the markdown.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import typer

from augury.bench.suite import SUITE, markdown, run_suite, select_parts, summarise_folder
from augury.cli._common import parse_overrides


def parse_method_overrides(items: list[str], parser: argparse.ArgumentParser) -> dict[str, dict[str, Any]]:
    """``["vanad.backbone=heatmap-mae"]`` → ``{"vanad": {"backbone": "heatmap-mae"}}`` (values as ``augury --set``)."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        method, dot, rest = item.partition(".")
        if not dot or not method.strip() or "=" in method:
            parser.error(f"--set expects METHOD.KEY=VALUE, got {item!r}")
        try:
            out.setdefault(method.strip(), {}).update(parse_overrides([rest]))
        except typer.BadParameter as exc:
            parser.error(f"{exc.message} (in {item!r})")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", required=True, help="comma-separated detector names")
    parser.add_argument("--data-root", type=Path, default=None, help="shared data folder (default $AUGURY_DATA)")
    parser.add_argument("--out", type=Path, default=Path("leaderboard-results"))
    parser.add_argument("--preset", default="cpu")
    parser.add_argument("--workers", type=int, default=None, help="parallel runs (default: the runner's)")
    parser.add_argument("--summary-only", action="store_true",
                        help="run nothing: the leaderboard of the runs already in --out (series every method finished)")
    parser.add_argument("--parts", default="", help="comma-separated part labels (default: all): "
                        + "; ".join(p.label for p in SUITE))
    parser.add_argument("--set", dest="set_", action="append", default=[], metavar="METHOD.KEY=VALUE",
                        help="a hyper-parameter of one method (JSON value, else a string); repeatable, "
                        "e.g. --set vanad.backbone=heatmap-mae")
    args = parser.parse_args()
    method_overrides = parse_method_overrides(args.set_, parser)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    parts = select_parts([p.strip() for p in args.parts.split(",") if p.strip()] or None)
    t0 = time.perf_counter()
    if args.summary_only:
        try:
            per_part, board = summarise_folder(methods, args.out, parts, preset=args.preset,
                                               data_root=args.data_root, method_overrides=method_overrides)
        except (FileNotFoundError, ValueError) as exc:
            parser.error(str(exc))
    else:
        per_part, board = run_suite(methods, args.out, parts, preset=args.preset, data_root=args.data_root,
                                   method_overrides=method_overrides, workers=args.workers)
    text = markdown(per_part, board) + f"\npreset {args.preset}; wall time of this invocation {time.perf_counter() - t0:.0f} s\n"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "leaderboard.md").write_text(text)
    per_part.to_csv(args.out / "leaderboard_parts.csv", index=False)
    print(text)


if __name__ == "__main__":
    main()
