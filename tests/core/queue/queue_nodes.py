"""Nodes for queue tests, also loaded into worker processes (``python queue_nodes.py queue …``)."""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass, field
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


@invocation_output("test_queue_value_output")
class ValueOutput(BaseInvocationOutput):
    value: int = OutputField(description="The value passed through")


@invocation("test_queue_log", category="test")
class LogInvocation(BaseInvocation):
    """Appends its value to ``folder/log``; fails at ``fail_at`` while ``folder/fail`` exists."""

    value: int = InputField(description="Logged and passed through (required)")
    fail_at: int = InputField(default=-1, description="The value that fails")
    folder: str = InputField(default="", description="Where the log and the fail flag live")

    def invoke(self, context) -> ValueOutput:
        folder = Path(self.folder)
        if self.value == self.fail_at and (folder / "fail").exists():
            raise RuntimeError(f"failing on purpose at {self.value}")
        # O_APPEND: lines from several worker processes never overwrite each other
        descriptor = os.open(folder / "log", os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(descriptor, f"{self.value}\n".encode())
        finally:
            os.close(descriptor)
        return ValueOutput(value=self.value)


@invocation("test_queue_gate", category="test")
class GateInvocation(BaseInvocation):
    """At ``stop_at`` (while ``folder/block`` exists) writes to ``folder/fifo`` and hangs."""

    value: int = InputField(default=0, description="Passed through")
    stop_at: int = InputField(default=-1, description="The value at which to hang")
    folder: str = InputField(default="", description="Where the FIFO and block file live")

    def invoke(self, context) -> ValueOutput:
        folder = Path(self.folder)
        if self.value == self.stop_at and (folder / "block").exists():
            with open(folder / "fifo", "w") as fifo:  # blocks until the test opens it for reading
                fifo.write(str(os.getpid()))
            time.sleep(3600)  # the test kills this process with SIGKILL here
        return ValueOutput(value=self.value)


@dataclass
class SpinControl:
    """Lets a test see a spinning node run and count its progress reports."""

    started: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    steps: int = 0
    changed: threading.Condition = field(default_factory=threading.Condition)

    def tick(self) -> None:
        with self.changed:
            self.steps += 1
            self.changed.notify_all()

    def wait_for_steps(self, count: int, timeout: float = 30) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: self.steps >= count, timeout), "node stalled"


SPINS: dict[str, SpinControl] = {}


@invocation("test_queue_spin", category="test")
class SpinInvocation(BaseInvocation):
    """At ``spin_at`` reports progress step after step until canceled or released."""

    value: int = InputField(default=0, description="Passed through")
    spin_at: int = InputField(default=0, description="The value that spins")
    key: str = InputField(default="", description="Which SpinControl to use")

    def invoke(self, context) -> ValueOutput:
        if self.value == self.spin_at:
            control = SPINS[self.key]
            control.started.set()
            step = 0
            while not control.release.is_set():
                step += 1
                context.report_progress(step, 0)
                context.raise_if_canceled()
                control.tick()
                control.release.wait(0.002)  # a long node's next step
        return ValueOutput(value=self.value)


class QueueNodes:
    @hookimpl
    def register_invocations(self, register):
        for cls in (LogInvocation, GateInvocation, SpinInvocation):
            register(cls)


def make_manager():
    from nodeloom.plugins import make_plugin_manager

    manager = make_plugin_manager()
    record = manager.add_plugin(QueueNodes(), "queue-test-nodes")
    assert record.status == "active", record.error
    return manager


def work_in_child(url: str, start: threading.Barrier) -> None:
    """A worker process: wait for the others, then run the queue until it is empty."""
    from nodeloom.queue import Worker
    from nodeloom.storage import open_store

    manager = make_manager()
    with open_store(url, plugin_manager=manager) as store:
        start.wait()
        Worker(store, plugin_manager=manager).run(until_empty=True)


def main() -> None:
    """Run the real CLI with these nodes registered: ``python queue_nodes.py queue work …``."""
    from nodeloom.cli import main as cli_main
    from nodeloom.plugins import set_plugin_manager

    set_plugin_manager(make_manager())
    sys.argv = ["nodeloom", *sys.argv[1:]]
    cli_main()


if __name__ == "__main__":
    main()
