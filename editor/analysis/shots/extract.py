"""The decoding pass: stream a file's frames once and keep only feature rows."""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from editor.core.progress import CancelToken, ProgressCallback, no_progress
from editor.media._av import WarningCallback, open_input, video_stream, warner
from editor.media.decode import FrameView, decode_video

from editor.analysis.shots.features import COLUMNS, DETAIL_WIDTH, FeatureExtractor

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

    def column(self, name: str) -> np.ndarray:
        return self.values[:, COLUMNS.index(name)]

    def pts(self, row: int) -> Fraction:
        return Fraction(int(self.pts_num[row]), int(self.pts_den[row]))

    def seconds(self) -> np.ndarray:
        return self.pts_num / np.maximum(self.pts_den, 1)

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"index": self.index, "pts_num": self.pts_num, "pts_den": self.pts_den,
                "values": self.values}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], warnings=()) -> "Features | None":
        try:
            values = arrays["values"].astype(np.float32, copy=False)
            if values.ndim != 2 or values.shape[1] != len(COLUMNS):
                return None
            return cls(arrays["index"].astype(np.int64), arrays["pts_num"].astype(np.int64),
                       arrays["pts_den"].astype(np.int64), values, tuple(warnings))
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
    """Decode ``path`` once (gray, reduced size, threaded) and compute every feature row.

    The H.264/HEVC in-loop deblocking filter is skipped: it costs a fifth of decoding
    time and changes nothing a thumbnail can see. Raises the media layer's typed errors
    for unreadable input; damaged frames are skipped with a warning.
    """
    path = Path(path)
    warnings: list[str] = []

    def collect(message: str) -> None:
        warnings.append(message)
        if on_warning is not None:
            on_warning(message)

    warn = warner(collect)
    extractor = FeatureExtractor()
    index, num, den = _Growable(None, np.int64), _Growable(None, np.int64), _Growable(None, np.int64)
    rows = _Growable(len(COLUMNS), np.float32)
    container, watch = open_input(path)
    with container:
        stream = video_stream(container, path)
        stream.thread_type = "AUTO"
        try:
            stream.codec_context.options = {"skip_loop_filter": "all"}
        except Exception:  # an odd decoder without the option: decode normally
            pass
        origin, time_base = stream.start_time or 0, stream.time_base
        rate = Fraction(stream.guessed_rate or stream.average_rate or 25)
        view = None
        last_report = time.monotonic()
        progress(0, total, "decoding")
        for i, frame in decode_video(container, stream, path, watch, cancel, warn):
            if view is None or not view.fits(frame):
                sar = stream.sample_aspect_ratio or stream.codec_context.sample_aspect_ratio
                view = FrameView(frame, "gray", DETAIL_WIDTH, None, Fraction(sar or 1), True)
            if frame.pts is not None:
                pts = (frame.pts - origin) * time_base
            else:
                pts = Fraction(i) / rate
            index.append(i)
            num.append(pts.numerator)
            den.append(pts.denominator)
            for row in extractor.push(view.image(frame)):
                rows.append(row)
            now = time.monotonic()
            if now - last_report >= _PROGRESS_EVERY_S:
                last_report = now
                if cancel is not None:
                    cancel.raise_if_cancelled()
                progress(i + 1, max(total, i + 1), "decoding")
        for row in extractor.finish():
            rows.append(row)
    progress(max(total, index.n), max(total, index.n), "decoded")
    return Features(index.array(), num.array(), den.array(), rows.array(), tuple(warnings))
