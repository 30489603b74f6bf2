"""Render a reframed clip: H.264 at the target size plus the original audio, atomically.

Each frame's crop window (from a plan) is cut out and scaled to the output size. On
padded frames the whole picture is fitted to the output's width over a blurred copy of
itself (or a solid colour), so a subject wider than the crop is never cut in half. The
original audio packets are copied unchanged. The file is written to a temporary name
beside ``out`` and renamed at the end: a cancelled or failed render leaves nothing.
"""

from __future__ import annotations

import os
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from editor.core.errors import CutwiseError
from editor.core.files import describe_os_error
from editor.core.progress import CancelToken, ProgressCallback, no_progress
from editor.media._av import open_input, video_stream
from editor.media.decode import iter_frames

_PROGRESS_EVERY_S = 0.1


def _colour(background: str) -> tuple[int, int, int] | None:
    """None for "blur", else an RGB triple from a name or ``#rrggbb``."""
    named = {"black": (0, 0, 0), "white": (255, 255, 255), "gray": (128, 128, 128)}
    if background == "blur":
        return None
    if background in named:
        return named[background]
    text = background.lstrip("#")
    if len(text) == 6:
        try:
            return tuple(int(text[i:i + 2], 16) for i in (0, 2, 4))
        except ValueError:
            pass
    raise CutwiseError(f"'{background}' is not a background (blur, black, white or #rrggbb).")


def padded_frame(image: np.ndarray, size: tuple[int, int], colour) -> np.ndarray:
    """The whole picture fitted into ``size`` over a blurred fill or a solid colour."""
    ow, oh = size
    h, w = image.shape[:2]
    scale = min(ow / w, oh / h)
    fw, fh = max(2, round(w * scale)), max(2, round(h * scale))
    if colour is None:
        # cover the canvas with the picture, then blur it at a small size (cheap)
        cover = max(ow / w, oh / h)
        cw, ch = round(ow / cover), round(oh / cover)
        x0, y0 = (w - cw) // 2, (h - ch) // 2
        small = cv2.resize(image[y0:y0 + ch, x0:x0 + cw], (max(8, ow // 16), max(8, oh // 16)),
                           interpolation=cv2.INTER_AREA)
        small = cv2.GaussianBlur(small, (0, 0), 2.0)
        canvas = (cv2.resize(small, (ow, oh), interpolation=cv2.INTER_LINEAR) * 0.6).astype(np.uint8)
    else:
        canvas = np.empty((oh, ow, 3), np.uint8)
        canvas[:] = colour
    fitted = cv2.resize(image, (fw, fh), interpolation=cv2.INTER_AREA)
    x, y = (ow - fw) // 2, (oh - fh) // 2
    canvas[y:y + fh, x:x + fw] = fitted
    return canvas


def render(source: str | os.PathLike, out: str | os.PathLike, xs: np.ndarray, ys: np.ndarray,
           crop: tuple[int, int], size: tuple[int, int], *, padded: np.ndarray | None = None,
           background: str = "blur", last_frame: int | None = None, crf: int = 20,
           preset: str = "veryfast", progress: ProgressCallback = no_progress,
           cancel: CancelToken | None = None) -> Path:
    """Write ``out``: frame i shows the ``crop`` window at (``xs[i]``, ``ys[i]``) of
    ``source`` scaled to ``size``; audio copied. Returns ``out``."""
    out = Path(out)
    colour = _colour(background)
    cw, ch = crop
    ow, oh = size
    total = len(xs) if last_frame is None else min(len(xs), last_frame + 1)
    if total <= 0:
        raise CutwiseError(f"{source} has no frames to render.")
    padded = np.zeros(total, bool) if padded is None else padded
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp.mp4", dir=out.parent)
        os.close(fd)
    except OSError as exc:
        raise describe_os_error(exc, "write", out) from None
    tmp = Path(tmp_name)
    try:
        _encode(Path(source), tmp, xs, ys, (cw, ch), (ow, oh), padded, colour, total, crf,
                preset, progress, cancel)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp made it private
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise describe_os_error(exc, "write", out) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def _encode(source: Path, tmp: Path, xs, ys, crop, size, padded, colour, total, crf, preset,
            progress, cancel) -> None:
    cw, ch = crop
    ow, oh = size
    src, _ = open_input(source)
    with src:
        vin = video_stream(src, source)
        rate = vin.average_rate or vin.guessed_rate or Fraction(25)
        ain = next(iter(src.streams.audio), None)
        end_time = None
        with av.open(str(tmp), "w", format="mp4") as dst:
            vout = dst.add_stream("libx264", rate=rate)
            vout.width, vout.height, vout.pix_fmt = ow, oh, "yuv420p"
            vout.time_base = vin.time_base
            vout.options = {"crf": str(crf), "preset": preset}
            aout = dst.add_stream_from_template(ain) if ain is not None else None
            last_report = time.monotonic()
            progress(0, total, "rendering")
            done = 0
            for frame in iter_frames(source, fmt="rgb", cancel=cancel):
                i = frame.index
                if i >= total:
                    break
                if padded[i]:
                    picture = padded_frame(frame.image, (ow, oh), colour)
                else:
                    x, y = int(xs[i]), int(ys[i])
                    window = frame.image[y:y + ch, x:x + cw]
                    picture = cv2.resize(window, (ow, oh), interpolation=cv2.INTER_AREA
                                         if cw > ow else cv2.INTER_LINEAR)
                video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture),
                                                         format="rgb24")
                video_frame.pts = round(frame.pts / vout.time_base)
                video_frame.time_base = vout.time_base
                dst.mux(vout.encode(video_frame))
                end_time = frame.pts
                done += 1
                now = time.monotonic()
                if now - last_report >= _PROGRESS_EVERY_S:
                    last_report = now
                    progress(done, total, "rendering")
            dst.mux(vout.encode(None))
            if aout is not None and end_time is not None:
                _copy_audio(source, dst, aout, end_time + Fraction(1) / Fraction(rate), cancel)
    progress(total, total, "rendered")


def _copy_audio(source: Path, dst, aout, until: Fraction, cancel) -> None:
    """Copy the first audio stream's packets up to ``until`` seconds."""
    src, _ = open_input(source)
    with src:
        ain = next(iter(src.streams.audio))
        origin = ain.start_time or 0
        for packet in src.demux(ain):
            if cancel is not None:
                cancel.raise_if_cancelled()
            if packet.dts is None or packet.size == 0:
                continue
            if (packet.pts - origin) * ain.time_base >= until:
                break
            packet.pts -= origin
            packet.dts -= origin
            packet.stream = aout
            dst.mux(packet)
