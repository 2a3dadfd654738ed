"""Typed exceptions. A user mistake raises one of these; the CLI turns them into exit code 2."""

from __future__ import annotations


class AuguryError(Exception):
    """Base class of every error augury raises on purpose."""


class DataError(AuguryError, ValueError):
    """Bad input data: the message names the file, column and row, and what was expected."""


class MetricError(AuguryError, ValueError):
    """Invalid input to a metric (length mismatch, NaN scores, labels not 0/1, ...)."""


class ModelFormatError(AuguryError, ValueError):
    """A saved-detector folder that is not augury's, is corrupted, or is from an unknown format version."""


class NotFittedError(AuguryError, RuntimeError):
    """A detector method that needs a fitted model was called before ``fit``."""


class MissingResourceError(AuguryError, FileNotFoundError):
    """A dataset or pretrained-weight file is missing; the message says how to get it."""


class ParameterError(AuguryError, ValueError):
    """An invalid detector hyper-parameter: the message names the parameter and the allowed values."""
