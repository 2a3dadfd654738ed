"""``augury report``: one static ``report.html`` for a results folder, leading with the verdict.

The page needs no server and no JavaScript. It opens with a leaderboard per dataset (methods
ranked by a threshold-free metric beside the random scorer and the paper, see
:mod:`augury.report.leaderboard`), then the details grouped by dataset in tables that scroll
inside the page. The plots are PNG files under ``plots/`` that the page links (not embedded),
so the HTML stays small; keep the folder together when sharing it. Reporting rules
(docs/protocols.md §5): PA numbers sit in their own columns, always in the same row as the
threshold-free metrics and beside the random scorer's PA numbers, with the threshold protocol
stated; the paper's number sits beside ours.
"""

from __future__ import annotations

import html
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from augury.bench.store import COUNT_COLUMNS, ResultStore
from augury.events import to_events
from augury.report.leaderboard import PREDICT_RANK_METRIC, RANK_METRIC, leaderboard
from augury.report.plots import plot_scores
from augury.utils.atomic import atomic_write_text
from augury.utils.names import safe_child, safe_name

#: Column groups of the results table, in order; paper_/random_ columns are references, not ours.
GROUPS: list[tuple[str, list[str]]] = [
    ("run", ["dataset", "method", "preset", "task", "seed", "status", "coverage", "n_test"]),
    ("threshold-free (no PA)", ["auc_roc", "paper_auc_roc", "auc_pr", "paper_auc_pr", "vus_roc", "paper_vus_roc",
                                "vus_pr", "paper_vus_pr"]),
    ("point-adjusted (AT percentile threshold)", ["pa_precision", "pa_recall", "pa_f1", "random_pa_f1",
                                                  "paper_pa_f1"]),
    ("train-score threshold (deployable)", ["pa_f1_train", "random_pa_f1_train", "point_f1_train",
                                            "flagged_fraction_train", "events_per_1k_train"]),
    ("early warning (window level, no PA)", ["test_pos", "win_precision", "win_recall", "win_f1", "win_auc",
                                             "win_auc_ci_low", "win_auc_ci_high", "paper_win_f1", "paper_win_auc",
                                             "events_warned", "events", "mean_lead_steps", "false_warnings_per_1000",
                                             "flat_risk", "persistence_win_auc"]),
    ("cost", ["wall_s", "peak_mem_mb"]),
]
#: Our own metrics (all higher-is-better) whose best value per dataset is marked.
BEST_MARKED = {"auc_roc", "auc_pr", "vus_roc", "vus_pr", "pa_f1", "win_f1", "win_auc"}

CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;font-size:13px;margin-bottom:1.5em}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:right}
td.t,th.t{text-align:left} th{background:#f2f2f2} th.g{background:#e4e9f2}
td.best{font-weight:bold;background:#e6f4e6} td.ref{color:#666;font-style:italic}
tr.failed td{background:#fbeaea} tr.aggregate td{background:#eef3fb} tr.seed_mean td{background:#f4f0fb}
figure{margin:0 0 1.2em 0} figcaption{font-size:13px;margin-bottom:.3em}
img{max-width:100%;border:1px solid #ddd}
.note{font-size:13px;color:#444;max-width:70em}
.ci{font-size:11px;color:#666}
.scroll{overflow-x:auto;max-width:100%}
.verdict{background:#eef6ee;border:1px solid #9c9;padding:.2em 1em .8em;margin-bottom:1.5em}
"""


def _fmt(value: Any) -> str:
    if not pd.api.types.is_scalar(value):
        return html.escape(str(value))
    if value is None or pd.isna(value):
        return "–"
    if isinstance(value, (float, np.floating)):
        return f"{value:.3f}" if abs(value) < 1000 else f"{value:.0f}"
    return html.escape(str(value))


def best_mask(df: pd.DataFrame, column: str) -> pd.Series:
    """True where ``column`` is the best (highest) value among the ok/aggregate rows of its dataset."""
    eligible = df["status"].isin(["ok", "aggregate", "seed_mean"])
    values = pd.to_numeric(df[column], errors="coerce").where(eligible)
    best = values.groupby([df["dataset"], df["task"]]).transform("max")
    return values.notna() & (values == best)


def _table(df: pd.DataFrame) -> str:
    groups = [(title, [c for c in cols if c in df.columns]) for title, cols in GROUPS]
    groups = [(t, c) for t, c in groups if c and (t == "run" or df[c].notna().any().any())]
    marks = {c: best_mask(df, c) for _, cols in groups for c in cols if c in BEST_MARKED}
    head1 = "".join(f'<th class="g" colspan="{len(c)}">{html.escape(t)}</th>' for t, c in groups)
    head2 = "".join(f'<th class="{"t" if t == "run" else ""}">{html.escape(c)}</th>' for t, cols in groups for c in cols)
    body = []
    for i, row in df.iterrows():
        cells = []
        for title, cols in groups:
            for c in cols:
                cls = "t" if title == "run" else "ref" if c.startswith(("paper_", "random_")) else ""
                if c in marks and marks[c].loc[i]:
                    cls = "best"
                value = row[c]
                # Counts become floats once averaged into an aggregate row; show them as counts.
                if c in COUNT_COLUMNS and isinstance(value, float) and value.is_integer():
                    value = int(value)
                text = _fmt(value)
                low, high = row.get(f"{c}_ci_low"), row.get(f"{c}_ci_high")
                if c.startswith("random_") and low is not None and high is not None and not pd.isna(low):
                    text += f' <span class="ci">[{_fmt(low)}, {_fmt(high)}]</span>'  # 95 % of random seeds
                cells.append(f'<td class="{cls}">{text}</td>')
        body.append(f'<tr class="{html.escape(str(row["status"]))}">{"".join(cells)}</tr>')
    return f"<table><tr>{head1}</tr><tr>{head2}</tr>{''.join(body)}</table>"


def _leaderboard_html(df: pd.DataFrame, task: str = "detect") -> str:
    """One ranked table per dataset for one task (see :func:`augury.report.leaderboard.leaderboard`)."""
    parts = []
    for dataset, table in leaderboard(df, task).items():
        head = "".join(f'<th class="{"t" if c == "method" else ""}">{html.escape(c)}</th>' for c in table.columns)
        body = []
        for _, row in table.iterrows():
            cells = []
            for c in table.columns:
                value = row[c]
                if c in COUNT_COLUMNS and isinstance(value, float) and value.is_integer():
                    value = int(value)
                cls = "t" if c == "method" else "ref" if c.startswith(("paper_", "random_")) else ""
                cells.append(f'<td class="{cls}">{_fmt(value)}</td>')
            body.append(f"<tr>{''.join(cells)}</tr>")
        papers = table[[c for c in table.columns if c.startswith("paper_")]]
        missing = "" if papers.notna().any(axis=None) else '<p class="note">No published number for this dataset.</p>'
        parts.append(f'<h3>{html.escape(dataset)}</h3><div class="scroll"><table><tr>{head}</tr>{"".join(body)}'
                     f"</table></div>{missing}")
    return "".join(parts)


def _verdict_html(df: pd.DataFrame) -> str:
    """The leaderboards of every task that has finished runs, each with the protocol it follows."""
    detect, predict = _leaderboard_html(df, "detect"), _leaderboard_html(df, "predict")
    parts = []
    if detect:
        parts.append(f"""<h3>Detection</h3><p class="note">Per dataset, methods ranked by {RANK_METRIC} (threshold-free);
random_*: a random scorer on the same labels, paper_*: the published number under the paper's own protocol. A
collection run entity by entity shows its aggregate over the entities every method finished (n_entities).</p>
{detect}""")
    if predict:
        parts.append(f"""<h3>Early warning</h3><p class="note">Will the window after each window hold an anomaly?
Per dataset, predictors ranked by {PREDICT_RANK_METRIC} on the test part of the chronological 6:2:2 split of the
labelled series (the head is trained on the first part, its epoch and the threshold δ* chosen on the second), with
its bootstrap 95 % interval (win_auc_ci_low/high). At δ*: window F1, anomaly events warned before their onset, mean
lead in steps and false warnings per 1,000 normal windows; flat_risk counts runs whose validation risk was flat
(δ* meaningless). persistence_win_auc reads the current window's labels: a reference no deployable predictor has,
showing how much of the task is "it is already anomalous". Compare with the random predictor's row.</p>
{predict}""")
    return "".join(parts) or "<p>No finished runs.</p>"


def _details_html(df: pd.DataFrame) -> str:
    """The full results table, one scrolling table per dataset (a collection with its entities)."""
    top = df["dataset"].astype(str).str.split("/", n=1).str[0]
    return "".join(f'<h3>{html.escape(str(name))}</h3><div class="scroll">{_table(df[top.eq(name)])}</div>'
                   for name in dict.fromkeys(top))


class _Unreadable(Exception):
    """A run's score file exists but cannot be used (corrupt, foreign, outside the folder)."""


def _plot_run(results_dir: Path, plots_dir: Path, row: pd.Series) -> Path | None:
    scores_file = row.get("scores_file")
    if not isinstance(scores_file, str) or not (results_dir / scores_file).exists():
        return None
    path = (results_dir / scores_file).resolve()
    if not path.is_relative_to(results_dir.resolve()):
        raise _Unreadable(scores_file)
    try:
        with np.load(path, allow_pickle=False) as z:
            scores, labels, threshold = (np.asarray(z["scores"], dtype=np.float64), np.asarray(z["labels"]),
                                         float(z["threshold"]))
            # Score files of older runs hold only the three arrays above.
            extra = {k: np.asarray(z[k]) for k in ("train_threshold", "signal", "channel_names", "timestamps")
                     if k in z.files}
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        raise _Unreadable(scores_file) from exc
    if scores.ndim != 1 or labels.shape != scores.shape or not np.all(np.isfinite(scores)):
        raise _Unreadable(scores_file)
    signal, stamps = extra.get("signal"), extra.get("timestamps")
    if (signal is not None and (signal.ndim != 2 or signal.shape[0] != scores.size)) or (
            stamps is not None and stamps.shape != scores.shape):
        raise _Unreadable(scores_file)
    events = None
    if row.get("task") == "predict":
        # one point per scored window (the risk of the window after it), not per step
        title = (f"{row['dataset']} · {row['method']} ({row['preset']}, seed {row['seed']}) — window AUC "
                 f"{_fmt(row.get('win_auc'))}, F1 {_fmt(row.get('win_f1'))} at δ*\nred: the next window is anomalous")
        return plot_scores(safe_child(plots_dir, f"{safe_name(row['run_id'])}.png"), scores, labels, threshold=threshold,
                           title=title, xlabel="test window (pooled over the test parts)",
                           ylabel="risk of the next window", threshold_name="δ*", label_name="anomalous next window")
    title = (f"{row['dataset']} · {row['method']} ({row['preset']}, seed {row['seed']}) — AUC-PR {_fmt(row.get('auc_pr'))}, "
             f"VUS-PR {_fmt(row.get('vus_pr'))}\ndashed: AT percentile threshold")
    train_threshold = float(extra["train_threshold"]) if "train_threshold" in extra else float("nan")
    if np.isfinite(train_threshold):
        table = to_events(scores, train_threshold)
        events = list(zip(table["start"].tolist(), (table["end"] + 1).tolist(), strict=True))
        title += f"; orange: events over the detector's train threshold {train_threshold:.4g}"
    names = extra["channel_names"].astype(str).tolist() if "channel_names" in extra else None
    # run_id comes from results.jsonl, which a user may edit: the plot name must stay in plots/
    return plot_scores(safe_child(plots_dir, f"{safe_name(row['run_id'])}.png"), scores, labels, threshold=threshold, title=title,
                       signal=signal, channel_names=names, timestamps=stamps, events=events)


def build_report(results_dir: str | Path, out: str | Path | None = None,
                 return_skipped: bool = False,
                 progress: Callable[[int, int], None] | None = None) -> Path | tuple[Path, int]:
    """Write ``report.html`` (and ``plots/<run_id>.png``) for a results folder; return the HTML path
    (and, with ``return_skipped``, how many log lines and score files were unreadable and skipped).
    ``progress(done, total)`` is called after each plot.

    ``out`` is the folder to write into (default: ``results_dir``). Raises
    :class:`augury.errors.DataError` if ``results_dir`` holds no ``results.jsonl``.
    """
    from augury.errors import DataError

    results_dir = Path(results_dir)
    store = ResultStore(results_dir)
    if not store.jsonl.exists():
        raise DataError(f"{results_dir}: no results.jsonl; expected a folder written by `augury bench --out`")
    out_dir = Path(out) if out is not None else results_dir
    df = store.table(compare_paper=True)
    figures = []
    skipped = store.skipped_lines
    ok_rows = df[df["status"].eq("ok")]
    for done, (_, row) in enumerate(ok_rows.iterrows(), start=1):
        try:
            png = _plot_run(results_dir, out_dir / "plots", row)
        except _Unreadable:
            skipped += 1
            continue
        finally:
            if progress is not None:
                progress(done, len(ok_rows))
        if png is not None:
            src = f"plots/{html.escape(png.name)}"
            figures.append(f'<figure id="{html.escape(row["run_id"])}"><figcaption>{html.escape(row["run_id"])} '
                           f'(<a href="{src}">PNG</a>)</figcaption>'
                           f'<img loading="lazy" alt="scores of {html.escape(row["run_id"])}" src="{src}"></figure>')
    failed = df[df["status"].eq("failed")]
    failures = "".join(f"<li><b>{html.escape(str(r['run_id']))}</b>: {html.escape(str(r.get('error')))}</li>"
                       for _, r in failed.iterrows())
    protocol = ", ".join(sorted({str(p) for p in df.get("pa_threshold_protocol", pd.Series()).dropna()})) or "–"
    vus = ", ".join(sorted({str(p) for p in df.get("vus_impl", pd.Series()).dropna()})) or "–"
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>augury benchmark report</title>
<style>{CSS}</style></head><body>
<h1>augury benchmark report</h1>
<section class="verdict"><h2>Leaderboard</h2>
{_verdict_html(df)}</section>
<h2>Details</h2>
<p class="note">{len(df)} rows from <code>{html.escape(str(results_dir.resolve()))}</code>.
Bold green: best value per dataset and metric. Grey italic: reference numbers (paper_*: published, under the
paper's own protocol and preprocessing; random_*: uniformly random scores on the same labels (mean, [95 % interval over seeds]) flagging as many
steps). PA threshold protocol: <code>{html.escape(protocol)}</code> — it looks at the test scores (not labels), as in
Anomaly-Transformer, so PA numbers are for comparison with published tables only; read them next to the
threshold-free metrics and the random baseline. VUS: <code>{html.escape(vus)}</code>.
Fleet aggregate rows (status <code>aggregate</code>) are means over the entities that ran; <code>seed_mean</code>
rows are means over the seeds that ran (standard deviations in results.csv).</p>
{f'<p class="note">Skipped {skipped} unreadable log line(s) or score file(s).</p>' if skipped else ""}
{_details_html(df)}
{f"<h2>Failed runs</h2><ul>{failures}</ul>" if failures else ""}
<h2>Scores over time</h2>
<p class="note">One plot per run: the raw values of the (up to 3) channels that leave their training range the most,
then the test scores, on the data's timestamps when it has them; labelled anomaly segments shaded red, the PA
threshold dashed, events flagged by the detector's own train threshold marked orange. Early-warning runs plot one
point per test window instead: the risk that the next window is anomalous, δ* dashed, and red where it was.</p>
{''.join(figures) or '<p>No saved scores.</p>'}
</body></html>
"""
    path = out_dir / "report.html"
    atomic_write_text(path, page)
    return (path, skipped) if return_skipped else path
