"""The one error the planning pipeline raises for inputs it cannot plan."""


class PipelineError(Exception):
    """A step could not plan its inputs; ``step`` names it, ``message`` says why (for the job's reason)."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__(f"{step}: {message}")
        self.step = step
        self.message = message
