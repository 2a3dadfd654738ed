"""Peak memory of refusing hostile inputs: a decompression-bomb scores ``.npz`` and saved models
whose config was edited to a huge architecture (checksum recomputed, as a deliberate tamperer would).

    python benchmarks/hostile_memory.py [--limit-mb 300]

Each case runs in a fresh Python process; the table gives its peak RSS (``VmHWM``, Linux) beside a
baseline process that only imports the same modules, the outcome (the error class and the first
words of its message) and the declared size the input asks for. Target: every case refused with
a typed error and peak RSS under ``--limit-mb``. Prints markdown and the machine load.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

_PRELUDE = """
import json, sys
from augury.errors import AuguryError
def done(outcome):
    # VmHWM, not ru_maxrss: ru_maxrss keeps the forking parent's high-water mark across exec.
    hwm = next(line for line in open('/proc/self/status') if line.startswith('VmHWM'))
    print(json.dumps({"outcome": outcome, "peak_mb": int(hwm.split()[1]) / 1024}))
"""

#: case → (imports it needs, the call that must be refused); each also runs with the imports only.
CASES = {
    "scores .npz bomb (1,600 MB declared)": ("from augury.bench.imported import read_scores",
                                             "read_scores(sys.argv[1] + '/bomb.npz')"),
    "lstmad detector, n_layers=10**6": ("import augury, torch, augury.detectors.lstmad",
                                        "augury.load_detector(sys.argv[1] + '/lstmad')"),
    "mtsjepa predictor, n_layers=10**6": ("import augury, torch, augury.predictors.mtsjepa",
                                          "augury.load_predictor(sys.argv[1] + '/mtsjepa')"),
}
_CALL = """
try:
    {call}
    done('accepted')
except AuguryError as exc:
    done(type(exc).__name__ + ': ' + str(exc).split(': ', 1)[-1][:70])
"""


def _bomb(path: Path, n: int) -> None:
    """A ~1.5 MB .npz whose member declares ``n`` float64 zeros (deflate shrinks zeros ~1000x)."""
    header = __import__("io").BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (n,)})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z, z.open("scores.npy", "w", force_zip64=True) as fh:
        fh.write(header.getvalue())
        block = bytes(1 << 20)
        for _ in range(n * 8 // len(block)):
            fh.write(block)


def _edit_config(folder: Path, **params: int) -> None:
    from augury.base.persistence import CONFIG_FILE, config_checksum

    cfg = json.loads((folder / CONFIG_FILE).read_text())
    cfg["params"].update(params)
    cfg["checksum"] = config_checksum(cfg)
    (folder / CONFIG_FILE).write_text(json.dumps(cfg))


def _make_inputs(root: Path) -> None:
    import augury

    _bomb(root / "bomb.npz", 200_000_000)  # 1.6 GB declared
    x = np.random.default_rng(0).normal(size=(400, 2)).astype(np.float32)
    augury.create_detector("lstmad", window=10, epochs=1, hidden=4, n_layers=1).fit(x).save(root / "lstmad")
    _edit_config(root / "lstmad", n_layers=10**6)
    labels = (np.arange(400) % 41 < 4).astype(np.uint8)
    pred = augury.create_predictor("mtsjepa", "cpu", n_patches=4, patch_len=5, d_model=16, n_codes=8,
                                   tokenizer_hidden=8, n_layers=1, n_heads=2, d_ff=32, epochs=1, select_after=0,
                                   patience=1, max_pairs_per_epoch=128, autocast="none", progress=False,
                                   head_epochs=2)
    pred.fit(x).fit_head(x, labels).save(root / "mtsjepa")
    _edit_config(root / "mtsjepa", n_layers=10**6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit-mb", type=float, default=300.0)
    args = parser.parse_args()
    print(f"load before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        _make_inputs(root)
        print(f"bomb.npz on disk: {(root / 'bomb.npz').stat().st_size / 1e6:.2f} MB, declares 1600 MB")
        print("| case | outcome | peak RSS MB | imports alone MB | refusal adds MB | under limit |")
        print("|---|---|---|---|---|---|")
        failed = False
        for name, (imports, call) in CASES.items():
            peaks = []
            for code in (imports + "\ndone('-')", imports + _CALL.format(call=call)):
                res = subprocess.run([sys.executable, "-c", _PRELUDE + code, str(root)], capture_output=True,
                                     text=True, check=False)
                if res.returncode != 0:
                    raise SystemExit(f"{name}: crashed: {res.stderr.strip().splitlines()[-1]}")
                peaks.append(json.loads(res.stdout.strip().splitlines()[-1]))
            base, case = peaks
            ok = case["peak_mb"] < args.limit_mb and case["outcome"] != "accepted"
            failed |= not ok
            print(f"| {name} | {case['outcome']} | {case['peak_mb']:.0f} | {base['peak_mb']:.0f} | "
                  f"{case['peak_mb'] - base['peak_mb']:+.0f} | {'yes' if ok else 'no'} |")
    print(f"load after: {os.getloadavg()}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
