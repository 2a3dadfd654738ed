"""The ``augury`` typer application: every command registered, and the console-script entry point.

Command modules import only typer and rich at module level (the library is imported inside each
command), so ``augury --help`` stays fast.
"""

from __future__ import annotations

import sys

import typer

try:
    from typer._click import exceptions as _clickexc
except ImportError:  # typer < 0.16 re-exports click
    from click import exceptions as _clickexc

from augury.cli import bench, datasets, demo, detect, methods, predict, pretrain_mae, report, watch
from augury.errors import AuguryError

app = typer.Typer(
    name="augury",
    help="Anomaly detection and early warning for multivariate time series.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for _name, _fn in [
    ("detect", detect.detect), ("methods", methods.methods), ("datasets", datasets.datasets), ("demo", demo.demo),
    ("watch", watch.watch), ("bench", bench.bench_command), ("report", report.report_command),
    ("predict", predict.predict_command), ("pretrain-mae", pretrain_mae.pretrain_mae_command),
]:
    app.command(_name, help=_fn.__doc__)(_fn)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: exit 0 on success, 2 with a one-line reason on a user mistake."""
    from augury.data.timestamps import CLI_SPELLING

    token = CLI_SPELLING.set(True)  # error hints name the command line's flags (--sort, not sort=True)
    try:
        _main(argv)
    finally:
        CLI_SPELLING.reset(token)


def _main(argv: list[str] | None) -> None:
    from augury.utils.atomic import exit_on_sigterm

    exit_on_sigterm()
    code = None
    try:
        # without standalone mode, typer returns (not raises) the code of a typer.Exit / Ctrl-C
        code = app(args=argv, prog_name="augury", standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except _clickexc.UsageError as exc:
        print(f"augury: error: {exc.format_message()}", file=sys.stderr)
        sys.exit(2)
    except typer.Abort:
        print("augury: interrupted", file=sys.stderr)
        sys.exit(130)
    except (AuguryError, FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError,
            PermissionError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"augury: error: {msg}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("augury: interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
