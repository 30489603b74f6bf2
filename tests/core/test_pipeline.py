"""Read-ahead, pooled and write-behind threads: order, errors, early stops, bounded memory."""

from __future__ import annotations

import threading
import time

import pytest

from editor.core.pipeline import WriteBehind, ordered_map, prefetch


def test_prefetch_yields_everything_in_order_from_another_thread():
    seen_threads = set()

    def produce():
        for i in range(50):
            seen_threads.add(threading.current_thread().name)
            yield i

    assert list(prefetch(produce(), depth=3)) == list(range(50))
    assert seen_threads == {"prefetch"}


def test_prefetch_raises_the_producers_error_where_it_happened():
    def produce():
        yield 1
        yield 2
        raise ValueError("corrupt packet")

    got = []
    with pytest.raises(ValueError, match="corrupt packet"):
        for item in prefetch(produce()):
            got.append(item)
    assert got == [1, 2]


def test_stopping_early_stops_and_closes_the_producer():
    produced, closed = [], threading.Event()

    def produce():
        try:
            for i in range(10_000):
                produced.append(i)
                yield i
        finally:
            closed.set()

    items = prefetch(produce(), depth=2)
    assert next(items) == 0
    items.close()
    assert closed.is_set()
    assert len(produced) <= 5  # it stayed within its depth, not the whole 10 000


def test_write_behind_keeps_ordered_calls_in_order_and_bounds_the_backlog():
    order, running = [], []

    def slow(i):
        running.append(i)
        time.sleep(0.002)
        order.append(i)

    out = WriteBehind(depth=4)
    for i in range(30):
        out.submit(slow, i, ordered=True)
        assert i - len(order) <= 5  # never more than depth (+ the one running) waiting
    out.close()
    assert order == list(range(30))


def test_write_behind_reports_the_first_error_on_close():
    def fail(i):
        if i == 3:
            raise OSError("No space left on device")

    out = WriteBehind(depth=100)
    for i in range(6):
        out.submit(fail, i)
    with pytest.raises(OSError, match="No space left"):
        out.close()


def test_ordered_map_computes_in_several_threads_and_yields_in_order():
    threads = set()

    def slow_square(i):
        threads.add(threading.current_thread().name)
        time.sleep(0.02 if i % 3 == 0 else 0.001)  # later items finish first
        return i * i

    assert list(ordered_map(slow_square, range(30), workers=3)) == [i * i for i in range(30)]
    assert len(threads) > 1 and all(name.startswith("map") for name in threads)


def test_ordered_map_raises_where_the_failing_item_stands():
    def check(i):
        if i == 4:
            raise ValueError("bad frame 4")
        return i

    got = []
    with pytest.raises(ValueError, match="bad frame 4"):
        for value in ordered_map(check, range(10), workers=2):
            got.append(value)
    assert got == [0, 1, 2, 3]


def test_ordered_map_stopped_early_starts_no_more_than_a_few_items_ahead():
    started = []

    def work(i):
        started.append(i)
        return i

    results = ordered_map(work, range(1000), workers=2)
    assert [next(results) for _ in range(5)] == [0, 1, 2, 3, 4]
    results.close()
    assert len(started) <= 5 + 2 + 2


def test_ordered_map_takes_the_next_item_only_when_at_most_ahead_are_pending():
    taken, finished = [], []

    def items():
        for i in range(20):
            taken.append((i, len(finished)))  # how many results were done when i was taken
            yield i

    def work(i):
        time.sleep(0.005)
        finished.append(i)
        return i

    assert list(ordered_map(work, items(), workers=1, ahead=1)) == list(range(20))
    # item i is taken once item i - 2's result is in: one runs, the next is being read
    assert all(done >= i - 1 for i, done in taken)
