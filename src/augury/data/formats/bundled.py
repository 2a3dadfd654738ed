"""Small example datasets shipped inside the package (``augury/data/example/<name>/``)."""

from __future__ import annotations

from importlib.resources import as_file, files

from augury.data.dataset import Dataset
from augury.data.formats.npy import read_native
from augury.errors import MissingResourceError

EXAMPLES = ("CalIt2",)


def load_example(name: str = "CalIt2") -> Dataset:
    """A bundled example dataset (one of ``EXAMPLES``) in the native layout, read from package data.

    ``CalIt2``: UCI "CalIt2 Building People Counts" (CC BY 4.0), 2 channels (in/out door counts
    per 30 min), train ``[1008, 2]``, test ``[4032, 2]``, 3.4 % anomalous test steps.
    ``meta["attribution"]`` is the credit line to show wherever the data is used.
    """
    if name not in EXAMPLES:
        raise MissingResourceError(f"no bundled example {name!r}; available: {list(EXAMPLES)}")
    with as_file(files("augury.data") / "example" / name) as folder:
        ds = read_native(folder, name=name)
    ds.meta["format"] = "example"
    ds.meta["attribution"] = ds.meta["manifest"].get("attribution", "")
    return ds
