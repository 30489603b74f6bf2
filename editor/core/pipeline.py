"""Overlap the stages of a frame loop: read ahead in one thread, compute frames that do not
depend on each other in a pool, write behind in others.

Decoding (PyAV), OpenCV, numpy and the encoders release the GIL, so a loop that decodes,
computes and writes runs its stages side by side when each has a thread of its own.
Errors raised in a thread reach the loop; memory stays bounded by a fixed depth.
"""

from __future__ import annotations

import os
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

_DONE = object()


def prefetch(items: Iterable, depth: int = 4) -> Iterator:
    """``items`` produced by a background thread up to ``depth`` ahead of the consumer.

    The producer's exception is raised in the consumer at the point it happened. When
    the consumer stops early (``close()``, or the generator is dropped), the producer
    stops too and its iterator is closed in its own thread.
    """
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                buffer.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        iterator = iter(items)
        try:
            for item in iterator:
                if not put((item, None)):
                    break
        except BaseException as exc:  # handed to the consumer
            put((_DONE, exc))
            return
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
        put((_DONE, None))

    thread = threading.Thread(target=produce, name="prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item, error = buffer.get()
            if item is _DONE:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        thread.join()


def ordered_map(fn: Callable, items: Iterable, workers: int | None = None,
                ahead: int | None = None) -> Iterator:
    """``fn(item)`` for each of ``items``, computed by a pool of threads a few items ahead
    and yielded in the items' order.

    At most ``ahead`` items (default: one more than the workers) wait or run while the
    next item is taken, which bounds memory. An exception raised by ``fn`` reaches the
    consumer where that item's result would have; when the consumer stops early, the
    items not yet started are dropped.
    """
    workers = workers or min(6, os.cpu_count() or 1)
    ahead = workers + 1 if ahead is None else max(1, ahead)
    pending: deque[Future] = deque()
    with ThreadPoolExecutor(workers, thread_name_prefix="map") as pool:
        try:
            for item in items:
                pending.append(pool.submit(fn, item))
                if len(pending) > ahead:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


class WriteBehind:
    """Runs writes in worker threads while the caller computes the next frame.

    ``submit(fn, ..., ordered=True)`` keeps the call order (one video encoder); unordered
    calls (one file per frame) share a small pool. At most ``depth`` writes wait; ``close``
    waits for all and raises the first error; ``abort`` waits and ignores them.
    """

    def __init__(self, depth: int = 16, workers: int | None = None):
        self.depth = depth
        self._ordered = ThreadPoolExecutor(1, thread_name_prefix="write-ordered")
        self._pool = ThreadPoolExecutor(workers or min(4, os.cpu_count() or 1),
                                        thread_name_prefix="write")
        self._pending: deque[Future] = deque()

    def submit(self, fn: Callable, *args, ordered: bool = False) -> None:
        executor = self._ordered if ordered else self._pool
        self._pending.append(executor.submit(fn, *args))
        while len(self._pending) > self.depth:
            self._pending.popleft().result()

    def close(self) -> None:
        try:
            while self._pending:
                self._pending.popleft().result()
        finally:
            self.abort()

    def abort(self) -> None:
        for future in self._pending:
            future.cancel()
        self._pending.clear()
        self._ordered.shutdown(wait=True)
        self._pool.shutdown(wait=True)
