"""Migrations: apply to empty SQLite and PostgreSQL, match the models, round trip, refuse newer."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from store.db import create_db_engine, current_revision, downgrade, head_revision, open_database, upgrade
from store.errors import SchemaTooNewError, StoreError
from store.schema import Base

TABLES = {
    "ads",
    "scores",
    "review_items",
    "review_events",
    "runs",
    "alembic_version",
    "campaigns",
    "campaign_members",
    "ad_fingerprints",
    "fingerprint_keys",
    "campaign_keys",
    "free_keys",
    "ad_contacts",
    "users",
    "login_failures",
}


def test_migrations_create_every_table_and_match_the_models(db_url):
    engine, _ = open_database(db_url)
    try:
        assert TABLES <= set(inspect(engine).get_table_names())
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], f"migrations and store/schema.py disagree: {diff}"
    finally:
        engine.dispose()


def test_upgrade_twice_is_a_no_op(db_url):
    engine = create_db_engine(db_url)
    upgrade(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_downgrade_then_upgrade_round_trip(db_url):
    engine = create_db_engine(db_url)
    upgrade(engine)
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert current_revision(engine) is None
    upgrade(engine)
    assert TABLES <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_database_newer_than_the_code_is_refused_untouched(db_url):
    engine = create_db_engine(db_url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
        conn.execute(text("CREATE TABLE future_table (id INTEGER)"))
    with pytest.raises(SchemaTooNewError, match="newer than this lurewatch"):
        open_database(db_url)
    assert current_revision(engine) == "9999_future"
    assert "future_table" in inspect(engine).get_table_names()
    engine.dispose()


def test_unreachable_database_is_a_store_error(tmp_path):
    with pytest.raises(StoreError, match="cannot"):
        open_database("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")


def test_bad_url_is_a_store_error():
    with pytest.raises(StoreError, match="database.url"):
        open_database("not a url")


def test_plain_postgres_urls_use_psycopg3():
    from store.db import normalise_url

    assert normalise_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalise_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"
