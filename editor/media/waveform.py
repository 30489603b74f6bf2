"""Waveform peaks for drawing audio: (min, max) of the mono mix per time bucket."""

from __future__ import annotations

import math
import os
from fractions import Fraction
from pathlib import Path

import numpy as np

from editor.core.cache import AnalysisCache
from editor.core.progress import CancelToken, ProgressCallback
from editor.media._av import open_input
from editor.media.audio import audio_stream, iter_audio

VERSION = 1


def waveform_peaks(path: str | os.PathLike, *, peaks_per_second: int = 100,
                   cache: AnalysisCache | None = None, cancel: CancelToken | None = None,
                   progress: ProgressCallback | None = None) -> np.ndarray:
    """float32 array (n, 2) of (min, max) per 1/``peaks_per_second`` s of the first audio stream.

    Computed at the file's own sample rate so short peaks survive. Raises
    :class:`~editor.media.errors.NoAudioStreamError` for a file without audio.
    """
    if peaks_per_second < 1:
        raise ValueError("peaks_per_second must be at least 1")
    path = Path(path)
    container, _ = open_input(path)
    with container:
        stream = audio_stream(container, path)
        rate = stream.codec_context.sample_rate
        seconds = float(stream.duration * stream.time_base) if stream.duration else \
            (container.duration or 0) / 1e6
    key = None
    if cache is not None:
        key = cache.key(path, "waveform", VERSION, {"pps": peaks_per_second})
        hit = cache.get_arrays(key)
        if hit is not None and "peaks" in hit:
            return hit["peaks"]
    per_peak = Fraction(rate, peaks_per_second)  # samples per bucket, maybe fractional
    total = max(1, math.ceil(seconds * peaks_per_second))
    chunks: list[np.ndarray] = []
    carry = np.zeros(0, np.float32)
    consumed = done = 0  # samples before ``carry``; buckets finished
    for block in iter_audio(path, sample_rate=rate, mono=True, cancel=cancel):
        data = np.concatenate([carry, block.samples])
        ready = int((consumed + len(data)) / per_peak) - done
        if ready > 0:
            edges = [int((done + i) * per_peak) - consumed for i in range(ready + 1)]
            chunks.append(_minmax(data, edges))
            carry, consumed, done = data[edges[-1]:], consumed + edges[-1], done + ready
        else:
            carry = data
        if progress is not None:
            progress(min(done, total), total, "waveform")
    if len(carry):
        chunks.append(_minmax(carry, [0, len(carry)]))
    peaks = np.concatenate(chunks) if chunks else np.zeros((0, 2), np.float32)
    if key is not None:
        cache.put_arrays(key, {"peaks": peaks})
    return peaks


def _minmax(data: np.ndarray, edges: list[int]) -> np.ndarray:
    """(min, max) of ``data[edges[i]:edges[i+1]]`` for each i."""
    used, starts = data[:edges[-1]], edges[:-1]
    return np.stack([np.minimum.reduceat(used, starts), np.maximum.reduceat(used, starts)],
                    axis=1).astype(np.float32)
