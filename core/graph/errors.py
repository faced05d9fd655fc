"""Structured graph problems: each names a rule (code), the node id and field, and what to do."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class GraphError:
    """One problem found in a graph."""

    code: str
    message: str
    node_id: str | None = None
    field: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)

    def __str__(self) -> str:
        where = []
        if self.node_id is not None:
            where.append(f"node '{self.node_id}'")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        prefix = " ".join(where)
        return (
            f"{prefix}: {self.message} [{self.code}]" if prefix else f"{self.message} [{self.code}]"
        )


class GraphValidationError(ValueError):
    """A graph (or graph file) has problems; ``errors`` lists every one of them."""

    def __init__(self, errors: list[GraphError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(error) for error in self.errors))
