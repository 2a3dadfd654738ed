"""Tiny configurations for the contract suite (``tests/test_contract.py``), keyed by task and name.

An estimator registered without an entry here is still covered, with its ``cpu`` preset; add an
entry when that is too slow for the default profile (the suite must stay under a minute).
"""

from __future__ import annotations

from typing import Any

from amad_support import TINY as AMAD_TINY
from deep_support import TINY as DEEP_TINY

_JEPA = dict(n_patches=4, patch_len=5, d_model=16, n_codes=8, tokenizer_hidden=8, n_layers=1, n_heads=2, d_ff=32,
             epochs=2, select_after=0, patience=2, max_pairs_per_epoch=256, autocast="none", progress=False)
_MAE = {"img_size": 32, "patch_size": 8, "embed_dim": 32, "depth": 1, "num_heads": 4, "decoder_embed_dim": 16,
        "decoder_depth": 1, "decoder_num_heads": 2}

TINY: dict[str, dict[str, dict[str, Any]]] = {
    "detector": {
        "amad": {**AMAD_TINY, "window": 20},
        "vanad": {"arch": _MAE, "backbone": "random", "window": 20, "train_stride": 10, "epochs": 2,
                  "mae_batch_size": 16},
        "mtsjepa": _JEPA,
        "ocsvm": {"max_train_windows": 300},
        **DEEP_TINY,
    },
    "predictor": {
        "mtsjepa": {**_JEPA, "head_epochs": 3},
        "rawfeat": {"window": 20, "head_epochs": 3},
        "random": {"window": 20},
        "detect-now": {"window": 20, "detector": "iforest"},
    },
}
