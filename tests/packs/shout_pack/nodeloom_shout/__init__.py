"""An example node pack: ``shout`` upper-cases text, ``shout_repeat`` repeats it."""

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


@invocation_output("shout_output")
class ShoutOutput(BaseInvocationOutput):
    value: str = OutputField(description="The shouted text")


@invocation("shout", title="Shout", category="text", version="1.0.0")
class ShoutInvocation(BaseInvocation):
    """Upper-cases a string."""

    text: str = InputField(default="", description="Text to shout")

    def invoke(self, context: InvocationContext) -> ShoutOutput:
        return ShoutOutput(value=self.text.upper())


@invocation(
    "shout_repeat", title="Shout Repeatedly", category="text", tags=["text"], version="1.1.0"
)
class ShoutRepeatInvocation(BaseInvocation):
    """Upper-cases a string and repeats it."""

    text: str = InputField(description="Text to shout (required: a value or an edge)")
    times: int = InputField(default=2, ge=1, description="How many times to repeat it")

    def invoke(self, context: InvocationContext) -> ShoutOutput:
        return ShoutOutput(value=" ".join([self.text.upper()] * self.times))


@hookimpl
def register_invocations(register):
    register(ShoutInvocation)
    register(ShoutRepeatInvocation)
