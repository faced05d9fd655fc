"""Cost of the store's hot paths on a file-backed SQLite database; prints JSON.

``add_result`` is one INSERT in autocommit mode (WAL, synchronous=NORMAL): its floor is a raw
``sqlite3`` INSERT + commit of a similar row, measured in the same run for comparison.

    python benchmarks/store.py [--rows 2000] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from nodeloom.storage.base import COMPLETED, IN_PROGRESS, ResultRecord
from nodeloom.storage.sqlite import SqliteStore


def add_result_us(folder: Path, rows: int) -> tuple[float, float]:
    """µs per add_result row and per set_session_status call on a fresh database."""
    with SqliteStore(f"sqlite:///{folder / 'bench.db'}") as store:
        store.save_graph("g", "{}")
        store.create_session("s", "g")
        results = [
            ResultRecord(
                "s",
                f"add-{i}",
                f"add-{i}",
                "add",
                [],
                COMPLETED,
                {"type": "integer_output", "value": i},
                None,
                1.0,
                2.0,
            )
            for i in range(rows)
        ]
        start = time.perf_counter()
        for result in results:
            store.add_result(result)
        per_row = (time.perf_counter() - start) / rows * 1e6
        for i in range(200):
            store.create_session(f"t{i}", "g")
        start = time.perf_counter()
        for i in range(200):
            store.set_session_status(f"t{i}", IN_PROGRESS)
        per_status = (time.perf_counter() - start) / 200 * 1e6
        assert len(store.get_results("s")) == rows
    return per_row, per_status


def raw_floor_us(folder: Path, rows: int) -> float:
    """µs per row of a raw sqlite3 INSERT + commit (WAL, synchronous=NORMAL)."""
    connection = sqlite3.connect(folder / "raw.db", isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute(
        "CREATE TABLE r (session_id TEXT, seq INTEGER, exec_id TEXT, output TEXT, PRIMARY KEY (session_id, seq))"
    )
    start = time.perf_counter()
    for i in range(rows):
        connection.execute(
            "INSERT INTO r VALUES (?, ?, ?, ?)", ("s", i, f"add-{i}", '{"value": 1}')
        )
    per_row = (time.perf_counter() - start) / rows * 1e6
    connection.close()
    return per_row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    add, status, floor = [], [], []
    for _ in range(options.runs):
        with tempfile.TemporaryDirectory() as folder:
            per_row, per_status = add_result_us(Path(folder), options.rows)
            add.append(per_row)
            status.append(per_status)
            floor.append(raw_floor_us(Path(folder), options.rows))
    print(
        json.dumps(
            {
                "rows_per_run": options.rows,
                "runs": options.runs,
                "add_result_us_per_row_median": round(statistics.median(add), 2),
                "add_result_us_per_row_runs": [round(value, 2) for value in add],
                "set_session_status_us_median": round(statistics.median(status), 2),
                "raw_sqlite_insert_commit_us_per_row_median": round(statistics.median(floor), 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
