"""Render an edit list (pieces of one source, in play order) to an H.264 + AAC MP4.

::

    render_segments("match.mp4", [(12.0, 15.5), (40.2, 44.0)], "teaser.mp4",
                    progress=cb, cancel=token)

A segment ``(start_s, end_s)`` keeps the source frames whose presentation time is in
``[start_s, end_s)`` (half a frame of tolerance, so ``frame / fps`` bounds are exact).
Video is re-encoded at the source frame rate, constant: each output frame shows the source
frame on screen at its time (a variable-rate source's frames are repeated or dropped as
needed, so picture and sound stay in sync). Audio follows the picture sample-exactly; at each join the two
sides overlap by ``crossfade_s`` (equal-power), using the source's own audio just
outside the segments, so joins do not click and the length does not change.

Pictures stay 8-bit YUV 4:2:0 planes from decoder to encoder (:mod:`editor.media.planes`;
no RGB round trip). ``video_filter(planes, t)`` may replace each upright picture (``t``
its source time, s) by another, e.g. a crop for reframing; the result is scaled to
``size``. The output is written to a temp file beside ``out`` and renamed when complete, so a cancelled
or failed render leaves nothing behind.
"""

from __future__ import annotations

import os
import time
from fractions import Fraction
from pathlib import Path
from typing import Callable, Iterable, Sequence

import av
import av.error
import numpy as np

from editor.core.errors import CutwiseError
from editor.core.files import describe_os_error
from editor.core.progress import CancelToken, ProgressCallback, no_progress
from editor.media._av import open_input, video_stream
from editor.media.planes import Planes
from editor.media.probe import probe, rotation_of

VideoFilter = Callable[[Planes, float], Planes]
RATE = 48000
_PROGRESS_EVERY_S = 0.1


class RenderError(CutwiseError):
    """An edit that cannot be rendered (no segments, nothing to encode with...)."""


def _spans(segments: Iterable) -> list[tuple[float, float]]:
    out = []
    for seg in segments:
        start, end = (seg.start_s, seg.end_s) if hasattr(seg, "start_s") else seg
        if not end > start:
            raise RenderError(f"A segment must end after it starts ({start} - {end} s).")
        out.append((float(start), float(end)))
    if not out:
        raise RenderError("There is nothing to render: the edit has no segments.")
    return out


def _encoder_name() -> str:
    try:
        av.codec.Codec("libx264", "w")
        return "libx264"
    except Exception:
        return "mpeg4"


class _AudioOut:
    """Collects audio in timeline order, crossfades joins, encodes 1024-sample frames."""

    def __init__(self, container, channels: int, crossfade: int):
        self.stream = container.add_stream("aac", rate=RATE)
        self.stream.layout = "stereo" if channels > 1 else "mono"
        self.channels = 2 if channels > 1 else 1
        self.container = container
        self.fade = crossfade
        self.tail: np.ndarray | None = None  # the last segment's overlap, faded out
        self.pending = np.zeros((0, self.channels), np.float32)
        self.written = 0

    def add(self, samples: np.ndarray, first: bool, last: bool) -> None:
        """``samples``: the segment's audio with ``fade // 2`` extra samples on each side
        that has a neighbour."""
        if self.fade and not first:
            ramp = np.sin(np.linspace(0, np.pi / 2, self.fade, dtype=np.float32))[:, None]
            head = samples[:self.fade] * ramp
            head[:len(self.tail)] += self.tail * np.sqrt(np.maximum(0, 1 - ramp ** 2))[
                :len(self.tail)]
            samples = np.concatenate([head, samples[self.fade:]])
        if self.fade and not last:
            ramp = np.cos(np.linspace(0, np.pi / 2, self.fade, dtype=np.float32))[:, None]
            self.tail = samples[-self.fade:] * ramp
            samples = samples[:-self.fade]
        elif last and len(samples) > 240:  # 5 ms fade-out at the very end
            samples = samples.copy()
            samples[-240:] *= np.linspace(1, 0, 240, dtype=np.float32)[:, None]
        self._queue(samples)

    def _queue(self, samples: np.ndarray) -> None:
        self.pending = np.concatenate([self.pending, samples.astype(np.float32)])
        while len(self.pending) >= 1024:
            self._encode(self.pending[:1024])
            self.pending = self.pending[1024:]

    def _encode(self, block: np.ndarray) -> None:
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(block.T), format="fltp",
                                           layout=self.stream.layout.name)
        frame.sample_rate = RATE
        frame.pts = self.written
        self.written += len(block)
        self.container.mux(self.stream.encode(frame))

    def close(self) -> None:
        if len(self.pending):
            self._encode(self.pending)
        self.container.mux(self.stream.encode(None))


def _read_audio(container, stream, start: float, end: float, channels: int) -> np.ndarray:
    """Source audio from ``start`` to ``end`` s at 48 kHz (zeros outside the stream)."""
    n = max(0, round((end - start) * RATE))
    out = np.zeros((n, channels), np.float32)
    if n == 0:
        return out
    origin = stream.start_time or 0
    layout = "stereo" if channels > 1 else "mono"
    resampler = av.AudioResampler(format="flt", layout=layout, rate=RATE)
    container.seek(max(0, int(origin + max(0.0, start - 0.2) / stream.time_base)),
                   stream=stream, backward=True)
    for packet in container.demux(stream):
        try:
            frames = packet.decode()
        except av.error.FFmpegError:
            continue
        for frame in frames:
            if frame.pts is None:
                continue
            t = float((frame.pts - origin) * stream.time_base)
            if t >= end:
                return out
            data = [o.to_ndarray().reshape(o.samples, -1) for o in resampler.resample(frame)]
            if not data:
                continue
            chunk = np.concatenate(data)
            at = round((t - start) * RATE)
            lo, hi = max(0, at), min(n, at + len(chunk))
            if hi > lo:
                out[lo:hi] = chunk[lo - at:hi - at]
    return out


def render_segments(path: str | os.PathLike, segments: Sequence, out: str | os.PathLike, *,
                    video_filter: VideoFilter | None = None,
                    size: tuple[int, int] | None = None, crossfade_s: float = 0.04,
                    crf: int = 20, preset: str = "veryfast",
                    progress: ProgressCallback = no_progress,
                    cancel: CancelToken | None = None) -> Path:
    """Render ``segments`` of ``path`` to ``out`` (see the module notes); returns ``out``."""
    path, out = Path(path), Path(out)
    spans = _spans(segments)
    info = probe(path, cancel=cancel)
    if info.video is None:
        raise RenderError(f"{path} has no video to render.", path=str(path))
    video = info.video
    rate = video.frame_rate.fraction
    fps = float(rate)
    half = 0.5 / fps
    width, height = size or (video.display_width, video.display_height)
    width, height = max(2, int(width) // 2 * 2), max(2, int(height) // 2 * 2)
    totals = [max(0, round((b - a) * fps)) for a, b in spans]
    total = sum(totals)
    has_audio = bool(info.audio)
    channels = min(2, info.audio[0].channels) if has_audio else 0
    fade = max(0, round(crossfade_s * RATE) // 2 * 2)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp{out.suffix or '.mp4'}")
    done = 0
    last_report = time.monotonic()
    progress(0, total, "rendering")
    try:
        src, _ = open_input(path)
        asrc = open_input(path)[0] if has_audio else None
        try:
            with av.open(str(tmp), "w", format="mp4") as dst:
                vout = dst.add_stream(_encoder_name(), rate=rate)
                vout.width, vout.height, vout.pix_fmt = width, height, "yuv420p"
                vout.codec_context.time_base = 1 / rate
                if vout.codec_context.name == "libx264":
                    vout.options = {"crf": str(crf), "preset": preset}
                aout = _AudioOut(dst, channels, fade) if has_audio else None
                vin = video_stream(src, path)
                vin.thread_type = "AUTO"
                for tag in ("colorspace", "color_range", "color_primaries", "color_trc"):
                    # the planes pass through unchanged: keep the source's colour tags
                    setattr(vout.codec_context, tag, getattr(vin.codec_context, tag))
                origin, tb = vin.start_time or 0, vin.time_base
                display = (video.display_width, video.display_height)
                turns = None
                pts_out = 0
                timeline_s = Fraction(0)
                for k, (start, end) in enumerate(spans):
                    src.seek(max(0, int(origin + max(0.0, start - half) / tb)), stream=vin,
                             backward=True)
                    taken = 0
                    held = None  # the newest source picture, shown until the next one is due

                    def fill_slots_before(t: float) -> None:
                        """Show ``held`` in every output slot that is due before ``t``."""
                        nonlocal taken, pts_out, done, last_report
                        while held is not None and taken < totals[k] and start + taken / fps + half < t:
                            held.pts = pts_out
                            pts_out += 1
                            taken += 1
                            done += 1
                            dst.mux(vout.encode(held))
                        if time.monotonic() - last_report >= _PROGRESS_EVERY_S:
                            last_report = time.monotonic()
                            progress(done, total, "rendering")

                    for frame in _decode(src, vin):
                        if cancel is not None:
                            cancel.raise_if_cancelled()
                        t = float((frame.pts - origin) * tb)
                        if t < start - half:
                            continue
                        fill_slots_before(t)
                        if t >= end - half or taken >= totals[k]:
                            break
                        if turns is None:
                            turns = rotation_of(frame) // 90
                        picture = Planes.from_frame(frame, -turns % 4, display)
                        if video_filter is not None:
                            picture = video_filter(picture, t)
                        held = picture.resized((width, height)).to_frame()
                    fill_slots_before(float("inf"))  # the span's (or the source's) last frame
                    if aout is not None:
                        first, last = k == 0, k == len(spans) - 1
                        seg_s = Fraction(taken) / rate
                        n = round((timeline_s + seg_s) * RATE) - round(timeline_s * RATE)
                        pre = 0 if first else fade // 2
                        post = 0 if last else fade // 2
                        audio = _read_audio(asrc, asrc.streams.audio[0], start - pre / RATE,
                                            start + (n + post) / RATE, channels)
                        aout.add(audio, first, last)
                    timeline_s += Fraction(taken) / rate
                dst.mux(vout.encode(None))
                if aout is not None:
                    aout.close()
        finally:
            src.close()
            if asrc is not None:
                asrc.close()
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise describe_os_error(exc, "write", out) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    progress(total, total, "rendered")
    return out


def _decode(container, stream):
    for packet in container.demux(stream):
        try:
            frames = packet.decode()
        except av.error.FFmpegError:
            continue
        for frame in frames:
            if frame.pts is not None:
                yield frame
