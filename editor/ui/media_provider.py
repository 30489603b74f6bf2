"""Thumbnails and waveforms for the views, made in the background and kept in memory.

Views ask synchronously (``thumbnail(...)``/``waveform(...)``) and get ``None`` until the
picture is ready; the work runs on a private one-worker job runner (so hundreds of
filmstrip frames don't flood the jobs dock) with the on-disk analysis cache behind it,
and :attr:`MediaProvider.updated` tells the views to repaint.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from editor.core.cache import AnalysisCache
from editor.core.errors import CutwiseError
from editor.jobs import JobEvent, JobRunner, JobState
from editor.ui.document import Document
from editor.ui.jobs import JobBridge

MAX_IMAGES = 2000


def to_qimage(rgb: np.ndarray) -> QImage:
    rgb = np.ascontiguousarray(rgb)
    height, width = rgb.shape[:2]
    return QImage(rgb.data, width, height, 3 * width, QImage.Format_RGB888).copy()


def _thumbnail_work(path: str, time_s: float, width: int, cache: AnalysisCache, *, progress, cancel):
    from editor.media.thumbnails import thumbnail

    cancel.raise_if_cancelled()
    return thumbnail(path, time_s, width=width, cache=cache)


def _waveform_work(path: str, cache: AnalysisCache, *, progress, cancel):
    from editor.media.waveform import waveform_peaks

    return waveform_peaks(path, peaks_per_second=100, cache=cache, cancel=cancel, progress=progress)


class MediaProvider(QObject):
    """Implements the timeline's media provider protocol and the bin's posters."""

    updated = Signal()

    def __init__(self, document: Document, cache: AnalysisCache | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.document = document
        self.cache = cache or AnalysisCache()
        self.runner = JobRunner(max_workers=1)
        self._bridge = JobBridge(self.runner, self)
        self._bridge.event.connect(self._on_event)
        self._images: OrderedDict[tuple, QImage] = OrderedDict()
        self._waveforms: dict[str, np.ndarray] = {}
        self._pending: dict[int, tuple] = {}
        self._requested: set[tuple] = set()
        self._failed: set[tuple] = set()

    def thumbnail(self, asset_id: str, source_frame: int, height: int,
                  exact: bool = False) -> QImage | None:
        """A frame of an asset scaled to ``height`` px, or None while it is being made.

        Filmstrips share one picture per second of source; ``exact`` asks for that very
        frame (the frames either side of a cut)."""
        try:
            asset = self.document.project.asset(asset_id)
        except CutwiseError:
            return None
        step = 1 if exact else max(1, round(float(asset.frame_rate)))
        frame = min(max(source_frame, 0) // step * step, max(asset.frame_count - 1, 0))
        key = ("thumb", asset.path, frame, height)
        image = self._images.get(key)
        if image is not None:
            self._images.move_to_end(key)
            return image
        if key not in self._requested and key not in self._failed:
            width = max(16, round(height * asset.width / max(asset.height, 1)))
            job = self.runner.submit(_thumbnail_work, asset.path,
                                     float(asset.frame_rate.seconds(frame)), width, self.cache,
                                     title=f"Thumbnail of {asset.name}")
            self._requested.add(key)
            self._pending[job.id] = key
        return None

    def waveform(self, asset_id: str) -> np.ndarray | None:
        """(n, 2) min/max peaks at 100 per second scaled to the loudest peak, or None while
        being computed."""
        try:
            asset = self.document.project.asset(asset_id)
        except CutwiseError:
            return None
        if not asset.has_audio:
            return None
        key = ("wave", asset.path)
        if asset.path in self._waveforms:
            return self._waveforms[asset.path]
        if key not in self._requested and key not in self._failed:
            job = self.runner.submit(_waveform_work, asset.path, self.cache,
                                     title=f"Waveform of {asset.name}")
            self._requested.add(key)
            self._pending[job.id] = key
        return None

    def _on_event(self, event: JobEvent) -> None:
        if not event.state.is_final or event.job.id not in self._pending:
            return
        key = self._pending.pop(event.job.id)
        self._requested.discard(key)
        if event.state is not JobState.FINISHED:
            self._failed.add(key)  # unreadable media: draw plain blocks, don't retry forever
            return
        result = event.job.result()
        if key[0] == "wave":  # normalised for display, so quiet recordings stay readable
            self._waveforms[key[1]] = result / max(float(np.abs(result).max(initial=0.0)), 1e-3)
        else:
            self._images[key] = to_qimage(result)
            while len(self._images) > MAX_IMAGES:
                self._images.popitem(last=False)
        self.updated.emit()

    def shutdown(self) -> None:
        self._bridge.detach()
        self.runner.shutdown()
