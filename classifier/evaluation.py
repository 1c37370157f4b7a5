"""Evaluation reports: overall and per-language metrics, PR curve, and its plot (at the edge)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_curve

from classifier.model import metrics


def report(y: np.ndarray, scores: np.ndarray, threshold: float, languages: pd.Series | None = None) -> dict:
    """Metrics overall and per language (languages with one class get recall or FPR only)."""
    y = np.asarray(y).astype(int)
    scores = np.asarray(scores, dtype=float)
    out = {"overall": metrics(y, scores, threshold), "per_language": {}}
    if languages is not None:
        lang = languages.fillna("").astype(str).replace("", "unknown").to_numpy()
        for code in sorted(set(lang)):
            m = lang == code
            out["per_language"][code] = metrics(y[m], scores[m], threshold)
    return out


def pr_curve(y: np.ndarray, scores: np.ndarray) -> dict:
    """Precision-recall curve points (for plotting and for the JSON report)."""
    p, r, t = precision_recall_curve(np.asarray(y).astype(int), np.asarray(scores, dtype=float))
    return {"precision": p.tolist(), "recall": r.tolist(), "thresholds": t.tolist()}


def plot_pr(curve: dict, threshold_point: tuple[float, float] | None, path: Path | str, title: str) -> None:
    """PR curve PNG (matplotlib Agg: no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 4), dpi=100)
    ax.plot(curve["recall"], curve["precision"], lw=2)
    if threshold_point is not None:
        ax.scatter([threshold_point[0]], [threshold_point[1]], color="red", zorder=3, label="threshold")
        ax.legend(loc="lower left")
    ax.set_xlabel("recall (scam ads found)")
    ax.set_ylabel("precision (flagged ads that are scams)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_pr_comparison(
    curves: dict[str, dict], points: dict[str, tuple[float, float]], path: Path | str, title: str
) -> None:
    """Several models' PR curves on one plot, each with its own threshold point."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.5), dpi=100)
    for i, (label, curve) in enumerate(curves.items()):
        (line,) = ax.plot(curve["recall"], curve["precision"], lw=2, label=label, ls="-" if i == 0 else "--")
        if label in points:
            ax.scatter([points[label][0]], [points[label][1]], color=line.get_color(), zorder=3, edgecolor="black")
    ax.set_xlabel("recall (scam ads found)")
    ax.set_ylabel("precision (flagged ads that are scams)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.legend(loc="lower left", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
