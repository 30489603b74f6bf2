"""Small synthetic media for tests, written with PyAV, with their ground truth.

Every video frame shows its shot's solid colour (see :func:`shot_colour`), a white square
in the top-left corner of the upright picture and its frame number as an 8-bit bar code
along the bottom (read it back with :func:`read_frame_number`). A clip made with
``rotation`` is stored turned the other way with display-matrix metadata, so a reader
that honours the rotation gets the upright picture back.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

PALETTE = [(220, 40, 40), (40, 180, 60), (40, 70, 220), (230, 200, 40),
           (200, 50, 200), (40, 200, 210), (240, 130, 30), (120, 60, 170)]
_BITS = 8


def shot_colour(shot: int) -> tuple[int, int, int]:
    """The RGB fill of the ``shot``-th shot (0-based)."""
    return PALETTE[shot % len(PALETTE)]


@dataclass(frozen=True)
class Clip:
    """A generated file and what is in it."""

    path: Path
    width: int  # stored (coded) size
    height: int
    fps: Fraction
    frames: int
    cuts: tuple[int, ...]
    pts: tuple[Fraction, ...]  # presentation time of each frame, seconds
    rotation: int = 0  # clockwise degrees a player turns it to show it upright
    audio: bool = False
    tone_hz: float = 440.0
    sample_rate: int = 48000
    channels: int = 2
    pix_fmt: str = "yuv420p"
    codec: str = "libx264"

    @property
    def display_size(self) -> tuple[int, int]:
        """(width, height) of the upright picture."""
        if self.rotation in (90, 270):
            return self.height, self.width
        return self.width, self.height

    @property
    def duration_s(self) -> Fraction:
        """End of the last frame."""
        return self.pts[-1] + 1 / self.fps

    def shot_of(self, frame: int) -> int:
        return sum(1 for c in self.cuts if c <= frame)


def _upright_picture(width: int, height: int, colour, number: int) -> np.ndarray:
    img = np.empty((height, width, 3), np.uint8)
    img[:] = colour
    mark = max(4, min(width, height) // 5)
    img[:mark, :mark] = 255
    strip = max(6, height // 6)
    block = width // _BITS
    for bit in range(_BITS):
        on = (number >> (_BITS - 1 - bit)) & 1
        img[height - strip:, bit * block:(bit + 1) * block] = 255 if on else 0
    return img


def soft_shapes(width: int, height: int, seed: int = 7) -> np.ndarray:
    """A plain uint8 gray picture of a dozen softly shaded ellipses: a background with
    few, weak corners (a wall, the sky, a backdrop)."""
    canvas = np.full((height, width), 110, np.uint8)
    rng = np.random.default_rng(seed)
    for _ in range(12):
        cv2.ellipse(canvas, tuple(int(v) for v in rng.integers((0, 0), (width, height))),
                    tuple(int(v) for v in rng.integers(20, 70, 2)), float(rng.uniform(0, 180)),
                    0, 360, int(rng.integers(50, 200)), -1)
    return cv2.GaussianBlur(canvas, (0, 0), 3)


def checkers(rows: int, columns: int, square: int = 10) -> np.ndarray:
    """A uint8 checkerboard of ``rows`` x ``columns`` squares: many crisp corners."""
    board = (np.indices((rows, columns)).sum(axis=0) % 2) * 200 + 30
    return np.kron(board, np.ones((square, square))).astype(np.uint8)


def read_frame_number(image: np.ndarray) -> int:
    """Decode the bar code of an upright RGB or gray frame (any scale)."""
    gray = image.mean(axis=2) if image.ndim == 3 else image.astype(float)
    height, width = gray.shape
    strip = max(6, height // 6)
    row = gray[height - strip + strip // 2]
    block = width / _BITS
    value = 0
    for bit in range(_BITS):
        centre = row[int((bit + 0.5) * block)]
        value = value * 2 + (1 if centre > 128 else 0)
    return value


def has_encoder(codec: str) -> bool:
    try:
        av.codec.Codec(codec, "w")
    except Exception:
        return False
    return True


def vfr_pattern(frames: int) -> list[int]:
    """Presentation times in nominal frame units: every third frame is shown twice as long."""
    ticks, t = [], 0
    for i in range(frames):
        ticks.append(t)
        t += 2 if i % 3 == 2 else 1
    return ticks


def make_video(path: str | Path, *, width: int = 160, height: int = 90,
               fps: int | Fraction = 25, frames: int = 50, cuts: tuple[int, ...] = (),
               codec: str = "libx264", pix_fmt: str = "yuv420p", audio: bool = False,
               tone_hz: float = 440.0, sample_rate: int = 48000, channels: int = 2,
               vfr: bool = False, rotation: int = 0, gop: int = 12,
               faststart: bool = False) -> Clip:
    """Write a video (``width`` x ``height`` as stored) and return its ground truth.

    ``cuts`` are the first frames of new shots. ``vfr`` writes irregular timestamps
    (:func:`vfr_pattern`). ``rotation`` (clockwise, like a phone's ``rotate`` tag) stores
    the picture turned and tags it. Odd sizes need a codec/pix_fmt that allows them
    (e.g. ``pix_fmt="yuv444p"`` with libx264).
    """
    path = Path(path)
    fps = Fraction(fps)
    codec = codec if has_encoder(codec) else "mpeg4"
    ticks = vfr_pattern(frames) if vfr else list(range(frames))
    turns = rotation // 90 % 4
    up_w, up_h = (height, width) if turns % 2 else (width, height)
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), "w", options=options) as out:
        video = out.add_stream(codec, rate=fps)
        video.width, video.height, video.pix_fmt = width, height, pix_fmt
        video.codec_context.time_base = 1 / fps
        video.options = {"g": str(gop)}
        if codec == "libx265":
            video.options["x265-params"] = "log-level=error"
        if turns:
            video.set_display_rotation(-90 * turns)  # PyAV takes counter-clockwise degrees
        tone = _tone_stream(out, sample_rate, channels) if audio else None
        for i, tick in enumerate(ticks):
            shot = sum(1 for c in cuts if c <= i)
            picture = _upright_picture(up_w, up_h, shot_colour(shot), i)
            stored = np.ascontiguousarray(np.rot90(picture, turns))  # undone by a cw turn
            frame = av.VideoFrame.from_ndarray(stored, format="rgb24")
            frame.pts = tick
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if tone is not None:
            _write_tone(out, tone, Fraction(ticks[-1] + 1) / fps, tone_hz)
    return Clip(path=path, width=width, height=height, fps=fps, frames=frames,
                cuts=tuple(cuts), pts=tuple(Fraction(t) / fps for t in ticks),
                rotation=turns * 90, audio=audio, tone_hz=tone_hz, sample_rate=sample_rate,
                channels=channels, pix_fmt=pix_fmt, codec=codec)


def _tone_stream(out, sample_rate: int, channels: int, codec: str = "aac"):
    stream = out.add_stream(codec, rate=sample_rate)
    stream.layout = "mono" if channels == 1 else "stereo"
    return stream


def _write_tone(out, stream, seconds: Fraction, tone_hz: float) -> None:
    """Encode a 0.5-amplitude sine of ``seconds`` into the audio ``stream``."""
    sample_rate, channels = stream.codec_context.sample_rate, stream.codec_context.channels
    fmt = stream.codec_context.format.name  # fltp for aac, s16 for pcm_s16le
    total = int(seconds * sample_rate)
    chunk = stream.codec_context.frame_size or 1024
    for start in range(0, total, chunk):
        n = min(chunk, total - start)
        t = (np.arange(start, start + n) / sample_rate).astype(np.float64)
        tone = (0.5 * np.sin(2 * np.pi * tone_hz * t)).astype(np.float32)
        planes = np.tile(tone, (channels, 1))
        if fmt == "s16":
            planes = (planes.T.reshape(1, -1) * 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(planes, format=fmt, layout=stream.layout.name)
        frame.sample_rate = sample_rate
        frame.pts = start
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def make_audio_only(path: str | Path, *, seconds: float = 1.0, tone_hz: float = 440.0,
                    sample_rate: int = 48000, channels: int = 1) -> Path:
    """A tone-only file: AAC for .m4a/.mp4, 16-bit PCM for .wav."""
    path = Path(path)
    codec = "pcm_s16le" if path.suffix == ".wav" else "aac"
    with av.open(str(path), "w") as out:
        _write_tone(out, _tone_stream(out, sample_rate, channels, codec), Fraction(seconds),
                    tone_hz)
    return path


def truncate(src: str | Path, out: str | Path, fraction: float) -> Path:
    """Copy the first ``fraction`` of ``src``'s bytes, like an interrupted download."""
    data = Path(src).read_bytes()
    Path(out).write_bytes(data[:int(len(data) * fraction)])
    return Path(out)


def corrupt(src: str | Path, out: str | Path, *, packets: int = 1, seed: int = 0) -> Path:
    """Copy ``src`` with the video packets in the middle of its data overwritten by noise."""
    with av.open(str(src)) as container:
        spans = [(p.pos, p.size) for p in container.demux(video=0) if p.size and p.pos >= 0]
    spans.sort()
    data = bytearray(Path(src).read_bytes())
    rng = np.random.default_rng(seed)
    middle = len(spans) // 2
    for pos, size in spans[middle:middle + packets]:
        data[pos:pos + size] = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
    Path(out).write_bytes(bytes(data))
    return Path(out)


def replace_fourcc(src: str | Path, out: str | Path, old: bytes = b"avc1",
                   new: bytes = b"zzzz") -> Path:
    """Copy an MP4 with its codec tag renamed, so FFmpeg has no decoder for it."""
    Path(out).write_bytes(Path(src).read_bytes().replace(old, new))
    return Path(out)


def copy(src: str | Path, out: str | Path) -> Path:
    shutil.copyfile(src, out)
    return Path(out)
