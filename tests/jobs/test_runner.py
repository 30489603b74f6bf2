"""The job runner: progress, cancel, errors, GPU exclusivity, shutdown."""

import threading
import time

import pytest

from editor.core.errors import Cancelled, CutwiseError
from editor.jobs import JobEvent, JobRunner, JobState


class Recorder:
    """A listener that keeps every event and can wait for a job's final state."""

    def __init__(self):
        self.events: list[JobEvent] = []
        self._changed = threading.Condition()

    def __call__(self, event: JobEvent) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def of(self, job, kind=None) -> list[JobEvent]:
        with self._changed:
            return [e for e in self.events if e.job is job and kind in (None, e.kind)]

    def wait_for(self, job, state: JobState, timeout: float = 5.0) -> None:
        with self._changed:
            assert self._changed.wait_for(
                lambda: any(e.job is job and e.state is state for e in self.events), timeout)


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def runner(recorder):
    runner = JobRunner(max_workers=3)
    runner.add_listener(recorder)
    yield runner
    assert runner.shutdown(timeout=5.0)
    assert job_threads() == []


def job_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("cutwise-job-")]


def loop_until_cancelled(*, progress, cancel):
    i = 0
    while True:
        cancel.raise_if_cancelled()
        progress(i, 0, "looping")
        i += 1
        time.sleep(0.01)


def test_progress_is_delivered_in_order_then_the_final_state(runner, recorder):
    def count(n, *, progress, cancel):
        for i in range(1, n + 1):
            time.sleep(0.06)  # longer than the throttle interval: nothing is dropped
            progress(i, n, f"step {i}")
        return "counted"

    job = runner.submit(count, 4, title="Count")
    assert job.result(timeout=5) == "counted"
    recorder.wait_for(job, JobState.FINISHED)

    assert [e.progress.done for e in recorder.of(job, "progress")] == [1, 2, 3, 4]
    assert recorder.of(job, "progress")[-1].progress.message == "step 4"
    states = [e.state for e in recorder.of(job, "state")]
    assert states == [JobState.QUEUED, JobState.RUNNING, JobState.FINISHED]
    assert recorder.of(job)[-1].progress.fraction == 1.0
    assert job.title == "Count" and job.state is JobState.FINISHED
    assert 0.2 < job.elapsed < 2.0


def test_progress_events_are_throttled_but_the_final_progress_arrives(runner, recorder):
    def busy(*, progress, cancel):
        for i in range(1, 20_001):
            progress(i, 20_000)

    job = runner.submit(busy)
    job.result(timeout=5)
    recorder.wait_for(job, JobState.FINISHED)

    progress_events = recorder.of(job, "progress")
    assert len(progress_events) <= job.elapsed * 20 + 2
    assert progress_events[-1].progress.done == 20_000
    assert recorder.of(job)[-1].progress.done == 20_000


def test_arguments_reach_the_work(runner):
    def scale(a, b, *, factor, progress, cancel):
        return (a + b) * factor

    assert runner.submit(scale, 2, 3, factor=10).result(timeout=5) == 50


def test_generator_job_reports_progress_and_returns_its_result(runner, recorder):
    def frames(n):
        for i in range(n):
            time.sleep(0.06)
            yield i + 1, n, "frame"
        return ["cut at 2"]

    job = runner.submit(frames, 3, title="Frames")
    assert job.result(timeout=5) == ["cut at 2"]
    recorder.wait_for(job, JobState.FINISHED)
    assert [e.progress.done for e in recorder.of(job, "progress")] == [1, 2, 3]


def test_cancel_stops_a_looping_job_within_a_second(runner, recorder):
    job = runner.submit(loop_until_cancelled)
    recorder.wait_for(job, JobState.RUNNING)
    time.sleep(0.1)

    start = time.monotonic()
    job.cancel()
    assert job.wait(timeout=1.0)
    assert time.monotonic() - start < 1.0
    assert job.state is JobState.CANCELLED and job.error is None
    with pytest.raises(Cancelled):
        job.result()


def test_cancel_closes_a_generator_between_yields(runner, recorder):
    closed = threading.Event()

    def endless():
        try:
            while True:
                time.sleep(0.01)
                yield None
        finally:
            closed.set()

    job = runner.submit(endless)
    recorder.wait_for(job, JobState.RUNNING)
    start = time.monotonic()
    job.cancel()
    assert job.wait(timeout=1.0)
    assert time.monotonic() - start < 1.0
    assert job.state is JobState.CANCELLED
    assert closed.is_set()


def test_a_result_returned_after_cancel_is_discarded(runner, recorder):
    def stop_politely(*, progress, cancel):
        while not cancel.wait(0.01):
            pass
        return "partial"

    job = runner.submit(stop_politely)
    recorder.wait_for(job, JobState.RUNNING)
    job.cancel()
    assert job.wait(timeout=1.0)
    assert job.state is JobState.CANCELLED
    with pytest.raises(Cancelled):
        job.result()


def test_a_queued_job_cancels_at_once_and_never_runs(recorder):
    ran = threading.Event()
    with JobRunner(max_workers=1) as runner:
        runner.add_listener(recorder)
        blocker = runner.submit(loop_until_cancelled)
        queued = runner.submit(lambda *, progress, cancel: ran.set())
        assert queued.state is JobState.QUEUED

        queued.cancel()
        assert queued.wait(timeout=0) and queued.state is JobState.CANCELLED
        assert queued.elapsed == 0.0
        blocker.cancel()
        assert blocker.wait(timeout=1.0)
    assert not ran.is_set()
    assert [e.state for e in recorder.of(queued)] == [JobState.QUEUED, JobState.CANCELLED]


def test_a_cutwise_error_message_is_kept_verbatim(runner):
    def unreadable(*, progress, cancel):
        raise CutwiseError("clip.mov is not a video file.", path="clip.mov")

    job = runner.submit(unreadable)
    with pytest.raises(CutwiseError, match="not a video"):
        job.result(timeout=5)
    assert job.state is JobState.FAILED
    assert job.error == "clip.mov is not a video file."
    assert job.details is None


def test_an_unexpected_error_keeps_its_traceback_in_details(runner, recorder):
    def buggy_engine(*, progress, cancel):
        raise ValueError("threshold out of range")

    job = runner.submit(buggy_engine)
    with pytest.raises(ValueError):
        job.result(timeout=5)
    recorder.wait_for(job, JobState.FAILED)
    assert job.error == "Unexpected error: ValueError: threshold out of range"
    assert job.details.startswith("Traceback")
    assert "buggy_engine" in job.details and "threshold out of range" in job.details
    assert recorder.of(job)[-1].state is JobState.FAILED


def test_gpu_jobs_never_overlap_while_other_jobs_run_alongside(runner):
    spans: dict[str, tuple[float, float]] = {}
    lock = threading.Lock()

    def timed(name, *, progress, cancel):
        start = time.monotonic()
        time.sleep(0.25)
        with lock:
            spans[name] = (start, time.monotonic())

    jobs = [runner.submit(timed, "gpu1", gpu=True), runner.submit(timed, "gpu2", gpu=True),
            runner.submit(timed, "cpu")]
    for job in jobs:
        job.result(timeout=5)

    def overlap(a, b):
        return spans[a][0] < spans[b][1] and spans[b][0] < spans[a][1]

    assert not overlap("gpu1", "gpu2")
    assert overlap("cpu", "gpu1") or overlap("cpu", "gpu2")


def test_max_workers_bounds_concurrency():
    active, peak = 0, 0
    lock = threading.Lock()

    def work(*, progress, cancel):
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.05)
        with lock:
            active -= 1

    with JobRunner(max_workers=2) as runner:
        jobs = [runner.submit(work) for _ in range(5)]
        for job in jobs:
            job.result(timeout=5)
    assert peak == 2


def test_a_failing_listener_does_not_break_the_job(runner, recorder):
    def broken(event):
        raise RuntimeError("listener bug")

    runner.add_listener(broken)
    job = runner.submit(lambda *, progress, cancel: 7)
    assert job.result(timeout=5) == 7
    runner.remove_listener(broken)


def test_jobs_are_listed_in_submission_order(runner):
    jobs = [runner.submit(lambda *, progress, cancel: i) for i in range(3)]
    assert runner.jobs == jobs
    assert [job.id for job in jobs] == sorted({job.id for job in jobs})


def test_shutdown_cancels_and_joins_everything():
    runner = JobRunner(max_workers=2)
    jobs = [runner.submit(loop_until_cancelled) for _ in range(3)]  # the third is queued
    time.sleep(0.1)

    start = time.monotonic()
    assert runner.shutdown(cancel=True)
    assert time.monotonic() - start < 1.0
    assert [job.state for job in jobs] == [JobState.CANCELLED] * 3
    assert job_threads() == []
    with pytest.raises(RuntimeError):
        runner.submit(loop_until_cancelled)


def test_shutdown_without_cancel_lets_queued_jobs_finish():
    runner = JobRunner(max_workers=1)
    jobs = [runner.submit(lambda n, *, progress, cancel: time.sleep(0.02) or n, n)
            for n in range(3)]
    assert runner.shutdown(cancel=False)
    assert [job.result(timeout=0) for job in jobs] == [0, 1, 2]
    assert job_threads() == []
