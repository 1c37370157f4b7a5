"""The export stage: the review queue as dated files for analysts.

A nightly export is named by its run (``flagged-DATE-runID.EXT``), so an ad-hoc export
on the same day can never replace it; an ad-hoc export gets ``flagged-DATE.EXT``, or
the next free ``flagged-DATE-N.EXT`` when that exists, and replaces a file only with
``force``.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

from sqlalchemy.orm import Session, sessionmaker

from config import CONTACT_FORMATS, Config
from core.files import STDOUT, OutputPathError, atomic_write, output_target
from stages.common import StageResult, database, utcnow
from store.confirmed import LeftOut, confirmed_contacts, contacts_csv, contacts_stix
from store.errors import StoreError
from store.exports import write_export, write_export_to
from store.listing import QueueFilter, list_items
from store.queue import expire_leases

log = logging.getLogger(__name__)


def default_path(config: Config, fmt: str, now: datetime, run_id: int | None = None) -> Path:
    """``export.dir/flagged-YYYY-MM-DD.EXT`` (UTC date), ``flagged-YYYY-MM-DD-runID.EXT`` for a run."""
    run = f"-run{run_id}" if run_id is not None else ""
    return config.export.dir / f"flagged-{now.date().isoformat()}{run}.{fmt}"


def free_path(path: Path) -> Path:
    """``path``, or the first ``stem-N.ext`` beside it that does not exist yet."""
    n = 2
    candidate = path
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        n += 1
    return candidate


def target_path(default: Path, out: Path | None, force: bool, mkdir: bool = False) -> Path:
    """Where an ad-hoc export goes: ``out``, else ``default`` or the next free name beside it.

    An existing file is replaced only with ``force``; a symlink is written through, a folder,
    device or FIFO refused, and a missing folder of ``out`` is an error unless ``mkdir``
    (core.files.output_target). ``export.dir`` itself is created when missing.
    """
    try:
        if out is None:
            return output_target(default if force else free_path(default), mkdir=True)
        path = output_target(out, mkdir=mkdir)
    except OutputPathError as exc:
        raise StoreError(str(exc)) from None
    if path.exists() and not force:
        raise StoreError(f"{out} already exists; choose another --out, or add --force to replace it")
    return path


def is_stdout(out: Path | None) -> bool:
    """True for ``--out -``."""
    return out is not None and str(out) == STDOUT


def _stdout_bytes(fmt: str, stream: IO[bytes] | None) -> IO[bytes]:
    target = stream if stream is not None else sys.stdout.buffer
    if fmt in ("xlsx",) and stream is None and sys.stdout.isatty():
        raise StoreError("--out - with --format xlsx would write a binary workbook to the terminal; redirect it")
    return target


def title(now: datetime, run_id: int | None = None) -> str:
    """The heading on every printed page: what, and the run's date."""
    what = f"run {run_id}" if run_id is not None else "export"
    return f"lurewatch flagged ads, {what} of {now:%Y-%m-%d %H:%M} UTC"


def export_queue(
    config: Config,
    factory: sessionmaker[Session],
    fmt: str | None = None,
    filters: QueueFilter | None = None,
    out: Path | None = None,
    now: datetime | None = None,
    force: bool = False,
    mkdir: bool = False,
    stream: IO[bytes] | None = None,
) -> tuple[Path, int]:
    """Write one export of the items matching ``filters``; (path, number of rows).

    ``fmt`` defaults to ``out``'s extension, else the first of ``export.formats``; ``out``
    to the dated file, or the next free name beside it. An existing ``out`` is replaced
    only with ``force``; ``out`` "-" is standard output (or ``stream``).
    """
    now = now or utcnow()
    if fmt is None and out is not None and out.suffix.lower().lstrip(".") in ("csv", "xlsx", "jsonl"):
        fmt = out.suffix.lower().lstrip(".")
    fmt = fmt or config.export.formats[0]
    to_stdout = is_stdout(out)
    path = out if to_stdout else target_path(default_path(config, fmt, now), out, force, mkdir)
    target = _stdout_bytes(fmt, stream) if to_stdout else None
    with factory.begin() as session:
        expire_leases(session, now)  # a lapsed claim is pending again, so it is exported
        rows = list_items(session, filters or QueueFilter())
    if target is not None:
        write_export_to(target, rows, fmt, title(now))
        log.info("exported %d item(s) to standard output", len(rows))
        return Path(STDOUT), len(rows)
    return write_export(rows, path, fmt, title(now)), len(rows)


def export_nightly(config: Config, factory: sessionmaker[Session], run_id: int) -> StageResult:
    """Nightly stage: one dated export of the pending items per configured format."""
    now = utcnow()
    with factory.begin() as session:
        expire_leases(session, now)
        rows = list_items(session, QueueFilter())
    files = [
        str(write_export(rows, default_path(config, fmt, now, run_id), fmt, title(now, run_id)))
        for fmt in config.export.formats
    ]
    log.info("run %d: exported %d pending item(s) to %s", run_id, len(rows), ", ".join(files))
    return StageResult("export", {"items": len(rows), "files": files})


@dataclass(frozen=True)
class ContactsExport:
    """Where the confirmed contacts went, how many, and the stored values left out (and why)."""

    path: Path
    count: int
    left_out: list[LeftOut] = field(default_factory=list)


def export_contacts(
    config: Config,
    factory: sessionmaker[Session],
    fmt: str,
    out: Path | None = None,
    now: datetime | None = None,
    force: bool = False,
    mkdir: bool = False,
    stream: IO[bytes] | None = None,
) -> ContactsExport:
    """Write the contacts of ads analysts decided scam as CSV or a STIX 2.1 bundle.

    ``out`` defaults to ``export.dir/confirmed-contacts-YYYY-MM-DD.csv`` (or ``.stix.json``),
    or the next free name beside it; like every ad-hoc export it replaces a file only with ``force``;
    ``-`` is standard output. Values that fail their kind's rules are not written; the result lists them.
    """
    now = now or utcnow()
    to_stdout = is_stdout(out)
    path = (
        Path(STDOUT)
        if to_stdout
        else target_path(
            config.export.dir / f"confirmed-contacts-{now.date().isoformat()}.{CONTACT_FORMATS[fmt]}", out, force, mkdir
        )
    )
    left_out: list[LeftOut] = []
    with factory() as session:
        contacts = confirmed_contacts(session, left_out)
    skipped = len(left_out)
    if fmt == "contacts-csv":
        text = contacts_csv(contacts)
        count = len(contacts)
    else:
        text = contacts_stix(contacts, left_out)
        count = len(contacts) - (len(left_out) - skipped)
    if to_stdout:
        target = _stdout_bytes(fmt, stream)
        target.write(text.encode("utf-8"))
        target.flush()
    elif fmt == "contacts-csv":
        # utf-8-sig: the BOM Excel needs to read Korean as UTF-8.
        atomic_write(path, lambda fh: fh.write(text), encoding="utf-8-sig", newline="")
    else:
        atomic_write(path, lambda fh: fh.write(text))
    log.info("exported %d confirmed contact(s) to %s (%d left out)", count, path, len(left_out))
    return ContactsExport(path, count, left_out)


def contacts_command(
    config: Config, fmt: str, out: Path | None = None, force: bool = False, mkdir: bool = False
) -> ContactsExport:
    """`pipeline.py export --format contacts-csv|stix` on the configured database."""
    with database(config, create=False) as factory:
        return export_contacts(config, factory, fmt, out, force=force, mkdir=mkdir)


def format_contacts(done: ContactsExport) -> str:
    """How many contacts went where, and each stored value left out with its reason."""
    if str(done.path) == STDOUT:  # standard output holds the data; what was left out is in the log
        return ""
    lines = [f"exported {done.count} confirmed contact(s) to {done.path}"]
    if done.left_out:
        lines.append(f"{len(done.left_out)} stored value(s) left out, not valid for their kind:")
        lines += [f"  {x.kind} {x.value!r}: {x.problem}" for x in done.left_out]
    return "\n".join(lines)


def export_command(
    config: Config,
    fmt: str | None,
    filters: QueueFilter,
    out: Path | None = None,
    force: bool = False,
    mkdir: bool = False,
) -> tuple[Path, int]:
    """`pipeline.py export`: one export from the configured database; (path, number of rows)."""
    with database(config, create=False) as factory:
        return export_queue(config, factory, fmt, filters, out, force=force, mkdir=mkdir)


def format_export(exported: tuple[Path, int]) -> str:
    """One line: how many items went where."""
    path, n = exported
    return f"exported {n} item(s) to {path}"
