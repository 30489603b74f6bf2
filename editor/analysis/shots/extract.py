"""The decoding pass: stream a file's frames once and keep only feature rows.

The pass decodes fast (``iter_frames(..., fast=True)``): no deblocking, and the frames no
other frame references (most B-frames, ~40% of a typical H.264 file) are not decoded at
all. Rows are computed on the frames that were decoded. Where a plausible cut falls
between two decoded frames with skipped frames between them, that short span is then
decoded in full (from the keyframe before it, once for all such spans after that keyframe)
to find the exact first frame of the new shot, which is stored with the rows (``cut_at``),
so re-scoring never decodes.
"""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from editor.core.progress import CancelToken, ProgressCallback, no_progress
from editor.media._av import WarningCallback, open_input, video_stream
from editor.media.decode import FrameView, iter_frames

from editor.analysis.shots.features import (COLUMN, COLUMNS, DETAIL_WIDTH, FeatureExtractor,
                                            _Thumb, pair_row)

_PROGRESS_EVERY_S = 0.1


@dataclass
class Features:
    """What one decoding pass learned: a row of :data:`COLUMNS` per decoded frame.

    ``index`` is each row's frame index in decode (presentation) order; frames that could
    not be decoded have no row, so ``index`` may skip. ``pts_num``/``pts_den`` give each
    frame's exact presentation time in seconds.
    """

    index: np.ndarray  # int64 [N]
    pts_num: np.ndarray  # int64 [N]
    pts_den: np.ndarray  # int64 [N]
    values: np.ndarray  # float32 [N, len(COLUMNS)]
    warnings: tuple[str, ...] = ()
    # the exact frame where the picture changes between row i - 1 and row i (== index[i]
    # unless frames were skipped there and the span was decoded again), and its pts
    cut_at: np.ndarray | None = None  # int64 [N]
    cut_num: np.ndarray | None = None
    cut_den: np.ndarray | None = None

    def __post_init__(self):
        if self.cut_at is None:
            self.cut_at = self.index.copy()
            self.cut_num, self.cut_den = self.pts_num.copy(), self.pts_den.copy()

    def cut_pts(self, row: int) -> Fraction:
        return Fraction(int(self.cut_num[row]), int(self.cut_den[row]))

    def column(self, name: str) -> np.ndarray:
        return self.values[:, COLUMNS.index(name)]

    def pts(self, row: int) -> Fraction:
        return Fraction(int(self.pts_num[row]), int(self.pts_den[row]))

    def seconds(self) -> np.ndarray:
        return self.pts_num / np.maximum(self.pts_den, 1)

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"index": self.index, "pts_num": self.pts_num, "pts_den": self.pts_den,
                "values": self.values, "cut_at": self.cut_at, "cut_num": self.cut_num,
                "cut_den": self.cut_den}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], warnings=()) -> "Features | None":
        try:
            values = arrays["values"].astype(np.float32, copy=False)
            if values.ndim != 2 or values.shape[1] != len(COLUMNS):
                return None
            return cls(arrays["index"].astype(np.int64), arrays["pts_num"].astype(np.int64),
                       arrays["pts_den"].astype(np.int64), values, tuple(warnings),
                       arrays["cut_at"].astype(np.int64), arrays["cut_num"].astype(np.int64),
                       arrays["cut_den"].astype(np.int64))
        except KeyError:
            return None


class Growable:
    """An array that grows by doubling (amortised O(1) append, no per-frame objects)."""

    def __init__(self, width: int | None, dtype):
        self._shape = (1024,) if width is None else (1024, width)
        self._data = np.empty(self._shape, dtype)
        self.n = 0

    def append(self, value) -> None:
        if self.n == len(self._data):
            grown = np.empty((2 * len(self._data),) + self._data.shape[1:], self._data.dtype)
            grown[:self.n] = self._data
            self._data = grown
        self._data[self.n] = value
        self.n += 1

    def array(self) -> np.ndarray:
        return self._data[:self.n].copy()

    def __getitem__(self, key):
        """Items of what was appended (a view for a slice)."""
        return self._data[:self.n][key]


def extract_features(path: str | Path, *, total: int = 0,
                     progress: ProgressCallback = no_progress,
                     cancel: CancelToken | None = None,
                     on_warning: WarningCallback | None = None) -> Features:
    """Decode ``path`` once (fast, reduced size, threaded) and compute every feature row.

    Raises the media layer's typed errors for unreadable input; damaged frames are
    skipped with a warning.
    """
    path = Path(path)
    warnings: list[str] = []

    def collect(message: str) -> None:
        warnings.append(message)
        if on_warning is not None:
            on_warning(message)

    extractor = FeatureExtractor()
    index, num, den = Growable(None, np.int64), Growable(None, np.int64), Growable(None, np.int64)
    rows = Growable(len(COLUMNS), np.float32)
    last_report = time.monotonic()
    progress(0, total, "decoding")
    keyframes: list[int] = []  # rows of the frames decoding can restart from
    for frame in iter_frames(path, fmt="yuv", width=DETAIL_WIDTH, fast=True, cancel=cancel,
                             on_warning=collect):
        i, pts = frame.index, frame.pts
        if frame.keyframe:
            keyframes.append(index.n)
        index.append(i)
        num.append(pts.numerator)
        den.append(pts.denominator)
        for row in extractor.push(frame.image, i):
            rows.append(row)
        now = time.monotonic()
        if now - last_report >= _PROGRESS_EVERY_S:
            last_report = now
            progress(i + 1, max(total, i + 1), "decoding")
    for row in extractor.finish():
        rows.append(row)
    features = Features(index.array(), num.array(), den.array(), rows.array(), ())
    _refine_cuts(path, features, keyframes, cancel, collect)
    features.warnings = tuple(warnings)
    progress(max(total, index.n), max(total, index.n), "decoded")
    return features


def _refine_cuts(path: Path, features: Features, keyframes: list[int],
                 cancel: CancelToken | None, warn: WarningCallback) -> None:
    """Decode in full each span of skipped frames where a cut is plausible, and record
    the frame where the picture changes most (``features.cut_at``).

    Spans after the same keyframe (``keyframes``: rows decoding can restart from) are
    decoded in one pass from it, so no keyframe interval is decoded twice.
    """
    from editor.analysis.shots.scoring import cut_candidates

    gap = features.values[:, COLUMN["gap"]]
    rows = [int(r) for r in cut_candidates(features.values) if gap[r] > 1]
    if not rows:
        return
    groups: list[list[int]] = []
    last_key = None
    for r in rows:
        at = bisect.bisect_right(keyframes, r - 1) - 1
        key = keyframes[at] if at >= 0 else None
        if groups and key is not None and key == last_key:
            groups[-1].append(r)
        else:
            groups.append([r])
        last_key = key
    container, watch = open_input(path)
    with container:
        stream = video_stream(container, path)
        stream.thread_type = "AUTO"
        try:
            stream.codec_context.options = {"skip_loop_filter": "all"}
        except Exception:
            pass
        decoder = _SpanDecoder(container, stream, features)
        for group in groups:
            if cancel is not None:
                cancel.raise_if_cancelled()
            watch.check()
            try:
                spans = decoder.decode(group, cancel)
            except Exception as exc:  # spans that will not decode keep the coarse answer
                warn(f"{path}: could not decode frames near "
                     f"{float(features.pts(group[0] - 1)):.2f} s again ({exc})")
                continue
            for r, thumbs in zip(group, spans):
                _place_cut(features, r, thumbs)


class _SpanDecoder:
    """Decodes every frame of given spans between rows (and only the reference frames
    between the spans), from the keyframe before the first."""

    def __init__(self, container, stream, features: Features):
        self.container, self.stream, self.features = container, stream, features
        self.origin, self.time_base = stream.start_time or 0, stream.time_base
        self.sar = Fraction(stream.sample_aspect_ratio
                            or stream.codec_context.sample_aspect_ratio or 1)
        self.view = None

    def decode(self, rows: list[int], cancel: CancelToken | None
               ) -> list[list[tuple[int, _Thumb, Fraction]]]:
        """For each row ``r``: the frames from row ``r - 1`` to row ``r`` as (frame index,
        thumbnail, pts)."""
        features, ctx = self.features, self.stream.codec_context
        ticks = [(self.origin + features.pts(r - 1) / self.time_base,
                  self.origin + features.pts(r) / self.time_base) for r in rows]
        spans: list[list[tuple[int, _Thumb, Fraction]]] = [[] for _ in rows]
        end = ticks[-1][1]
        self.container.seek(int(ticks[0][0]), stream=self.stream, backward=True,
                            any_frame=False)
        skipping = None
        for packet in self.container.demux(self.stream):
            if cancel is not None:
                cancel.raise_if_cancelled()
            # frames nothing refers to are only needed inside the spans
            outside = packet.pts is not None and not any(a <= packet.pts <= b
                                                         for a, b in ticks)
            if outside != skipping:
                skipping = outside
                ctx.skip_frame = "NONREF" if outside else "DEFAULT"
            try:
                frames = packet.decode()
            except Exception:
                continue
            for frame in frames:
                if frame.pts is None:
                    continue
                if frame.pts > end:
                    return spans
                thumb = None
                for (a, b), (r, span) in zip(ticks, zip(rows, spans)):
                    if a <= frame.pts <= b:
                        if thumb is None:
                            if self.view is None or not self.view.fits(frame):
                                self.view = FrameView(frame, "yuv", DETAIL_WIDTH, None,
                                                      self.sar, True, True)
                            rank = int(features.index[r - 1]) + len(span)
                            thumb = _Thumb(self.view.image(frame), rank)
                            pts = (frame.pts - self.origin) * self.time_base
                        span.append((int(features.index[r - 1]) + len(span), thumb, pts))
        return spans


def _place_cut(features: Features, r: int, thumbs: list[tuple[int, _Thumb, Fraction]]) -> None:
    """Put the cut between rows ``r - 1`` and ``r`` on the frame where the picture changes
    most among ``thumbs`` (every frame of that span), if they are the frames the first
    pass saw at its ends."""
    found = cut_in_span(int(features.index[r]), features.pts(r), thumbs)
    if found is not None:
        set_cut(features, r, found)


def set_cut(features: Features, r: int, found: tuple[int, Fraction, np.ndarray]) -> None:
    """Record the cut :func:`cut_in_span` placed between rows ``r - 1`` and ``r``."""
    frame, pts, pair = found
    features.cut_at[r] = frame
    features.cut_num[r], features.cut_den[r] = pts.numerator, pts.denominator
    refine_row(features.values[r], pair)


def cut_in_span(index: int, pts: Fraction, thumbs: list[tuple[int, _Thumb, Fraction]]
                ) -> tuple[int, Fraction, np.ndarray] | None:
    """``(frame, pts, pair row)`` of the frame where the picture changes most among
    ``thumbs`` (``(frame, thumbnail, pts)`` of every frame of a span of skipped frames,
    its two ends included), None unless there are three or more and the last is
    ``index`` at ``pts`` (the frame the row after the span describes)."""
    if len(thumbs) < 3 or thumbs[-1][0] != index or thumbs[-1][2] != pts:
        return None
    pairs = [pair_row(p, c) for (_, p, _), (_, c, _) in zip(thumbs, thumbs[1:])]
    best = int(np.argmax([row[COLUMN["d1"]] + row[COLUMN["c1"]]
                          + 4 * (row[COLUMN["m1"]] + np.nan_to_num(row[COLUMN["u1"]]))
                          for row in pairs]))
    rank, _, pts = thumbs[best + 1]
    return rank, pts, pairs[best]


def refine_row(row: np.ndarray, pair: np.ndarray) -> None:
    """Make ``row`` describe the one frame-to-frame change ``pair`` where the cut was
    placed, as if nothing had been skipped there (a shot's own motion over the whole
    span would hide a subtle cut otherwise)."""
    for name in ("d1", "c1", "m1", "h1", "u1"):
        row[COLUMN[name]] = pair[COLUMN[name]]
    row[COLUMN["gap"]] = 1
