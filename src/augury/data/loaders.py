"""TEMPORARY placeholder: being written by the data-layer work (replaced before landing)."""

from __future__ import annotations


def load_dataset(name_or_path, root=None):
    raise NotImplementedError


def load_collection(name_or_path, root=None):
    raise NotImplementedError
