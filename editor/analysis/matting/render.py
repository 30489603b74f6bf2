"""Soft alpha at full size and the exporters: PNG RGBA, ProRes 4444, WebM VP9 alpha, matte video.

:func:`render` decodes the shot once at full size, turns each stored mask into a soft,
temporally smoothed alpha (:mod:`.refine`), keeps it as ``alpha/NNNNNN.png`` in the
session folder and hands ``(index, rgb, alpha)`` to every writer. Each writer builds its
output under a temporary name beside the target and renames it into place only when the
whole shot is written: a cancelled or failed export leaves nothing half-written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from editor.analysis.matting.propagate import MatteSession
from editor.analysis.matting.refine import TemporalSmoother, soft_alpha
from editor.core.errors import CutwiseError
from editor.core.files import describe_os_error, usual_permissions
from editor.core.pipeline import WriteBehind, ordered_map, prefetch
from editor.core.progress import CancelToken, ProgressCallback, no_progress

FORMATS = ("png", "prores", "webm", "matte")
SUFFIX = {"prores": ".mov", "webm": ".webm", "matte": ".mp4"}
PRORES_QUANTISER = 2  # prores_ks -qscale (1 best ... 32)
_QP2LAMBDA = 118      # FFmpeg's FF_QP2LAMBDA: global_quality is in these units


class _Writer:
    ordered = True  # frames must reach write() in order (a video); False: any order

    def write(self, index: int, rgb: np.ndarray, alpha: np.ndarray) -> None: ...
    def close(self) -> None: ...
    def abort(self) -> None: ...


class PngWriter(_Writer):
    """A folder of ``frame_%06d.png`` RGBA files named by 0-based source frame index."""

    ordered = False

    def __init__(self, out: Path):
        self.out = Path(out)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.", dir=self.out.parent))

    def write(self, index, rgb, alpha):
        write_png(self.tmp / f"frame_{index:06d}.png",
                  cv2.merge([rgb[:, :, 2], rgb[:, :, 1], rgb[:, :, 0], alpha]), shown=self.out)

    def close(self):
        if self.out.exists():
            shutil.rmtree(self.out) if self.out.is_dir() else self.out.unlink()
        usual_permissions(self.tmp, folder=True)
        os.replace(self.tmp, self.out)

    def abort(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


class VideoWriter(_Writer):
    """A video through PyAV: ``kind`` is prores (4444 with alpha), webm (VP9 alpha) or matte."""

    def __init__(self, out: Path, kind: str, rate: Fraction, size: tuple[int, int]):
        self.out, self.kind = Path(out), kind
        self.out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.out.name}.", suffix=self.out.suffix or ".tmp",
                                   dir=self.out.parent)
        os.close(fd)
        self.tmp = Path(tmp)
        w, h = size
        try:
            self.container = av.open(str(self.tmp), "w", format=_container_format(self.out, kind))
            if kind == "prores":
                codec, pix, options = "prores_ks", "yuva444p10le", _prores_options("4444")
                self.source_format = "rgba"
            elif kind == "webm":
                codec, pix, options = "libvpx-vp9", "yuva420p", {"crf": "18", "b": "0",
                                                                "row-mt": "1", "deadline": "good",
                                                                "cpu-used": "4"}
                self.source_format = "rgba"
            else:
                codec, pix, options = _matte_codec(self.out)
                self.source_format = "gray"
            if kind in ("webm", "matte") and pix.endswith("420p") and (w % 2 or h % 2):
                raise CutwiseError(f"{self.out.name}: {codec} needs an even frame size, not {w}x{h}.")
            self.stream = self.container.add_stream(codec, rate=rate)
            self.stream.width, self.stream.height, self.stream.pix_fmt = w, h, pix
            self.stream.codec_context.time_base = 1 / rate
            self.stream.codec_context.thread_type = "AUTO"  # frame threads: ProRes scales
            self.stream.options = options
        except BaseException:
            self.abort()
            raise
        self.count = 0

    def write(self, index, rgb, alpha):
        data = alpha if self.source_format == "gray" else \
            cv2.merge([rgb[:, :, 0], rgb[:, :, 1], rgb[:, :, 2], alpha])
        frame = av.VideoFrame.from_numpy_buffer(np.ascontiguousarray(data),
                                                format=self.source_format)
        frame = frame.reformat(format=self.stream.pix_fmt)
        frame.pts = self.count
        self.count += 1
        try:
            self.container.mux(self.stream.encode(frame))
        except OSError as exc:  # a full disk, a drive unplugged
            raise describe_os_error(exc, "write", self.out) from exc

    def close(self):
        try:
            self.container.mux(self.stream.encode(None))
            self.container.close()
        except OSError as exc:
            self.abort()
            raise describe_os_error(exc, "write", self.out) from exc
        except BaseException:
            self.abort()
            raise
        usual_permissions(self.tmp)
        os.replace(self.tmp, self.out)

    def abort(self):
        try:
            self.container.close()
        except Exception:
            pass
        self.tmp.unlink(missing_ok=True)


def write_png(path: Path, image: np.ndarray, shown: Path | None = None) -> None:
    """A fast-compressed PNG; a failed write (full disk) raises a readable error that
    names ``shown`` (what the user asked for) rather than a temporary file."""
    ok, data = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise CutwiseError(f"Could not encode a PNG for {shown or path}.", path=str(shown or path))
    try:
        with open(path, "wb") as f:
            f.write(data)
    except OSError as exc:
        raise describe_os_error(exc, "write", shown or path) from exc


def _prores_options(profile: str) -> dict:
    """prores_ks options for ``profile`` (4444, or 3: 422 HQ) with a fixed quantiser: ~5x
    faster than its search for each slice's quantiser, still visually lossless (~54 dB on
    a noisy 1080p frame); an alpha plane is coded losslessly either way."""
    return {"profile": profile, "vendor": "apl0", "flags": "qscale",
            "global_quality": str(PRORES_QUANTISER * _QP2LAMBDA)}


def _container_format(out: Path, kind: str) -> str | None:
    if kind == "prores":
        return "mov"
    if kind == "webm":
        return "webm"
    return {".mov": "mov", ".mkv": "matroska", ".mp4": "mp4"}.get(out.suffix.lower(), "mp4")


def _matte_codec(out: Path) -> tuple[str, str, dict]:
    """The grayscale matte: ProRes 422 HQ in .mov, lossless FFV1 in .mkv, else H.264."""
    suffix = out.suffix.lower()
    if suffix == ".mov":
        return "prores_ks", "yuv422p10le", _prores_options("3")
    if suffix == ".mkv":
        return "ffv1", "gray", {}
    return "libx264", "yuv420p", {"crf": "10", "preset": "medium"}


def make_writer(fmt: str, out: str | os.PathLike, rate, size: tuple[int, int]) -> _Writer:
    if fmt not in FORMATS:
        raise CutwiseError(f"Unknown matte format '{fmt}' (use {', '.join(FORMATS)}).")
    if fmt == "png":
        return PngWriter(Path(out))
    rate = Fraction(rate.num, rate.den) if hasattr(rate, "den") else Fraction(rate)
    return VideoWriter(Path(out), fmt, rate, size)


class MaskStream:
    """The frames whose masks are on disk while a propagation is still running, for an
    export that follows it (:func:`~editor.analysis.matting.matte_and_render`)."""

    def __init__(self):
        self._written: set[int] = set()
        self._finished = False
        self._error: BaseException | None = None
        self._changed = threading.Condition()

    def written(self, frame: int) -> None:
        with self._changed:
            self._written.add(frame)
            self._changed.notify_all()

    def finish(self, error: BaseException | None = None) -> None:
        """No more masks will come (``error``: the propagation failed with it)."""
        with self._changed:
            self._finished, self._error = True, error
            self._changed.notify_all()

    @property
    def error(self) -> BaseException | None:
        """What the propagation failed with, once it is over."""
        with self._changed:
            return self._error

    def wait(self, frame: int, cancel: CancelToken | None = None) -> None:
        """Until ``frame``'s mask is written or the propagation is over; raises the
        propagation's error, or :class:`Cancelled` when ``cancel`` is set."""
        with self._changed:
            while frame not in self._written and not self._finished:
                self._changed.wait(0.1)
                if cancel is not None:
                    cancel.raise_if_cancelled()
            if self._error is not None and frame not in self._written:
                raise self._error


def render(session: MatteSession, writers: list[_Writer] = (), *, smooth: float = 0.6,
           progress: ProgressCallback = no_progress, cancel: CancelToken | None = None,
           follow: MaskStream | None = None) -> Path:
    """Soft alpha for every frame of the session's shot, fed to ``writers``; returns the
    alpha folder. Frames without a mask get an empty alpha. With ``follow``, each frame
    waits for its mask from a propagation that is still running.

    Decoding runs ahead in one thread, the edge refinement of several frames at once in a
    pool, the temporal smoothing in order, and the writing (the alpha PNGs, each writer)
    behind in other threads.
    """
    from editor.media.decode import iter_frames

    start, end = session.shot
    times = None
    if start > 0:
        from editor.media.decode import frame_times

        times = frame_times(session.path, cancel=cancel)
    tmp_alpha = Path(tempfile.mkdtemp(prefix=".alpha.", dir=session.folder))
    smoother = TemporalSmoother(strength=smooth)
    total = end - start + 1
    output = WriteBehind()
    decoded = prefetch(iter_frames(session.path, start_s=times[start] if times else None,
                                   cancel=cancel))

    def shot_frames():
        for frame in decoded:
            if frame.index > end:
                break
            if frame.index >= start:
                yield frame

    def edges(frame):  # what does not depend on other frames, in a pool
        rgb = frame.image
        h, w = rgb.shape[:2]
        if follow is not None:
            follow.wait(frame.index, cancel)
        mask = session.read_mask(frame.index)
        if mask is None:
            alpha = np.zeros((h, w), np.float32)
        else:
            if mask.shape != (h, w):
                mask = cv2.resize(mask.astype(np.float32), (w, h),
                                  interpolation=cv2.INTER_LINEAR) > 0.5
            alpha = soft_alpha(rgb, mask)
        return frame.index, rgb, alpha, TemporalSmoother.gray(rgb) if smooth > 0 else None

    refined = ordered_map(edges, shot_frames())
    try:
        for index, rgb, alpha, gray in refined:
            if cancel is not None:
                cancel.raise_if_cancelled()
            alpha = smoother(gray, alpha) if smooth > 0 else alpha
            alpha8 = cv2.convertScaleAbs(alpha, alpha=255.0)
            output.submit(write_png, tmp_alpha / f"{index:06d}.png", alpha8)
            for writer in writers:
                output.submit(writer.write, index, rgb, alpha8, ordered=writer.ordered)
            progress(index - start + 1, total, "refining edges and writing")
        refined.close()
        decoded.close()
        output.close()
        for writer in writers:
            writer.close()
    except BaseException:
        refined.close()
        decoded.close()
        output.abort()
        for writer in writers:
            writer.abort()
        shutil.rmtree(tmp_alpha, ignore_errors=True)
        raise
    if session.alpha_dir.exists():
        shutil.rmtree(session.alpha_dir)
    os.replace(tmp_alpha, session.alpha_dir)
    return session.alpha_dir


def read_alpha(session: MatteSession, frame: int) -> np.ndarray | None:
    img = cv2.imread(str(session.alpha_dir / f"{frame:06d}.png"), cv2.IMREAD_GRAYSCALE)
    return img
