"""Value primitives: boolean, integer, float, string and color, each single and as a collection."""

from __future__ import annotations

from nodeloom import (
    BaseInvocation,
    BaseInvocationOutput,
    ColorField,
    InputField,
    InvocationContext,
    OutputField,
    invocation,
    invocation_output,
)

# --- boolean -----------------------------------------------------------------------------------


@invocation_output("boolean_output")
class BooleanOutput(BaseInvocationOutput):
    """A single boolean."""

    value: bool = OutputField(description="The output boolean")


@invocation_output("boolean_collection_output")
class BooleanCollectionOutput(BaseInvocationOutput):
    """A collection of booleans."""

    collection: list[bool] = OutputField(description="The output boolean collection")


@invocation(
    "boolean",
    title="Boolean Primitive",
    tags=["primitives", "boolean"],
    category="primitives",
    version="1.0.1",
)
class BooleanInvocation(BaseInvocation):
    """A boolean primitive value."""

    value: bool = InputField(default=False, description="The boolean value")

    def invoke(self, context: InvocationContext) -> BooleanOutput:
        return BooleanOutput(value=self.value)


@invocation(
    "boolean_collection",
    title="Boolean Collection Primitive",
    tags=["primitives", "boolean", "collection"],
    category="primitives",
    version="1.0.2",
)
class BooleanCollectionInvocation(BaseInvocation):
    """A collection of boolean primitive values."""

    collection: list[bool] = InputField(default=[], description="The collection of boolean values")

    def invoke(self, context: InvocationContext) -> BooleanCollectionOutput:
        return BooleanCollectionOutput(collection=list(self.collection))


# --- integer -----------------------------------------------------------------------------------


@invocation_output("integer_output")
class IntegerOutput(BaseInvocationOutput):
    """A single integer."""

    value: int = OutputField(description="The output integer")


@invocation_output("integer_collection_output")
class IntegerCollectionOutput(BaseInvocationOutput):
    """A collection of integers."""

    collection: list[int] = OutputField(description="The int collection")


@invocation(
    "integer",
    title="Integer Primitive",
    tags=["primitives", "integer"],
    category="primitives",
    version="1.0.1",
)
class IntegerInvocation(BaseInvocation):
    """An integer primitive value."""

    value: int = InputField(default=0, description="The integer value")

    def invoke(self, context: InvocationContext) -> IntegerOutput:
        return IntegerOutput(value=self.value)


@invocation(
    "integer_collection",
    title="Integer Collection Primitive",
    tags=["primitives", "integer", "collection"],
    category="primitives",
    version="1.0.2",
)
class IntegerCollectionInvocation(BaseInvocation):
    """A collection of integer primitive values."""

    collection: list[int] = InputField(default=[], description="The collection of integer values")

    def invoke(self, context: InvocationContext) -> IntegerCollectionOutput:
        return IntegerCollectionOutput(collection=list(self.collection))


# --- float -------------------------------------------------------------------------------------


@invocation_output("float_output")
class FloatOutput(BaseInvocationOutput):
    """A single float."""

    value: float = OutputField(description="The output float")


@invocation_output("float_collection_output")
class FloatCollectionOutput(BaseInvocationOutput):
    """A collection of floats."""

    collection: list[float] = OutputField(description="The float collection")


@invocation(
    "float",
    title="Float Primitive",
    tags=["primitives", "float"],
    category="primitives",
    version="1.0.1",
)
class FloatInvocation(BaseInvocation):
    """A float primitive value."""

    value: float = InputField(default=0.0, description="The float value")

    def invoke(self, context: InvocationContext) -> FloatOutput:
        return FloatOutput(value=self.value)


@invocation(
    "float_collection",
    title="Float Collection Primitive",
    tags=["primitives", "float", "collection"],
    category="primitives",
    version="1.0.2",
)
class FloatCollectionInvocation(BaseInvocation):
    """A collection of float primitive values."""

    collection: list[float] = InputField(default=[], description="The collection of float values")

    def invoke(self, context: InvocationContext) -> FloatCollectionOutput:
        return FloatCollectionOutput(collection=list(self.collection))


# --- string ------------------------------------------------------------------------------------


@invocation_output("string_output")
class StringOutput(BaseInvocationOutput):
    """A single string."""

    value: str = OutputField(description="The output string")


@invocation_output("string_collection_output")
class StringCollectionOutput(BaseInvocationOutput):
    """A collection of strings."""

    collection: list[str] = OutputField(description="The output strings")


@invocation(
    "string",
    title="String Primitive",
    tags=["primitives", "string"],
    category="primitives",
    version="1.0.1",
)
class StringInvocation(BaseInvocation):
    """A string primitive value."""

    value: str = InputField(default="", description="The string value", ui_hint="textarea")

    def invoke(self, context: InvocationContext) -> StringOutput:
        return StringOutput(value=self.value)


@invocation(
    "string_collection",
    title="String Collection Primitive",
    tags=["primitives", "string", "collection"],
    category="primitives",
    version="1.0.2",
)
class StringCollectionInvocation(BaseInvocation):
    """A collection of string primitive values."""

    collection: list[str] = InputField(default=[], description="The collection of string values")

    def invoke(self, context: InvocationContext) -> StringCollectionOutput:
        return StringCollectionOutput(collection=list(self.collection))


# --- color -------------------------------------------------------------------------------------


@invocation_output("color_output")
class ColorOutput(BaseInvocationOutput):
    """A single RGBA color."""

    color: ColorField = OutputField(description="The output color")


@invocation_output("color_collection_output")
class ColorCollectionOutput(BaseInvocationOutput):
    """A collection of RGBA colors."""

    collection: list[ColorField] = OutputField(description="The output colors")


@invocation(
    "color",
    title="Color Primitive",
    tags=["primitives", "color"],
    category="primitives",
    version="1.0.1",
)
class ColorInvocation(BaseInvocation):
    """A color primitive value (RGBA, each channel 0-255)."""

    color: ColorField = InputField(
        default=ColorField(r=0, g=0, b=0, a=255), description="The color value"
    )

    def invoke(self, context: InvocationContext) -> ColorOutput:
        return ColorOutput(color=self.color)


@invocation(
    "color_collection",
    title="Color Collection Primitive",
    tags=["primitives", "color", "collection"],
    category="primitives",
    version="1.0.0",
)
class ColorCollectionInvocation(BaseInvocation):
    """A collection of color primitive values."""

    collection: list[ColorField] = InputField(default=[], description="The collection of colors")

    def invoke(self, context: InvocationContext) -> ColorCollectionOutput:
        return ColorCollectionOutput(collection=list(self.collection))


NODES: tuple[type[BaseInvocation], ...] = (
    BooleanInvocation,
    BooleanCollectionInvocation,
    IntegerInvocation,
    IntegerCollectionInvocation,
    FloatInvocation,
    FloatCollectionInvocation,
    StringInvocation,
    StringCollectionInvocation,
    ColorInvocation,
    ColorCollectionInvocation,
)
