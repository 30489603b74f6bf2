"""The error type every layer raises for problems a user can act on.

Its message is one plain-language line; the CLI prints it and exits 2, the UI shows it
in a dialog. Anything else escaping is a bug and keeps its traceback.
"""


class CutwiseError(Exception):
    """A problem caused by the input or the environment, with a readable message."""

    def __init__(self, message: str, *, path: str | None = None):
        super().__init__(message)
        self.path = path

    @property
    def message(self) -> str:
        return str(self.args[0])


class Cancelled(CutwiseError):
    """The user stopped a job; partial results were discarded."""

    def __init__(self, message: str = "Cancelled."):
        super().__init__(message)
