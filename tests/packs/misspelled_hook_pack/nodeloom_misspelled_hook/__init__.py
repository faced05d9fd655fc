"""A pack whose hook name is misspelled (``register_invocation``, missing the final s)."""

from nodeloom import (
    BaseInvocation,
    BaseInvocationOutput,
    InvocationContext,
    OutputField,
    hookimpl,
    invocation,
    invocation_output,
)


@invocation_output("whisper_output")
class WhisperOutput(BaseInvocationOutput):
    value: str = OutputField(description="The whispered text")


@invocation("whisper", title="Whisper", category="text", version="1.0.0")
class WhisperInvocation(BaseInvocation):
    """Lower-cases a string; never registered because the hook name is wrong."""

    text: str = ""

    def invoke(self, context: InvocationContext) -> WhisperOutput:
        return WhisperOutput(value=self.text.lower())


@hookimpl
def register_invocation(register):
    register(WhisperInvocation)
