"""Nodes for crash tests, loaded into a child process that runs the real ``nodeloom run`` code."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from nodeloom import (
    BaseInvocation,
    BaseInvocationOutput,
    InputField,
    OutputField,
    hookimpl,
    invocation,
    invocation_output,
)


@invocation_output("test_gate_output")
class GateOutput(BaseInvocationOutput):
    value: int = OutputField(description="The value passed through")


@invocation("test_gate", category="test")
class GateInvocation(BaseInvocation):
    """Logs each run; at ``stop_at`` (while ``block_file`` exists) signals a FIFO and hangs."""

    value: int = InputField(default=0, description="Passed through")
    stop_at: int = InputField(default=-1, description="The value at which to hang")
    folder: str = InputField(default="", description="Where the log, FIFO and block file live")

    def invoke(self, context) -> GateOutput:
        folder = Path(self.folder)
        if self.value == self.stop_at and (folder / "block").exists():
            # Like any long node, report progress first: the runner makes earlier results
            # durable on a progress report, so the kill below finds them committed.
            context.report_progress(0, 1)
            with open(folder / "fifo", "w") as fifo:  # blocks until the test opens it for reading
                fifo.write("x")
            time.sleep(3600)  # the test kills this process with SIGKILL here
        with open(folder / "log", "a") as log:
            log.write(f"{self.value}\n")
        return GateOutput(value=self.value)


class CrashNodes:
    @hookimpl
    def register_invocations(self, register):
        register(GateInvocation)


def main() -> None:
    """Run the real CLI with this module's nodes registered: ``python crash_nodes.py run ...``."""
    from nodeloom.cli import main as cli_main
    from nodeloom.plugins import make_plugin_manager, set_plugin_manager

    manager = make_plugin_manager()
    manager.add_plugin(CrashNodes(), "crash-nodes")
    set_plugin_manager(manager)
    sys.argv = ["nodeloom", *sys.argv[1:]]
    cli_main()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
