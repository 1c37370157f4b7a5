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

from config import Config, ConfigError, load_config
from crawler.frontier import FrontierError
from stages.common import database
from stages.crawl import crawl_run, format_table, select_sources
from stages.run import format_summary, run_nightly
from stages.scaleout import crawl_worker
from store.errors import StoreError
from store.lock import LockHeldError

log = logging.getLogger("lurewatch")

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_UNEXPECTED = 0, 1, 2, 3
EXIT_PARTIAL, EXIT_LOCKED, EXIT_INTERRUPTED = 4, 5, 130

# Errors a user can fix: one line on stderr, exit 1, no traceback.
USER_ERRORS: tuple[type[BaseException], ...] = (ConfigError, StoreError, FrontierError)
# Commands that do batch work and so get a log file of their own under logging.dir.
LOGGED_COMMANDS = {"run", "crawl"}

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
    parser.add_argument("--source", metavar="NAME", action="append", default=None,
                        help="crawl only this source (repeatable; default: every enabled source)")
    parser.add_argument("--worker", action="store_true",
                        help="join the shared crawl under way (needs a Redis URL) as an extra "
                             "crawler; records no run, only stores ads")
    parser.add_argument("--wait", metavar="SECONDS", type=float, default=300.0,
                        help="with --worker: how long to wait for a shared crawl to start "
                             "(default: 300)")


def cmd_crawl(args: argparse.Namespace, config: Config) -> int:
    """Crawl the enabled (or named) sources, recorded as a run of its own."""
    select_sources(config, args.source)  # unknown names fail before anything starts
    if args.worker:
        result = crawl_worker(config, args.source, args.wait,
                              log_level="DEBUG" if args.verbose else "WARNING")
        if not args.quiet:
            print(format_table(result))
        return EXIT_PARTIAL if result.partial else EXIT_OK
    with database(config) as factory:
        status, result = crawl_run(config, factory, args.source,
                                   log_level="DEBUG" if args.verbose else "WARNING")
    if not args.quiet:
        print(format_table(result))
    if status == "failed":
        _error("crawl failed: every source failed (see the table and the log)")
        return EXIT_ERROR
    return EXIT_PARTIAL if status == "partial" else EXIT_OK


# (name, help, add-arguments, handler); later issues add their commands here.
COMMANDS: list[tuple[str, str, Callable[[argparse.ArgumentParser], None], Handler]] = [
    ("run", "nightly job: crawl, score, queue, export", lambda p: None, cmd_run),
    ("crawl", "crawl only: the enabled sources, or those named with --source", _crawl_arguments, cmd_crawl),
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
