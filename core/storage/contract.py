"""The store contract: pytest tests every storage backend must pass, importable by third parties.

``StoreContract`` is a plain class (pytest does not collect it by itself) whose ``test_*``
methods use a ``store`` fixture. A backend runs the suite by subclassing it in a test module
and providing that fixture, which yields a fresh, empty, migrated store and closes it::

    # tests/test_my_backend.py
    import pytest
    from nodeloom.storage.contract import StoreContract
    from my_backend import MyStore

    class TestMyStore(StoreContract):
        @pytest.fixture
        def store(self, tmp_path):
            with MyStore(f"mine://{tmp_path}/db") as store:
                yield store

Every test method is then collected for ``TestMyStore``, the queue tests of
``nodeloom.storage.queue_contract`` included. The built-in backends run it from
``tests/core/storage/test_store_contract.py``. The suite needs pytest and nothing else.
"""

from __future__ import annotations

import json
import threading

import pytest

from nodeloom.storage.base import (
    CANCELED,
    COMPLETED,
    FAILED,
    IN_PROGRESS,
    PENDING,
    DuplicateResult,
    NotFound,
    ResultRecord,
    Store,
    StoreError,
)
from nodeloom.storage.queue_contract import QueueContract

GRAPH_JSON = json.dumps({"id": "g1", "nodes": {"a": {"id": "a", "type": "integer", "value": 1}}})


def make_result(session_id: str, exec_id: str, **fields: object) -> ResultRecord:
    """A completed result with plausible values; ``fields`` override any of them."""
    values: dict[str, object] = {
        "source_node_id": exec_id.split("#", 1)[0],
        "node_type": "add",
        "iteration_path": [],
        "status": COMPLETED,
        "output": {"type": "integer_output", "value": 1},
        "error": None,
        "started_at": 100.0,
        "finished_at": 100.5,
    }
    values.update(fields)
    return ResultRecord(session_id=session_id, exec_id=exec_id, **values)  # type: ignore[arg-type]


class StoreContract(QueueContract):
    """Behaviour every ``Store`` backend guarantees; subclasses provide the ``store`` fixture."""

    @pytest.fixture
    def store(self) -> Store:
        raise NotImplementedError("a StoreContract subclass must provide a 'store' fixture")

    @pytest.fixture
    def session_id(self, store: Store) -> str:
        store.save_graph("g1", GRAPH_JSON)
        store.create_session("s1", "g1")
        return "s1"

    # -- graphs ----------------------------------------------------------------------------------

    def test_graph_round_trip(self, store: Store) -> None:
        store.save_graph("g1", GRAPH_JSON)
        assert store.get_graph("g1") == GRAPH_JSON

    def test_missing_graph_is_not_found(self, store: Store) -> None:
        with pytest.raises(NotFound, match="nope"):
            store.get_graph("nope")

    def test_saving_a_graph_twice_keeps_the_first(self, store: Store) -> None:
        store.save_graph("g1", GRAPH_JSON)
        store.save_graph("g1", GRAPH_JSON)
        store.save_graph("g1", "{}")
        assert store.get_graph("g1") == GRAPH_JSON
        assert store.info().counts["graphs"] == 1

    # -- sessions --------------------------------------------------------------------------------

    def test_create_and_get_session(self, store: Store) -> None:
        store.save_graph("g1", GRAPH_JSON)
        created = store.create_session("s1", "g1", batch_id="b1", queue_item_id=7)
        fetched = store.get_session("s1")
        assert created == fetched
        assert fetched.session_id == "s1"
        assert fetched.graph_id == "g1"
        assert fetched.graph_json == GRAPH_JSON
        assert fetched.status == PENDING
        assert fetched.created_at > 0
        assert fetched.started_at is None and fetched.finished_at is None
        assert (fetched.batch_id, fetched.queue_item_id) == ("b1", 7)

    def test_session_for_a_missing_graph_is_refused(self, store: Store) -> None:
        with pytest.raises(NotFound, match="nope"):
            store.create_session("s1", "nope")
        with pytest.raises(NotFound):
            store.get_session("s1")

    def test_duplicate_session_id_is_refused(self, store: Store, session_id: str) -> None:
        with pytest.raises(StoreError, match="already exists"):
            store.create_session(session_id, "g1")

    def test_missing_session_is_not_found(self, store: Store) -> None:
        with pytest.raises(NotFound, match="nope"):
            store.get_session("nope")
        with pytest.raises(NotFound, match="nope"):
            store.set_session_status("nope", IN_PROGRESS)
        with pytest.raises(NotFound, match="nope"):
            store.delete_session("nope")

    def test_status_transitions_set_timestamps(self, store: Store, session_id: str) -> None:
        assert store.set_session_status(session_id, IN_PROGRESS) is True
        running = store.get_session(session_id)
        assert running.status == IN_PROGRESS
        assert running.started_at is not None and running.finished_at is None
        assert store.set_session_status(session_id, COMPLETED) is True
        done = store.get_session(session_id)
        assert done.status == COMPLETED
        assert done.started_at == running.started_at
        assert done.finished_at is not None and done.finished_at >= done.started_at

    @pytest.mark.parametrize("terminal", [COMPLETED, FAILED, CANCELED])
    def test_terminal_states_never_change(
        self, store: Store, session_id: str, terminal: str
    ) -> None:
        store.set_session_status(session_id, IN_PROGRESS)
        assert store.set_session_status(session_id, terminal) is True
        finished = store.get_session(session_id)
        for later in (COMPLETED, FAILED, CANCELED, IN_PROGRESS, PENDING):
            assert store.set_session_status(session_id, later) is False
        assert store.get_session(session_id) == finished

    def test_unknown_status_is_refused(self, store: Store, session_id: str) -> None:
        with pytest.raises(ValueError, match="bogus"):
            store.set_session_status(session_id, "bogus")
        assert store.get_session(session_id).status == PENDING

    def test_list_sessions_newest_first_with_paging(self, store: Store) -> None:
        store.save_graph("g1", GRAPH_JSON)
        ids = [f"s{index}" for index in range(7)]
        for session_id in ids:
            store.create_session(session_id, "g1")
        newest_first = list(reversed(ids))
        seen: list[str] = []
        before = None
        while True:
            page = store.list_sessions(limit=3, before=before)
            if not page:
                break
            assert len(page) <= 3
            seen += [record.session_id for record in page]
            before = page[-1].created_at
        assert seen == newest_first
        assert [r.session_id for r in store.list_sessions()] == newest_first
        assert store.list_sessions(limit=0) == []

    def test_list_sessions_filters_by_status(self, store: Store) -> None:
        store.save_graph("g1", GRAPH_JSON)
        for index in range(5):
            store.create_session(f"s{index}", "g1")
        store.set_session_status("s1", FAILED)
        store.set_session_status("s3", FAILED)
        store.set_session_status("s4", IN_PROGRESS)
        assert [r.session_id for r in store.list_sessions(status=FAILED)] == ["s3", "s1"]
        assert [r.session_id for r in store.list_sessions(status=PENDING)] == ["s2", "s0"]
        assert store.list_sessions(status=CANCELED) == []
        assert all(r.graph_json == GRAPH_JSON for r in store.list_sessions())

    def test_delete_session_removes_its_results(self, store: Store, session_id: str) -> None:
        store.create_session("other", "g1")
        store.add_result(make_result(session_id, "a"))
        store.add_result(make_result("other", "a"))
        store.delete_session(session_id)
        with pytest.raises(NotFound):
            store.get_session(session_id)
        assert store.get_results(session_id) == []
        assert [r.exec_id for r in store.get_results("other")] == ["a"]
        assert store.info().counts["node_results"] == 1
        assert store.get_graph("g1") == GRAPH_JSON
        # the id is free again, and the old results do not come back with it
        store.create_session(session_id, "g1")
        assert store.get_results(session_id) == []

    # -- node results ----------------------------------------------------------------------------

    def test_results_round_trip_in_execution_order(self, store: Store, session_id: str) -> None:
        written = [
            make_result(session_id, "range", node_type="range", output={"collection": [0, 1]}),
            make_result(session_id, "mul#0", iteration_path=[0], output={"value": 0.5}),
            make_result(
                session_id,
                "mul#1.2",
                iteration_path=[1, 2],
                output={
                    "nested": {"list": [[1, 2], []], "text": "é ✓", "none": None, "flag": True}
                },
            ),
            make_result(
                session_id,
                "boom",
                status=FAILED,
                output=None,
                error={"error_type": "ValueError", "message": "bad", "traceback": "Traceback..."},
                started_at=1.25,
                finished_at=2.5,
            ),
        ]
        for result in written:
            store.add_result(result)
        read = store.get_results(session_id)
        assert [r.seq for r in read] == [1, 2, 3, 4]
        for original, stored in zip(written, read, strict=True):
            assert stored == ResultRecord(**{**original.__dict__, "seq": stored.seq})

    def test_results_of_an_unknown_session_are_empty(self, store: Store) -> None:
        assert store.get_results("nope") == []

    def test_result_for_a_missing_session_is_refused(self, store: Store) -> None:
        with pytest.raises(NotFound, match="nope"):
            store.add_result(make_result("nope", "a"))
        assert store.info().counts["node_results"] == 0

    def test_duplicate_exec_id_is_refused_cleanly(self, store: Store, session_id: str) -> None:
        store.add_result(make_result(session_id, "a", output={"value": 1}))
        with pytest.raises(DuplicateResult, match="'a'"):
            store.add_result(make_result(session_id, "a", output={"value": 2}))
        store.add_result(make_result(session_id, "b"))
        read = store.get_results(session_id)
        assert [(r.exec_id, r.seq) for r in read] == [("a", 1), ("b", 2)]
        assert read[0].output == {"value": 1}

    def test_exec_ids_are_per_session(self, store: Store, session_id: str) -> None:
        store.create_session("other", "g1")
        store.add_result(make_result(session_id, "a"))
        store.add_result(make_result("other", "a"))
        assert [r.seq for r in store.get_results("other")] == [1]

    def test_returned_records_are_copies(self, store: Store, session_id: str) -> None:
        store.add_result(make_result(session_id, "a", output={"value": [1]}))
        first = store.get_results(session_id)[0]
        assert first.output is not None
        first.output["value"].append(2)
        first.iteration_path.append(9)
        assert store.get_results(session_id)[0].output == {"value": [1]}
        assert store.get_results(session_id)[0].iteration_path == []

    # -- lifecycle -------------------------------------------------------------------------------

    def test_info_counts(self, store: Store, session_id: str) -> None:
        store.create_session("s2", "g1")
        for index in range(3):
            store.add_result(make_result(session_id, f"n{index}"))
        info = store.info()
        assert info.url == store.url
        assert info.backend
        assert {"graphs": 1, "sessions": 2, "node_results": 3}.items() <= info.counts.items()
        assert info.schema_version == info.latest_schema_version

    def test_migrate_is_idempotent(self, store: Store) -> None:
        version = store.migrate()
        assert store.migrate() == version
        assert version == store.info().latest_schema_version == store.info().schema_version

    # -- concurrency -----------------------------------------------------------------------------

    def test_threads_adding_results_concurrently(self, store: Store, session_id: str) -> None:
        threads_count, per_thread = 8, 40
        store.create_session("s2", "g1")
        start = threading.Barrier(threads_count)
        failures: list[BaseException] = []

        def work(worker: int) -> None:
            try:
                start.wait()
                for index in range(per_thread):
                    target = session_id if index % 2 else "s2"
                    store.add_result(make_result(target, f"w{worker}#{index}"))
                store.set_session_status(session_id, IN_PROGRESS)
            except BaseException as error:  # reported below, in the test's thread
                failures.append(error)

        workers = [threading.Thread(target=work, args=(n,)) for n in range(threads_count)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert failures == []
        total = threads_count * per_thread
        for target in (session_id, "s2"):
            read = store.get_results(target)
            assert len(read) == total // 2
            assert [r.seq for r in read] == list(range(1, total // 2 + 1))
        assert store.info().counts["node_results"] == total
        assert store.get_session(session_id).status == IN_PROGRESS
