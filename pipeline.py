"""lurewatch command line: parse arguments, load the config, call one stage function, print its result.

Every handler parses nothing itself and decides nothing: it calls one function of
``stages`` and returns that function's result through the command's formatter.
``main`` prints it and maps how it ended, and every error, to an exit code.

Exit codes: 0 success; 1 error (bad input, bad config, failed run) with one line
``error: ...`` on stderr; 2 usage error; 3 unexpected error (traceback in the log);
4 partial run; 5 another run holds the lock; 130 interrupted; 143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from classifier.errors import ClassifierError
from config import CONTACT_FORMATS, EXPORT_FORMATS, Config, ConfigError, load_config
from core.bands import BANDS, parse_bands
from core.files import OutputPathError
from core.secrets import MaskingFormatter, mask_text
from core.signals import EXIT_TERMINATED, Terminated, sigterm_interrupts
from core.statuses import REVIEW_STATUSES
from crawler.errors import FrontierError
from store.errors import LockHeldError, StoreError

if TYPE_CHECKING:
    from store.listing import QueueFilter

# Only light modules above: every stage (and with it scikit-learn, skops, Scrapy, pandas and
# SQLAlchemy) is imported inside the handler of the command that needs it, so `--help`,
# `review list` or `users add` never pay for the model stack.

log = logging.getLogger("lurewatch")

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_UNEXPECTED = 0, 1, 2, 3
EXIT_PARTIAL, EXIT_LOCKED, EXIT_INTERRUPTED = 4, 5, 130
STATUS_EXIT = {"ok": EXIT_OK, "partial": EXIT_PARTIAL, "failed": EXIT_ERROR}

# Errors a user can fix: one line on stderr, exit 1, no traceback.
USER_ERRORS: tuple[type[BaseException], ...] = (
    ConfigError,
    StoreError,
    ClassifierError,
    FrontierError,
    OutputPathError,
)
# Commands that do batch work and so get a log file of their own under logging.dir.
LOGGED_COMMANDS = {"run", "crawl", "score", "train", "models"}


@dataclass(frozen=True)
class Outcome:
    """What a command hands back to main(): its text for stdout, and how it ended."""

    text: str
    status: str = "ok"  # ok | partial | failed
    error: str | None = None  # the one-line reason of a failure
    summary: bool = False  # a batch command's summary, which --quiet leaves out


Handler = Callable[[argparse.Namespace, Config], Outcome]


# ------------------------------------------------------------------ argument types


MAX_COUNT = 1_000_000  # more items, rows or processes than anyone means: a typo
MAX_ID = 2**31 - 1  # review items and imports have 32-bit ids on PostgreSQL


def _whole(text: str, highest: int, what: str) -> int:
    try:
        value = int(text) if len(text) <= 20 else 0
    except ValueError:
        value = 0
    if not 0 < value <= highest:
        shown = text if len(text) <= 20 else text[:20] + "…"
        raise argparse.ArgumentTypeError(f"not {what}: {shown!r}")
    return value


def positive_int(text: str) -> int:
    """A whole number from 1 to MAX_COUNT (argparse type)."""
    return _whole(text, MAX_COUNT, f"a whole number from 1 to {MAX_COUNT:,}")


def item_id(text: str) -> int:
    """A review item or import id (argparse type)."""
    return _whole(text, MAX_ID, "an id (a positive whole number)")


def seconds(text: str) -> float:
    """A number of seconds, 0 or more (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}")
    return value


def since(text: str) -> datetime:
    """--since DATE (YYYY-MM-DD, or a full ISO time; UTC unless it says otherwise)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (expected YYYY-MM-DD)") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def score_value(text: str) -> float:
    """A score between 0 and 1 (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"not a score between 0 and 1: {text!r}")
    return value


def band_list(text: str) -> tuple[str, ...]:
    """``critical,high`` -> the bands (argparse type); an unknown band is a usage error."""
    try:
        bands = parse_bands(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    if not bands:
        raise argparse.ArgumentTypeError(f"no band given (expected some of {', '.join(BANDS)})")
    return bands


def _filters(args: argparse.Namespace) -> QueueFilter:
    from store.listing import QueueFilter

    statuses = tuple(args.status or ("pending",))
    return QueueFilter(
        statuses=None if "all" in statuses else statuses,
        min_score=args.min_score,
        source=args.source,
        country=args.country,
        since=args.since,
        campaign=args.campaign,
        bands=args.band,
    )


def _scrapy_level(args: argparse.Namespace) -> str:
    return "DEBUG" if args.verbose else "WARNING"


# ------------------------------------------------------------------ commands


def cmd_run(args: argparse.Namespace, config: Config) -> Outcome:
    """The nightly job: every stage in order, recorded in the runs table."""
    from stages.run import format_summary, nightly

    result = nightly(config, metrics_file=Path(args.metrics_file) if args.metrics_file else None)
    return Outcome(format_summary(result), "partial" if result.status == "partial" else "ok", summary=True)


def cmd_crawl(args: argparse.Namespace, config: Config) -> Outcome:
    """Crawl the enabled (or named) sources, recorded as a run of its own."""
    from stages.crawl import crawl_command, format_table

    outcome = crawl_command(config, args.source, worker=args.worker, wait=args.wait, log_level=_scrapy_level(args))
    return Outcome(format_table(outcome), outcome.status, outcome.error, summary=True)


def cmd_score(args: argparse.Namespace, config: Config) -> Outcome:
    """Score unscored (or all undecided) ads and fill the review queue."""
    from stages.score import format_score, score_command

    return Outcome(format_score(score_command(config, args.rescore, args.workers)), summary=True)


def cmd_export(args: argparse.Namespace, config: Config) -> Outcome:
    """Write the queue (pending items by default) as CSV, XLSX or JSON Lines, or the
    confirmed scam contacts as CSV or STIX 2.1."""
    from stages.export import contacts_command, export_command, format_contacts, format_export

    out = Path(args.out) if args.out else None
    if args.format in CONTACT_FORMATS:
        given = [f"--{name.replace('_', '-')}" for name in QUEUE_FILTERS if getattr(args, name) is not None]
        if given:
            raise ConfigError(
                f"{', '.join(given)}: queue filters do not apply to --format {args.format} "
                f"(it exports every contact of ads decided scam)"
            )
        return Outcome(
            format_contacts(contacts_command(config, args.format, out, args.force, args.mkdir)), summary=True
        )
    exported = export_command(config, args.format, _filters(args), out, args.force, args.mkdir)
    return Outcome("" if str(exported[0]) == "-" else format_export(exported), summary=True)


def cmd_import_decisions(args: argparse.Namespace, config: Config) -> Outcome:
    """Apply the decisions of a filled-in export, all or nothing; or undo an earlier import."""
    from stages import review

    if args.undo is not None:
        return Outcome(review.format_undo(review.undo_file_import(config, args.undo, args.analyst, args.as_lead)))
    if args.as_lead:
        raise ConfigError("--as-lead goes with --undo only (an import records decisions as yours)")
    imported = review.import_file(config, Path(args.file), args.analyst, args.encoding)
    return Outcome(review.format_import(imported), summary=True)


def cmd_review_list(args: argparse.Namespace, config: Config) -> Outcome:
    """The queue, one row per campaign, or the items the model is least sure about."""
    from stages import review

    rows = review.list_queue(
        config, _filters(args), all_items=args.all_items, limit=args.limit, uncertain=args.uncertain
    )
    return Outcome(review.format_list(rows))


def cmd_review_show(args: argparse.Namespace, config: Config) -> Outcome:
    """One item: the ad, its reasons, the evidence marked in the text, its history."""
    from stages import review

    return Outcome(review.format_show(review.show_item(config, args.id), ansi=sys.stdout.isatty()))


def cmd_review_claim(args: argparse.Namespace, config: Config) -> Outcome:
    """Lease the N highest-priority items to the analyst; says until when."""
    from stages import review

    return Outcome(
        review.format_claimed(review.claim_items(config, args.n, args.minutes, args.analyst, args.item or ()))
    )


def cmd_review_claims(args: argparse.Namespace, config: Config) -> Outcome:
    """Who holds which item, and when each claim expires."""
    from stages import review

    return Outcome(review.format_claims(review.list_claims(config)))


def cmd_review_log(args: argparse.Namespace, config: Config) -> Outcome:
    """The audit log, filtered by analyst, time and item."""
    from stages import review

    entries = review.audit_log(config, analyst=args.analyst, since=args.since, item_id=args.item, limit=args.limit)
    return Outcome(review.format_log(entries))


def cmd_review_release(args: argparse.Namespace, config: Config) -> Outcome:
    """Give a claimed item back."""
    from stages import review

    return Outcome(review.release_item(config, args.id, args.analyst, args.as_lead))


def cmd_review_decide(args: argparse.Namespace, config: Config) -> Outcome:
    """Record a decision on an item (or its whole campaign)."""
    from stages import review

    message = review.decide_item(
        config,
        args.id,
        args.decision,
        note=args.note,
        campaign=args.campaign,
        analyst=args.analyst,
        as_lead=args.as_lead,
    )
    return Outcome(message)


def cmd_classify(args: argparse.Namespace, config: Config) -> Outcome:
    """Score a CSV/JSONL of ads; same rows out plus score, band, flagged, reasons."""
    from stages import classify

    out = Path(args.out) if args.out else None
    return Outcome(
        classify.format_classify(
            classify.classify(config, Path(args.file), out, n_jobs=args.jobs, encoding=args.encoding)
        ),
        summary=True,
    )


def cmd_explain(args: argparse.Namespace, config: Config) -> Outcome:
    """One ad: score, band, reasons with the evidence marked in the text."""
    from stages import classify

    file = Path(args.file) if args.file else None
    return Outcome(classify.format_explanation(classify.explain(config, args.text, file)))


def cmd_evaluate(args: argparse.Namespace, config: Config) -> Outcome:
    """Metrics on a labelled file; JSON report and PR-curve PNG in --out-dir."""
    from stages import classify

    return Outcome(
        classify.format_evaluation(
            classify.evaluate(config, Path(args.file), args.model, Path(args.out_dir), encoding=args.encoding)
        )
    )


def cmd_train(args: argparse.Namespace, config: Config) -> Outcome:
    """Train; compare with the current model on held-out data (unless --all-rows); promote if asked."""
    from stages import train

    request = train.TrainRequest(
        data=tuple(Path(p) for p in args.data),
        eval=tuple(Path(p) for p in args.eval),
        all_rows=args.all_rows,
        decisions=not args.no_decisions,
        promote=args.promote,
        force=args.force,
    )
    report = train.train(config, request)
    return Outcome(train.format_train(report), "failed" if report.refused else "ok", report.refused)


def cmd_models_list(args: argparse.Namespace, config: Config) -> Outcome:
    """Versions, data size, key metrics, the current mark."""
    from stages import models

    return Outcome(models.format_models(models.list_models(config)))


def cmd_models_promote(args: argparse.Namespace, config: Config) -> Outcome:
    """Make a version current and rescore the queue."""
    from stages import models

    return Outcome(models.format_promotion(models.promote(config, args.version)))


def cmd_models_rollback(args: argparse.Namespace, config: Config) -> Outcome:
    """Make the previously current version current again and rescore the queue."""
    from stages import models

    return Outcome(models.format_promotion(models.rollback(config)))


def _password(args: argparse.Namespace) -> str:
    """From standard input (--password-stdin, first line), else prompted twice without echo."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise ConfigError("--password-stdin: no password on standard input")
        return password
    if not sys.stdin.isatty():
        raise ConfigError("no terminal to prompt for the password on; pipe it with --password-stdin")
    password = getpass.getpass(f"password for {args.name}: ")
    if getpass.getpass("again: ") != password:
        raise ConfigError("the two passwords differ; nothing was changed")
    return password


def cmd_users_add(args: argparse.Namespace, config: Config) -> Outcome:
    """A new account of the review desk."""
    from stages import accounts

    return Outcome(accounts.add_account(config, args.name, _password(args), args.role))


def cmd_users_list(args: argparse.Namespace, config: Config) -> Outcome:
    """Every account, its role and status."""
    from stages import accounts

    return Outcome(accounts.format_accounts(accounts.list_accounts(config)))


def cmd_users_disable(args: argparse.Namespace, config: Config) -> Outcome:
    """Stop an account logging in."""
    from stages import accounts

    return Outcome(accounts.disable_account(config, args.name))


def cmd_users_passwd(args: argparse.Namespace, config: Config) -> Outcome:
    """A new password for an account."""
    from stages import accounts

    return Outcome(accounts.change_password(config, args.name, _password(args)))


def cmd_watchlist_import(args: argparse.Namespace, config: Config) -> Outcome:
    """Add a partner's list (CSV or STIX 2.1), all or nothing; rescan the stored ads."""
    from stages import watchlist

    imported = watchlist.import_watchlist(config, Path(args.file), args.source, args.analyst, args.encoding)
    return Outcome(watchlist.format_import(imported), summary=True)


def cmd_watchlist_list(args: argparse.Namespace, config: Config) -> Outcome:
    """Every entry and every contact analysts confirmed, with its hits."""
    from stages import watchlist

    return Outcome(watchlist.format_watchlist(watchlist.list_watchlist(config)))


def cmd_watchlist_remove(args: argparse.Namespace, config: Config) -> Outcome:
    """Take one entry off the watchlist."""
    from stages import watchlist

    return Outcome(watchlist.remove_watchlist(config, args.id, args.analyst))


def cmd_notify_test(args: argparse.Namespace, config: Config) -> Outcome:
    """One test message to every configured target; says which succeeded."""
    from stages import notify

    deliveries = notify.send_test(config)
    failed = [d for d in deliveries if not d.ok]
    text = notify.format_deliveries(deliveries)
    if not deliveries:
        return Outcome(text, "failed", "notify: no webhook or e-mail target is configured")
    if failed:
        return Outcome(text, "failed", f"{len(failed)} of {len(deliveries)} target(s) failed")
    return Outcome(text)


def cmd_serve(args: argparse.Namespace, config: Config) -> Outcome:
    """Run the analysts' review desk until interrupted."""
    # Imported here, not above: only this command needs the web stack loaded.
    from web.server import serve

    serve(config, args.host or config.web.host, args.port or config.web.port)
    return Outcome("")


def cmd_models_convert(args: argparse.Namespace, config: Config) -> Outcome:
    """Save pickled versions (which can run code when loaded) again as skops, without retraining."""
    from stages import models

    return Outcome(models.format_conversions(models.convert(config, args.version)))


# ------------------------------------------------------------------ arguments


def _crawl_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--source",
        metavar="NAME",
        nargs="+",
        action="extend",
        default=None,
        help="crawl only these sources (--source A B, or --source repeated; default: every enabled source)",
    )
    p.add_argument(
        "--worker",
        action="store_true",
        help="join the shared crawl under way (needs a Redis URL) as an extra crawler; records no run, only stores ads",
    )
    p.add_argument(
        "--wait",
        metavar="SECONDS",
        type=seconds,
        default=300.0,
        help="with --worker: how long to wait for a shared crawl to start (default: 300)",
    )


def _score_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--rescore", action="store_true", help="rescore every undecided ad, not only ads this model has not scored"
    )
    p.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="scoring processes (default: scoring.workers); above 1 needs PostgreSQL",
    )


def _filter_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--status",
        choices=(*REVIEW_STATUSES, "all"),
        action="append",
        help="pending (default), in_review, a decision, or all; repeatable",
    )
    p.add_argument("--min-score", type=score_value, metavar="X", help="only items scoring at least X")
    p.add_argument("--source", help="only ads from this source")
    p.add_argument("--country", help="only ads in this country (ISO code)")
    p.add_argument("--since", type=since, metavar="DATE", help="only ads first seen on or after DATE")
    p.add_argument("--campaign", type=item_id, metavar="ID", help="only ads of this campaign")
    p.add_argument(
        "--band", type=band_list, metavar="BANDS", help=f"only these bands, comma-separated ({', '.join(BANDS)})"
    )


def _analyst(p: argparse.ArgumentParser) -> None:
    what = "your name in the audit log (default: $LUREWATCH_ANALYST, else the OS user; the OS user is logged beside it)"
    p.add_argument("--analyst", default=argparse.SUPPRESS, metavar="NAME", help=what)


def _as_lead(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--as-lead", action="store_true", help=f"{what}, as a lead (NAME must be a lead account; audited)")


def _review_arguments(p: argparse.ArgumentParser) -> None:
    common = _common_options()
    _analyst(p)
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    def action(name: str, handler: Handler, help_text: str, analyst: bool = True) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, parents=[common], help=help_text, description=help_text)
        if analyst:
            _analyst(sub)
        sub.set_defaults(handler=handler, parser=sub)
        return sub

    ls = action("list", cmd_review_list, "list the queue, one row per campaign")
    _filter_options(ls)
    ls.add_argument("--all-items", action="store_true", help="one row per item, not per campaign")
    ls.add_argument("--limit", type=positive_int, default=200, help="at most this many items (default 200)")
    ls.add_argument(
        "--uncertain",
        type=positive_int,
        metavar="N",
        help="the N pending items the model is least sure about, spread across campaigns",
    )
    action("show", cmd_review_show, "one item: ad, reasons, evidence, history").add_argument(
        "id", type=item_id, metavar="ID"
    )
    cl = action("claim", cmd_review_claim, "lease the first N items of the queue (or the items named) to you")
    cl.add_argument("n", type=positive_int, nargs="?", default=1, metavar="N")
    cl.add_argument("--minutes", type=positive_int, default=30, help="lease length (default 30)")
    cl.add_argument(
        "--item", type=item_id, action="append", metavar="ID", help="claim this item (repeatable) instead of the next N"
    )
    action("claims", cmd_review_claims, "who holds which item, and when each claim expires")
    rel = action("release", cmd_review_release, "give a claimed item back")
    rel.add_argument("id", type=item_id, metavar="ID")
    _as_lead(rel, "release someone else's claim")
    dec = action("decide", cmd_review_decide, "record scam, legit, needs_info or skipped")
    dec.add_argument("id", type=item_id, metavar="ID")
    dec.add_argument("decision", metavar="DECISION", help="scam, legit, needs_info or skipped (any case)")
    dec.add_argument("--note", help="why; required to clear (legit) an ad scored 0.9 or more")
    dec.add_argument(
        "--campaign", action="store_true", help="decide every ad of item ID's campaign not yet judged scam or legit"
    )
    _as_lead(dec, "change another analyst's scam or legit verdict")
    lg = action("log", cmd_review_log, "the audit log: who changed which item, when, and why", analyst=False)
    # Here --analyst filters (reading the log records nothing, so it names nobody).
    lg.add_argument("--analyst", default=argparse.SUPPRESS, metavar="NAME", help="only events by this analyst")
    lg.add_argument("--since", type=since, metavar="DATE", help="only events on or after DATE")
    lg.add_argument("--item", type=item_id, metavar="ID", help="only events of this review item")
    lg.add_argument("--limit", type=positive_int, default=200, help="the latest this many events (default 200)")


QUEUE_FILTERS = ("status", "min_score", "source", "country", "since", "campaign", "band")


def _export_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--format",
        choices=(*EXPORT_FORMATS, *CONTACT_FORMATS),
        help="file format (default: the first of export.formats); contacts-csv and stix write the contacts "
        "of ads analysts decided scam, for platforms and police",
    )
    _filter_options(p)
    p.add_argument(
        "--out",
        metavar="FILE",
        help="where to write (default: export.dir/flagged-DATE.EXT, or the next free name); - for standard output; "
        "a symlink is written through, a folder, device or FIFO refused",
    )
    p.add_argument("--force", action="store_true", help="replace an existing file (never done without it)")
    p.add_argument("--mkdir", action="store_true", help="create the folder of --out when it does not exist")


def _import_arguments(p: argparse.ArgumentParser) -> None:
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("file", nargs="?", metavar="FILE", help="a filled-in export (.csv or .xlsx)")
    what.add_argument("--undo", type=item_id, metavar="IMPORT_ID", help="put back what import IMPORT_ID changed")
    _encoding(p)
    _analyst(p)
    _as_lead(p, "with --undo: undo another analyst's import")


def _encoding(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--encoding",
        metavar="NAME",
        help="the file's encoding when it is not UTF-8 (default: detected, e.g. cp949 from Korean Excel)",
    )


def _classify_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="ads as CSV or JSON Lines")
    p.add_argument("--out", metavar="PATH", help="output file (.csv or .jsonl); default: stdout")
    p.add_argument("--jobs", type=positive_int, default=1, metavar="N", help="worker processes (default 1)")
    _encoding(p)


def _explain_arguments(p: argparse.ArgumentParser) -> None:
    ad = p.add_mutually_exclusive_group(required=True)
    ad.add_argument("text", nargs="?", metavar="TEXT", help="the ad text")
    ad.add_argument("--file", metavar="PATH", help="read the ad text from a file")


def _evaluate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="labelled ads (column label: 1 scam, 0 legit)")
    p.add_argument("--model", metavar="VERSION", help="a version in models/ (default: scoring.model)")
    p.add_argument("--out-dir", metavar="DIR", default="reports", help="where the report goes (default: reports)")
    _encoding(p)


def _train_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", nargs="*", default=[], metavar="PATH", help="more labelled ad files, for this training")
    p.add_argument(
        "--eval",
        nargs="*",
        default=[],
        metavar="PATH",
        help="labelled files to compare the models on, instead of a held-out split (never fitted)",
    )
    p.add_argument(
        "--all-rows",
        action="store_true",
        help="fit every row: no held-out comparison, so --promote promotes it as it is (the shipped model)",
    )
    p.add_argument(
        "--no-decisions",
        action="store_true",
        help="leave the analysts' decisions out (the database is not read): files only",
    )
    p.add_argument("--promote", action="store_true", help="make the new model current if it is not worse")
    p.add_argument("--force", action="store_true", help="with --promote: promote even if it is worse")


def _models_arguments(p: argparse.ArgumentParser) -> None:
    common = _common_options()
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    ls = actions.add_parser("list", parents=[common], help="versions, data size, key metrics, current mark")
    ls.set_defaults(handler=cmd_models_list, parser=ls)
    pr = actions.add_parser("promote", parents=[common], help="make VERSION current and rescore the queue")
    pr.add_argument("version", metavar="VERSION")
    pr.set_defaults(handler=cmd_models_promote, parser=pr)
    rb = actions.add_parser(
        "rollback", parents=[common], help="make the previously current model current again and rescore the queue"
    )
    rb.set_defaults(handler=cmd_models_rollback, parser=rb)
    cv = actions.add_parser("convert", parents=[common], help="save trusted pickled models as skops (no retraining)")
    cv.add_argument("version", metavar="VERSION", nargs="*", help="default: every version still a pickle")
    cv.set_defaults(handler=cmd_models_convert, parser=cv)


def _users_arguments(p: argparse.ArgumentParser) -> None:
    common = _common_options()
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    def action(name: str, handler: Handler, help_text: str, password: bool = False) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, parents=[common], help=help_text)
        sub.set_defaults(handler=handler)
        if name != "list":
            sub.add_argument("name", metavar="NAME")
        if password:
            sub.add_argument(
                "--password-stdin",
                action="store_true",
                help="read the password from the first line of standard input (for scripts)",
            )
        return sub

    add = action("add", cmd_users_add, "a new account (password prompted, or --password-stdin)", password=True)
    add.add_argument(
        "--role",
        choices=("analyst", "lead"),
        default="analyst",
        help="analyst (default) or lead (may also release others' claims)",
    )
    action("list", cmd_users_list, "every account, its role and status")
    action("disable", cmd_users_disable, "stop an account logging in; ends its sessions")
    action("passwd", cmd_users_passwd, "set a new password; ends the account's sessions", password=True)


def _run_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--metrics-file",
        metavar="PATH",
        help="also write Prometheus text metrics there at the end of the run (node_exporter's textfile collector)",
    )


def _watchlist_arguments(p: argparse.ArgumentParser) -> None:
    common = _common_options()
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    imp = actions.add_parser(
        "import",
        parents=[common],
        help="add a list of contacts (CSV kind,value,source,note or STIX 2.1), all or nothing",
    )
    imp.add_argument("file", metavar="FILE")
    imp.add_argument(
        "--source", metavar="NAME", help="who lists them (CSV rows without a source; STIX: the whole file)"
    )
    _encoding(imp)
    _analyst(imp)
    imp.set_defaults(handler=cmd_watchlist_import, parser=imp)
    ls = actions.add_parser("list", parents=[common], help="every entry with its hits and when it was last seen")
    ls.set_defaults(handler=cmd_watchlist_list, parser=ls)
    rm = actions.add_parser("remove", parents=[common], help="take entry ID off the watchlist")
    rm.add_argument("id", type=item_id, metavar="ID")
    _analyst(rm)
    rm.set_defaults(handler=cmd_watchlist_remove, parser=rm)


def _notify_arguments(p: argparse.ArgumentParser) -> None:
    common = _common_options()
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    test = actions.add_parser("test", parents=[common], help="send one test message to every configured target")
    test.set_defaults(handler=cmd_notify_test, parser=test)


def _serve_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--host",
        help="address to listen on (default: web.host, 127.0.0.1); any other than loopback needs LUREWATCH_SECRET_KEY",
    )
    p.add_argument("--port", type=positive_int, help="port (default: web.port, 8080)")


# (name, help, add-arguments, handler); a command with actions sets a handler per action.
COMMANDS: list[tuple[str, str, Callable[[argparse.ArgumentParser], None], Handler | None]] = [
    ("run", "nightly job: crawl, score, queue, export", _run_arguments, cmd_run),
    ("crawl", "crawl only: the enabled sources, or those named with --source", _crawl_arguments, cmd_crawl),
    (
        "score",
        "score unscored (or, with --rescore, all undecided) ads and fill the queue",
        _score_arguments,
        cmd_score,
    ),
    (
        "review",
        "work the review queue: list | show ID | claim [N] | claims | release ID | decide ID DECISION | log",
        _review_arguments,
        None,
    ),
    ("export", "write the review queue as CSV, XLSX or JSON Lines for analysts", _export_arguments, cmd_export),
    (
        "import-decisions",
        "record the decisions typed into an export (all or nothing), or --undo an import",
        _import_arguments,
        cmd_import_decisions,
    ),
    ("classify", "score a CSV/JSONL of ads, no database (stdout without --out)", _classify_arguments, cmd_classify),
    ("explain", "one ad: score, band, reasons", _explain_arguments, cmd_explain),
    ("evaluate", "metrics on a labelled CSV/JSONL", _evaluate_arguments, cmd_evaluate),
    (
        "train",
        "train from seed data, files and analysts' decisions; compare; optionally promote",
        _train_arguments,
        cmd_train,
    ),
    ("models", "model registry: list | promote VERSION | rollback", _models_arguments, None),
    ("serve", "the analysts' review desk in a browser (web)", _serve_arguments, cmd_serve),
    (
        "watchlist",
        "known recruiter contacts: import FILE [--source NAME] | list | remove ID",
        _watchlist_arguments,
        None,
    ),
    ("notify", "notifications: test (one test message to every configured target)", _notify_arguments, None),
    (
        "users",
        "accounts of the review desk: add NAME | list | disable NAME | passwd NAME",
        _users_arguments,
        None,
    ),
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
        epilog="exit codes: 0 ok, 1 error, 2 usage, 3 unexpected, 4 partial run, 5 locked by another run, 130 interrupted, "
        "143 terminated",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, help_text, add_arguments, handler in COMMANDS:
        p = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        add_arguments(p)
        if handler is not None:
            p.set_defaults(handler=handler, parser=p)
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
    stderr.setFormatter(MaskingFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s")))
    root.addHandler(stderr)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        fh = logging.FileHandler(log_file, encoding="utf-8")
        fh.setLevel(file_level)
        fh.setFormatter(MaskingFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")))
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


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (tests capture stdout)
        pass


def _log_traceback(config: Config | None, command: str) -> str:
    """Log the current exception's traceback to the command's log file (one is opened for
    commands that have none); where it went, for the error line."""
    current = [h for h in logging.getLogger().handlers if isinstance(h, logging.FileHandler)]
    if not current:
        try:
            path = _log_file(config, command) if config else Path("logs") / f"lurewatch-{command}-{os.getpid()}.log"
            path.parent.mkdir(parents=True, exist_ok=True)
            handler = logging.FileHandler(path, encoding="utf-8")
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
            logging.getLogger().addHandler(handler)
            current = [handler]
        except OSError:
            current = []
    if not current:
        import traceback

        traceback.print_exc(file=sys.stderr)
        return "the output above (no log file could be written)"
    # Only to the file: the terminal gets the one-line error.
    stderr = [h for h in logging.getLogger().handlers if not isinstance(h, logging.FileHandler)]
    for h in stderr:
        logging.getLogger().removeHandler(h)
    log.exception("unexpected error in %s", command)
    for h in stderr:
        logging.getLogger().addHandler(h)
    return current[0].baseFilename


def _error(message: object) -> None:
    text = mask_text(" ".join(str(message).split())) or "failed"
    print(f"error: {text}", file=sys.stderr)


def _finish(outcome: Outcome, quiet: bool) -> int:
    """Print a command's outcome and map how it ended to an exit code."""
    if outcome.text and not (quiet and outcome.summary):
        print(mask_text(outcome.text))
    if outcome.error:
        _error(outcome.error)
    return STATUS_EXIT[outcome.status]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the process exit code."""
    parser = build_parser()
    try:
        args, unknown = parser.parse_known_args(argv)
        if unknown:  # reported with the usage of the (sub)command they were given to
            getattr(args, "parser", parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    except SystemExit as exc:  # argparse: --help exits 0, usage errors exit 2
        return int(exc.code or 0) if isinstance(exc.code, int) else EXIT_USAGE
    args.verbose = getattr(args, "verbose", False)
    args.quiet = getattr(args, "quiet", False)
    args.analyst = getattr(args, "analyst", None)
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    configure_logging(level, None)
    config: Config | None = None
    try:
        config = load_config(getattr(args, "config", None))
        if args.command in LOGGED_COMMANDS:
            log_file = _log_file(config, args.command)
            try:
                configure_logging(level, log_file, config.logging.level)
            except OSError as exc:  # logging.dir: /dev/null/x was exit 3 with a traceback (probe 14)
                configure_logging(level, None)
                raise ConfigError(f"logging.dir: cannot write the log file {log_file}: {exc.strerror or exc}") from None
        with sigterm_interrupts():  # SIGTERM closes a run as interrupted, like Ctrl-C, and exits 143
            return _finish(args.handler(args, config), args.quiet)
    except BrokenPipeError:
        # The reader went away (`| head -1`): stop quietly, as any Unix tool does.
        _silence_stdout()
        return EXIT_OK
    except LockHeldError as exc:
        _error(exc)
        return EXIT_LOCKED
    except USER_ERRORS as exc:
        for line in getattr(exc, "errors", None) or []:  # a file's problems, one line each
            _error(line)
        _error(exc)
        return EXIT_ERROR
    except Terminated:
        _error("terminated (SIGTERM)")
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug, not a user error: keep the traceback
        where = _log_traceback(config, args.command)
        _error(f"unexpected error: {type(exc).__name__}: {exc} (traceback in {where})")
        return EXIT_UNEXPECTED
    finally:
        _close_log_files()


def console_main() -> None:
    """Entry point of the installed ``lurewatch`` script."""
    sys.exit(main())


if __name__ == "__main__":
    sys.exit(main())
