"""Must-show: the report of a NAB-like fleet grid, rendered in headless Chromium, opens with the leaderboard."""

from __future__ import annotations

import shutil
import subprocess

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from augury.bench.grid import expand_grid, run_grid
from augury.data.synthetic import make_synthetic
from augury.report.html import build_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: the leaderboard section's background (.verdict in augury.report.html.CSS)
VERDICT_RGB = (0xEE, 0xF6, 0xEE)


def nab_like_fleet(root):
    """NAB-format entities (one value channel), two of them anomaly-free, as in the real fleet."""
    for i, name in enumerate(["artificialNoAnomaly__art_flat", "artificialNoAnomaly__art_noisy",
                              "realKnownCause__cpu", "realTraffic__speed", "realTweets__tw"]):
        ds = make_synthetic(n_train=300, n_test=700, n_channels=1, n_anomalies=2, seed=i)
        folder = root / "NABish" / name
        folder.mkdir(parents=True)
        np.save(folder / "train.npy", ds.train)
        np.save(folder / "test.npy", ds.test)
        np.save(folder / "test_label.npy", 0 * ds.test_labels if "NoAnomaly" in name else ds.test_labels)


@pytest.mark.slow  # a 10-run grid and a browser start: ~20 s
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)")
def test_report_opens_with_the_leaderboard_in_headless_chromium(tmp_path):
    nab_like_fleet(tmp_path / "data")
    out = tmp_path / "grid"
    run_grid(expand_grid(["NABish"], ["iforest", "pca"], data_root=tmp_path / "data", fleet=True), out)
    table = pd.read_csv(out / "results.csv")
    assert len(table) == 10 and set(table["status"]) == {"ok"}
    page = build_report(out)
    assert page.stat().st_size < 200_000  # plots are linked files, not embedded
    shot = tmp_path / "shot.png"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1280,900", f"--screenshot={shot}", page.resolve().as_uri()],
                   check=True, capture_output=True, timeout=120)
    rgb = (mpimg.imread(shot)[..., :3] * 255).round().astype(int)
    assert rgb.shape[:2] == (900, 1280)
    verdict = np.all(rgb == VERDICT_RGB, axis=-1)
    rows = np.flatnonzero(verdict.mean(axis=1) > 0.5)  # screen rows mostly covered by the leaderboard box
    assert rows.size > 150 and rows[0] < 150, "the leaderboard is not at the top of the first screen"
    html = page.read_text()
    board = html[html.index("<h2>Leaderboard</h2>"):html.index("<h2>Details</h2>")]
    assert "<h3>NABish</h3>" in board and board.count("<tr>") == 3  # header + iforest + pca
