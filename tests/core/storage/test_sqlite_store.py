"""SQLite-specific behaviour: files, pragmas, artifacts beside the database, migrations, processes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, inspect
from sqlmodel import Field, SQLModel

from nodeloom.storage.base import COMPLETED, IN_PROGRESS, StoreError
from nodeloom.storage.contract import GRAPH_JSON, make_result
from nodeloom.storage.sqlite import SqliteStore, artifacts_root, database_path
from nodeloom.storage.tables import (
    LATEST_VERSION,
    MIGRATIONS,
    Migration,
    SessionRow,
    add_column_if_missing,
    create_tables,
)


def url_for(path: Path) -> str:
    return f"sqlite:///{path}"


def schema_versions(path: Path) -> list[int]:
    with sqlite3.connect(path) as connection:
        return [
            row[0] for row in connection.execute("SELECT version FROM schema_version ORDER BY 1")
        ]


# -- files and pragmas ---------------------------------------------------------------------------


def test_connections_use_wal_and_the_documented_pragmas(tmp_path: Path) -> None:
    with SqliteStore(url_for(tmp_path / "a.db")) as store:
        connection = store._connection()
        pragma = connection.exec_driver_sql
        assert pragma("PRAGMA journal_mode").scalar() == "wal"
        assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert pragma("PRAGMA busy_timeout").scalar() == 30_000
        assert pragma("PRAGMA foreign_keys").scalar() == 1
    with sqlite3.connect(tmp_path / "a.db") as raw:  # WAL is a property of the file itself
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_artifacts_live_beside_the_database(tmp_path: Path) -> None:
    from PIL import Image

    with SqliteStore(url_for(tmp_path / "work.db")) as store:
        assert store.artifacts.root == tmp_path / "work-artifacts"
        name = store.artifacts.save_image(Image.new("RGB", (2, 2)))
        assert (tmp_path / "work-artifacts" / "images" / name).is_file()
        info = store.info()
        assert info.artifacts_root == str(tmp_path / "work-artifacts")
        assert info.counts["images"] == 1
    assert artifacts_root(Path("/x/y/name.db")) == Path("/x/y/name-artifacts")


def test_relative_url_creates_parent_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with SqliteStore("sqlite:///deep/er/rel.db") as store:
        assert store.path == tmp_path / "deep" / "er" / "rel.db"
        assert store.artifacts.root == tmp_path / "deep" / "er" / "rel-artifacts"
    assert (tmp_path / "deep" / "er" / "rel.db").is_file()
    assert database_path("sqlite:////abs/olute.db") == Path("/abs/olute.db")


def test_reopening_a_file_keeps_everything(tmp_path: Path) -> None:
    url = url_for(tmp_path / "keep.db")
    with SqliteStore(url) as store:
        store.save_graph("g1", GRAPH_JSON)
        store.create_session("s1", "g1", batch_id="b")
        store.set_session_status("s1", IN_PROGRESS)
        store.add_result(make_result("s1", "a", iteration_path=[2, 0], output={"value": [1.5]}))
        before = store.get_session("s1")
    with SqliteStore(url) as store:
        assert store.get_session("s1") == before
        assert store.get_graph("g1") == GRAPH_JSON
        store.add_result(make_result("s1", "b"))
        read = store.get_results("s1")
        assert [(r.exec_id, r.seq, r.iteration_path) for r in read] == [
            ("a", 1, [2, 0]),
            ("b", 2, []),
        ]
        assert read[0].output == {"value": [1.5]}
        assert store.set_session_status("s1", COMPLETED) is True


@pytest.mark.parametrize(
    "url, message",
    [
        ("sqlite:///:memory:", "memory://"),
        ("sqlite://", "no host"),
        ("sqlite://host/x.db", "no host"),
        ("sqlite:///x.db?mode=ro", "query parameters"),
        ("postgresql://x", "not a SQLite URL"),
    ],
)
def test_unsupported_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        SqliteStore(url)


def test_a_corrupt_file_is_a_store_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    path.write_bytes(b"this is not a database at all\x00\xff" * 200)
    with pytest.raises(StoreError, match="not a database") as raised:
        SqliteStore(url_for(path))
    assert str(path) in str(raised.value)
    assert path.read_bytes().startswith(b"this is not")  # left untouched


def test_a_directory_is_a_store_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="directory") as raised:
        SqliteStore(url_for(tmp_path))
    assert str(tmp_path) in str(raised.value)


def test_a_parent_that_is_a_file_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="cannot create the folder"):
        SqliteStore(url_for(tmp_path / "file" / "x.db"))


def test_a_closed_store_refuses_work(tmp_path: Path) -> None:
    store = SqliteStore(url_for(tmp_path / "c.db"))
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.get_graph("g1")


def test_connections_of_finished_threads_are_closed(tmp_path: Path) -> None:
    with SqliteStore(url_for(tmp_path / "t.db")) as store:
        store.save_graph("g1", GRAPH_JSON)
        for _ in range(5):
            worker = threading.Thread(target=store.get_graph, args=("g1",))
            worker.start()
            worker.join()
        store.get_graph("g1")
        assert len(store._connections) <= 2  # this thread and the last worker at most


# -- migrations ----------------------------------------------------------------------------------

extra_metadata = MetaData()
extra_table = Table("extra", extra_metadata, Column("id", Integer, primary_key=True))


class _FutureTable(SQLModel):
    metadata = MetaData()


class FutureSessionRow(_FutureTable, table=True):
    """The sessions table as a later version might declare it: one more column."""

    __tablename__ = "sessions"

    id: str = Field(primary_key=True)
    note: str | None = None


def version_two(connection) -> None:
    extra_table.create(connection, checkfirst=True)
    add_column_if_missing(connection, FutureSessionRow, "note")


class FutureStore(SqliteStore):
    migrations = [
        *MIGRATIONS,
        Migration(LATEST_VERSION + 1, "extra table, sessions.note", version_two),
    ]


def test_a_new_database_records_every_version(tmp_path: Path) -> None:
    with SqliteStore(url_for(tmp_path / "v.db")) as store:
        assert store.migrate() == LATEST_VERSION
        assert store.info().schema_version == LATEST_VERSION
    assert schema_versions(tmp_path / "v.db") == list(range(1, LATEST_VERSION + 1))


def test_an_empty_file_is_migrated(tmp_path: Path) -> None:
    (tmp_path / "empty.db").write_bytes(b"")
    with SqliteStore(url_for(tmp_path / "empty.db")) as store:
        assert store.info().schema_version == LATEST_VERSION


def test_an_older_database_is_migrated_forward_keeping_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with SqliteStore(url_for(path)) as store:
        store.save_graph("g1", GRAPH_JSON)
        store.create_session("s1", "g1")
        store.add_result(make_result("s1", "a"))
    assert schema_versions(path) == list(range(1, LATEST_VERSION + 1))
    with FutureStore(url_for(path)) as store:
        assert store.info().schema_version == LATEST_VERSION + 1
        assert store.get_results("s1")[0].exec_id == "a"
        connection = store._connection()
        assert "note" in {column["name"] for column in inspect(connection).get_columns("sessions")}
        assert inspect(connection).has_table("extra")
        assert store.migrate() == LATEST_VERSION + 1  # idempotent: nothing left to do
        version_two(connection)  # and the step itself can run again
    assert schema_versions(path) == list(range(1, LATEST_VERSION + 2))
    with FutureStore(url_for(path)) as store:
        assert store.migrate() == LATEST_VERSION + 1


def test_a_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    FutureStore(url_for(path)).close()
    with pytest.raises(StoreError, match="newer than this nodeloom knows") as raised:
        SqliteStore(url_for(path))
    assert str(path) in str(raised.value)


def test_a_failing_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    def broken(connection) -> None:
        extra_table.create(connection)
        raise RuntimeError("migration bug")

    class BrokenStore(SqliteStore):
        migrations = [*MIGRATIONS, Migration(LATEST_VERSION + 1, "broken", broken)]

    path = tmp_path / "b.db"
    SqliteStore(url_for(path)).close()
    with pytest.raises(RuntimeError, match="migration bug"):
        BrokenStore(url_for(path))
    assert schema_versions(path) == list(range(1, LATEST_VERSION + 1))
    with SqliteStore(url_for(path)) as store:
        assert not inspect(store._connection()).has_table("extra")


def test_migration_versions_must_be_contiguous(tmp_path: Path) -> None:
    class GappedStore(SqliteStore):
        migrations = [*MIGRATIONS, Migration(LATEST_VERSION + 2, "gap", lambda connection: None)]

    with pytest.raises(ValueError, match="without gaps"):
        GappedStore(url_for(tmp_path / "g.db"))


def test_create_tables_is_idempotent(tmp_path: Path) -> None:
    with SqliteStore(url_for(tmp_path / "i.db")) as store:
        create_tables(store._connection(), SessionRow)
        add_column_if_missing(store._connection(), SessionRow, "batch_id")


# -- several processes ---------------------------------------------------------------------------

WORKER = textwrap.dedent(
    """
    import sys
    from nodeloom.storage.contract import GRAPH_JSON, make_result
    from nodeloom.storage.sqlite import SqliteStore

    url, worker, count, session = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    print("ready", flush=True)
    sys.stdin.readline()  # every worker starts at once
    with SqliteStore(url) as store:
        if session == "own":
            session = f"s-{worker}"
            store.save_graph("g1", GRAPH_JSON)
            store.create_session(session, "g1")
        for index in range(count):
            store.add_result(make_result(session, f"{worker}#{index}"))
    """
)


def run_workers(url: str, workers: int, count: int, session: str, cwd: Path) -> None:
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, str(worker), str(count), session],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
        )
        for worker in range(workers)
    ]
    for process in processes:
        assert process.stdout is not None and process.stdout.readline() == "ready\n"
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    for process in processes:
        _, errors = process.communicate(timeout=120)
        assert process.returncode == 0, errors


def test_processes_share_one_session(tmp_path: Path) -> None:
    url = url_for(tmp_path / "shared.db")
    with SqliteStore(url) as store:
        store.save_graph("g1", GRAPH_JSON)
        store.create_session("shared", "g1")
    run_workers(url, workers=3, count=150, session="shared", cwd=tmp_path)
    with SqliteStore(url) as store:
        read = store.get_results("shared")
        assert len(read) == 450
        assert [r.seq for r in read] == list(range(1, 451))
        assert {r.exec_id for r in read} == {f"{w}#{i}" for w in range(3) for i in range(150)}


def test_processes_opening_a_fresh_database_at_once(tmp_path: Path) -> None:
    url = url_for(tmp_path / "fresh" / "race.db")
    run_workers(url, workers=4, count=50, session="own", cwd=tmp_path)
    with SqliteStore(url) as store:
        for worker in range(4):
            assert len(store.get_results(f"s-{worker}")) == 50
        assert store.info().counts["node_results"] == 200
    assert schema_versions(tmp_path / "fresh" / "race.db") == list(range(1, LATEST_VERSION + 1))


def test_another_applications_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE sessions (x INTEGER)")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a nodeloom database"):
        SqliteStore(f"sqlite:///{path}")
    assert path.read_bytes() == before
    with sqlite3.connect(path) as connection:
        names = [row[0] for row in connection.execute("SELECT name FROM sqlite_master")]
    assert names == ["sessions"]
