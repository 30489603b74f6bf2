"""Run work in a child process, so that cancel really stops it.

For work that cannot check a cancel token often (a GPU batch, an encoder)::

    job = runner.submit(run_in_subprocess, matte_clip, path, title="Matting", gpu=True)

The child is started with the "spawn" method, so ``fn``, its arguments and its result
must be picklable, and ``fn`` must be a module-level function (of an importable module;
the program's ``__main__`` must be guarded by ``if __name__ == "__main__"``). ``fn``
follows the runner's conventions (:func:`editor.jobs.runner.call_work`); its progress is
relayed back through a pipe. Cancel terminates the child (then kills it after
:data:`KILL_GRACE` seconds): the token ``fn`` receives in the child is never set.
An exception in the child is re-raised here with the child's traceback as its cause;
one that cannot be pickled comes back as a :class:`CutwiseError` with the same message
(for CutwiseError subclasses) or as a ``RuntimeError``.
"""

from __future__ import annotations

import atexit
import multiprocessing
import multiprocessing.util  # registers its exit handler before ours, so ours runs first
import pickle
import signal
import threading
import traceback
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Callable

from editor.core.errors import Cancelled, CutwiseError
from editor.core.progress import CancelToken, ProgressCallback, no_progress
from editor.jobs.runner import call_work

KILL_GRACE = 0.3  # seconds between terminate and kill
EXIT_GRACE = 5.0  # seconds a child that has sent its outcome gets to exit on its own
_POLL = 0.05  # seconds between cancel checks while waiting for the child

_children: set[BaseProcess] = set()
_children_lock = threading.Lock()


class RemoteTraceback(Exception):
    """The child's formatted traceback, attached as the cause of a re-raised exception."""

    def __str__(self) -> str:
        return f'\n"""\n{self.args[0]}"""'


def run_in_subprocess(fn: Callable, /, *args, progress: ProgressCallback = no_progress,
                      cancel: CancelToken | None = None, **kwargs) -> Any:
    """Run ``fn(*args, **kwargs)`` in a spawned child process and return its result.

    Raises :class:`Cancelled` within about ``KILL_GRACE`` + 0.1 s of ``cancel`` being set.
    """
    cancel = cancel or CancelToken()
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child_main, args=(sender, fn, args, kwargs),
                              name=f"cutwise-{getattr(fn, '__name__', 'work')}")
    try:
        process.start()
    except BaseException:
        receiver.close()
        raise
    finally:
        sender.close()  # the child holds the only write end, so its exit reads as EOF here
    with _children_lock:
        _children.add(process)
    try:
        return _relay(process, receiver, progress, cancel)
    finally:
        receiver.close()
        _stop(process, wait=0.0 if cancel.cancelled else EXIT_GRACE)
        with _children_lock:
            _children.discard(process)


def _relay(process: BaseProcess, receiver: Connection, progress: ProgressCallback,
           cancel: CancelToken) -> Any:
    while True:
        if cancel.cancelled:
            raise Cancelled()
        if not receiver.poll(_POLL):
            continue
        try:
            kind, *payload = receiver.recv()
        except EOFError:
            process.join(KILL_GRACE)
            raise RuntimeError(f"The worker process {process.name} stopped unexpectedly "
                               f"(exit code {process.exitcode}).") from None
        if kind == "progress":
            progress(*payload)
        elif kind == "result":
            return payload[0]
        else:
            exc, child_traceback = payload
            raise exc from RemoteTraceback(child_traceback)


def _stop(process: BaseProcess, wait: float) -> None:
    """Let the child exit within ``wait`` seconds, else terminate it, then kill it."""
    process.join(wait)
    if process.exitcode is None:
        process.terminate()
        process.join(KILL_GRACE)
    if process.exitcode is None:
        process.kill()
        process.join()


def _child_main(sender: Connection, fn: Callable, args: tuple, kwargs: dict) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle

    def progress(done: int, total: int, message: str = "") -> None:
        sender.send(("progress", done, total, message))

    try:
        result = call_work(fn, args, kwargs, progress, CancelToken())
        sender.send(("result", result))
    except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
        try:
            sender.send(("error", _portable(exc), "".join(traceback.format_exception(exc))))
        except OSError:
            pass  # the parent is gone
    finally:
        sender.close()


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else a stand-in with the same message."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - any pickling failure
        if isinstance(exc, CutwiseError):
            return CutwiseError(exc.message)
        return RuntimeError(f"{type(exc).__name__}: {exc}")


@atexit.register
def _stop_children() -> None:
    """At exit, stop children whose job was never cancelled, so exit does not hang."""
    with _children_lock:
        children = list(_children)
    for process in children:
        _stop(process, wait=0.0)
