"""The decoding pass: stream a file's frames once and keep only feature rows.

The pass decodes fast (``iter_frames(..., fast=True)``): no deblocking, and the frames no
other frame references (most B-frames, ~40% of a typical H.264 file) are not decoded at
all. Rows are computed on the frames that were decoded. Where a plausible cut falls
between two decoded frames with skipped frames between them, that short span is then
decoded in full (a seek to the keyframe before it) to find the exact first frame of the
new shot, which is stored with the rows (``cut_at``), so re-scoring never decodes.
"""

from __future__ import annotations

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


class _Growable:
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
    index, num, den = _Growable(None, np.int64), _Growable(None, np.int64), _Growable(None, np.int64)
    rows = _Growable(len(COLUMNS), np.float32)
    last_report = time.monotonic()
    progress(0, total, "decoding")
    for frame in iter_frames(path, fmt="yuv", width=DETAIL_WIDTH, fast=True, cancel=cancel,
                             on_warning=collect):
        i, pts = frame.index, frame.pts
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
    _refine_cuts(path, features, cancel, collect)
    features.warnings = tuple(warnings)
    progress(max(total, index.n), max(total, index.n), "decoded")
    return features


def _refine_cuts(path: Path, features: Features, cancel: CancelToken | None,
                 warn: WarningCallback) -> None:
    """Decode in full each span of skipped frames where a cut is plausible, and record
    the frame where the picture changes most (``features.cut_at``)."""
    from editor.analysis.shots.scoring import cut_candidates

    gap = features.values[:, COLUMN["gap"]]
    rows = [int(r) for r in cut_candidates(features.values) if gap[r] > 1]
    if not rows:
        return
    container, watch = open_input(path)
    with container:
        stream = video_stream(container, path)
        stream.thread_type = "AUTO"
        try:
            stream.codec_context.options = {"skip_loop_filter": "all"}
        except Exception:
            pass
        origin, time_base = stream.start_time or 0, stream.time_base
        sar = Fraction(stream.sample_aspect_ratio or stream.codec_context.sample_aspect_ratio
                       or 1)
        view = None
        ctx = stream.codec_context
        skipping = False
        for r in rows:
            if cancel is not None:
                cancel.raise_if_cancelled()
            watch.check()
            a_pts, b_pts = features.pts(r - 1), features.pts(r)
            tick_a = origin + a_pts / time_base
            tick_b = origin + b_pts / time_base
            thumbs: list[tuple[int, _Thumb, Fraction]] = []
            try:
                container.seek(int(tick_a), stream=stream, backward=True, any_frame=False)
                done = False
                for packet in container.demux(stream):
                    # frames nothing refers to are only needed inside the span
                    early = packet.pts is not None and packet.pts < tick_a
                    if early != skipping:
                        skipping = early
                        ctx.skip_frame = "NONREF" if early else "DEFAULT"
                    try:
                        frames = packet.decode()
                    except Exception:
                        continue
                    for frame in frames:
                        if frame.pts is None or frame.pts < tick_a:
                            continue
                        if frame.pts > tick_b:
                            done = True
                            break
                        if view is None or not view.fits(frame):
                            view = FrameView(frame, "yuv", DETAIL_WIDTH, None, sar, True, True)
                        rank = features.index[r - 1] + len(thumbs)
                        thumbs.append((int(rank), _Thumb(view.image(frame), int(rank)),
                                       (frame.pts - origin) * time_base))
                    if done:
                        break
            except Exception as exc:  # a span that will not decode keeps the coarse answer
                warn(f"{path}: could not decode frames near {float(a_pts):.2f} s again ({exc})")
                continue
            if len(thumbs) < 3 or thumbs[-1][0] != features.index[r] or \
                    thumbs[-1][2] != b_pts:
                continue  # not the frames the first pass saw: keep its answer
            pairs = [pair_row(p, c) for (_, p, _), (_, c, _) in zip(thumbs, thumbs[1:])]
            best = int(np.argmax([row[COLUMN["d1"]] + row[COLUMN["c1"]]
                                  + 4 * (row[COLUMN["m1"]] + np.nan_to_num(row[COLUMN["u1"]]))
                                  for row in pairs]))
            rank, _, pts = thumbs[best + 1]
            features.cut_at[r] = rank
            features.cut_num[r], features.cut_den[r] = pts.numerator, pts.denominator
            # the row now describes that one frame-to-frame change, as if nothing had
            # been skipped there (a shot's own motion over the whole span would hide a
            # subtle cut otherwise)
            for name in ("d1", "c1", "m1", "h1", "u1"):
                features.values[r, COLUMN[name]] = pairs[best][COLUMN[name]]
            features.values[r, COLUMN["gap"]] = 1
