"""Progress reporting and cooperative cancellation shared by every long operation.

Long work takes ``progress(done, total, message)`` and a :class:`CancelToken`, checks
the token at least every 100 ms of work, and raises :class:`Cancelled` when it is set.
"""

from __future__ import annotations

import threading
from typing import Callable

from editor.core.errors import Cancelled

ProgressCallback = Callable[[int, int, str], None]


def no_progress(done: int, total: int, message: str = "") -> None:
    """A progress callback that ignores its reports."""


class CancelToken:
    """A thread-safe flag that a job's owner sets and the work polls."""

    def __init__(self):
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()

    def wait(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` seconds; True as soon as cancel is requested."""
        return self._event.wait(timeout)
