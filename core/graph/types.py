"""Type compatibility between an output field and an input field, read from annotations."""

from __future__ import annotations

import types
import typing
from functools import lru_cache
from typing import Annotated, Any, Literal, Union

NONE_TYPE = type(None)


def _strip(annotation: Any) -> Any:
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _union_members(annotation: Any) -> tuple[Any, ...] | None:
    origin = typing.get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        return tuple(_strip(member) for member in typing.get_args(annotation))
    return None


def is_list(annotation: Any) -> bool:
    annotation = _strip(annotation)
    return annotation is list or typing.get_origin(annotation) is list


def list_element(annotation: Any) -> Any:
    """The element type of ``list[T]`` (``Any`` for a bare list); ``None`` if not a list."""
    annotation = _strip(annotation)
    if annotation is list:
        return Any
    if typing.get_origin(annotation) is list:
        args = typing.get_args(annotation)
        return _strip(args[0]) if args else Any
    return None


def element_type(annotation: Any) -> Any | None:
    """What iterating a value of this type yields; ``None`` when the type holds no list at all."""
    annotation = _strip(annotation)
    if annotation is Any:
        return Any
    members = _union_members(annotation)
    if members is None:
        return list_element(annotation)
    elements = [list_element(member) for member in members if is_list(member)]
    if not elements:
        return None
    return elements[0] if len(set(elements)) == 1 else Union[tuple(elements)]  # noqa: UP007


def list_of(annotation: Any) -> Any:
    return list[annotation]


@lru_cache(maxsize=4096)
def is_assignable(source: Any, destination: Any) -> bool:
    """May a value of type ``source`` flow into an input of type ``destination``?

    Rules: anything → Any (and Any → anything: checked again at run time); int → float; a
    subclass → its base; ``T`` → ``T | list[T]``; ``list[S]`` → ``list[D]`` when S → D; a Literal
    → the type of its values; a union source needs every member assignable.
    """
    source, destination = _strip(source), _strip(destination)
    if destination is Any or source is Any or source == destination:
        return True
    source_members = _union_members(source)
    if source_members is not None:
        return all(is_assignable(member, destination) for member in source_members)
    destination_members = _union_members(destination)
    if destination_members is not None:
        return any(is_assignable(source, member) for member in destination_members)
    if typing.get_origin(source) is Literal:
        return all(is_assignable(type(value), destination) for value in typing.get_args(source))
    if typing.get_origin(destination) is Literal:
        # A str into Literal['a', 'b'] may be fine; the value is checked when the node runs.
        return all(is_assignable(source, type(value)) for value in typing.get_args(destination))
    if is_list(source) or is_list(destination):
        if not (is_list(source) and is_list(destination)):
            return False
        return is_assignable(list_element(source), list_element(destination))
    if source is int and destination is float:
        return True
    if isinstance(source, type) and isinstance(destination, type):
        if source is bool and destination in (int, float):
            return False
        return issubclass(source, destination)
    return False


def common_type(annotations: list[Any]) -> Any | None:
    """The one type all collected items share (int and float mix as float); None if none fits."""
    distinct = list(dict.fromkeys(_strip(a) for a in annotations))
    if not distinct:
        return Any
    if Any in distinct:
        return Any
    if len(distinct) == 1:
        return distinct[0]
    for candidate in distinct:
        if all(is_assignable(other, candidate) for other in distinct):
            return candidate
    return None


def type_name(annotation: Any) -> str:
    """A short, readable name: ``int``, ``list[int]``, ``int | list[int]``, ``ImageField``, ``Any``."""
    annotation = _strip(annotation)
    if annotation is Any:
        return "Any"
    if annotation is NONE_TYPE or annotation is None:
        return "None"
    members = _union_members(annotation)
    if members is not None:
        return " | ".join(type_name(member) for member in members)
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return "Literal[" + ", ".join(repr(value) for value in typing.get_args(annotation)) + "]"
    if origin is not None:
        args = typing.get_args(annotation)
        base = getattr(origin, "__name__", str(origin))
        return f"{base}[{', '.join(type_name(arg) for arg in args)}]" if args else base
    return getattr(annotation, "__name__", str(annotation))


CONVERSION_HINTS = {("float", "int"): "float → int is not allowed; use float_to_int"}


def mismatch_hint(source: Any, destination: Any) -> str | None:
    return CONVERSION_HINTS.get((type_name(source), type_name(destination)))
