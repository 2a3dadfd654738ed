"""The ``augury`` typer application: every command registered, and the console-script entry point.

Command modules import only typer and rich at module level (the library is imported inside each
command), so ``augury --help`` stays fast.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

try:
    from typer._click import exceptions as _clickexc
except ImportError:  # typer < 0.16 re-exports click
    from click import exceptions as _clickexc

import augury.cli.bench as bench
import augury.cli.datasets as datasets
import augury.cli.demo as demo
import augury.cli.detect as detect
import augury.cli.methods as methods
import augury.cli.predict as predict
import augury.cli.pretrain_mae as pretrain_mae
import augury.cli.report as report
import augury.cli.watch as watch
from augury.errors import AuguryError

app = typer.Typer(
    name="augury",
    help="Anomaly detection and early warning for multivariate time series.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        from augury._version import __version__

        print(f"augury {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", "-V", callback=_show_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Anomaly detection and early warning for multivariate time series."""


for _name, _fn in [
    ("detect", detect.detect), ("methods", methods.methods), ("datasets", datasets.datasets), ("demo", demo.demo),
    ("watch", watch.watch), ("bench", bench.bench_command), ("report", report.report_command),
    ("predict", predict.predict_command), ("pretrain-mae", pretrain_mae.pretrain_mae_command),
]:
    app.command(_name, help=_fn.__doc__)(_fn)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: exit 0 on success, 2 with a one-line reason on a user mistake."""
    from augury.utils.spelling import CLI_SPELLING

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
        message = exc.format_message().strip()
        if not message:  # bare `augury`: the help was printed, there is no error to report
            sys.exit(0)
        print(f"augury: error: {message}", file=sys.stderr)
        sys.exit(2)
    except BrokenPipeError:
        # the reader went away (`| head -1`): every output file was written before printing, so
        # stop quietly; point the standard streams at /dev/null so the exit flush cannot fail
        devnull = os.open(os.devnull, os.O_WRONLY)
        for stream in (sys.stdout, sys.stderr):
            try:
                os.dup2(devnull, stream.fileno())
            except (OSError, ValueError):
                pass
        sys.exit(0)
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
