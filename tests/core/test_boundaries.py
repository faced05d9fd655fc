"""Import boundaries: the core never imports a plugin, and listing nodes stays light."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "core"
HEAVY = ("torch", "diffusers", "transformers", "sqlalchemy", "sqlmodel")


def imported_modules(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "import_module":
            names += [
                arg.value
                for arg in node.args
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            ]
    return names


def test_core_source_never_imports_a_plugin_package():
    files = sorted(CORE.rglob("*.py"))
    assert len(files) > 10
    offenders = [
        f"{path.relative_to(CORE)}: {name}"
        for path in files
        for name in imported_modules(path)
        if name.split(".")[0].startswith("nodeloom_")
    ]
    assert offenders == []


def run_python(code: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_core_manager_without_entry_points_loads_no_plugin_package():
    loaded = run_python(
        "import json, sys\n"
        "import nodeloom\n"
        "from nodeloom.plugins import make_plugin_manager\n"
        "manager = make_plugin_manager(entry_points=False)\n"
        "assert 'iterate' in manager.registry.nodes\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('nodeloom_'))))\n"
    )
    assert loaded == []


def test_nodes_json_does_not_import_heavy_libraries():
    found = run_python(
        "import io, json, sys, contextlib\n"
        "from nodeloom.cli import main\n"
        "sys.argv = ['nodeloom', 'nodes', '--json']\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit as exit_:\n"
        "        code = exit_.code\n"
        "nodes = json.loads(out.getvalue())['nodes']\n"
        f"print(json.dumps({{'code': code, 'nodes': len(nodes), 'heavy': [m for m in {HEAVY!r} if m in sys.modules]}}))\n"
    )
    assert found["code"] == 0
    assert found["nodes"] > 30  # the primitives really were loaded
    assert found["heavy"] == []
