"""Detectors: the contract (``base``), the registry, and one module or package per method."""
