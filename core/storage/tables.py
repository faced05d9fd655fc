"""SQLModel table declarations of the SQL stores, their hot-path statements and schema migrations.

The tables are declared once, with SQLModel (``table=True``), and used by the SQLite store
through SQLAlchemy Core (``GraphRow.__table__.insert()`` ...), never through ORM sessions on a
hot path. The dialect-neutral Core statements of those hot paths (``insert_result_statement``,
``session_status_statement``, ...) live here too, so another SQL backend can compile them.

Schema versions: why a migration table and not alembic
------------------------------------------------------
The default store is one embedded SQLite file that every ``nodeloom`` command opens. Alembic
needs an ``env.py`` and a ``versions/`` script folder shipped with the package, its own
configuration, and costs tens of milliseconds of imports and script discovery at every open; it
earns that back on servers with many databases and branching histories, which we do not have.
Here the history is a single ordered list, so a table of applied versions and a list of
functions is all it takes:

* ``schema_version`` holds one row per applied migration (version, description, applied_at);
  the version in force is the largest one.
* ``MIGRATIONS`` is the ordered list of ``Migration(version, description, apply)``; versions
  are 1, 2, 3... with no gaps. ``migrate(connection)`` applies, each in its own
  ``BEGIN IMMEDIATE`` transaction, every migration newer than the version in force, and
  returns the version now in force. Re-reading the version inside that transaction makes two
  processes opening a fresh database at once safe: the second one finds the work done.
* Migrations are forward-only (there is no downgrade) and idempotent: each one creates the
  tables it introduces with ``checkfirst`` and adds columns only when they are missing
  (``add_column_if_missing``), so it can run on a database that already has them.

Adding a table later: declare the class below, then append a migration that creates it, as
``Migration(2, "batches and queue items", ...)`` does for the queue tables.
Because migration 1 creates *its* tables from the current declarations, a column added to an
existing table later must be added both to the declaration and by a migration that uses
``add_column_if_missing`` (a fresh database gets it from migration 1, an old one from the new
migration). A database whose version is newer than this code knows is refused, never touched.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    Connection,
    Index,
    MetaData,
    Select,
    Table,
    UniqueConstraint,
    bindparam,
    func,
    inspect,
    literal_column,
    select,
    text,
)
from sqlalchemy.sql.dml import Insert, Update
from sqlmodel import Field, SQLModel

from nodeloom.storage.base import StoreError

#: A separate metadata object, so that tables declared by other SQLModel users in the same
#: process (tests, plugins) never end up in our database.
metadata = MetaData()


class NodeloomTable(SQLModel):
    """Base of nodeloom's tables: binds them to ``metadata``."""

    metadata = metadata


class SchemaVersionRow(NodeloomTable, table=True):
    """One applied migration; the largest version is the schema in force."""

    __tablename__ = "schema_version"

    version: int = Field(primary_key=True)
    description: str
    applied_at: float


class GraphRow(NodeloomTable, table=True):
    """A graph stored once under its id, as JSON text."""

    __tablename__ = "graphs"

    id: str = Field(primary_key=True)
    graph_json: str
    created_at: float


class SessionRow(NodeloomTable, table=True):
    """One execution of a graph; timestamps are epoch seconds."""

    __tablename__ = "sessions"
    __table_args__ = (Index("ix_sessions_status_created", "status", "created_at"),)

    id: str = Field(primary_key=True)
    graph_id: str = Field(foreign_key="graphs.id", index=True)
    status: str
    created_at: float = Field(index=True)
    started_at: float | None = None
    finished_at: float | None = None
    batch_id: str | None = Field(default=None, index=True)
    queue_item_id: int | None = None


class NodeResultRow(NodeloomTable, table=True):
    """One executed node of a session; ``id`` (the rowid) orders a session's executions.

    The rowid key keeps each insert to two b-trees (the table and the (session, exec id)
    index): a composite primary key cost a third one, ~14 µs more per committed row here.
    """

    __tablename__ = "node_results"
    __table_args__ = (UniqueConstraint("session_id", "exec_id", name="uq_node_results_exec"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: str = Field(foreign_key="sessions.id")
    exec_id: str
    source_node_id: str
    node_type: str
    iteration_path: str  # JSON list of ints
    status: str
    output: str | None = None  # JSON object
    error: str | None = None  # JSON object
    started_at: float
    finished_at: float


class BatchRow(NodeloomTable, table=True):
    """A queued batch: its graph and data stored once, and the id range of its items."""

    __tablename__ = "batches"

    id: str = Field(primary_key=True)
    queue: str
    graph_json: str
    data_json: str  # the batch's ``data`` groups
    runs: int
    requested: int
    enqueued: int
    priority: int
    order_key: int
    first_item_id: int
    created_at: float


class QueueItemRow(NodeloomTable, table=True):
    """One queued session: a small row; its field values are derived from ``batch_index``.

    Claim order is ``priority DESC, order_key, id``: ``order_key`` is the batch's place in its
    queue (its first item id, or below every pending key for a prepended batch). No foreign key
    to ``batches``: the check would cost a lookup per row at enqueue; batches and their items
    are deleted together, in one transaction.
    """

    __tablename__ = "queue_items"

    id: int | None = Field(default=None, primary_key=True)
    batch_id: str
    batch_index: int
    queue: str
    status: str
    priority: int
    order_key: int
    session_id: str | None = None
    worker: str | None = None
    error: str | None = None
    started_at: float | None = None
    finished_at: float | None = None


class QueueRow(NodeloomTable, table=True):
    """A queue's persisted settings (only queues that were ever paused have a row)."""

    __tablename__ = "queues"

    name: str = Field(primary_key=True)
    paused: bool = False
    updated_at: float


class QueueSequenceRow(NodeloomTable, table=True):
    """The last queue item id ever given out (one row), so ids are never reused after a prune.

    SQLite's AUTOINCREMENT does the same but updates ``sqlite_sequence`` for every row; this
    is updated once per batch.
    """

    __tablename__ = "queue_sequence"

    id: int = Field(primary_key=True)
    last_item_id: int


_items = QueueItemRow.__table__  # type: ignore[attr-defined]
#: The claim index: the next item is the first entry of (queue, 'uninitialized').
Index(
    "ix_queue_items_claim",
    _items.c.queue,
    _items.c.status,
    _items.c.priority.desc(),
    _items.c.order_key,
)

#: Tables whose row counts ``db info`` reports, by table name.
COUNTED_TABLES: tuple[type[SQLModel], ...] = (
    GraphRow,
    SessionRow,
    NodeResultRow,
    BatchRow,
    QueueItemRow,
)


def table(model: type[SQLModel]) -> Table:
    """The SQLAlchemy Core table of a SQLModel class."""
    return model.__table__  # type: ignore[attr-defined, no-any-return]


# -- statements the stores run on these tables ---------------------------------------------------

#: The columns of a node result as ``ResultRecord`` orders them (after ``session_id``).
RESULT_FIELDS = (
    "exec_id",
    "source_node_id",
    "node_type",
    "iteration_path",
    "status",
    "output",
    "error",
    "started_at",
    "finished_at",
)


def insert_result_statement() -> Insert:
    """INSERT of one result. Parameters: ``p_session_id`` and ``p_<field>`` for each of ``RESULT_FIELDS``."""
    results = table(NodeResultRow)
    values = {name: bindparam(f"p_{name}") for name in RESULT_FIELDS}
    return results.insert().values(session_id=bindparam("p_session_id"), **values)


def session_status_statement(terminal_states: Iterable[str]) -> Update:
    """UPDATE of a session's status unless it is terminal; keeps the first started_at.

    Parameters: ``p_status``, ``p_started_at`` and ``p_finished_at`` (None leaves them), ``p_id``.
    """
    sessions = table(SessionRow)
    terminal = [literal_column(f"'{state}'") for state in sorted(terminal_states)]
    return (
        sessions.update()
        .where(sessions.c.id == bindparam("p_id"))
        .where(sessions.c.status.not_in(terminal))
        .values(
            status=bindparam("p_status"),
            started_at=func.coalesce(sessions.c.started_at, bindparam("p_started_at")),
            finished_at=func.coalesce(bindparam("p_finished_at"), sessions.c.finished_at),
        )
    )


def session_select() -> Select:
    """Sessions with their graph's JSON, columns in ``SessionRecord`` order."""
    sessions, graphs = table(SessionRow), table(GraphRow)
    return select(
        sessions.c.id,
        sessions.c.graph_id,
        graphs.c.graph_json,
        sessions.c.status,
        sessions.c.created_at,
        sessions.c.started_at,
        sessions.c.finished_at,
        sessions.c.batch_id,
        sessions.c.queue_item_id,
    ).join(graphs, graphs.c.id == sessions.c.graph_id)


def results_select(session_id: str) -> Select:
    """A session's results in execution order: session_id, then ``RESULT_FIELDS``."""
    results = table(NodeResultRow)
    columns = [results.c.session_id, *(results.c[name] for name in RESULT_FIELDS)]
    return select(*columns).where(results.c.session_id == session_id).order_by(results.c.id)


#: The columns of a queue item as ``QueueItemRecord`` orders them (``created_at`` is the batch's).
QUEUE_ITEM_FIELDS = (
    "id",
    "batch_id",
    "batch_index",
    "queue",
    "status",
    "priority",
    "session_id",
    "worker",
    "error",
)

#: The parameters of ``insert_queue_item_statement``, in the order enqueue streams them.
QUEUE_INSERT_FIELDS = ("id", "batch_id", "batch_index", "queue", "status", "priority", "order_key")


def insert_queue_item_statement() -> Insert:
    """INSERT of one queue item; parameters ``p_<field>`` for each of ``QUEUE_INSERT_FIELDS``."""
    items = table(QueueItemRow)
    return items.insert().values({name: bindparam(f"p_{name}") for name in QUEUE_INSERT_FIELDS})


def queue_item_select() -> Select:
    """Queue items with their batch's created_at, columns in ``QueueItemRecord`` order."""
    items, batches = table(QueueItemRow), table(BatchRow)
    return select(
        *(items.c[name] for name in QUEUE_ITEM_FIELDS),
        batches.c.created_at,
        items.c.started_at,
        items.c.finished_at,
    ).join(batches, batches.c.id == items.c.batch_id)


def claim_item_statement(waiting: str, running: str) -> Update:
    """Take the next waiting item of a queue unless the queue is paused, in one statement.

    Parameters: ``p_session_id``, ``p_worker``, ``p_started_at``, ``p_queue``, ``p_paused_queue``
    (the queue again). Returns ``QUEUE_ITEM_FIELDS`` of the claimed item and its batch's
    created_at (no row: none waiting).
    """
    items, queues, batches = table(QueueItemRow), table(QueueRow), table(BatchRow)
    next_id = (
        select(items.c.id)
        .where(items.c.queue == bindparam("p_queue"))
        .where(items.c.status == literal_column(f"'{waiting}'"))
        .where(
            ~select(queues.c.name)
            .where(queues.c.name == bindparam("p_paused_queue"))
            .where(queues.c.paused == literal_column("1"))
            .exists()
        )
        .order_by(items.c.priority.desc(), items.c.order_key, items.c.id)
        .limit(literal_column("1"))
        .offset(literal_column("0"))
        .scalar_subquery()
    )
    return (
        items.update()
        .where(items.c.id == next_id)
        .values(
            status=literal_column(f"'{running}'"),
            worker=bindparam("p_worker"),
            session_id=bindparam("p_session_id"),
            started_at=bindparam("p_started_at"),
        )
        .returning(
            *(items.c[name] for name in QUEUE_ITEM_FIELDS),
            select(batches.c.created_at).where(batches.c.id == items.c.batch_id).scalar_subquery(),
        )
    )


def finish_item_statement(unfinished: Iterable[str]) -> Update:
    """Move an unfinished item to a terminal state. Parameters: ``p_status``, ``p_error``,
    ``p_finished_at``, ``p_id``; no row changes when the item already ended."""
    items = table(QueueItemRow)
    states = [literal_column(f"'{state}'") for state in sorted(unfinished)]
    return (
        items.update()
        .where(items.c.id == bindparam("p_id"))
        .where(items.c.status.in_(states))
        .values(
            status=bindparam("p_status"),
            error=func.coalesce(bindparam("p_error"), items.c.error),
            finished_at=bindparam("p_finished_at"),
        )
    )


# -- migration helpers -----------------------------------------------------------------------------


def create_tables(connection: Connection, *models: type[SQLModel]) -> None:
    """Create the tables (and their indexes) of ``models`` that do not exist yet."""
    for model in models:
        table(model).create(connection, checkfirst=True)


def add_column_if_missing(connection: Connection, model: type[SQLModel], column_name: str) -> None:
    """``ALTER TABLE ... ADD COLUMN`` for a column declared on ``model``, unless it is there."""
    target = table(model)
    present = {column["name"] for column in inspect(connection).get_columns(target.name)}
    if column_name in present:
        return
    column: Column = target.columns[column_name]
    column_type = column.type.compile(dialect=connection.dialect)
    connection.exec_driver_sql(
        f'ALTER TABLE "{target.name}" ADD COLUMN "{column_name}" {column_type}'
    )


@dataclass(frozen=True)
class Migration:
    """One forward step of the schema: ``apply(connection)`` runs inside a write transaction."""

    version: int
    description: str
    apply: Callable[[Connection], None]


MIGRATIONS: list[Migration] = [
    Migration(
        1,
        "graphs, sessions and node results",
        lambda connection: create_tables(connection, GraphRow, SessionRow, NodeResultRow),
    ),
    Migration(
        2,
        "batches and queue items",
        lambda connection: create_tables(
            connection, BatchRow, QueueItemRow, QueueRow, QueueSequenceRow
        ),
    ),
]

LATEST_VERSION = MIGRATIONS[-1].version


def current_version(connection: Connection) -> int:
    """The version in force (0 for a database without a schema)."""
    if not inspect(connection).has_table(table(SchemaVersionRow).name):
        return 0
    found = connection.execute(text("SELECT MAX(version) FROM schema_version")).scalar()
    return int(found or 0)


def migrate(
    connection: Connection, migrations: list[Migration] | None = None, *, where: str = "database"
) -> int:
    """Apply every migration newer than the version in force; return the version now in force.

    ``connection`` must be in autocommit mode (the SQLite store's connections are): each
    migration runs in its own ``BEGIN IMMEDIATE`` transaction together with its version row, so
    a failing migration leaves the previous version intact.
    """
    migrations = MIGRATIONS if migrations is None else migrations
    _check_sequence(migrations)
    latest = migrations[-1].version
    version = current_version(connection)
    _refuse_newer(version, latest, where)
    if version == latest:
        return version
    for migration in migrations:
        if migration.version <= version:
            continue
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            create_tables(connection, SchemaVersionRow)
            in_force = current_version(connection)  # another process may have got here first
            _refuse_newer(in_force, latest, where)
            if in_force < migration.version:
                migration.apply(connection)
                connection.execute(
                    table(SchemaVersionRow).insert(),
                    {
                        "version": migration.version,
                        "description": migration.description,
                        "applied_at": time.time(),
                    },
                )
            connection.exec_driver_sql("COMMIT")
        except BaseException:
            connection.exec_driver_sql("ROLLBACK")
            raise
        version = max(in_force, migration.version)
    return version


def _check_sequence(migrations: list[Migration]) -> None:
    versions = [migration.version for migration in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"migration versions must be 1, 2, 3... without gaps, got {versions}")


def _refuse_newer(version: int, latest: int, where: str) -> None:
    if version > latest:
        raise StoreError(
            f"{where} has schema version {version}, newer than this nodeloom knows ({latest}); "
            "upgrade nodeloom to use it"
        )
