"""Startup figures: whole-process `nodeloom nodes --json` (median of 5) and the plugin-manager build.

Prints one JSON object. Target (issue 2): `nodeloom nodes --json` whole process <= 0.6 s.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

RUNS = 5


def console_script() -> str:
    beside = Path(sys.executable).parent / "nodeloom"
    found = str(beside) if beside.exists() else shutil.which("nodeloom")
    if found is None:
        raise SystemExit("the nodeloom console script is not installed (pip install -e .)")
    return found


def time_process(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def manager_build_seconds() -> dict[str, float]:
    """Import plus build, measured in a fresh interpreter so that nothing is cached."""
    code = (
        "import json, time\n"
        "start = time.perf_counter()\n"
        "from nodeloom.plugins import make_plugin_manager\n"
        "imported = time.perf_counter()\n"
        "manager = make_plugin_manager()\n"
        "built = time.perf_counter()\n"
        "print(json.dumps({'import_s': imported - start, 'build_s': built - imported,"
        " 'nodes': len(manager.registry.nodes)}))\n"
    )
    samples = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", code], check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(RUNS)
    ]
    return {
        "import_s": round(statistics.median(sample["import_s"] for sample in samples), 4),
        "build_s": round(statistics.median(sample["build_s"] for sample in samples), 4),
        "nodes": samples[0]["nodes"],
    }


def main() -> None:
    script = console_script()
    time_process([script, "nodes", "--json"])  # warm the file-system cache
    nodes_runs = [time_process([script, "nodes", "--json"]) for _ in range(RUNS)]
    python_runs = [time_process([sys.executable, "-c", "pass"]) for _ in range(RUNS)]
    manager = manager_build_seconds()
    print(
        json.dumps(
            {
                "nodes_json_whole_process_median_s": round(statistics.median(nodes_runs), 4),
                "nodes_json_runs_s": [round(run, 4) for run in nodes_runs],
                "target_s": 0.6,
                "bare_python_median_s": round(statistics.median(python_runs), 4),
                "plugin_manager_import_median_s": manager["import_s"],
                "plugin_manager_build_median_s": manager["build_s"],
                "registered_nodes": manager["nodes"],
                "runs": RUNS,
                "python": sys.version.split()[0],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
