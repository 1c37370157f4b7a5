"""Alembic environment: runs on the connection store.db hands it.

lurewatch upgrades the schema itself (store.db.upgrade), so this file never reads
alembic.ini or the environment. To write a new migration, developers run
``alembic -c store/alembic.ini revision --autogenerate -m "..."`` against a
scratch database.
"""

from alembic import context
from sqlalchemy import create_engine

from store.schema import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


def _render_item(type_, obj, autogen_context):  # type: ignore[no-untyped-def]
    """Migrations stay frozen: write our UTC type as the plain column type it wraps."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _configure(connection)
else:  # developer use through alembic.ini
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        _configure(conn)
