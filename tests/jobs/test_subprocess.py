"""Work in a child process: result, progress relay, cancel by termination, child errors.

The child functions live at module level so that a spawned child can import them.
"""

import multiprocessing
import os
import signal
import sys
import time

import pytest

from editor.core.errors import CutwiseError
from editor.jobs import JobRunner, JobState, run_in_subprocess


class UnreadableMedia(CutwiseError):
    """A CutwiseError subclass that pickles like its base."""


class OddError(CutwiseError):
    """A CutwiseError subclass whose constructor pickling cannot replay."""

    def __init__(self, path, reason):
        super().__init__(f"{path}: {reason}")


def square(n, *, progress, cancel):
    progress(0, 1, "squaring")
    return n * n


def count_frames(n):
    for i in range(1, n + 1):
        yield i, n, f"frame {i}"
    return f"{n} frames"


def sleep_without_polling(*, progress, cancel, ignore_sigterm=False):
    if ignore_sigterm:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    progress(0, 0, str(os.getpid()))
    while True:
        time.sleep(0.5)


def fail_with(kind, *, progress, cancel):
    if kind == "value":
        raise ValueError("decoder state corrupt")
    if kind == "unreadable":
        raise UnreadableMedia("clip.mov has no video stream.")
    if kind == "odd":
        raise OddError("clip.mov", "codec not supported")
    os._exit(3)


@pytest.fixture
def runner():
    runner = JobRunner(max_workers=2)
    yield runner
    assert runner.shutdown(timeout=5.0)
    assert multiprocessing.active_children() == []


def test_a_subprocess_job_returns_its_result(runner):
    job = runner.submit(run_in_subprocess, square, 7, title="Square", gpu=True)
    assert job.result(timeout=20) == 49
    assert job.state is JobState.FINISHED
    assert job.progress.message == "squaring"  # relayed from the child


def test_progress_from_a_generator_in_the_child_is_relayed_in_order():
    reports = []
    result = run_in_subprocess(count_frames, 5, progress=lambda *p: reports.append(p))
    assert result == "5 frames"
    assert reports == [(i, 5, f"frame {i}") for i in range(1, 6)]


def wait_for_child_pid(job) -> int:
    """The pid that sleep_without_polling reports once the child is up."""
    deadline = time.monotonic() + 20
    while not job.progress.message and not job.wait(0.02):
        assert time.monotonic() < deadline
    assert job.state is JobState.RUNNING, job.error
    return int(job.progress.message)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and pids")
@pytest.mark.parametrize("ignore_sigterm", [False, True], ids=["terminated", "killed"])
def test_cancel_stops_the_child_within_a_second(runner, ignore_sigterm):
    job = runner.submit(run_in_subprocess, sleep_without_polling,
                        ignore_sigterm=ignore_sigterm)
    pid = wait_for_child_pid(job)

    start = time.monotonic()
    job.cancel()
    assert job.wait(timeout=1.0)
    assert time.monotonic() - start < 1.0
    assert job.state is JobState.CANCELLED
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_child_exception_comes_back_with_its_message_and_traceback(runner):
    job = runner.submit(run_in_subprocess, fail_with, "value")
    with pytest.raises(ValueError, match="decoder state corrupt"):
        job.result(timeout=20)
    assert job.error == "Unexpected error: ValueError: decoder state corrupt"
    assert "fail_with" in job.details  # the child's frames, through the remote traceback


@pytest.mark.parametrize(("kind", "error_type", "message"), [
    ("unreadable", UnreadableMedia, "clip.mov has no video stream."),
    ("odd", CutwiseError, "clip.mov: codec not supported"),
])
def test_a_child_cutwise_error_keeps_its_message(kind, error_type, message):
    with pytest.raises(CutwiseError) as raised:
        run_in_subprocess(fail_with, kind)
    assert type(raised.value) is error_type
    assert raised.value.message == message


def test_a_crashed_child_is_reported(runner):
    job = runner.submit(run_in_subprocess, fail_with, "crash")
    assert job.wait(timeout=20)
    assert job.state is JobState.FAILED
    assert "exit code 3" in job.error


def test_shutdown_stops_running_children():
    runner = JobRunner()
    job = runner.submit(run_in_subprocess, sleep_without_polling)
    wait_for_child_pid(job)

    start = time.monotonic()
    assert runner.shutdown(cancel=True)
    assert time.monotonic() - start < 1.0
    assert job.state is JobState.CANCELLED
    assert multiprocessing.active_children() == []
