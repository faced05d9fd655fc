"""A pack that registers a node type the primitives plugin already provides, next to a valid one."""

from nodeloom import (
    BaseInvocation,
    BaseInvocationOutput,
    InputField,
    InvocationContext,
    OutputField,
    hookimpl,
    invocation,
    invocation_output,
)


@invocation_output("duplicate_ok_output")
class DuplicateOkOutput(BaseInvocationOutput):
    value: int = OutputField(description="The value")


@invocation("duplicate_ok", title="Fine On Its Own", version="1.0.0")
class DuplicateOkInvocation(BaseInvocation):
    """A valid node that is withdrawn because its plugin failed."""

    value: int = InputField(default=0)

    def invoke(self, context: InvocationContext) -> DuplicateOkOutput:
        return DuplicateOkOutput(value=self.value)


@invocation("integer", title="Another Integer", version="1.0.0")
class IntegerAgainInvocation(BaseInvocation):
    """Claims the type name 'integer', which nodeloom_primitives already provides."""

    value: int = InputField(default=0)

    def invoke(self, context: InvocationContext) -> DuplicateOkOutput:
        return DuplicateOkOutput(value=self.value)


@hookimpl
def register_invocations(register):
    register(DuplicateOkInvocation)
    register(IntegerAgainInvocation)
