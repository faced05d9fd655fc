"""The SQLite store (``sqlite:///path.db``): SQLModel tables, Core statements, WAL, a connection per thread.

Where things live
    ``sqlite:///relative/path.db`` (three slashes) is relative to the working directory,
    ``sqlite:////absolute/path.db`` (four) absolute; ``~`` is expanded and missing parent
    folders are created. The artifact store lives beside the database: for ``/x/y/name.db``
    it is ``/x/y/name-artifacts/`` (``images/`` and ``tensors/`` inside). ``sqlite:///:memory:``
    is refused: every thread has its own connection and would see its own empty database; use
    ``memory://`` for a throw-away store.

Threads and processes
    Every thread gets its own connection, opened on first use and kept (connections of threads
    that have ended are closed when a new one is opened, and all of them by ``close()``). A
    process that forks opens fresh connections in the child. Each connection runs in WAL mode
    with ``synchronous=NORMAL``, ``foreign_keys=ON`` and a 30 s busy timeout, so readers never
    block the writer and writers from several threads and processes queue up instead of failing.
    Connections are in autocommit mode: a single statement is its own transaction, and methods
    that need several statements wrap them in ``BEGIN IMMEDIATE ... COMMIT`` (the write lock is
    taken up front, so a transaction never fails half-way with "database is locked").

Hot paths
    ``add_result`` and ``set_session_status`` are one statement each. They are built with
    SQLAlchemy Core on the SQLModel tables, compiled once per store, and executed on the
    thread's driver connection, which caches the prepared statement: a result row costs one
    INSERT whose implicit commit is the dominant cost (see ``benchmarks/store.py``). Rows are
    ordered by their rowid, so a session's ``seq`` (1, 2, 3 ...) is its position in that order:
    gap-free and race-free across threads and processes without any work at insert time.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    URL,
    Connection,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    select,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.pool import NullPool

from nodeloom.storage import tables
from nodeloom.storage.artifacts import ArtifactStore
from nodeloom.storage.base import (
    IN_PROGRESS,
    PENDING,
    TERMINAL_STATES,
    DuplicateResult,
    NotFound,
    ResultRecord,
    ResultWriter,
    SessionRecord,
    Store,
    StoreError,
    StoreInfo,
)
from nodeloom.storage.sqlite_queue import SqliteQueueMixin
from nodeloom.storage.tables import GraphRow, Migration, NodeResultRow, SessionRow, table

BUSY_TIMEOUT_S = 30.0
KNOWN_STATES = frozenset({PENDING, IN_PROGRESS, *TERMINAL_STATES})


def database_path(url: str) -> Path:
    """The absolute file path a ``sqlite:///`` URL names; raises StoreError for anything else."""
    scheme, separator, rest = url.partition("://")
    if not separator or scheme.split("+", 1)[0].lower() != "sqlite":
        raise StoreError(f"'{url}' is not a SQLite URL (expected sqlite:///path/to/file.db)")
    if not rest.startswith("/"):
        raise StoreError(
            f"'{url}': a SQLite URL has no host; use sqlite:///relative/path.db "
            "or sqlite:////absolute/path.db"
        )
    rest = rest[1:]
    if "?" in rest:
        raise StoreError(f"'{url}': query parameters are not supported in SQLite URLs")
    if rest in ("", ":memory:"):
        raise StoreError(
            f"'{url}': in-memory SQLite is not supported (each thread has its own connection "
            "and would see its own empty database); use memory:// for a throw-away store"
        )
    return Path(rest).expanduser().absolute()


def artifacts_root(database: Path) -> Path:
    """The artifact folder beside a database file: ``/x/y/name.db`` -> ``/x/y/name-artifacts``."""
    return database.with_name(f"{database.stem}-artifacts")


@dataclass(frozen=True)
class _Prepared:
    """A Core statement compiled once to SQL text with its positional parameter names."""

    sql: str
    names: tuple[str, ...]

    @classmethod
    def compile(cls, statement: Any, dialect: Any, expected: tuple[str, ...]) -> _Prepared:
        compiled = statement.compile(dialect=dialect)
        names = tuple(compiled.positiontup or ())
        if names != expected:  # the callers pass arguments positionally, in ``expected`` order
            raise AssertionError(f"parameters {names} of {compiled} are not {expected}")
        return cls(str(compiled), names)


class SqliteStore(SqliteQueueMixin, Store):
    """A store in one SQLite file, shared safely by threads and processes."""

    #: The schema history this class migrates to (a subclass or test may extend it).
    migrations: list[Migration] = tables.MIGRATIONS

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = database_path(url)
        if self.path.is_dir():
            raise StoreError(f"cannot open database '{self.path}': it is a directory, not a file")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(
                f"cannot create the folder for database '{self.path}': {error}"
            ) from None
        _refuse_foreign_file(self.path)
        self.artifacts = ArtifactStore(artifacts_root(self.path))
        self._engine = create_engine(
            URL.create("sqlite", database=str(self.path)),
            poolclass=NullPool,  # connections are kept per thread by the store itself
            isolation_level="AUTOCOMMIT",
            connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
        )
        event.listen(self._engine, "connect", _configure_connection)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._connections: dict[threading.Thread, Connection] = {}
        self._pid = os.getpid()
        self._closed = False
        self._last_created_at = 0.0
        self._prepare_statements()
        try:
            self.migrate()
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        return f"SqliteStore({self.url!r})"

    # -- connections -----------------------------------------------------------------------------

    def _connection(self) -> Connection:
        local = self._local
        connection = getattr(local, "connection", None)
        if connection is None or self._closed or local.pid != os.getpid():
            connection = self._open_connection()
        return connection

    def _driver(self) -> sqlite3.Connection:
        """The thread's sqlite3 connection, for the precompiled hot-path statements."""
        local = self._local
        driver = getattr(local, "driver", None)
        if driver is None or self._closed or local.pid != os.getpid():
            self._open_connection()
            driver = local.driver
        return driver

    def _open_connection(self) -> Connection:
        with self._lock:
            if self._closed:
                raise StoreError(f"store '{self.url}' is closed")
            pid = os.getpid()
            if pid != self._pid:  # forked: the parent's connections are not ours to use or close
                self._connections = {}
                self._pid = pid
            for thread in [thread for thread in self._connections if not thread.is_alive()]:
                self._connections.pop(thread).close()
            try:
                connection = self._engine.connect()
            except sa_exc.DBAPIError as error:
                raise self._open_error(error) from None
            self._connections[threading.current_thread()] = connection
        local = self._local
        local.connection = connection
        local.driver = connection.connection.driver_connection
        local.pid = pid
        return connection

    def _open_error(self, error: BaseException) -> StoreError:
        reason = getattr(error, "orig", None) or error
        return StoreError(f"cannot open database '{self.path}': {reason}")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            connections = list(self._connections.values()) if self._pid == os.getpid() else []
            self._connections = {}
        for connection in connections:
            connection.close()
        self._engine.dispose()

    @contextmanager
    def _write_transaction(self) -> Iterator[Connection]:
        """Several statements as one atomic write, holding the write lock from the start."""
        connection = self._connection()
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.exec_driver_sql("ROLLBACK")
            raise
        connection.exec_driver_sql("COMMIT")

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Turn driver errors into StoreError messages that name the database and the action."""
        try:
            yield
        except sa_exc.DBAPIError as error:
            raise StoreError(f"database '{self.path}': {doing} failed: {error.orig}") from error
        except sqlite3.Error as error:
            raise StoreError(f"database '{self.path}': {doing} failed: {error}") from error

    # -- lifecycle -------------------------------------------------------------------------------

    def migrate(self) -> int:
        try:
            return tables.migrate(
                self._connection(), self.migrations, where=f"database '{self.path}'"
            )
        except sa_exc.DBAPIError as error:
            raise self._open_error(error) from None

    def info(self) -> StoreInfo:
        connection = self._connection()
        with self._errors("reading counts"):
            counts = {
                table(model).name: connection.execute(
                    select(func.count()).select_from(table(model))
                ).scalar_one()
                for model in tables.COUNTED_TABLES
            }
            version = tables.current_version(connection)
        counts.update(self.artifacts.counts())
        return StoreInfo(
            url=self.url,
            backend="sqlite",
            schema_version=version,
            latest_schema_version=self.migrations[-1].version,
            counts=counts,
            artifacts_root=str(self.artifacts.root),
        )

    # -- graphs ----------------------------------------------------------------------------------

    def save_graph(self, graph_id: str, graph_json: str) -> None:
        with self._errors(f"saving graph '{graph_id}'"):
            self._driver().execute(self._insert_graph.sql, (graph_id, graph_json, time.time()))

    def get_graph(self, graph_id: str) -> str:
        graphs = table(GraphRow)
        with self._errors(f"reading graph '{graph_id}'"):
            found = (
                self._connection()
                .execute(select(graphs.c.graph_json).where(graphs.c.id == graph_id))
                .scalar()
            )
        if found is None:
            raise NotFound(f"graph '{graph_id}' does not exist in {self.url}")
        return found

    # -- sessions --------------------------------------------------------------------------------

    def create_session(
        self,
        session_id: str,
        graph_id: str,
        *,
        batch_id: str | None = None,
        queue_item_id: int | None = None,
    ) -> SessionRecord:
        created_at = self._next_created_at()
        row = {
            "id": session_id,
            "graph_id": graph_id,
            "status": PENDING,
            "created_at": created_at,
            "batch_id": batch_id,
            "queue_item_id": queue_item_id,
        }
        try:
            with self._errors(f"creating session '{session_id}'"):
                self._connection().execute(table(SessionRow).insert(), row)
        except StoreError as error:
            constraint = _constraint(error.__cause__)
            if constraint == "SQLITE_CONSTRAINT_FOREIGNKEY":
                raise NotFound(
                    f"cannot create session '{session_id}': graph '{graph_id}' does not exist "
                    f"in {self.url} (save it with save_graph first)"
                ) from None
            if constraint in ("SQLITE_CONSTRAINT_PRIMARYKEY", "SQLITE_CONSTRAINT_UNIQUE"):
                raise StoreError(f"session '{session_id}' already exists in {self.url}") from None
            raise
        return self.get_session(session_id)

    def get_session(self, session_id: str) -> SessionRecord:
        query = tables.session_select().where(table(SessionRow).c.id == session_id)
        with self._errors(f"reading session '{session_id}'"):
            row = self._connection().execute(query).first()
        if row is None:
            raise NotFound(f"session '{session_id}' does not exist in {self.url}")
        return SessionRecord(*row)

    def set_session_status(self, session_id: str, status: str) -> bool:
        if status not in KNOWN_STATES:
            raise ValueError(f"unknown session status '{status}' (one of {sorted(KNOWN_STATES)})")
        now = time.time()
        started = now if status == IN_PROGRESS else None
        finished = now if status in TERMINAL_STATES else None
        with self._errors(f"setting session '{session_id}' to '{status}'"):
            changed = (
                self._driver()
                .execute(self._update_status.sql, (status, started, finished, session_id))
                .rowcount
            )
        if changed:
            return True
        self.get_session(session_id)  # raises NotFound; otherwise it is already terminal
        return False

    def list_sessions(
        self, *, status: str | None = None, limit: int = 50, before: float | None = None
    ) -> list[SessionRecord]:
        sessions = table(SessionRow)
        query = tables.session_select()
        if status is not None:
            query = query.where(sessions.c.status == status)
        if before is not None:
            query = query.where(sessions.c.created_at < before)
        query = query.order_by(sessions.c.created_at.desc(), sessions.c.id.desc()).limit(limit)
        with self._errors("listing sessions"):
            rows = self._connection().execute(query).all()
        return [SessionRecord(*row) for row in rows]

    def delete_session(self, session_id: str) -> None:
        sessions, results = table(SessionRow), table(NodeResultRow)
        with (
            self._errors(f"deleting session '{session_id}'"),
            self._write_transaction() as connection,
        ):
            connection.execute(delete(results).where(results.c.session_id == session_id))
            deleted = connection.execute(
                delete(sessions).where(sessions.c.id == session_id)
            ).rowcount
            if not deleted:
                raise NotFound(f"session '{session_id}' does not exist in {self.url}")

    # -- node results ----------------------------------------------------------------------------

    def add_result(self, result: ResultRecord) -> None:
        output = None if result.output is None else json.dumps(result.output)
        error = None if result.error is None else json.dumps(result.error)
        try:
            self._driver().execute(
                self._insert_result.sql,
                (
                    result.session_id,
                    result.exec_id,
                    result.source_node_id,
                    result.node_type,
                    json.dumps(result.iteration_path),
                    result.status,
                    output,
                    error,
                    result.started_at,
                    result.finished_at,
                ),
            )
        except sqlite3.IntegrityError as failure:
            raise self._result_conflict(result, failure) from None
        except sqlite3.Error as failure:
            raise StoreError(
                f"database '{self.path}': storing result '{result.exec_id}' of session "
                f"'{result.session_id}' failed: {failure}"
            ) from failure

    def _result_conflict(self, result: ResultRecord, failure: sqlite3.IntegrityError) -> StoreError:
        if _constraint(failure) == "SQLITE_CONSTRAINT_FOREIGNKEY":
            return NotFound(
                f"cannot store result '{result.exec_id}': session '{result.session_id}' "
                f"does not exist in {self.url}"
            )
        return DuplicateResult(
            f"session '{result.session_id}' already has a result for '{result.exec_id}' "
            f"(node '{result.source_node_id}'); a node execution is stored once"
        )

    def result_writer(self) -> ResultWriter:
        """Results of a running session, group-committed by a background thread (see sqlite_writer)."""
        from nodeloom.storage.sqlite_writer import BackgroundResultWriter

        def connect() -> sqlite3.Connection:
            connection = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            _configure_connection(connection, None)
            return connection

        return BackgroundResultWriter(connect, self._insert_result.sql, f"database '{self.path}'")

    def get_results(self, session_id: str) -> list[ResultRecord]:
        query = tables.results_select(session_id)
        with self._errors(f"reading results of session '{session_id}'"):
            rows = self._connection().execute(query).all()
        loads = json.loads
        return [
            ResultRecord(
                session_id=row[0],
                exec_id=row[1],
                source_node_id=row[2],
                node_type=row[3],
                iteration_path=loads(row[4]),
                status=row[5],
                output=None if row[6] is None else loads(row[6]),
                error=None if row[7] is None else loads(row[7]),
                started_at=row[8],
                finished_at=row[9],
                seq=seq,
            )
            for seq, row in enumerate(rows, start=1)
        ]

    # -- helpers ---------------------------------------------------------------------------------

    def _next_created_at(self) -> float:
        """Now, but strictly after the previous session of this store (pages never tie)."""
        now = time.time()
        with self._lock:
            if now <= self._last_created_at:
                now = self._last_created_at + 1e-6
            self._last_created_at = now
        return now

    def _prepare_statements(self) -> None:
        dialect = self._engine.dialect
        graphs = table(GraphRow)
        insert_graph = (
            graphs.insert()
            .prefix_with("OR IGNORE")
            .values(
                id=bindparam("p_id"),
                graph_json=bindparam("p_graph_json"),
                created_at=bindparam("p_created_at"),
            )
        )
        # The argument tuples of the hot paths are written out by hand, in this order.
        self._insert_graph = _Prepared.compile(
            insert_graph, dialect, ("p_id", "p_graph_json", "p_created_at")
        )
        self._insert_result = _Prepared.compile(
            tables.insert_result_statement(),
            dialect,
            ("p_session_id", *(f"p_{name}" for name in tables.RESULT_FIELDS)),
        )
        self._update_status = _Prepared.compile(
            tables.session_status_statement(TERMINAL_STATES),
            dialect,
            ("p_status", "p_started_at", "p_finished_at", "p_id"),
        )


def _constraint(error: BaseException | None) -> str | None:
    """The SQLite error name (``SQLITE_CONSTRAINT_FOREIGNKEY`` ...) behind a driver error."""
    error = getattr(error, "orig", error)
    return getattr(error, "sqlite_errorname", None)


def _refuse_foreign_file(path: Path) -> None:
    """Refuse, before anything writes to it (even the WAL switch), another program's database."""
    if not path.is_file() or path.stat().st_size == 0:
        return
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            names = [
                row[0]
                for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            ]
    except sqlite3.Error:
        return  # not readable as SQLite: opening it reports that
    if names and "schema_version" not in names:
        shown = ", ".join(sorted(names)[:5]) + (", ..." if len(names) > 5 else "")
        raise StoreError(
            f"database '{path}' is not a nodeloom database (it has tables {shown} and no nodeloom "
            "schema); nothing was changed: point --db at a new or a nodeloom database"
        )


def _switch_to_wal(cursor: sqlite3.Cursor) -> None:
    """Turn on WAL, retrying while another process holds the lock.

    Changing the journal mode of a brand-new database needs an exclusive lock, and SQLite can
    answer "database is locked" there without consulting the busy handler, so processes opening
    a fresh file at the same moment retry here, like the busy timeout would.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def _configure_connection(driver_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = driver_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        _switch_to_wal(cursor)
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()
