"""The export stage: the review queue as dated files for analysts."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from config import Config
from core.files import atomic_write
from stages.common import StageResult, database, utcnow
from store.confirmed import confirmed_contacts, contacts_csv, contacts_stix
from store.exports import write_export
from store.listing import QueueFilter, list_items
from store.queue import expire_leases

log = logging.getLogger(__name__)


def default_path(config: Config, fmt: str, now: datetime) -> Path:
    """``export.dir/flagged-YYYY-MM-DD.EXT`` (UTC date)."""
    return config.export.dir / f"flagged-{now.date().isoformat()}.{fmt}"


def export_queue(
    config: Config,
    factory: sessionmaker[Session],
    fmt: str | None = None,
    filters: QueueFilter | None = None,
    out: Path | None = None,
    now: datetime | None = None,
) -> tuple[Path, int]:
    """Write one export of the items matching ``filters``; (path, number of rows).

    ``fmt`` defaults to the first of ``export.formats``; ``out`` to the dated file.
    """
    now = now or utcnow()
    fmt = fmt or config.export.formats[0]
    with factory.begin() as session:
        expire_leases(session, now)  # a lapsed claim is pending again, so it is exported
        rows = list_items(session, filters or QueueFilter())
    path = write_export(rows, out or default_path(config, fmt, now), fmt)
    return path, len(rows)


def export_nightly(config: Config, factory: sessionmaker[Session], run_id: int) -> StageResult:
    """Nightly stage: one dated export of the pending items per configured format."""
    now = utcnow()
    with factory.begin() as session:
        expire_leases(session, now)
        rows = list_items(session, QueueFilter())
    files = [str(write_export(rows, default_path(config, fmt, now), fmt)) for fmt in config.export.formats]
    log.info("run %d: exported %d pending item(s) to %s", run_id, len(rows), ", ".join(files))
    return StageResult("export", {"items": len(rows), "files": files})


CONTACT_FORMATS = {"contacts-csv": "csv", "stix": "stix.json"}


def export_contacts(
    config: Config, factory: sessionmaker[Session], fmt: str, out: Path | None = None, now: datetime | None = None
) -> tuple[Path, int]:
    """Write the contacts of ads analysts decided scam as CSV or a STIX 2.1 bundle; (path, count).

    ``out`` defaults to ``export.dir/confirmed-contacts-YYYY-MM-DD.csv`` (or ``.stix.json``).
    """
    now = now or utcnow()
    with factory() as session:
        contacts = confirmed_contacts(session)
    path = out or config.export.dir / f"confirmed-contacts-{now.date().isoformat()}.{CONTACT_FORMATS[fmt]}"
    if fmt == "contacts-csv":
        text = contacts_csv(contacts)
        # utf-8-sig: the BOM Excel needs to read Korean as UTF-8.
        atomic_write(path, lambda fh: fh.write(text), encoding="utf-8-sig", newline="")
    else:
        bundle = contacts_stix(contacts)
        atomic_write(path, lambda fh: fh.write(bundle))
    log.info("exported %d confirmed contact(s) to %s", len(contacts), path)
    return path, len(contacts)


def contacts_command(config: Config, fmt: str, out: Path | None = None) -> tuple[Path, int]:
    """`pipeline.py export --format contacts-csv|stix` on the configured database."""
    with database(config) as factory:
        return export_contacts(config, factory, fmt, out)


def export_command(config: Config, fmt: str | None, filters: QueueFilter, out: Path | None = None) -> tuple[Path, int]:
    """`pipeline.py export`: one export from the configured database; (path, number of rows)."""
    with database(config) as factory:
        return export_queue(config, factory, fmt, filters, out)


def format_export(exported: tuple[Path, int]) -> str:
    """One line: how many items went where."""
    path, n = exported
    return f"exported {n} item(s) to {path}"
