"""lurewatch command line: parse arguments, load the config, call stages, map errors.

Exit codes: 0 success; 1 error (bad input, bad config, failed run) with one line
``error: ...`` on stderr; 2 usage error; 3 unexpected error (traceback in the log);
4 partial run; 5 another run holds the lock; 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Sequence

from classifier import registry
from classifier.errors import ClassifierError
from config import EXPORT_FORMATS, Config, ConfigError, load_config
from crawler.frontier import FrontierError
from stages import classify as classify_stage
from stages import train as train_stage
from stages.common import database, utcnow
from stages.crawl import crawl_run, format_table, select_sources
from stages.export import export_queue
from stages.review import analyst_name, format_list, format_show
from stages.run import format_summary, run_nightly
from stages.scaleout import crawl_worker
from stages.score import score_ads
from store.campaigns import campaign_of
from store.decisions import import_decisions
from store.errors import ImportValidationError, NotFoundError, ReviewError, StoreError
from store.listing import QueueFilter, collapse_campaigns, list_items, spread_uncertain
from store.lock import LockHeldError
from store.queue import (
    claim,
    decide,
    decide_campaign,
    expire_leases,
    get_item,
    item_events,
    release,
)
from store.schema import REVIEW_STATUSES

log = logging.getLogger("lurewatch")

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_UNEXPECTED = 0, 1, 2, 3
EXIT_PARTIAL, EXIT_LOCKED, EXIT_INTERRUPTED = 4, 5, 130

# Errors a user can fix: one line on stderr, exit 1, no traceback.
USER_ERRORS: tuple[type[BaseException], ...] = (ConfigError, StoreError, ClassifierError, FrontierError)
# Commands that do batch work and so get a log file of their own under logging.dir.
LOGGED_COMMANDS = {"run", "crawl", "score", "train", "models"}

Handler = Callable[[argparse.Namespace, Config], int]


# ------------------------------------------------------------------ commands


def cmd_run(args: argparse.Namespace, config: Config) -> int:
    """The nightly job: every stage in order, recorded in the runs table."""
    with database(config) as factory:
        result = run_nightly(config, factory)
    if not args.quiet:
        print(format_summary(result))
    return EXIT_PARTIAL if result.status == "partial" else EXIT_OK


def _crawl_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        metavar="NAME",
        action="append",
        default=None,
        help="crawl only this source (repeatable; default: every enabled source)",
    )
    parser.add_argument(
        "--worker",
        action="store_true",
        help="join the shared crawl under way (needs a Redis URL) as an extra crawler; records no run, only stores ads",
    )
    parser.add_argument(
        "--wait",
        metavar="SECONDS",
        type=float,
        default=300.0,
        help="with --worker: how long to wait for a shared crawl to start (default: 300)",
    )


def cmd_crawl(args: argparse.Namespace, config: Config) -> int:
    """Crawl the enabled (or named) sources, recorded as a run of its own."""
    select_sources(config, args.source)  # unknown names fail before anything starts
    if args.worker:
        result = crawl_worker(config, args.source, args.wait, log_level="DEBUG" if args.verbose else "WARNING")
        if not args.quiet:
            print(format_table(result))
        return EXIT_PARTIAL if result.partial else EXIT_OK
    with database(config) as factory:
        status, result = crawl_run(config, factory, args.source, log_level="DEBUG" if args.verbose else "WARNING")
    if not args.quiet:
        print(format_table(result))
    if status == "failed":
        _error("crawl failed: every source failed (see the table and the log)")
        return EXIT_ERROR
    return EXIT_PARTIAL if status == "partial" else EXIT_OK


def _score_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rescore", action="store_true", help="rescore every undecided ad, not only ads this model has not scored"
    )


def cmd_score(args: argparse.Namespace, config: Config) -> int:
    """Score unscored (or all undecided) ads and fill the review queue."""
    with database(config) as factory:
        result = score_ads(config, factory, rescore=args.rescore)
    if not args.quiet:
        c = result.counts
        print(
            f"scored {c['scored']} ad(s) with model {c['model']} (threshold {c['threshold']}): "
            f"{c['flagged']} flagged, {c['queued']} newly queued, "
            f"{c['reprioritised']} re-prioritised, {c['kept_decided']} decided items kept"
        )
    return EXIT_OK


def _since(text: str) -> datetime:
    """--since DATE (YYYY-MM-DD, or a full ISO time; UTC unless it says otherwise)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (expected YYYY-MM-DD)") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _score(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"not a score between 0 and 1: {text!r}")
    return value


def _filter_options(p: argparse.ArgumentParser, status_help: str) -> None:
    p.add_argument("--status", choices=(*REVIEW_STATUSES, "all"), action="append", help=status_help)
    p.add_argument("--min-score", type=_score, metavar="X", help="only items scoring at least X")
    p.add_argument("--source", help="only ads from this source")
    p.add_argument("--country", help="only ads in this country (ISO code)")
    p.add_argument("--since", type=_since, metavar="DATE", help="only ads first seen on or after DATE")
    p.add_argument("--campaign", type=int, metavar="ID", help="only ads of this campaign")


def _filters(args: argparse.Namespace, default: tuple[str, ...] = ("pending",)) -> QueueFilter:
    statuses = tuple(args.status or default)
    return QueueFilter(
        statuses=None if "all" in statuses else statuses,
        min_score=args.min_score,
        source=args.source,
        country=args.country,
        since=args.since,
        campaign=args.campaign,
    )


def cmd_export(args: argparse.Namespace, config: Config) -> int:
    """Write the queue (pending items by default) as CSV, XLSX or JSON Lines."""
    with database(config) as factory:
        path, n = export_queue(config, factory, args.format, _filters(args), Path(args.out) if args.out else None)
    if not args.quiet:
        print(f"exported {n} item(s) to {path}")
    return EXIT_OK


def cmd_import_decisions(args: argparse.Namespace, config: Config) -> int:
    """Apply the decisions of a filled-in export, all or nothing."""
    analyst = analyst_name(args.analyst)
    with database(config) as factory:
        try:
            with factory.begin() as session:
                result = import_decisions(session, Path(args.file), analyst, utcnow())
        except ImportValidationError as exc:
            for line in exc.errors:
                _error(line)
            _error(f"{len(exc.errors)} problem(s) in {Path(args.file).name}; nothing was applied")
            return EXIT_ERROR
    if not args.quiet:
        print(
            f"{result.applied} decision(s) recorded as {analyst}, {result.unchanged} unchanged, "
            f"{result.blank} row(s) left blank"
        )
    return EXIT_OK


def _review_arguments(p: argparse.ArgumentParser) -> None:
    common = _common_options()
    p.add_argument(
        "--analyst",
        default=argparse.SUPPRESS,
        help="your name in the audit log (default: $LUREWATCH_ANALYST, else the OS user)",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    ls = actions.add_parser("list", parents=[common], help="list the queue, one row per campaign")
    _filter_options(ls, "pending (default), in_review, a decision, or all; repeatable")
    ls.add_argument("--all-items", action="store_true", help="one row per item, not per campaign")
    ls.add_argument("--limit", type=int, default=200, help="at most this many items (default 200)")
    ls.add_argument(
        "--uncertain",
        type=int,
        metavar="N",
        help="the N pending items the model is least sure about, spread across campaigns",
    )
    show = actions.add_parser("show", parents=[common], help="one item: ad, reasons, evidence, history")
    show.add_argument("id", type=int, metavar="ID")
    cl = actions.add_parser("claim", parents=[common], help="lease the N highest-priority items to you")
    cl.add_argument("n", type=int, nargs="?", default=1, metavar="N")
    cl.add_argument("--minutes", type=int, default=30, help="lease length (default 30)")
    rel = actions.add_parser("release", parents=[common], help="give a claimed item back")
    rel.add_argument("id", type=int, metavar="ID")
    dec = actions.add_parser("decide", parents=[common], help="record scam, legit, needs_info or skipped")
    dec.add_argument("id", type=int, metavar="ID")
    dec.add_argument("decision", metavar="DECISION", help="scam, legit, needs_info or skipped (any case)")
    dec.add_argument("--note", help="why; required to clear (legit) an ad scored 0.9 or more")
    dec.add_argument(
        "--campaign", action="store_true", help="decide every ad of item ID's campaign not yet judged scam or legit"
    )
    for sub in (ls, show, cl, rel, dec):
        sub.add_argument("--analyst", default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def _threshold(config: Config) -> float:
    """The scoring threshold: scoring.threshold, else the scoring model's card."""
    if config.scoring.threshold is not None:
        return float(config.scoring.threshold)
    version = config.scoring.model
    if version == "current":
        version = registry.current_version(config.models.dir)
    return float(registry.read_card(config.models.dir, version)["threshold"])


def cmd_review(args: argparse.Namespace, config: Config) -> int:
    """The review queue from a terminal: list, show, claim, release, decide."""
    analyst, now = analyst_name(getattr(args, "analyst", None)), utcnow()
    with database(config) as factory, factory.begin() as session:
        if args.action == "list" and args.uncertain is not None:
            if args.uncertain <= 0:
                raise ReviewError(f"--uncertain must be positive, got {args.uncertain}")
            expire_leases(session, now)
            rows = spread_uncertain(list_items(session, _filters(args)), _threshold(config), args.uncertain)
            print(format_list([(r, 1) for r in rows]))
        elif args.action == "list":
            expire_leases(session, now)
            rows = list_items(session, _filters(args), limit=args.limit)
            print(format_list([(r, 1) for r in rows] if args.all_items else collapse_campaigns(rows)))
        elif args.action == "show":
            rows = list_items(session, QueueFilter(statuses=None), item_ids=[args.id])
            if not rows:
                raise NotFoundError(f"review item {args.id} does not exist")
            print(format_show(rows[0], item_events(session, args.id), ansi=sys.stdout.isatty()))
        elif args.action == "claim":
            if args.minutes <= 0:
                raise ReviewError(f"--minutes must be positive, got {args.minutes}")
            ids = claim(session, analyst, args.n, now, timedelta(minutes=args.minutes))
            rows = list_items(session, QueueFilter(statuses=None), item_ids=ids)
            print(format_list([(r, 1) for r in rows]) if ids else "nothing to claim: the queue is empty")
        elif args.action == "release":
            release(session, args.id, analyst, now)
            print(f"review item {args.id} released")
        elif args.campaign:
            campaign = campaign_of(session, get_item(session, args.id).ad_id)
            if campaign is None:
                raise ReviewError(f"review item {args.id} is not part of a campaign")
            counts = decide_campaign(session, campaign, args.decision, analyst, now, args.note)
            print(f"campaign {campaign}: {counts['decided']} ad(s) decided, {counts['kept']} earlier decision(s) kept")
        else:
            item = decide(session, args.id, args.decision, analyst, now, args.note)
            print(f"review item {args.id}: {item.status} (by {item.decided_by})")
    return EXIT_OK


def _export_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=EXPORT_FORMATS, help="file format (default: the first of export.formats)")
    _filter_options(p, "pending (default), in_review, a decision, or all; repeatable")
    p.add_argument("--out", metavar="FILE", help="where to write (default: export.dir/flagged-DATE.EXT)")


def _import_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="a filled-in export (.csv or .xlsx)")
    p.add_argument("--analyst", help="your name in the audit log (default: $LUREWATCH_ANALYST, else the OS user)")


def cmd_classify(args: argparse.Namespace, config: Config) -> int:
    """Score a CSV/JSONL of ads; same rows out plus score, band, flagged, reasons."""
    out = Path(args.out) if args.out else None
    counts = classify_stage.classify_file(
        Path(args.file), out, config.models.dir, config.scoring.model, config.scoring.threshold, n_jobs=args.jobs
    )
    if out is not None and not args.quiet:
        print(
            f"{counts['rows']} ads scored, {counts['flagged']} flagged (model {counts['model']}, "
            f"threshold {counts['threshold']:.3f}) -> {out}"
        )
    return EXIT_OK


def _add_classify(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="ads as CSV or JSON Lines")
    p.add_argument("--out", metavar="PATH", help="output file (.csv or .jsonl); default: stdout")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="worker processes (default 1)")


def cmd_explain(args: argparse.Namespace, config: Config) -> int:
    """One ad: score, band, reasons with the evidence marked in the text."""
    if (args.text is None) == (args.file is None):
        raise ConfigError("give the ad TEXT or --file PATH (one of them)")
    text = args.text
    if args.file is not None:
        try:
            text = Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ClassifierError(f"{args.file}: cannot read: {exc}") from None
    print(classify_stage.explain_text(text, config.models.dir, config.scoring.model, config.scoring.threshold))
    return EXIT_OK


def _add_explain(p: argparse.ArgumentParser) -> None:
    p.add_argument("text", nargs="?", metavar="TEXT", help="the ad text")
    p.add_argument("--file", metavar="PATH", help="read the ad text from a file")


def cmd_evaluate(args: argparse.Namespace, config: Config) -> int:
    """Metrics on a labelled file; JSON report and PR-curve PNG in --out-dir."""
    rep = classify_stage.evaluate_file(
        Path(args.file),
        config.models.dir,
        args.model or config.scoring.model,
        config.scoring.threshold,
        Path(args.out_dir),
    )
    o = rep["overall"]

    def fmt(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.3f}"

    print(
        f"model {rep['model']}: {o['n']} ads ({o['n_scam']} scam), PR-AUC {fmt(o['pr_auc'])}, "
        f"ROC-AUC {fmt(o['roc_auc'])}, precision {fmt(o['precision'])}, recall {fmt(o['recall'])}, "
        f"F1 {fmt(o['f1'])} at threshold {o['threshold']:.3f}"
    )
    for lang, m in rep["per_language"].items():
        print(f"  {lang}: n={m['n']} recall {fmt(m['recall'])} FPR {fmt(m['false_positive_rate'])}")
    print(f"report: {rep['report_json']}" + (f", PR curve: {rep['pr_curve_png']}" if "pr_curve_png" in rep else ""))
    return EXIT_OK


def _add_evaluate(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="labelled ads (column label: 1 scam, 0 legit)")
    p.add_argument("--model", metavar="VERSION", help="a version in models/ (default: scoring.model)")
    p.add_argument("--out-dir", metavar="DIR", default="reports", help="where the report goes (default: reports)")


def _print_rescore(counts: train_stage.RescoreCounts) -> None:
    if counts.skipped_reason:
        print(f"queue not rescored: {counts.skipped_reason}")
    else:
        print(
            f"rescored {counts.scored} undecided ad(s) with {counts.model}: "
            f"{counts.entered} entered the queue, {counts.left} left it"
        )


def _promote_and_rescore(config: Config, version: str, reason: str) -> None:
    """Make a version current, then rescore every undecided ad with it."""
    train_stage.make_current(config, version, reason)
    print(f"current model: {version}")
    with database(config) as factory:
        _print_rescore(train_stage.rescore_queue(config, factory))


def cmd_train(args: argparse.Namespace, config: Config) -> int:
    """Train on seed + --data + shared data + analysts' decisions; compare with the current
    model on held-out data; with --promote make it current if not worse (or --force)."""
    with database(config) as factory:
        decisions = train_stage.read_decisions(factory)
    outcome = train_stage.train_candidate(
        config, decisions, [Path(p) for p in args.data], eval_paths=[Path(p) for p in args.eval]
    )
    t = outcome.card["training"]
    print(
        f"model {outcome.version}: {t['rows']} training rows ({outcome.decisions} analyst decisions), "
        f"fitted on {t['fitted_rows']}, threshold {outcome.card['threshold']:.4f}"
    )
    print(outcome.table)
    print(f"verdict: {outcome.reason}")
    print(
        f"report: {config.models.dir / outcome.version / train_stage.REPORT_JSON}, "
        f"PR curves: {config.models.dir / outcome.version / train_stage.REPORT_PNG}"
    )
    if args.promote:
        _promote_and_rescore(config, outcome.version, train_stage.check_promotion(outcome, args.force))
    return EXIT_OK


def _add_train(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", nargs="*", default=[], metavar="PATH", help="extra labelled ad files")
    p.add_argument(
        "--eval",
        nargs="*",
        default=[],
        metavar="PATH",
        help="labelled files to compare the models on, instead of a held-out split (never fitted)",
    )
    p.add_argument(
        "--promote", action="store_true", help="make the new model current if it is not worse than the current one"
    )
    p.add_argument("--force", action="store_true", help="with --promote: promote even if it is worse")


def cmd_models(args: argparse.Namespace, config: Config) -> int:
    """The model registry: list versions, promote one, roll back to the previous one."""
    root = config.models.dir
    if args.action == "list":
        print(train_stage.format_models(root))
    elif args.action == "promote":
        _promote_and_rescore(config, args.version, "models promote")
    else:
        _promote_and_rescore(config, registry.rollback_target(root), "models rollback")
    return EXIT_OK


def _add_models(p: argparse.ArgumentParser) -> None:
    common = _common_options()
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", parents=[common], help="versions, data size, key metrics, current mark")
    pr = actions.add_parser("promote", parents=[common], help="make VERSION current and rescore the queue")
    pr.add_argument("version", metavar="VERSION")
    actions.add_parser(
        "rollback", parents=[common], help="make the previously current model current again and rescore the queue"
    )


# (name, help, add-arguments, handler); later issues add their commands here.
COMMANDS: list[tuple[str, str, Callable[[argparse.ArgumentParser], None], Handler]] = [
    ("run", "nightly job: crawl, score, queue, export", lambda p: None, cmd_run),
    ("crawl", "crawl only: the enabled sources, or those named with --source", _crawl_arguments, cmd_crawl),
    ("score", "score unscored (or, with --rescore, all undecided) ads and fill the queue", _score_arguments, cmd_score),
    (
        "review",
        "work the review queue: list | show ID | claim [N] | release ID | decide ID DECISION",
        _review_arguments,
        cmd_review,
    ),
    ("export", "write the review queue as CSV, XLSX or JSON Lines for analysts", _export_arguments, cmd_export),
    (
        "import-decisions",
        "record the decisions typed into an export (all or nothing)",
        _import_arguments,
        cmd_import_decisions,
    ),
    ("classify", "score a CSV/JSONL of ads, no database (stdout without --out)", _add_classify, cmd_classify),
    ("explain", "one ad: score, band, reasons", _add_explain, cmd_explain),
    ("evaluate", "metrics on a labelled CSV/JSONL", _add_evaluate, cmd_evaluate),
    (
        "train",
        "train from seed data, files and analysts' decisions; compare; optionally promote",
        _add_train,
        cmd_train,
    ),
    ("models", "model registry: list | promote VERSION | rollback", _add_models, cmd_models),
]


# ------------------------------------------------------------------ plumbing


def _common_options() -> argparse.ArgumentParser:
    # SUPPRESS defaults so an option given before or after the subcommand both count.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="config file (default: $LUREWATCH_CONFIG, else ./config.yaml)",
    )
    loud = common.add_mutually_exclusive_group()
    loud.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log debug detail on stderr"
    )
    loud.add_argument(
        "-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="only warnings and errors on stderr"
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    common = _common_options()
    parser = argparse.ArgumentParser(
        prog="pipeline.py",
        parents=[common],
        description="lurewatch: find job ads that lure people into scam compounds.",
        epilog="exit codes: 0 ok, 1 error, 2 usage, 3 unexpected, 4 partial run, "
        "5 locked by another run, 130 interrupted",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, help_text, add_arguments, handler in COMMANDS:
        p = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        add_arguments(p)
        p.set_defaults(handler=handler)
    return parser


def configure_logging(level: int, log_file: Path | None, file_level: str = "DEBUG") -> None:
    """Module loggers go to stderr and, for batch commands, to one file per run."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    root.setLevel(logging.DEBUG)
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setLevel(level)
    stderr.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(stderr)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        fh = logging.FileHandler(log_file, encoding="utf-8")
        fh.setLevel(file_level)
        fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(fh)
    # Third-party chatter stays out of the operator's way unless --verbose.
    for noisy in ("scrapy", "twisted", "alembic", "urllib3", "matplotlib", "filelock"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if level <= logging.DEBUG else logging.WARNING)


def _close_log_files() -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, logging.FileHandler):
            root.removeHandler(handler)
            handler.close()


def _log_file(config: Config, command: str) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    return config.logging.dir / f"lurewatch-{command}-{stamp}-{os.getpid()}.log"


def _error(message: object) -> None:
    text = " ".join(str(message).split()) or "failed"
    print(f"error: {text}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the process exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help exits 0, usage errors exit 2
        return int(exc.code or 0) if isinstance(exc.code, int) else EXIT_USAGE
    args.verbose = getattr(args, "verbose", False)
    args.quiet = getattr(args, "quiet", False)
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    configure_logging(level, None)
    try:
        config = load_config(getattr(args, "config", None))
        if args.command in LOGGED_COMMANDS:
            configure_logging(level, _log_file(config, args.command), config.logging.level)
        return args.handler(args, config)
    except LockHeldError as exc:
        _error(exc)
        return EXIT_LOCKED
    except USER_ERRORS as exc:
        _error(exc)
        return EXIT_ERROR
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug, not a user error: keep the traceback
        log.exception("unexpected error")
        _error(f"unexpected error: {type(exc).__name__}: {exc} (traceback in the log)")
        return EXIT_UNEXPECTED
    finally:
        _close_log_files()


def console_main() -> None:
    """Entry point of the installed ``lurewatch`` script."""
    sys.exit(main())


if __name__ == "__main__":
    sys.exit(main())
