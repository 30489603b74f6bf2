"""Streaming audio decode: float32 blocks at a chosen rate, mono or with all channels."""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import av
import av.error
import numpy as np

from editor.core.progress import CancelToken
from editor.media._av import WarningCallback, open_input, read_packets, warner
from editor.media.errors import CorruptMediaError, NoAudioStreamError, UnsupportedCodecError


@dataclass(frozen=True, slots=True)
class AudioBlock:
    """``samples`` (float32 in [-1, 1]; shape (n,) mono or (n, channels)) from ``start_s``."""

    start_s: Fraction
    samples: np.ndarray


def audio_stream(container, path: Path):
    """The first audio stream, ready to decode."""
    if not container.streams.audio:
        raise NoAudioStreamError(f"{path} has no audio.", path=str(path))
    stream = container.streams.audio[0]
    if stream.codec_context is None:
        raise UnsupportedCodecError(
            f"{path} has audio in a codec this FFmpeg build cannot decode.", path=str(path))
    return stream


def iter_audio(path: str | os.PathLike, *, sample_rate: int | None = 48000, mono: bool = True,
               block_s: float = 1.0, cancel: CancelToken | None = None,
               on_warning: WarningCallback | None = None) -> Iterator[AudioBlock]:
    """Decode the first audio stream into consecutive blocks of ``block_s`` seconds.

    ``mono`` averages the channels; ``sample_rate=None`` keeps the file's rate. The last
    block may be shorter. Damaged packets are skipped with a warning (the samples after
    them close the gap).
    """
    path = Path(path)
    container, watch = open_input(path)
    with container:
        stream = audio_stream(container, path)
        cc = stream.codec_context
        rate = sample_rate or cc.sample_rate
        resampler = av.AudioResampler(format="flt", layout=cc.layout, rate=rate)
        block = max(1, round(block_s * rate))
        origin = stream.start_time or 0
        pending: list[np.ndarray] = []
        held = emitted = 0
        start = None
        frames = _decode_audio(container, stream, path, watch, cancel, warner(on_warning))
        for frame in frames:
            if start is None and frame.pts is not None:
                start = max(Fraction(0), (frame.pts - origin) * stream.time_base)
            for out in resampler.resample(frame):
                pending.append(_interleaved(out))
                held += out.samples
            while held >= block:
                samples, pending, held = _take(pending, block, held)
                yield _block(start, emitted, rate, samples, mono)
                emitted += block
        for out in resampler.resample(None):
            pending.append(_interleaved(out))
            held += out.samples
        while held:
            samples, pending, held = _take(pending, min(block, held), held)
            yield _block(start, emitted, rate, samples, mono)
            emitted += len(samples)


def _interleaved(frame) -> np.ndarray:
    """A packed float frame as (samples, channels)."""
    return frame.to_ndarray().reshape(frame.samples, -1)


def _block(start: Fraction | None, emitted: int, rate: int, samples: np.ndarray,
           mono: bool) -> AudioBlock:
    samples = samples.mean(axis=1) if mono else samples
    return AudioBlock((start or Fraction(0)) + Fraction(emitted, rate),
                      np.clip(samples, -1.0, 1.0).astype(np.float32, copy=False))


def _take(pending: list[np.ndarray], n: int, held: int):
    """Split the first ``n`` samples off the queued chunks."""
    data = np.concatenate(pending) if len(pending) > 1 else pending[0]
    rest = data[n:]
    return data[:n], ([rest] if len(rest) else []), held - n


def _decode_audio(container, stream, path: Path, watch, cancel, warn):
    decoded = failed = 0
    for packet in read_packets(container, [stream], path, watch, cancel, warn,
                               lambda: decoded):
        try:
            frames = packet.decode()
        except av.error.FFmpegError as exc:
            failed += 1
            at = float((packet.pts or 0) * stream.time_base)
            warn(f"{path}: skipped damaged audio near {at:.2f} s ({exc.strerror or exc})")
            continue
        decoded += len(frames)
        yield from frames
    if not decoded and failed:
        raise CorruptMediaError(f"{path} is damaged: its audio could not be decoded.",
                                path=str(path))
