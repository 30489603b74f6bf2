"""Streaming video decode: frames in presentation order with exact timestamps.

Frames come out one at a time (bounded memory), upright when the file carries rotation
metadata, in RGB or gray at full or reduced size. Damaged frames are skipped with a
warning; an error is raised only when nothing decodable remains.
"""

from __future__ import annotations

import bisect
import heapq
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable, Iterator

import av
import av.error
import cv2
import numpy as np

from editor.core.progress import CancelToken
from editor.media._av import (WarningCallback, exact_seconds, open_input, read_packets,
                              video_stream, warner)
from editor.media.errors import CorruptMediaError, TruncatedMediaError, UnsupportedCodecError
from editor.media.probe import rotation_of, scan_packets
from editor.media.references import reference_reader

AFTER_DAMAGE = 64  # packets after a damaged one in which frames out of order are skipped

# Limited-range luma (16..235) stretched to full range, as swscale does for "gray".
_FULL_RANGE = np.clip(np.round((np.arange(256) - 16) * 255 / 219), 0, 255).astype(np.uint8)


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded picture.

    ``index`` counts frames in presentation order from the start of the file (also when
    decoding started at ``start_s`` or damaged frames were skipped); ``pts`` is exact
    seconds from the stream's start; ``image`` is uint8 HxW (gray) or HxWx3 (RGB);
    ``keyframe`` is true for a frame decoding can start from (where a seek lands);
    ``detail`` is its gray image at another size and ``thumb`` its Y/U/V image at a
    third, where they were asked for; ``referenced`` tells whether other frames refer to
    it (None when not asked for, or not known for the codec).
    """

    index: int
    pts: Fraction
    image: np.ndarray
    keyframe: bool = False
    detail: np.ndarray | None = None
    thumb: np.ndarray | None = None
    referenced: bool | None = None


def frame_times(path: str | os.PathLike, *, cancel: CancelToken | None = None) -> list[Fraction]:
    """Presentation time (seconds from stream start) of every video frame, by packet scan."""
    path = Path(path)
    container, watch = open_input(path)
    with container:
        stream = video_stream(container, path)
        ticks = sorted(_scan(container, stream, path, watch, cancel).ticks)
        origin, time_base = stream.start_time or 0, stream.time_base
    return [(t - origin) * time_base for t in ticks]


def iter_frames(path: str | os.PathLike, *, fmt: str = "rgb", width: int | None = None,
                height: int | None = None, start_s: float | Fraction | None = None,
                rotate: bool = True, fast: bool = False, every_frame: bool = False,
                detail: tuple[int | None, int | None] | None = None,
                detail_when: Callable[[int], bool] | None = None,
                thumb_width: int | None = None, references: bool = False,
                cancel: CancelToken | None = None,
                on_warning: WarningCallback | None = None) -> Iterator[Frame]:
    """Decode ``path``'s video frame by frame.

    ``fmt`` is ``"rgb"``, ``"gray"`` (full-range luma) or ``"yuv"`` (HxWx3: that same
    full-range luma, then the U and V planes as stored, scaled to the luma's size). With
    ``width`` and/or ``height`` frames are scaled to that upright size (one alone keeps the
    display aspect); with neither they keep their stored pixel size. ``start_s`` starts at
    the frame shown at that time. Raises a :class:`~editor.media.errors.MediaError` for
    unreadable input.

    ``fast=True`` trades fidelity for speed, for analysis passes that only need a rough
    look at many frames: the in-loop deblocking filter is skipped (H.264/HEVC), frames
    that no other frame references (most B-frames) are not decoded at all, so **some
    indices are missing** from the output (the frames that do come keep their true
    ``index`` and ``pts``), more frames are decoded in parallel (cores + 4), and a size
    reduced more than 8 times (or 4 times by a fraction) is sampled bilinearly to 4
    times the output size before the area average, instead of averaging every source
    pixel. ``every_frame=True`` keeps all of that but still decodes every frame (no
    missing indices).

    ``detail=(width, height)`` also gives each frame (or those whose index
    ``detail_when`` accepts, asked as the frame comes) as ``Frame.detail``: its gray
    image at that upright size, from the same decoded picture (for a detector that
    needs more pixels than the main analysis). ``thumb_width`` also gives each frame as
    ``Frame.thumb``: its ``"yuv"`` image at that width (display aspect), the same as
    ``iter_frames(fmt="yuv", width=thumb_width, fast=fast)`` gives. ``references=True``
    marks each frame with whether other frames refer to it (``Frame.referenced``: the
    frames a ``fast`` decode without ``every_frame`` gives, where
    :func:`~editor.media.references.reference_reader` reads the codec).
    """
    if fmt not in ("rgb", "gray", "yuv"):
        raise ValueError(f"fmt must be 'rgb', 'gray' or 'yuv', not {fmt!r}")
    path = Path(path)
    warn = warner(on_warning)
    container, watch = open_input(path)
    with container:
        stream = video_stream(container, path)
        stream.thread_type = "AUTO"
        if fast:
            try:
                stream.codec_context.options = {"skip_loop_filter": "all"}
                if not every_frame:
                    stream.codec_context.skip_frame = "NONREF"
                # a few more frames in flight than cores: decoding goes on while the
                # caller works on each frame
                stream.codec_context.thread_count = min(16, (os.cpu_count() or 1) + 4)
            except Exception:  # a decoder without these options: decode normally
                pass
        origin = stream.start_time or 0
        first_tick, ticks = None, None
        if start_s is not None and start_s > 0:
            with open_input(path)[0] as scan_container:
                track = _scan(scan_container, video_stream(scan_container, path), path, watch,
                              cancel)
            ticks = sorted(track.ticks)
            wanted = origin + exact_seconds(start_s) / stream.time_base
            if not ticks or wanted >= track.end:
                return  # past the last frame
            first_tick = ticks[max(0, bisect.bisect_right(ticks, wanted) - 1)]
            container.seek(first_tick, stream=stream, backward=True, any_frame=False)
        sar = stream.sample_aspect_ratio or stream.codec_context.sample_aspect_ratio
        view = detail_view = thumb_view = None
        reader = reference_reader(stream) if references else None
        marks: dict[int, bool | None] = {}  # packets' pts: whether their frame is referenced

        def mark(packet: av.Packet) -> None:
            if packet.pts is not None:
                marks[packet.pts] = reader(bytes(packet))

        for index, frame in decode_video(container, stream, path, watch, cancel, warn, ticks,
                                         mark if reader is not None else None):
            tick = frame.pts
            referenced = marks.pop(tick, None) if reader is not None else None
            if first_tick is not None and tick is not None and tick < first_tick:
                continue
            if view is None or not view.fits(frame):
                view = FrameView(frame, fmt, width, height, Fraction(sar or 1), rotate, fast)
            pts = (tick - origin) * stream.time_base if tick is not None else \
                Fraction(index) / Fraction(stream.guessed_rate or 25)
            image, extra = view.image(frame), None
            if detail is not None and (detail_when is None or detail_when(index)):
                if detail_view is None or not detail_view.fits(frame):
                    detail_view = FrameView(frame, "gray", *detail, Fraction(sar or 1), rotate,
                                            fast)
                extra = view.luma(image) if view.same_luma(detail_view) else \
                    detail_view.image(frame)
            thumb = None
            if thumb_width is not None:
                if thumb_view is None or not thumb_view.fits(frame):
                    thumb_view = FrameView(frame, "yuv", thumb_width, None, Fraction(sar or 1),
                                           rotate, fast)
                thumb = thumb_view.image(frame)
            yield Frame(index, pts, image, frame.key_frame, extra, thumb, referenced)


def decode_video(container, stream, path: Path, watch, cancel: CancelToken | None,
                 warn: WarningCallback, ticks: list[int] | None = None,
                 on_packet: Callable[[av.Packet], None] | None = None
                 ) -> Iterator[tuple[int, av.VideoFrame]]:
    """Yield ``(index, frame)`` in presentation order, skipping damaged frames (and those
    a decoder hands over out of order after damage).

    The index of each frame is its rank among the packets' presentation times, so frames
    that fail to decode still take their place. ``ticks`` (all presentation times, from a
    packet scan) gives the starting rank after a seek; ``on_packet`` sees each packet
    with data before it is decoded.
    """
    pending: list[int] = []  # presentation ticks demuxed but not yet output
    next_index = None if ticks is not None else 0
    demuxed = decoded = 0
    last_pts = None  # of the last frame given its index
    since_damage = None  # packets read since one failed to decode
    for packet in read_packets(container, [stream], path, watch, cancel, warn,
                               lambda: decoded):
        real = packet.size > 0 and not packet.is_discard
        since_damage = None if since_damage is None else since_damage + 1
        if real and packet.pts is not None:
            heapq.heappush(pending, packet.pts)
            demuxed += 1
        if real and on_packet is not None:
            on_packet(packet)
        try:
            frames = packet.decode()
        except av.error.DecoderNotFoundError as exc:
            raise UnsupportedCodecError(
                f"{path} uses a codec this FFmpeg build cannot decode.", path=str(path)) from exc
        except av.error.FFmpegError as exc:
            at = float((packet.pts or 0) * stream.time_base)
            warn(f"{path}: skipped a damaged frame near {at:.2f} s ({exc.strerror or exc})")
            since_damage = 0
            continue
        for frame in frames:
            if since_damage is not None and since_damage <= AFTER_DAMAGE and \
                    frame.pts is not None and last_pts is not None and frame.pts <= last_pts:
                # after damage a decoder can hand over frames out of order: one behind
                # those already out has lost its place (counting it would shift every
                # later frame's index); elsewhere (a muxer's timestamps going back) the
                # frame is kept, as before
                warn(f"{path}: skipped a frame out of order near "
                     f"{float(frame.pts * stream.time_base):.2f} s")
                continue
            if next_index is None:
                next_index = bisect.bisect_left(ticks, pending[0] if pending else frame.pts or 0)
            while pending and frame.pts is not None and pending[0] < frame.pts:
                heapq.heappop(pending)
                next_index += 1
            if pending and pending[0] == frame.pts:
                heapq.heappop(pending)
            index, next_index = next_index, next_index + 1
            last_pts = frame.pts if frame.pts is not None else last_pts
            if frame.is_corrupt:
                warn(f"{path}: skipped a damaged frame (frame {index})")
                since_damage = 0
                continue
            decoded += 1
            yield index, frame
    if not decoded:
        if demuxed == 0 or demuxed < (stream.frames or 0):
            raise TruncatedMediaError(f"{path} is truncated: no complete video frame is left.",
                                      path=str(path))
        raise CorruptMediaError(f"{path} is damaged: none of its frames could be decoded.",
                                path=str(path))
    if ticks is None and stream.frames and demuxed < stream.frames:
        warn(f"{path}: only {demuxed} of {stream.frames} frames are present "
             "(the file is truncated)")


class FrameView:
    """Turns decoded frames of one size and format into upright RGB or gray arrays."""

    def __init__(self, frame: av.VideoFrame, fmt: str, width: int | None, height: int | None,
                 pixel_aspect: Fraction, rotate: bool, fast: bool = False):
        self._key = (frame.width, frame.height, frame.format.name)
        turns = rotation_of(frame) // 90 if rotate else 0
        self._rot90_k = -turns % 4  # np.rot90 turns counter-clockwise
        out_w, out_h = _output_size(frame.width, frame.height, pixel_aspect, turns % 2 == 1,
                                    width, height)
        self._size = (out_h, out_w) if turns % 2 else (out_w, out_h)  # stored orientation
        self._fmt = fmt
        self._fast = fast
        pix = frame.format
        self._luma_plane = (fmt in ("gray", "yuv") and pix.name.startswith("yuv")
                            and pix.is_planar and pix.components[0].bits == 8
                            and len(frame.planes) >= 3)
        self._limited = not pix.name.startswith("yuvj") and frame.color_range != 2

    def fits(self, frame: av.VideoFrame) -> bool:
        return self._key == (frame.width, frame.height, frame.format.name)

    def same_luma(self, other: "FrameView") -> bool:
        """Whether ``other``'s gray image is this view's luma: both read the luma plane
        at the same size and turn (a detail copy as large as the frame itself)."""
        return (self._luma_plane and other._luma_plane and self._size == other._size
                and self._rot90_k == other._rot90_k and self._fast == other._fast)

    def luma(self, image: np.ndarray) -> np.ndarray:
        """The gray image of this view's ``image``."""
        return image if image.ndim == 2 else np.ascontiguousarray(image[:, :, 0])

    def _plane(self, frame: av.VideoFrame, i: int, size: tuple[int, int],
               area: bool = True) -> np.ndarray:
        """Plane ``i`` (8-bit) at ``size``, read in place from the frame's buffer."""
        plane = frame.planes[i]
        pw, ph = plane.width, plane.height
        data = np.frombuffer(plane, np.uint8).reshape(ph, plane.line_size)[:, :pw]
        w, h = size
        if (w, h) == (pw, ph):
            return data.copy()
        if not area:
            return cv2.resize(data, (w, h), interpolation=cv2.INTER_LINEAR)
        if self._fast and _sample_first(pw, w) and _sample_first(ph, h):
            # bilinear down to four times the size (4 pixels read per sample), then
            # average 4x4 samples: 64 source pixels per output pixel, at a fraction of
            # the cost of averaging them all
            data = cv2.resize(data, (4 * w, 4 * h), interpolation=cv2.INTER_LINEAR)
        return cv2.resize(data, (w, h), interpolation=cv2.INTER_AREA)

    def image(self, frame: av.VideoFrame) -> np.ndarray:
        w, h = self._size
        if self._luma_plane:  # cheapest: the planes themselves, resized by OpenCV
            img = self._plane(frame, 0, (w, h))
            if self._limited:
                img = cv2.LUT(img, _FULL_RANGE)
            if self._fmt == "yuv":  # yuv: chroma is smooth, bilinear is enough
                fast = self._fast
                img = np.dstack([img, self._plane(frame, 1, (w, h), not fast),
                                 self._plane(frame, 2, (w, h), not fast)])
        elif self._fmt == "yuv":
            yuv = frame.reformat(width=w, height=h, format="yuv444p", interpolation="AREA")
            img = np.dstack([p.to_ndarray() if hasattr(p, "to_ndarray") else
                             np.frombuffer(p, np.uint8).reshape(h, p.line_size)[:, :w]
                             for p in yuv.planes])
        else:
            fmt = "gray" if self._fmt == "gray" else "rgb24"
            img = frame.reformat(width=w, height=h, format=fmt, interpolation="AREA").to_ndarray()
        if self._rot90_k:
            img = np.ascontiguousarray(np.rot90(img, self._rot90_k))
        return img


def _sample_first(size: int, out: int) -> bool:
    """Whether a fast reduction from ``size`` to ``out`` pixels samples bilinearly to four
    times ``out`` before averaging: from 8 times smaller, or from 4 times by a fraction
    (1920 to 256: OpenCV's area average is fast by whole factors only)."""
    return size >= 8 * out or (size >= 4 * out and size % out != 0)


def _output_size(stored_w: int, stored_h: int, pixel_aspect: Fraction, quarter_turn: bool,
                 width: int | None, height: int | None) -> tuple[int, int]:
    """Upright output size: stored size by default, else keep the display aspect."""
    if width is None and height is None:
        return (stored_h, stored_w) if quarter_turn else (stored_w, stored_h)
    disp_w, disp_h = stored_w * pixel_aspect, Fraction(stored_h)
    if quarter_turn:
        disp_w, disp_h = disp_h, disp_w
    if width is None:
        width = round(height * disp_w / disp_h)
    elif height is None:
        height = round(width * disp_h / disp_w)
    return max(1, int(width)), max(1, int(height))


def _scan(container, stream, path: Path, watch, cancel):
    """The packet timestamps of ``stream`` (see :func:`~editor.media.probe.scan_packets`)."""
    tracks, _ = scan_packets(container, [stream], path, watch, cancel)
    return tracks[stream.index]

