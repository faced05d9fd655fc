"""Math nodes on integers and floats: arithmetic, rounding, conversion and seedable random numbers."""

from __future__ import annotations

import math
from typing import Any, Literal

from nodeloom import BaseInvocation, InputField, InvocationContext, invocation
from nodeloom_primitives.primitives import FloatOutput, IntegerOutput

#: InvokeAI's default exclusive upper bound for random integers: the largest int32.
INT32_MAX = 2**31 - 1
#: The largest seed InvokeAI accepts: the largest uint32.
SEED_MAX = 2**32 - 1

FIRST_NUMBER = "The first number"
SECOND_NUMBER = "The second number"


def random_generator(seed: int | None) -> Any:
    """A numpy Generator seeded like InvokeAI's ``random_range``; ``None`` draws fresh entropy.

    numpy is imported here, not at module level, so that listing nodes stays fast.
    """
    import numpy as np

    return np.random.default_rng(seed)


def divide_toward_zero(a: int, b: int, node: str) -> int:
    """``a / b`` rounded toward zero (InvokeAI's ``int(a / b)``), exact for any size of integer."""
    if b == 0:
        raise ZeroDivisionError(f"{node}: cannot divide {a} by zero (input 'b' is 0)")
    quotient = abs(a) // abs(b)
    return quotient if (a >= 0) == (b > 0) else -quotient


def _check_range(node: str, low: float, high: float) -> None:
    if low >= high:
        raise ValueError(f"{node}: 'low' ({low}) must be less than 'high' ({high})")


# --- integer arithmetic ------------------------------------------------------------------------


@invocation("add", title="Add Integers", tags=["math", "add"], category="math", version="1.0.0")
class AddInvocation(BaseInvocation):
    """Adds two integers."""

    a: int = InputField(default=0, description=FIRST_NUMBER)
    b: int = InputField(default=0, description=SECOND_NUMBER)

    def invoke(self, context: InvocationContext) -> IntegerOutput:
        return IntegerOutput(value=self.a + self.b)


@invocation(
    "sub", title="Subtract Integers", tags=["math", "subtract"], category="math", version="1.0.0"
)
class SubtractInvocation(BaseInvocation):
    """Subtracts b from a."""

    a: int = InputField(default=0, description=FIRST_NUMBER)
    b: int = InputField(default=0, description=SECOND_NUMBER)

    def invoke(self, context: InvocationContext) -> IntegerOutput:
        return IntegerOutput(value=self.a - self.b)


@invocation(
    "mul", title="Multiply Integers", tags=["math", "multiply"], category="math", version="1.0.0"
)
class MultiplyInvocation(BaseInvocation):
    """Multiplies two integers."""

    a: int = InputField(default=0, description=FIRST_NUMBER)
    b: int = InputField(default=0, description=SECOND_NUMBER)

    def invoke(self, context: InvocationContext) -> IntegerOutput:
        return IntegerOutput(value=self.a * self.b)


@invocation(
    "div", title="Divide Integers", tags=["math", "divide"], category="math", version="1.0.0"
)
class DivideInvocation(BaseInvocation):
    """Divides a by b, rounding toward zero (7 / 2 = 3, -7 / 2 = -3); b = 0 is an error."""

    a: int = InputField(default=0, description=FIRST_NUMBER)
    b: int = InputField(default=0, description=SECOND_NUMBER)

    def invoke(self, context: InvocationContext) -> IntegerOutput:
        return IntegerOutput(value=divide_toward_zero(self.a, self.b, "div"))


@invocation("mod", title="Modulus", tags=["math", "modulus"], category="math", version="1.0.0")
class ModulusInvocation(BaseInvocation):
    """The remainder of a divided by b, with the sign of b (Python's %); b = 0 is an error."""

    a: int = InputField(default=0, description=FIRST_NUMBER)
    b: int = InputField(default=0, description=SECOND_NUMBER)

    def invoke(self, context: InvocationContext) -> IntegerOutput:
        if self.b == 0:
            raise ZeroDivisionError(f"mod: cannot take {self.a} modulo zero (input 'b' is 0)")
        return IntegerOutput(value=self.a % self.b)


# --- float arithmetic --------------------------------------------------------------------------


@invocation(
    "add_float", title="Add Floats", tags=["math", "add", "float"], category="math", version="1.0.0"
)
class AddFloatInvocation(BaseInvocation):
    """Adds two floats."""

    a: float = InputField(default=0.0, description=FIRST_NUMBER)
    b: float = InputField(default=0.0, description=SECOND_NUMBER)

    def invoke(self, context: InvocationContext) -> FloatOutput:
        return FloatOutput(value=self.a + self.b)


@invocation(
    "sub_float",
    title="Subtract Floats",
    tags=["math", "subtract", "float"],
    category="math",
    version="1.0.0",
)
class SubtractFloatInvocation(BaseInvocation):
    """Subtracts b from a."""

    a: float = InputField(default=0.0, description=FIRST_NUMBER)
    b: float = InputField(default=0.0, description=SECOND_NUMBER)

    def invoke(self, context: InvocationContext) -> FloatOutput:
        return FloatOutput(value=self.a - self.b)


@invocation(
    "mul_float",
    title="Multiply Floats",
    tags=["math", "multiply", "float"],
    category="math",
    version="1.0.0",
)
class MultiplyFloatInvocation(BaseInvocation):
    """Multiplies two floats."""

    a: float = InputField(default=0.0, description=FIRST_NUMBER)
    b: float = InputField(default=0.0, description=SECOND_NUMBER)

    def invoke(self, context: InvocationContext) -> FloatOutput:
        return FloatOutput(value=self.a * self.b)


@invocation(
    "div_float",
    title="Divide Floats",
    tags=["math", "divide", "float"],
    category="math",
    version="1.0.0",
)
class DivideFloatInvocation(BaseInvocation):
    """Divides a by b; b = 0 is an error."""

    a: float = InputField(default=0.0, description=FIRST_NUMBER)
    b: float = InputField(default=0.0, description=SECOND_NUMBER)

    def invoke(self, context: InvocationContext) -> FloatOutput:
        if self.b == 0:
            raise ZeroDivisionError(f"div_float: cannot divide {self.a} by zero (input 'b' is 0)")
        return FloatOutput(value=self.a / self.b)


@invocation("abs", title="Absolute Value", tags=["math", "abs"], category="math", version="1.0.0")
class AbsoluteValueInvocation(BaseInvocation):
    """The absolute value of a number (integers connect here too)."""

    value: float = InputField(default=0.0, description="The float value")

    def invoke(self, context: InvocationContext) -> FloatOutput:
        return FloatOutput(value=abs(self.value))


# --- rounding and conversion -------------------------------------------------------------------


@invocation("round", title="Round Float", tags=["math", "round"], category="math", version="1.0.0")
class RoundInvocation(BaseInvocation):
    """Rounds a float to a number of decimal places (halves go to the even digit, as Python does)."""

    value: float = InputField(default=0.0, description="The float value")
    decimals: int = InputField(default=0, description="The number of decimal places")

    def invoke(self, context: InvocationContext) -> FloatOutput:
        return FloatOutput(value=round(self.value, self.decimals))


@invocation(
    "round_float", title="Round Float", tags=["math", "round"], category="math", version="1.0.0"
)
class RoundFloatInvocation(BaseInvocation):
    """Rounds a float to a number of decimal places; InvokeAI's current name for ``round``."""

    value: float = InputField(default=0.0, description="The float value")
    decimals: int = InputField(default=0, description="The number of decimal places")

    def invoke(self, context: InvocationContext) -> FloatOutput:
        return FloatOutput(value=round(self.value, self.decimals))


@invocation(
    "float_to_int",
    title="Float To Integer",
    tags=["math", "round", "integer", "float", "convert"],
    category="math",
    version="1.0.0",
)
class FloatToIntegerInvocation(BaseInvocation):
    """Rounds a float to an integer that is a multiple of ``multiple``.

    Nearest rounds halves to the even multiple (Python's ``round``, as InvokeAI does); Floor and
    Ceiling round down and up; Truncate rounds toward zero.
    """

    value: float = InputField(default=0.0, description="The value to round")
    multiple: int = InputField(
        default=1, ge=1, title="Multiple of", description="The multiple to round to"
    )
    method: Literal["Nearest", "Floor", "Ceiling", "Truncate"] = InputField(
        default="Nearest", description="The method to use for rounding"
    )

    def invoke(self, context: InvocationContext) -> IntegerOutput:
        if not math.isfinite(self.value):
            raise ValueError(f"float_to_int: cannot convert {self.value} to an integer")
        scaled = self.value / self.multiple
        if self.method == "Nearest":
            steps = round(scaled)
        elif self.method == "Floor":
            steps = math.floor(scaled)
        elif self.method == "Ceiling":
            steps = math.ceil(scaled)
        else:
            steps = math.trunc(scaled)
        return IntegerOutput(value=int(steps) * self.multiple)


# --- random numbers ----------------------------------------------------------------------------


@invocation(
    "rand_int",
    title="Random Integer",
    tags=["math", "random"],
    category="math",
    version="1.1.0",
    use_cache=False,
)
class RandomIntInvocation(BaseInvocation):
    """A random integer in [low, high); the same seed always gives the same integer."""

    low: int = InputField(default=0, description="The inclusive low value")
    high: int = InputField(default=INT32_MAX, description="The exclusive high value")
    seed: int | None = InputField(
        default=None,
        ge=0,
        le=SEED_MAX,
        description="The seed for the random number generator (leave empty for a random one)",
    )

    def invoke(self, context: InvocationContext) -> IntegerOutput:
        _check_range("rand_int", self.low, self.high)
        value = random_generator(self.seed).integers(low=self.low, high=self.high)
        return IntegerOutput(value=int(value))


@invocation(
    "rand_float",
    title="Random Float",
    tags=["math", "float", "random"],
    category="math",
    version="1.1.0",
    use_cache=False,
)
class RandomFloatInvocation(BaseInvocation):
    """A random float in [low, high), rounded; the same seed always gives the same float."""

    low: float = InputField(default=0.0, description="The inclusive low value")
    high: float = InputField(default=1.0, description="The exclusive high value")
    decimals: int = InputField(default=2, description="The number of decimal places to round to")
    seed: int | None = InputField(
        default=None,
        ge=0,
        le=SEED_MAX,
        description="The seed for the random number generator (leave empty for a random one)",
    )

    def invoke(self, context: InvocationContext) -> FloatOutput:
        _check_range("rand_float", self.low, self.high)
        value = random_generator(self.seed).uniform(self.low, self.high)
        return FloatOutput(value=round(float(value), self.decimals))


# --- one node, many operations (InvokeAI's integer_math and float_math) ------------------------

IntegerOperation = Literal["ADD", "SUB", "MUL", "DIV", "EXP", "MOD", "ABS", "MIN", "MAX"]
FloatOperation = Literal["ADD", "SUB", "MUL", "DIV", "EXP", "ABS", "SQRT", "MIN", "MAX"]


@invocation(
    "integer_math",
    title="Integer Math",
    tags=["math", "integer", "add", "subtract", "multiply", "divide", "modulus", "power"],
    category="math",
    version="1.0.0",
)
class IntegerMathInvocation(BaseInvocation):
    """Performs one integer operation on a and b (ABS uses a only; DIV rounds toward zero)."""

    operation: IntegerOperation = InputField(default="ADD", description="The operation to perform")
    a: int = InputField(default=1, description=FIRST_NUMBER)
    b: int = InputField(default=1, description=SECOND_NUMBER)

    def invoke(self, context: InvocationContext) -> IntegerOutput:
        a, b, operation = self.a, self.b, self.operation
        if operation == "DIV":
            return IntegerOutput(value=divide_toward_zero(a, b, "integer_math DIV"))
        if operation == "MOD" and b == 0:
            raise ZeroDivisionError(f"integer_math MOD: cannot take {a} modulo zero (b is 0)")
        if operation == "EXP" and b < 0:
            raise ValueError(f"integer_math EXP: {a}^{b} is not an integer (b is negative)")
        results = {
            "ADD": lambda: a + b,
            "SUB": lambda: a - b,
            "MUL": lambda: a * b,
            "EXP": lambda: a**b,
            "MOD": lambda: a % b,
            "ABS": lambda: abs(a),
            "MIN": lambda: min(a, b),
            "MAX": lambda: max(a, b),
        }
        return IntegerOutput(value=results[operation]())


@invocation(
    "float_math",
    title="Float Math",
    tags=["math", "float", "add", "subtract", "multiply", "divide", "power", "root"],
    category="math",
    version="1.0.0",
)
class FloatMathInvocation(BaseInvocation):
    """Performs one float operation on a and b (ABS and SQRT use a only)."""

    operation: FloatOperation = InputField(default="ADD", description="The operation to perform")
    a: float = InputField(default=1.0, description=FIRST_NUMBER)
    b: float = InputField(default=1.0, description=SECOND_NUMBER)

    def invoke(self, context: InvocationContext) -> FloatOutput:
        a, b, operation = self.a, self.b, self.operation
        if operation == "DIV" and b == 0:
            raise ZeroDivisionError(f"float_math DIV: cannot divide {a} by zero (b is 0)")
        if operation == "EXP":
            if a == 0 and b < 0:
                raise ZeroDivisionError(
                    f"float_math EXP: cannot raise zero to a negative power ({b})"
                )
            if a < 0 and not float(b).is_integer():
                raise ValueError(f"float_math EXP: {a}^{b} is not a real number")
        if operation == "SQRT" and a < 0:
            raise ValueError(f"float_math SQRT: {a} has no real square root")
        results = {
            "ADD": lambda: a + b,
            "SUB": lambda: a - b,
            "MUL": lambda: a * b,
            "DIV": lambda: a / b,
            "EXP": lambda: a**b,
            "ABS": lambda: abs(a),
            "SQRT": lambda: math.sqrt(a),
            "MIN": lambda: min(a, b),
            "MAX": lambda: max(a, b),
        }
        return FloatOutput(value=results[operation]())


NODES: tuple[type[BaseInvocation], ...] = (
    AddInvocation,
    SubtractInvocation,
    MultiplyInvocation,
    DivideInvocation,
    ModulusInvocation,
    AddFloatInvocation,
    SubtractFloatInvocation,
    MultiplyFloatInvocation,
    DivideFloatInvocation,
    AbsoluteValueInvocation,
    RoundInvocation,
    RoundFloatInvocation,
    FloatToIntegerInvocation,
    RandomIntInvocation,
    RandomFloatInvocation,
    IntegerMathInvocation,
    FloatMathInvocation,
)
