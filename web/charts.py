"""Charts drawn on the server as SVG (matplotlib), embedded as data: images.

The browser runs no charting code and fetches nothing: each chart is an <img>
whose source is the SVG itself, and the numbers are in a table beside it. The
object-oriented Figure API is used (never pyplot), so requests drawing at the
same time in several threads do not share state. The same numbers draw the same
chart, so drawings are cached.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Sequence

import matplotlib
from matplotlib.figure import Figure

matplotlib.rcParams.update(
    {
        "svg.fonttype": "none",  # text stays text: small files, the browser's fonts
        "svg.hashsalt": "lurewatch",  # stable element ids, so equal charts are equal files
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)
FLAGGED, CONFIRMED, CLEARED, LINE = "#f4a261", "#c0392b", "#2a9d8f", "#264653"


def _data_uri(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@lru_cache(maxsize=64)
def weekly_chart(
    weeks: tuple[str, ...], flagged: tuple[int, ...], confirmed: tuple[int, ...], precision: tuple[float | None, ...]
) -> str:
    """Flagged and confirmed per week (bars) and the share confirmed (line, right axis)."""
    fig = Figure(figsize=(7.5, 3.2), layout="constrained")
    ax = fig.subplots()
    x = range(len(weeks))
    ax.bar([i - 0.2 for i in x], flagged, width=0.4, color=FLAGGED, label="flagged")
    ax.bar([i + 0.2 for i in x], confirmed, width=0.4, color=CONFIRMED, label="confirmed scam")
    ax.set_xticks(list(x), [w[5:] for w in weeks], rotation=45, ha="right")
    ax.set_ylabel("ads")
    ax.set_xlabel("week starting (month-day)")
    share = fig.axes[0].twinx()
    points = [(i, p) for i, p in zip(x, precision) if p is not None]
    if points:
        share.plot(
            [i for i, _ in points], [p * 100 for _, p in points], color=LINE, marker="o", label="share confirmed (%)"
        )
    share.set_ylim(0, 105)
    share.set_ylabel("% of verdicts that were scam")
    share.spines["right"].set_visible(True)
    handles = ax.get_legend_handles_labels()[0] + share.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper left", frameon=False, fontsize=8)
    return _data_uri(fig)


@lru_cache(maxsize=64)
def bar_chart(
    keys: tuple[str, ...], flagged: tuple[int, ...], confirmed: tuple[int, ...], cleared: tuple[int, ...]
) -> str:
    """Horizontal bars per source, country or signal: flagged, confirmed, cleared."""
    fig = Figure(figsize=(5.5, 0.9 + 0.32 * max(len(keys), 1)), layout="constrained")
    ax = fig.subplots()
    y = list(range(len(keys)))[::-1]
    ax.barh([i + 0.27 for i in y], flagged, height=0.27, color=FLAGGED, label="flagged")
    ax.barh(y, confirmed, height=0.27, color=CONFIRMED, label="confirmed scam")
    ax.barh([i - 0.27 for i in y], cleared, height=0.27, color=CLEARED, label="cleared")
    ax.set_yticks(y, [k if len(k) <= 28 else k[:27] + "…" for k in keys])
    ax.set_xlabel("ads")
    ax.legend(loc="lower right", frameon=False, fontsize=8)
    return _data_uri(fig)


def pr_chart(
    curves: Sequence[tuple[str, Sequence[float], Sequence[float]]], points: Sequence[tuple[str, float, float]]
) -> str:
    """Precision-recall curves (name, recall, precision), each model's threshold as a dot."""
    fig = Figure(figsize=(5, 4), layout="constrained")
    ax = fig.subplots()
    for name, recall, precision in curves:
        ax.plot(recall, precision, lw=2, label=name)
    for name, recall, precision in points:
        ax.scatter([recall], [precision], zorder=3, label=f"{name} threshold")
    ax.set_xlabel("recall (scam ads found)")
    ax.set_ylabel("precision (flagged ads that are scams)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", frameon=False, fontsize=8)
    return _data_uri(fig)


@dataclass(frozen=True)
class Timeline:
    """A campaign's timeline as geometry for an inline SVG (rows of bars, dated ticks)."""

    width: int
    height: int
    rows: list[tuple[str, float, float, float, str]]  # label, y, x, width, status
    ticks: list[tuple[float, str]]  # x, date


ROW, LEFT, RIGHT = 18, 70, 700


def timeline(
    labels: Sequence[str], first: Sequence[datetime], last: Sequence[datetime], statuses: Sequence[str]
) -> Timeline:
    """When each ad of a campaign was seen: a bar from first to last sighting per ad.

    Drawn by the template as inline SVG (shapes with attributes, no styles or scripts,
    nothing fetched): a campaign page is opened often, and a plotted figure per campaign
    would cost more than the rest of the page.
    """
    start = min(first)
    span = max((max(last) - start).total_seconds(), 86400.0)
    scale = (RIGHT - LEFT) / span
    rows = []
    for i, (label, a, b, status) in enumerate(zip(labels, first, last, statuses)):
        x = LEFT + (a - start).total_seconds() * scale
        rows.append((label, 8 + i * ROW, x, max((b - a).total_seconds() * scale, 3.0), status or "pending"))
    return Timeline(RIGHT + 40, 8 + len(rows) * ROW + 26, rows, _ticks(start, span))


def _ticks(start: datetime, span: float) -> list[tuple[float, str]]:
    """Five ticks across the span, labelled with dates, or with hours when the span is a few
    days (a one-day campaign would otherwise show one date four times); a label equal to
    the one before is left out."""
    fmt = "%Y-%m-%d" if span >= 4 * 86400 else "%m-%d %H:%M"
    ticks: list[tuple[float, str]] = []
    for k in range(5):
        label = (start + timedelta(seconds=k * span / 4)).strftime(fmt)
        if not ticks or ticks[-1][1] != label:
            ticks.append((LEFT + k * (RIGHT - LEFT) / 4, label))
    return ticks
