"""The ``augury`` command line: one module per command, shared helpers in ``_common``, the
application and entry point in ``app``."""

from augury.cli.app import app, main

__all__ = ["app", "main"]
