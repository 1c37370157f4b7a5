"""Engines, sessions and schema upgrades.

The CLI calls ``open_database`` once per command: it creates or upgrades the
schema with Alembic, so nobody runs Alembic by hand. Data functions elsewhere in
the store take a Session and never commit; the caller owns the transaction
(``with factory.begin() as session:``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.secrets import mask_text, mask_url
from store.errors import SchemaTooNewError, StoreError

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def normalise_url(url: str) -> str:
    """Map plain postgres URLs to the psycopg 3 driver we install."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def create_db_engine(url: str, *, create: bool = True, **kwargs: Any) -> Engine:
    """An Engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout.

    With ``create`` False a SQLite file that does not exist is refused: a mistyped
    path must not quietly become an empty database for commands that only read.
    """
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise StoreError(f"database.url: not a database URL: {mask_url(url)!r}") from None
    if parsed.get_backend_name() == "sqlite":
        db_file = parsed.database
        if db_file and db_file != ":memory:" and not db_file.startswith("file:"):
            if not create and not Path(db_file).is_file():
                raise StoreError(
                    f"database {db_file} does not exist; check database.url or LUREWATCH_DATABASE_URL "
                    f"(only run, crawl and score create a new database)"
                )
            Path(db_file).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 30})
    try:
        engine = create_engine(url, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise StoreError(f"database.url: cannot use {parsed.render_as_string()}: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    # WAL lets analysts read while the nightly job writes; busy_timeout waits for locks.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _alembic_config(connection: Any | None = None) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest schema revision this code knows."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    if head is None:
        raise StoreError(f"no schema migrations found in {MIGRATIONS_DIR}; the installation is broken")
    return head


def current_revision(engine: Engine) -> str | None:
    """The schema revision recorded in the database (None when empty)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema; refuse a database newer than this code."""
    script = ScriptDirectory.from_config(_alembic_config())
    try:
        current = current_revision(engine)
    except OperationalError as exc:
        raise StoreError(f"cannot connect to the database: {_first_line(exc)}") from None
    if current is not None:
        try:
            script.get_revision(current)
        except CommandError:
            raise SchemaTooNewError(
                f"database schema is at revision {current}, newer than this lurewatch knows "
                f"(latest {script.get_current_head()}); upgrade lurewatch, nothing was changed"
            ) from None
    if current == script.get_current_head() and revision == "head":
        return
    log.info("migrating database schema from %s to %s", current or "empty", revision)
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Step the schema back (used by tests and by operators rolling back code)."""
    with engine.begin() as conn:
        command.downgrade(_alembic_config(conn), revision)


def open_database(url: str, *, create: bool = True) -> tuple[Engine, sessionmaker[Session]]:
    """Engine and session factory for ``url``, schema created or upgraded (``create``: see
    create_db_engine)."""
    engine = create_db_engine(url, create=create)
    try:
        upgrade(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StoreError(f"cannot prepare the database: {_first_line(exc)}") from None
    except StoreError:
        engine.dispose()
        raise
    return engine, sessionmaker(engine, expire_on_commit=False)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return mask_text(text.splitlines()[0]) if text else type(exc).__name__


def refresh_statistics(engine: Engine) -> None:
    """Give the query planner fresh table statistics before the desk starts serving.

    Without them SQLite takes any equality on an indexed column as selective (and walks
    the whole queue by its status index where a campaign's few members would do), and
    PostgreSQL, after a bulk load that autovacuum has not reached yet, plans the queue
    and the lease checks as scans. SQLite samples (analysis_limit): milliseconds even on
    a large database; PostgreSQL's ANALYZE samples too. A role that may not analyze the
    tables is told so in the log; the desk starts all the same.
    """
    statements = {
        "sqlite": ["PRAGMA analysis_limit=1000", "ANALYZE"],
        "postgresql": ["ANALYZE ads, scores, review_items, review_events, campaign_members, ad_contacts"],
    }
    try:
        with engine.begin() as conn:
            for statement in statements.get(engine.dialect.name, []):
                conn.exec_driver_sql(statement)
    except SQLAlchemyError as exc:
        log.warning("could not refresh the planner's statistics: %s", _first_line(exc))
