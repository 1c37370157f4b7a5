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
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

from classifier.errors import ClassifierError
from config import Config, ConfigError, load_config
from stages import classify as classify_stage
from stages.common import database
from stages.run import format_summary, run_nightly
from store.errors import StoreError
from store.lock import LockHeldError

log = logging.getLogger("lurewatch")

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_UNEXPECTED = 0, 1, 2, 3
EXIT_PARTIAL, EXIT_LOCKED, EXIT_INTERRUPTED = 4, 5, 130

# Errors a user can fix: one line on stderr, exit 1, no traceback.
USER_ERRORS: tuple[type[BaseException], ...] = (ConfigError, StoreError, ClassifierError)
# Commands that do batch work and so get a log file of their own under logging.dir.
LOGGED_COMMANDS = {"run"}

Handler = Callable[[argparse.Namespace, Config], int]


# ------------------------------------------------------------------ commands

def cmd_run(args: argparse.Namespace, config: Config) -> int:
    """The nightly job: every stage in order, recorded in the runs table."""
    with database(config) as factory:
        result = run_nightly(config, factory)
    if not args.quiet:
        print(format_summary(result))
    return EXIT_PARTIAL if result.status == "partial" else EXIT_OK


def cmd_classify(args: argparse.Namespace, config: Config) -> int:
    """Score a CSV/JSONL of ads; same rows out plus score, band, flagged, reasons."""
    out = Path(args.out) if args.out else None
    counts = classify_stage.classify_file(Path(args.file), out, config.models.dir, config.scoring.model,
                                          config.scoring.threshold, n_jobs=args.jobs)
    if out is not None and not args.quiet:
        print(f"{counts['rows']} ads scored, {counts['flagged']} flagged (model {counts['model']}, "
              f"threshold {counts['threshold']:.3f}) -> {out}")
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
    rep = classify_stage.evaluate_file(Path(args.file), config.models.dir, args.model or config.scoring.model,
                                       config.scoring.threshold, Path(args.out_dir))
    o = rep["overall"]
    fmt = (lambda v: "n/a" if v is None else f"{v:.3f}")
    print(f"model {rep['model']}: {o['n']} ads ({o['n_scam']} scam), PR-AUC {fmt(o['pr_auc'])}, "
          f"ROC-AUC {fmt(o['roc_auc'])}, precision {fmt(o['precision'])}, recall {fmt(o['recall'])}, "
          f"F1 {fmt(o['f1'])} at threshold {o['threshold']:.3f}")
    for lang, m in rep["per_language"].items():
        print(f"  {lang}: n={m['n']} recall {fmt(m['recall'])} FPR {fmt(m['false_positive_rate'])}")
    print(f"report: {rep['report_json']}" + (f", PR curve: {rep['pr_curve_png']}" if "pr_curve_png" in rep else ""))
    return EXIT_OK


def _add_evaluate(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="labelled ads (column label: 1 scam, 0 legit)")
    p.add_argument("--model", metavar="VERSION", help="a version in models/ (default: scoring.model)")
    p.add_argument("--out-dir", metavar="DIR", default="reports", help="where the report goes (default: reports)")


def cmd_train(args: argparse.Namespace, config: Config) -> int:
    """Train on seed (+ shared, + --data) data; promote only if not worse, unless --force."""
    extra = [Path(p) for p in args.data]
    if config.training.extra_data_dir is not None:
        extra += sorted(p for p in config.training.extra_data_dir.glob("*") if p.suffix in (".csv", ".jsonl"))
    version, card = classify_stage.train_model(extra_paths=extra, models_dir=config.models.dir,
                                               target_recall=config.training.target_recall, promote=False)
    cv = card["cv"]["full_ads"]
    print(f"model {version}: threshold {card['threshold']:.4f}, grouped-CV recall {cv['recall']:.3f}, "
          f"FPR {cv['false_positive_rate']:.3f}, PR-AUC {cv['pr_auc']:.3f}")
    if not args.promote:
        return EXIT_OK
    limit = config.training.max_false_positive_rate
    if cv["false_positive_rate"] > limit and not args.force:
        raise ClassifierError(f"not promoted: grouped-CV false-positive rate {cv['false_positive_rate']:.3f} "
                              f"exceeds training.max_false_positive_rate {limit}; use --force to promote anyway")
    from classifier import registry

    registry.set_current(config.models.dir, version, reason="train --promote" + (" --force" if args.force else ""))
    print(f"promoted {version}")
    return EXIT_OK


def _add_train(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", nargs="*", default=[], metavar="PATH", help="extra labelled ad files")
    p.add_argument("--promote", action="store_true", help="make the new model current if it is not worse")
    p.add_argument("--force", action="store_true", help="promote even if the checks fail")


# (name, help, add-arguments, handler); later issues add their commands here.
COMMANDS: list[tuple[str, str, Callable[[argparse.ArgumentParser], None], Handler]] = [
    ("run", "nightly job: crawl, score, queue, export", lambda p: None, cmd_run),
    ("classify", "score a CSV/JSONL of ads, no database (stdout without --out)", _add_classify, cmd_classify),
    ("explain", "one ad: score, band, reasons", _add_explain, cmd_explain),
    ("evaluate", "metrics on a labelled CSV/JSONL", _add_evaluate, cmd_evaluate),
    ("train", "train a model from seed and labelled data", _add_train, cmd_train),
]


# ------------------------------------------------------------------ plumbing

def _common_options() -> argparse.ArgumentParser:
    # SUPPRESS defaults so an option given before or after the subcommand both count.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS,
                        help="config file (default: $LUREWATCH_CONFIG, else ./config.yaml)")
    loud = common.add_mutually_exclusive_group()
    loud.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                      help="log debug detail on stderr")
    loud.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                      help="only warnings and errors on stderr")
    return common


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    common = _common_options()
    parser = argparse.ArgumentParser(
        prog="pipeline.py", parents=[common],
        description="lurewatch: find job ads that lure people into scam compounds.",
        epilog="exit codes: 0 ok, 1 error, 2 usage, 3 unexpected, 4 partial run, "
               "5 locked by another run, 130 interrupted")
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
