"""The node authoring API: base classes, field helpers and the two registration decorators."""

from __future__ import annotations

import re
import typing
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

if TYPE_CHECKING:
    from nodeloom.context import InvocationContext

#: Field names every node has; a node class may not declare them itself.
RESERVED_FIELDS = frozenset({"id", "type", "is_intermediate", "use_cache"})
#: Field names every output has.
RESERVED_OUTPUT_FIELDS = frozenset({"type"})

SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)


class InvalidNodeDefinition(Exception):
    """A node or output class breaks the authoring rules; the message says which and why."""


def _field(default: Any, default_factory: Any, kind: str, kwargs: dict[str, Any]) -> Any:
    """A pydantic Field carrying ``field_kind``; keywords pydantic does not know become schema extras."""
    extra: dict[str, Any] = {"field_kind": kind}
    known: dict[str, Any] = {}
    for name, value in kwargs.items():
        if value is None:
            continue
        if name in _PYDANTIC_FIELD_ARGUMENTS:
            known[name] = value
        else:  # e.g. InvokeAI's ui_type / ui_hint / input: kept for front-ends, ignored here
            extra[name] = value if isinstance(value, str | int | float | bool) else str(value)
    if isinstance(known.get("json_schema_extra"), dict):
        extra.update(known.pop("json_schema_extra"))
    if default_factory is not None:
        known["default_factory"] = default_factory
    else:
        known["default"] = default
    return Field(json_schema_extra=extra, **known)


_PYDANTIC_FIELD_ARGUMENTS = frozenset(
    {
        "alias",
        "title",
        "description",
        "examples",
        "gt",
        "ge",
        "lt",
        "le",
        "multiple_of",
        "min_length",
        "max_length",
        "pattern",
        "strict",
        "allow_inf_nan",
        "max_digits",
        "decimal_places",
        "json_schema_extra",
        "deprecated",
    }
)


def InputField(  # noqa: N802 - reads like pydantic's Field, on purpose
    default: Any = PydanticUndefined,
    *,
    default_factory: Any = None,
    description: str | None = None,
    title: str | None = None,
    **constraints: Any,
) -> Any:
    """Declare a node input.

    Without a default the input is required: a graph must give it a value or an edge.
    ``constraints`` are pydantic's (``ge``, ``le``, ``min_length``, ``pattern`` ...); other
    keywords (such as InvokeAI's ``ui_hint``) are kept in the JSON schema.
    """
    return _field(
        default,
        default_factory,
        "input",
        {"description": description, "title": title, **constraints},
    )


def OutputField(  # noqa: N802
    *, description: str | None = None, title: str | None = None, **extra: Any
) -> Any:
    """Declare a field of an invocation output (extra keywords are kept in the JSON schema)."""
    return _field(
        PydanticUndefined, None, "output", {"description": description, "title": title, **extra}
    )


class BaseInvocationOutput(BaseModel):
    """Base class of every node output. Subclasses are declared with ``@invocation_output``."""

    model_config = ConfigDict(extra="forbid")

    type: str

    output_type: ClassVar[str | None] = None


class BaseInvocation(BaseModel):
    """Base class of every node. Subclasses are declared with ``@invocation`` and define ``invoke``."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=False)

    id: str = Field(description="The id of this node; unique within its graph")
    type: str
    is_intermediate: bool = Field(
        default=False, description="Whether the node's outputs are temporary"
    )
    use_cache: bool = Field(default=True, description="Whether results may be reused")

    # Filled in by @invocation; read through the helpers below, never set by hand.
    node_type: ClassVar[str | None] = None
    node_title: ClassVar[str | None] = None
    node_tags: ClassVar[tuple[str, ...]] = ()
    node_category: ClassVar[str | None] = None
    node_version: ClassVar[str] = "1.0.0"
    #: Inputs declared without a default: the graph must give them a value or an edge.
    node_required_inputs: ClassVar[frozenset[str]] = frozenset()

    def invoke(self, context: InvocationContext) -> BaseInvocationOutput:
        raise NotImplementedError

    @classmethod
    def input_fields(cls) -> dict[str, FieldInfo]:
        """The node's own inputs (reserved fields excluded), in declaration order."""
        return {k: v for k, v in cls.model_fields.items() if k not in RESERVED_FIELDS}

    @classmethod
    def output_class(cls) -> type[BaseInvocationOutput]:
        """The output class, taken from the return annotation of ``invoke``."""
        return output_class_of(cls)


def _set_type_field(cls: type[BaseModel], type_name: str) -> None:
    """Make ``type`` a ``Literal[type_name]`` defaulting to ``type_name`` and rebuild the model."""
    field = FieldInfo.from_annotated_attribute(Literal[type_name], type_name)  # type: ignore[valid-type]
    field.description = "The type of this object"
    cls.model_fields["type"] = field


def _reserved_declared(
    cls: type[BaseModel], base: type[BaseModel], reserved: frozenset[str]
) -> list[str]:
    found: list[str] = []
    for klass in cls.__mro__:
        if klass is base or not (isinstance(klass, type) and issubclass(klass, base)):
            continue
        found += [name for name in klass.__dict__.get("__annotations__", {}) if name in reserved]
    return sorted(set(found))


def invocation(
    type_name: str,
    *,
    title: str | None = None,
    tags: list[str] | None = None,
    category: str | None = None,
    version: str = "1.0.0",
    use_cache: bool | None = None,
):
    """Declare a node class under ``type_name``; the registry checks the rules when it is registered."""

    def wrap(cls: type[BaseInvocation]) -> type[BaseInvocation]:
        if not (isinstance(cls, type) and issubclass(cls, BaseInvocation)):
            raise InvalidNodeDefinition(
                f"@invocation('{type_name}') must decorate a BaseInvocation subclass, got {cls!r}"
            )
        cls.node_type = type_name
        cls.node_title = title or _title_from(cls.__name__, "Invocation")
        cls.node_tags = tuple(tags or ())
        cls.node_category = category
        cls.node_version = version
        if "type" not in _reserved_declared(cls, BaseInvocation, RESERVED_FIELDS):
            _set_type_field(cls, type_name)
        if use_cache is not None:
            cls.model_fields["use_cache"] = FieldInfo.from_annotated_attribute(bool, use_cache)
        required = set()
        for name, field in cls.model_fields.items():
            if name in RESERVED_FIELDS or not field.is_required():
                continue
            # Required inputs may be fed by an edge, so the parsed node has None until then;
            # graph validation reports an input that has neither a value nor an edge.
            required.add(name)
            field.default = None
        cls.node_required_inputs = frozenset(required)
        cls.model_rebuild(force=True, raise_errors=False)
        return cls

    return wrap


def invocation_output(type_name: str):
    """Declare an output class under ``type_name``."""

    def wrap(cls: type[BaseInvocationOutput]) -> type[BaseInvocationOutput]:
        if not (isinstance(cls, type) and issubclass(cls, BaseInvocationOutput)):
            raise InvalidNodeDefinition(
                f"@invocation_output('{type_name}') must decorate a BaseInvocationOutput subclass, got {cls!r}"
            )
        cls.output_type = type_name
        _set_type_field(cls, type_name)
        cls.model_rebuild(force=True, raise_errors=False)
        return cls

    return wrap


def _title_from(class_name: str, suffix: str) -> str:
    name = class_name.removesuffix(suffix) or class_name
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)


def output_class_of(cls: type[BaseInvocation]) -> type[BaseInvocationOutput]:
    """Resolve the return annotation of ``cls.invoke``; raises InvalidNodeDefinition when unusable."""
    cached = cls.__dict__.get("_nodeloom_output_class")
    if cached is not None:
        return cached
    invoke = cls.__dict__.get("invoke") or getattr(cls, "invoke", None)
    if invoke is None or invoke is BaseInvocation.invoke:
        raise InvalidNodeDefinition(f"{cls.__qualname__} does not define invoke(self, context)")
    try:
        hints = typing.get_type_hints(invoke)
    except Exception as error:  # a name in the annotation that cannot be resolved
        raise InvalidNodeDefinition(
            f"{cls.__qualname__}.invoke has a return annotation that cannot be resolved: {error}"
        ) from error
    output = hints.get("return")
    if not (isinstance(output, type) and issubclass(output, BaseInvocationOutput)):
        raise InvalidNodeDefinition(
            f"{cls.__qualname__}.invoke must be annotated to return a BaseInvocationOutput subclass, got {output!r}"
        )
    cls._nodeloom_output_class = output  # type: ignore[attr-defined]
    return output


def check_invocation_class(cls: Any) -> None:
    """Raise InvalidNodeDefinition naming the class when it breaks an authoring rule."""
    if not (isinstance(cls, type) and issubclass(cls, BaseInvocation)):
        raise InvalidNodeDefinition(f"{cls!r} is not a BaseInvocation subclass")
    name = cls.__qualname__
    type_name = cls.__dict__.get("node_type")
    if not type_name:
        raise InvalidNodeDefinition(f"{name} is not decorated with @invocation('type_name')")
    if not isinstance(type_name, str) or not type_name or re.search(r"\s", type_name):
        raise InvalidNodeDefinition(
            f"{name}: type name {type_name!r} must be non-empty and contain no whitespace"
        )
    reserved = _reserved_declared(cls, BaseInvocation, RESERVED_FIELDS)
    if reserved:
        raise InvalidNodeDefinition(
            f"{name} ('{type_name}') declares reserved field(s) {', '.join(reserved)}; "
            f"every node already has {', '.join(sorted(RESERVED_FIELDS))}"
        )
    if not SEMVER.match(str(cls.node_version)):
        raise InvalidNodeDefinition(
            f"{name} ('{type_name}'): version {cls.node_version!r} is not semver (e.g. '1.0.0')"
        )
    output = output_class_of(cls)
    check_output_class(output)
    for model in (cls, output):
        _complete(model)


def _complete(model: type[BaseModel]) -> None:
    """Resolve annotations that named classes defined later in the module (postponed ones)."""
    if model.__pydantic_complete__:
        return
    try:
        model.model_rebuild()
    except Exception as error:
        raise InvalidNodeDefinition(
            f"{model.__qualname__} has annotations that cannot be resolved: {error}"
        ) from None


def check_output_class(cls: Any) -> None:
    """Raise InvalidNodeDefinition naming the class when an output class breaks a rule."""
    if not (isinstance(cls, type) and issubclass(cls, BaseInvocationOutput)):
        raise InvalidNodeDefinition(f"{cls!r} is not a BaseInvocationOutput subclass")
    type_name = cls.__dict__.get("output_type")
    if not type_name:
        raise InvalidNodeDefinition(
            f"{cls.__qualname__} is not decorated with @invocation_output('type_name')"
        )
    if re.search(r"\s", type_name):
        raise InvalidNodeDefinition(
            f"{cls.__qualname__}: output type name {type_name!r} contains whitespace"
        )
    reserved = _reserved_declared(cls, BaseInvocationOutput, RESERVED_OUTPUT_FIELDS)
    if reserved:
        raise InvalidNodeDefinition(
            f"{cls.__qualname__} ('{type_name}') declares reserved field(s) {', '.join(reserved)}"
        )
