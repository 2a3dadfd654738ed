"""How hints name a parameter: the command line's flag or the Python argument.

Kept apart from the readers (which import pandas) so that the command line can switch the
spelling without paying for them at start-up.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

#: set by the command line so that hints name its flags (``--sort``) instead of Python arguments
CLI_SPELLING: ContextVar[bool] = ContextVar("augury_cli_spelling", default=False)


def option(name: str, value: Any = True) -> str:
    """How the caller sets parameter ``name``: ``--timestamp-column ts`` on the command line,
    ``timestamp_column='ts'`` in Python (``value=True`` marks a switch)."""
    if CLI_SPELLING.get():
        flag = "--" + name.replace("_", "-")
        return flag if value is True else f"{flag} {value}"
    return f"{name}={value!r}"
