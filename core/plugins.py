"""The plugin manager: entry-point discovery, isolated loading, failure records and the factory."""

from __future__ import annotations

import difflib
import os
import traceback
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from nodeloom import hooks
from nodeloom.hooks import PROJECT
from nodeloom.registry import Registry

ENTRY_POINT_GROUP = PROJECT
DISABLE_ENV = "NODELOOM_DISABLE_PLUGINS"
CORE_PLUGIN = "core"
#: Hooks through which plugins contribute things; each is called once per plugin, in isolation.
CONTRIBUTION_HOOKS = ("register_invocations", "register_storage_backends")


@dataclass
class PluginRecord:
    """What ``nodeloom plugins`` shows about one plugin."""

    name: str
    distribution: str | None = None
    version: str | None = None
    status: str = "active"  # active | failed | disabled
    error: str | None = None
    hooks: list[str] = field(default_factory=list)
    node_count: int = 0
    module: str | None = None
    traceback: str | None = None

    def as_dict(self, verbose: bool = False) -> dict[str, Any]:
        data = asdict(self)
        if not verbose:
            data.pop("traceback")
        return data


class PluginManager(pluggy.PluginManager):
    """A pluggy manager that also holds the registry of contributions and one record per plugin."""

    def __init__(self) -> None:
        super().__init__(PROJECT)
        self.add_hookspecs(hooks)
        self.registry = Registry()
        self.records: dict[str, PluginRecord] = {}
        self._contributions: dict[str, list[tuple[str, str]]] = {}

    # -- adding and removing plugins -------------------------------------------------------------

    def add_plugin(
        self,
        plugin: Any,
        name: str | None = None,
        *,
        distribution: str | None = None,
        version: str | None = None,
    ) -> PluginRecord:
        """Register ``plugin`` and collect its contributions; a failure is recorded, never raised."""
        name = name or getattr(plugin, "__name__", None) or repr(plugin)
        record = PluginRecord(
            name=name,
            distribution=distribution,
            version=version,
            module=getattr(plugin, "__name__", type(plugin).__name__),
        )
        if name in self.records and self.records[name].status != "disabled":
            other = self.records[name]
            record.status, record.error = (
                "failed",
                (f"plugin name '{name}' is already used by distribution '{other.distribution}'"),
            )
            self.records[f"{name} ({distribution})"] = record
            return record
        self.records[name] = record
        try:
            self.register(plugin, name=name)
        except Exception as error:
            return self._fail(
                record, plugin, f"invalid hook implementation: {error}", error, registered=False
            )
        unknown = [
            caller.name for caller in self.get_hookcallers(plugin) or [] if not caller.has_spec()
        ]
        if unknown:
            return self._fail(record, plugin, _unknown_hooks_message(unknown), None)
        added: list[tuple[str, str]] = []
        self._contributions[name] = added
        for hook_name in CONTRIBUTION_HOOKS:
            registrar = (
                self.registry.node_registrar(name, added)
                if hook_name == "register_invocations"
                else self.registry.backend_registrar(name, added)
            )
            for impl in getattr(self.hook, hook_name).get_hookimpls():
                if impl.plugin is not plugin:
                    continue
                try:
                    impl.function(register=registrar)
                except Exception as error:
                    return self._fail(record, plugin, f"{hook_name} failed: {error}", error)
        record.hooks = sorted(caller.name for caller in self.get_hookcallers(plugin) or [])
        record.node_count = sum(1 for kind, _ in added if kind == "node")
        return record

    def remove_plugin(self, name: str) -> None:
        """Unregister a plugin and withdraw everything it contributed."""
        self.registry.withdraw(self._contributions.pop(name, []))
        self.records.pop(name, None)
        plugin = self.get_plugin(name)
        if plugin is not None:
            self.unregister(plugin)

    def fail_plugin(self, name: str, message: str, error: BaseException | None = None) -> None:
        """Mark an already-active plugin failed (for example, its ``register_commands`` raised)."""
        record = self.records.get(name)
        plugin = self.get_plugin(name)
        if record is not None:
            self._fail(record, plugin, message, error, registered=plugin is not None)

    def _fail(
        self,
        record: PluginRecord,
        plugin: Any,
        message: str,
        error: BaseException | None,
        *,
        registered: bool = True,
    ) -> PluginRecord:
        record.status = "failed"
        record.error = message
        record.node_count = 0
        if error is not None:
            record.traceback = "".join(traceback.format_exception(error))
        self.registry.withdraw(self._contributions.pop(record.name, []))
        if registered and plugin is not None and self.is_registered(plugin):
            self.unregister(plugin)
        return record

    # -- entry points ----------------------------------------------------------------------------

    def load_entry_points(self, disabled: Iterable[str] = ()) -> None:
        """Load every ``nodeloom`` entry point in isolation; nodeloom's own plugins first."""
        blocked = set(disabled)
        for entry_point in _sorted_entry_points():
            dist = getattr(entry_point, "dist", None)
            dist_name = dist.metadata["Name"] if dist is not None else None
            dist_version = dist.version if dist is not None else None
            if entry_point.name in blocked:
                self.records[entry_point.name] = PluginRecord(
                    name=entry_point.name,
                    distribution=dist_name,
                    version=dist_version,
                    status="disabled",
                    module=entry_point.value,
                    error=f"disabled by {DISABLE_ENV}",
                )
                continue
            try:
                module = entry_point.load()
            except BaseException as error:  # noqa: BLE001 - a pack may even call sys.exit on import
                if isinstance(error, KeyboardInterrupt):
                    raise
                record = PluginRecord(
                    name=entry_point.name,
                    distribution=dist_name,
                    version=dist_version,
                    status="failed",
                    module=entry_point.value,
                    error=f"import of '{entry_point.value}' failed: {type(error).__name__}: {error}",
                    traceback="".join(traceback.format_exception(error)),
                )
                self.records.setdefault(entry_point.name, record)
                continue
            self.add_plugin(module, entry_point.name, distribution=dist_name, version=dist_version)

    # -- helpers ---------------------------------------------------------------------------------

    def call_each(self, hook_name: str, **kwargs: Any) -> None:
        """Call one hook plugin by plugin, recording a raising plugin as failed."""
        for impl in getattr(self.hook, hook_name).get_hookimpls():
            try:
                impl.function(**kwargs)
            except Exception as error:
                self.fail_plugin(impl.plugin_name, f"{hook_name} failed: {error}", error)

    def active_records(self) -> list[PluginRecord]:
        return [record for record in self.records.values() if record.status == "active"]

    def sorted_records(self) -> list[PluginRecord]:
        return sorted(self.records.values(), key=lambda record: record.name)


def _sorted_entry_points() -> list[metadata.EntryPoint]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(entry_point, "dist", None)
        key = (entry_point.name, dist.metadata["Name"] if dist is not None else "")
        if key in seen:  # the same distribution seen twice on sys.path
            continue
        seen.add(key)
        unique.append(entry_point)

    def order(entry_point: metadata.EntryPoint) -> tuple[int, str]:
        dist = getattr(entry_point, "dist", None)
        builtin = dist is not None and dist.metadata["Name"] == PROJECT
        return (0 if builtin else 1, entry_point.name)

    return sorted(unique, key=order)


def _unknown_hooks_message(names: list[str]) -> str:
    known = [
        name for name in dir(hooks) if not name.startswith("_") and callable(getattr(hooks, name))
    ]
    parts = []
    for name in sorted(names):
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        parts.append(f"'{name}'{hint}")
    return "unknown hook implementation(s): " + ", ".join(parts)


def disabled_from_env() -> set[str]:
    return {name.strip() for name in os.environ.get(DISABLE_ENV, "").split(",") if name.strip()}


def make_plugin_manager(
    *, entry_points: bool = True, disabled: Iterable[str] = ()
) -> PluginManager:
    """Build a fresh plugin manager: the core plugin, then (optionally) every entry point.

    ``NODELOOM_DISABLE_PLUGINS=a,b`` and ``disabled`` block plugins by name.
    """
    from nodeloom import builtin

    manager = PluginManager()
    manager.add_plugin(builtin, CORE_PLUGIN, distribution=PROJECT, version=_own_version())
    if entry_points:
        manager.load_entry_points(disabled=set(disabled) | disabled_from_env())
    return manager


_default: PluginManager | None = None


def get_plugin_manager() -> PluginManager:
    """The process-wide plugin manager used when none is passed explicitly."""
    global _default
    if _default is None:
        _default = make_plugin_manager()
    return _default


def set_plugin_manager(manager: PluginManager | None) -> None:
    """Replace (or with ``None`` reset) the process-wide plugin manager."""
    global _default
    _default = manager


def _own_version() -> str | None:
    try:
        return metadata.version(PROJECT)
    except metadata.PackageNotFoundError:
        return None
