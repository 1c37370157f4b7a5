"""Runs and models: the nightly runs with per-source counts and alarms; the model registry."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from classifier import registry
from classifier.card import headline
from stages.health import crawl_sources
from stages.models import list_models
from stages.train import heldout_report
from store.accounts import Account
from store.errors import NotFoundError
from store.runs import get_run, runs_page
from web.charts import pr_chart
from web.desk import page, render
from web.views.paging import int_param

RUNS_PER_PAGE = 20
SOURCE_COLUMNS = ("pages", "new", "updated", "unchanged", "dropped", "errors")


def _run_view(run: Any) -> dict[str, Any]:
    counts = run.counts or {}
    stages = counts.get("stages") or {}
    return {
        "run": run,
        "sources": sorted(crawl_sources(counts).items()),
        "alarms": list(counts.get("alarms") or []),
        "stages": [
            (name, {k: v for k, v in (c or {}).items() if not isinstance(v, (dict, list))})
            for name, c in stages.items()
        ],
        "files": [f for c in stages.values() for f in ((c or {}).get("files") or [])],
        "seconds": (run.finished_at - run.started_at).total_seconds() if run.finished_at else None,
    }


@page
def runs_list(request: Request, session: Session, account: Account) -> Response:
    """The newest runs, each with its per-source crawl counts and alarms."""
    before = int_param(request, "before")
    runs = runs_page(session, RUNS_PER_PAGE, before)
    return render(
        request,
        "runs.html",
        {
            "runs": [_run_view(r) for r in runs],
            "columns": SOURCE_COLUMNS,
            "older": runs[-1].id if len(runs) == RUNS_PER_PAGE else None,
        },
    )


@page
def run_detail(request: Request, session: Session, account: Account) -> Response:
    """One run in full: stages, sources, alarms, files written, error."""
    try:
        run = get_run(session, int(request.path_params["run_id"]))
    except NotFoundError as exc:
        return render(request, "error.html", {"title": "No such run", "message": str(exc)}, 404)
    return render(request, "run.html", {**_run_view(run), "columns": SOURCE_COLUMNS})


@page
def models_page(request: Request, session: Session, account: Account) -> Response:
    """Every model version, the current one marked, and the held-out PR curves of one."""
    config = request.app.state.config
    listing = list_models(config)
    summaries = [_summary(version, card, listing.current) for version, card in listing.cards]
    chosen = request.query_params.get("version") or listing.current
    report = heldout_report(config, chosen) if chosen else None
    chart = None
    if report and isinstance(report.get("pr_curves"), dict):
        curves = [
            (name, c.get("recall", []), c.get("precision", []))
            for name, c in report["pr_curves"].items()
            if isinstance(c, dict)
        ]
        points = [
            (label, m["recall"], m["precision"])
            for label, m in (("new", report.get("new")), ("current", report.get("current")))
            if isinstance(m, dict)
            and isinstance(m.get("recall"), (int, float))
            and isinstance(m.get("precision"), (int, float))
        ]
        chart = pr_chart(curves, points) if curves else None
    history = list(reversed(registry.history(config.models.dir)))[:20]
    return render(
        request,
        "models.html",
        {
            "models": summaries,
            "chosen": chosen,
            "report": report,
            "chart": chart,
            "history": history,
            "models_dir": config.models.dir,
        },
    )


def _summary(version: str, card: dict | str, current: str | None) -> dict[str, Any]:
    """One row of the models table: the figures `models list` prints (classifier.card.headline)."""
    if isinstance(card, str):
        return {"version": version, "current": version == current, "error": card}
    recall_at_fpr, pr_auc, kind = headline(card)
    training = card.get("training") or {}
    return {
        "version": version,
        "current": version == current,
        "error": None,
        "created": str(card.get("created", "-")),
        "rows": training.get("rows"),
        "decisions": training.get("decisions"),
        "threshold": card.get("threshold"),
        "recall_at_fpr": recall_at_fpr,
        "pr_auc": pr_auc,
        "heldout": kind == "held-out",
    }
