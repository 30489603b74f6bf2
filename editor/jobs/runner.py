"""A Qt-free runner for long work: queue, progress, cooperative cancel, errors, one GPU job.

Work is either

* a callable, called as ``work(*args, progress=..., cancel=..., **kwargs)`` (the engine
  convention: a :data:`ProgressCallback` and a :class:`CancelToken`), or
* a generator function, called as ``work(*args, **kwargs)``, that yields progress as
  ``(done, total)`` or ``(done, total, message)`` (or ``None``, a bare cancel check) and
  returns its result. The runner checks cancel between yields and closes the generator.

Each job runs in its own worker thread; at most ``max_workers`` run at once, and jobs
submitted with ``gpu=True`` run one at a time. Work that cannot check its token often
runs in a child process instead: see :func:`editor.jobs.subprocess_job.run_in_subprocess`.

Listeners (``runner.add_listener(fn)``) get a :class:`JobEvent` on every state change
and on progress (at most one per ``progress_interval`` per job; the final state is
always delivered and carries the last progress). **Listeners are called from worker
threads** (and from whichever thread submits or cancels a queued job), must return
quickly and must not wait on jobs. A Qt bridge re-emits them as a signal, which Qt
delivers to the GUI thread::

    class JobBridge(QObject):
        event = Signal(object)          # a JobEvent

        def __init__(self, runner):
            super().__init__()
            runner.add_listener(self.event.emit)
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import itertools
import logging
import threading
import time
import traceback
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable

from editor.core.errors import Cancelled, CutwiseError
from editor.core.progress import CancelToken, ProgressCallback

log = logging.getLogger(__name__)


class JobState(Enum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in (JobState.FINISHED, JobState.FAILED, JobState.CANCELLED)


@dataclass(frozen=True)
class Progress:
    done: int = 0
    total: int = 0
    message: str = ""

    @property
    def fraction(self) -> float | None:
        """Share of the work done in [0, 1]; None when the total is unknown."""
        return min(max(self.done / self.total, 0.0), 1.0) if self.total > 0 else None


@dataclass(frozen=True)
class JobEvent:
    """A snapshot sent to listeners; ``kind`` is ``"state"`` or ``"progress"``."""

    job: Job
    kind: str
    state: JobState
    progress: Progress


JobListener = Callable[[JobEvent], None]


def describe_error(exc: BaseException) -> tuple[str, str | None]:
    """The message to show for a failure and, for an unexpected one, its traceback."""
    if isinstance(exc, CutwiseError):
        return exc.message, None
    text = str(exc)
    summary = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return f"Unexpected error: {summary}", "".join(traceback.format_exception(exc))


def call_work(work: Callable, args: tuple, kwargs: dict, progress: ProgressCallback,
              cancel: CancelToken) -> Any:
    """Run ``work`` in this thread by the conventions above and return its result."""
    if not inspect.isgeneratorfunction(work):
        return work(*args, progress=progress, cancel=cancel, **kwargs)
    generator = work(*args, **kwargs)
    with contextlib.closing(generator):  # on cancel or error, run the generator's finally
        while True:
            try:
                step = next(generator)
            except StopIteration as stop:
                return stop.value
            if step is not None:
                progress(*step)
            cancel.raise_if_cancelled()


class Job:
    """One submitted piece of work. Created by :meth:`JobRunner.submit`.

    Read-only for callers: ``id``, ``title``, ``gpu``, ``state``, ``progress``, ``error``
    (a message for the user), ``details`` (the traceback of an unexpected error) and
    ``exception``.
    """

    def __init__(self, runner: JobRunner, job_id: int, title: str, gpu: bool,
                 work: Callable, args: tuple, kwargs: dict):
        self.id = job_id
        self.title = title
        self.gpu = gpu
        self.state = JobState.QUEUED
        self.progress = Progress()
        self.error: str | None = None
        self.details: str | None = None
        self.exception: BaseException | None = None
        self._runner = runner
        self._call = (work, args, kwargs)
        self._result: Any = None
        self._token = CancelToken()
        self._done = threading.Event()
        self._started: float | None = None
        self._ended: float | None = None
        self._last_progress_event = float("-inf")

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.title!r} {self.state.value}>"

    @property
    def elapsed(self) -> float:
        """Seconds spent running so far (0 while queued)."""
        if self._started is None:
            return 0.0
        end = self._ended if self._ended is not None else time.monotonic()
        return end - self._started

    @property
    def cancel_requested(self) -> bool:
        return self._token.cancelled

    def cancel(self) -> None:
        """Ask the job to stop: a queued job ends at once, a running one at its next check."""
        self._token.cancel()
        self._runner._cancel_queued(self)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has ended; False if ``timeout`` seconds passed first."""
        return self._done.wait(timeout)

    def result(self, timeout: float | None = None) -> Any:
        """The work's result; re-raises its exception, or :class:`Cancelled`."""
        if not self.wait(timeout):
            raise TimeoutError(f"Job {self.title!r} did not end within {timeout} s.")
        if self.state is JobState.FAILED:
            raise self.exception
        if self.state is JobState.CANCELLED:
            raise Cancelled()
        return self._result


class JobRunner:
    """Runs jobs in worker threads: up to ``max_workers`` at once, one GPU job at a time."""

    def __init__(self, max_workers: int = 2, *, progress_interval: float = 0.05):
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.max_workers = max_workers
        self.progress_interval = progress_interval
        self._lock = threading.Lock()
        self._jobs: list[Job] = []
        self._pending: list[Job] = []
        self._threads: set[threading.Thread] = set()
        self._running = 0
        self._gpu_busy = False
        self._listeners: tuple[JobListener, ...] = ()
        self._ids = itertools.count(1)
        self._closed = False

    def __enter__(self) -> JobRunner:
        return self

    def __exit__(self, *exc_info) -> None:
        self.shutdown()

    @property
    def jobs(self) -> list[Job]:
        """Every job submitted, in submission order."""
        with self._lock:
            return list(self._jobs)

    def add_listener(self, listener: JobListener) -> None:
        with self._lock:
            self._listeners = (*self._listeners, listener)

    def remove_listener(self, listener: JobListener) -> None:
        with self._lock:
            self._listeners = tuple(fn for fn in self._listeners if fn != listener)

    def submit(self, work: Callable, /, *args, title: str | None = None, gpu: bool = False,
               **kwargs) -> Job:
        """Queue ``work(*args, **kwargs)`` (see the module docstring) and return its job.

        ``title`` defaults to the work's name; ``gpu=True`` jobs run one at a time. The
        keywords ``title`` and ``gpu`` (and, for callables, ``progress`` and ``cancel``)
        cannot be passed through to the work.
        """
        if self._closed:
            raise RuntimeError("The job runner has been shut down.")
        name = title or getattr(work, "__name__", None) or type(work).__name__
        job = Job(self, next(self._ids), name, gpu, work, args, kwargs)
        self._emit(job, "state")  # before the job can start or be seen by other threads
        with self._lock:
            self._jobs.append(job)
            closed_meanwhile = self._closed and job.state is JobState.QUEUED
            if closed_meanwhile:
                self._end_locked(job, JobState.CANCELLED)
            elif job.state is JobState.QUEUED:  # a listener may have cancelled it
                self._pending.append(job)
                self._schedule_locked()
        if closed_meanwhile:
            self._announce_end(job)
        return job

    def shutdown(self, cancel: bool = True, timeout: float | None = None) -> bool:
        """Refuse new jobs, cancel all (or let them finish), join every worker thread.

        Returns False if some worker was still running after ``timeout`` seconds.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            self._closed = True
            jobs = list(self._jobs)
        if cancel:
            for job in jobs:
                job.cancel()
        while True:
            with self._lock:
                threads = list(self._threads)
            if not threads:
                return True
            for thread in threads:
                thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
                if thread.is_alive():
                    return False

    def _schedule_locked(self) -> None:
        for job in list(self._pending):
            if self._running >= self.max_workers:
                return
            if job.gpu and self._gpu_busy:
                continue
            self._pending.remove(job)
            self._running += 1
            self._gpu_busy = self._gpu_busy or job.gpu
            job.state = JobState.RUNNING
            job._started = time.monotonic()
            thread = threading.Thread(target=self._run, args=(job,), daemon=True,
                                      name=f"cutwise-job-{job.id}")
            self._threads.add(thread)
            thread.start()

    def _run(self, job: Job) -> None:
        try:
            self._emit(job, "state")
            work, args, kwargs = job._call
            try:
                result = call_work(work, args, kwargs, functools.partial(self._report, job),
                                   job._token)
                state, exc = JobState.FINISHED, None
            except BaseException as error:  # noqa: BLE001 - every failure ends the job
                result, state, exc = None, JobState.FAILED, error
            if job._token.cancelled or isinstance(exc, Cancelled):
                result, state, exc = None, JobState.CANCELLED, None
            with self._lock:
                self._end_locked(job, state, result, exc)
                self._running -= 1
                if job.gpu:
                    self._gpu_busy = False
                self._schedule_locked()
            self._announce_end(job)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def _report(self, job: Job, done: int, total: int, message: str = "") -> None:
        job.progress = Progress(done, total, message)
        if job.state is not JobState.RUNNING:
            return
        now = time.monotonic()
        last_step = total > 0 and done >= total
        if not last_step and now - job._last_progress_event < self.progress_interval:
            return
        job._last_progress_event = now
        self._emit(job, "progress")

    def _cancel_queued(self, job: Job) -> None:
        with self._lock:
            if job.state is not JobState.QUEUED:
                return
            if job in self._pending:
                self._pending.remove(job)
            self._end_locked(job, JobState.CANCELLED)
        self._announce_end(job)

    @staticmethod
    def _end_locked(job: Job, state: JobState, result: Any = None,
                    exc: BaseException | None = None) -> None:
        job.state = state
        job._ended = time.monotonic()
        job._result = result
        job._call = None  # free the work's arguments (they may be large)
        if exc is not None:
            job.exception = exc
            job.error, job.details = describe_error(exc)

    def _announce_end(self, job: Job) -> None:
        job._done.set()
        self._emit(job, "state")

    def _emit(self, job: Job, kind: str) -> None:
        event = JobEvent(job, kind, job.state, job.progress)
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # a broken listener must not break the job
                log.exception("Job listener %r failed on %s", listener, event)
