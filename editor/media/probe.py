"""What a media file holds: streams, exact frame rate and count, VFR, rotation.

Frame facts come from a scan of every packet's timestamp (demuxing only, no decoding),
so the frame count is exact and variable frame rate is detected from the real
presentation times rather than from container headers. Only the first video frame is
decoded, to read the rotation (display matrix) the decoder attaches to it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import av.error
import numpy as np

from editor.core.cache import AnalysisCache, renamed
from editor.core.progress import CancelToken
from editor.core.timecode import FrameRate
from editor.media._av import is_cover_art, log, open_input, read_packets
from editor.media.errors import TruncatedMediaError, UnsupportedCodecError

VERSION = 1
_NTSC = [Fraction(24000, 1001), Fraction(30000, 1001), Fraction(48000, 1001),
         Fraction(60000, 1001), Fraction(120000, 1001)]
_JITTER_S = Fraction(1, 10_000)  # timestamps this close (or one tick apart) count as equal


@dataclass(frozen=True)
class VideoStreamInfo:
    """The main video stream. ``rotation`` is clockwise degrees needed to show it upright."""

    index: int
    codec: str
    profile: str | None
    width: int
    height: int
    pixel_aspect: Fraction
    rotation: int
    frame_rate: FrameRate
    average_frame_rate: float
    variable_frame_rate: bool
    frame_count: int
    duration_s: float
    pix_fmt: str | None
    bit_depth: int | None

    @property
    def display_width(self) -> int:
        """Width as shown: pixel aspect applied, then rotation."""
        return self._display_size()[0]

    @property
    def display_height(self) -> int:
        return self._display_size()[1]

    def _display_size(self) -> tuple[int, int]:
        w, h = max(1, round(self.width * self.pixel_aspect)), self.height
        return (h, w) if self.rotation in (90, 270) else (w, h)

    def to_dict(self) -> dict:
        return {
            "index": self.index, "codec": self.codec, "profile": self.profile,
            "width": self.width, "height": self.height,
            "display_width": self.display_width, "display_height": self.display_height,
            "pixel_aspect": f"{self.pixel_aspect.numerator}:{self.pixel_aspect.denominator}",
            "rotation": self.rotation, "frame_rate": str(self.frame_rate),
            "frame_rate_float": round(float(self.frame_rate), 6),
            "average_frame_rate": round(self.average_frame_rate, 6),
            "variable_frame_rate": self.variable_frame_rate, "frame_count": self.frame_count,
            "duration_s": self.duration_s, "pix_fmt": self.pix_fmt, "bit_depth": self.bit_depth,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "VideoStreamInfo":
        num, den = d["pixel_aspect"].split(":")
        return cls(index=d["index"], codec=d["codec"], profile=d["profile"], width=d["width"],
                   height=d["height"], pixel_aspect=Fraction(int(num), int(den)),
                   rotation=d["rotation"], frame_rate=FrameRate.of(d["frame_rate"]),
                   average_frame_rate=d["average_frame_rate"],
                   variable_frame_rate=d["variable_frame_rate"], frame_count=d["frame_count"],
                   duration_s=d["duration_s"], pix_fmt=d["pix_fmt"], bit_depth=d["bit_depth"])


@dataclass(frozen=True)
class AudioStreamInfo:
    index: int
    codec: str
    profile: str | None
    sample_rate: int
    channels: int
    layout: str | None
    duration_s: float

    def to_dict(self) -> dict:
        return {"index": self.index, "codec": self.codec, "profile": self.profile,
                "sample_rate": self.sample_rate, "channels": self.channels,
                "layout": self.layout, "duration_s": self.duration_s}

    @classmethod
    def from_dict(cls, d: dict) -> "AudioStreamInfo":
        return cls(**d)


@dataclass(frozen=True)
class MediaInfo:
    """Everything :func:`probe` learned; ``warnings`` lists problems that did not stop it."""

    path: Path
    container: str
    duration_s: float
    size_bytes: int
    video: VideoStreamInfo | None
    audio: tuple[AudioStreamInfo, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict:
        """A JSON-ready dict (what ``cutwise probe FILE --json`` prints)."""
        return {"path": str(self.path), "container": self.container,
                "duration_s": self.duration_s, "size_bytes": self.size_bytes,
                "video": self.video.to_dict() if self.video else None,
                "audio": [a.to_dict() for a in self.audio], "warnings": list(self.warnings)}

    @classmethod
    def from_dict(cls, d: dict) -> "MediaInfo":
        return cls(path=Path(d["path"]), container=d["container"], duration_s=d["duration_s"],
                   size_bytes=d["size_bytes"],
                   video=VideoStreamInfo.from_dict(d["video"]) if d["video"] else None,
                   audio=tuple(AudioStreamInfo.from_dict(a) for a in d["audio"]),
                   warnings=tuple(d["warnings"]))


def probe(path: str | os.PathLike, *, cache: AnalysisCache | None = None,
          cancel: CancelToken | None = None) -> MediaInfo:
    """Read ``path``'s streams and scan its packets; raise a :class:`MediaError` if unreadable."""
    path = Path(path)
    key = None
    if cache is not None:
        open_input(path)[0].close()  # typed errors before fingerprinting
        key = cache.key(path, "probe", VERSION)
        cached = cache.get_json(key)
        if cached is not None:
            info = MediaInfo.from_dict(cached)
            return MediaInfo(path, info.container, info.duration_s, path.stat().st_size,
                             info.video, info.audio, renamed(info.warnings, info.path, path))
    container, watch = open_input(path)
    with container:
        info = _probe_open(path, container, watch, cancel)
    if key is not None:
        cache.put_json(key, info.to_dict())
    return info


@dataclass
class _Track:
    """Timestamps of one stream's packets, in its time base."""

    stream: av.stream.Stream
    ticks: list[int] = field(default_factory=list)
    end: int | None = None

    def add(self, packet: av.Packet) -> None:
        t = packet.pts if packet.pts is not None else packet.dts
        if t is None:
            return
        self.ticks.append(t)
        stop = t + (packet.duration or 0)
        self.end = stop if self.end is None else max(self.end, stop)

    def duration_s(self) -> float:
        if not self.ticks:
            return 0.0
        return float((self.end - min(self.ticks)) * self.stream.time_base)


def scan_packets(container, streams, path: Path, watch, cancel: CancelToken | None = None,
                 on_first_frame=None) -> tuple[dict[int, _Track], list[str]]:
    """Demux ``streams`` to the end, collecting every real packet's timestamp.

    ``on_first_frame(frame)`` receives the first decoded video frame, if asked for.
    Returns the tracks by stream index and warnings for a read that stopped early.
    """
    tracks = {s.index: _Track(s) for s in streams}
    warnings: list[str] = []
    want_frame = on_first_frame is not None
    for packet in read_packets(container, streams, path, watch, cancel, warnings.append,
                               lambda: True):
        if packet.size == 0 or packet.is_discard:
            continue
        tracks[packet.stream.index].add(packet)
        if want_frame and packet.stream.type == "video":
            try:
                frames = packet.decode()
            except av.error.FFmpegError:
                frames = []
            if frames:
                on_first_frame(frames[0])
                want_frame = False
    watch.check()
    return tracks, warnings


def _probe_open(path: Path, container, watch, cancel) -> MediaInfo:
    video = next((s for s in container.streams.video if not is_cover_art(s)), None)
    if video is not None and video.codec_context is None:
        raise UnsupportedCodecError(
            f"{path} has video in a codec this FFmpeg build cannot decode.", path=str(path))
    audio = [s for s in container.streams.audio if s.codec_context is not None]
    first: list[av.VideoFrame] = []
    streams = ([video] if video is not None else []) + audio
    tracks, warnings = scan_packets(container, streams, path, watch, cancel,
                                    first.append if video is not None else None)
    if not any(t.ticks for t in tracks.values()):
        raise TruncatedMediaError(f"{path} contains no audio or video data (truncated?).",
                                  path=str(path))
    if len(audio) < len(container.streams.audio):
        warnings.append(f"{path}: an audio stream uses a codec this FFmpeg build cannot decode")
    video_info = None
    if video is not None:
        track = tracks[video.index]
        indexed = video.frames
        if indexed and len(track.ticks) < indexed:
            warnings.append(f"{path}: only {len(track.ticks)} of {indexed} frames are present "
                            "(the file is truncated)")
        if not track.ticks:
            warnings.append(f"{path}: the video stream holds no frames")
        video_info = _video_info(video, track, first[0] if first else None)
    audio_infos = tuple(_audio_info(s, tracks[s.index]) for s in audio)
    durations = [t.duration_s() for t in tracks.values() if t.ticks]
    for w in warnings:  # the caller shows them (MediaInfo.warnings)
        log.debug(w)
    return MediaInfo(path=path, container=container.format.name,
                     duration_s=max(durations) if durations else container.duration / 1e6,
                     size_bytes=path.stat().st_size, video=video_info, audio=audio_infos,
                     warnings=tuple(warnings))


def _video_info(stream, track: _Track, first_frame) -> VideoStreamInfo:
    cc = stream.codec_context
    pix_fmt = cc.pix_fmt or (first_frame.format.name if first_frame is not None else None)
    rate, vfr, average = frame_rate_of(sorted(track.ticks), stream)
    sar = stream.sample_aspect_ratio or cc.sample_aspect_ratio
    duration = track.duration_s()
    if track.ticks and track.end == max(track.ticks):  # packets without durations
        duration += float(rate.frame_duration)
    return VideoStreamInfo(
        index=stream.index, codec=cc.name, profile=cc.profile, width=cc.width, height=cc.height,
        pixel_aspect=Fraction(sar) if sar else Fraction(1), rotation=rotation_of(first_frame),
        frame_rate=rate, average_frame_rate=average, variable_frame_rate=vfr,
        frame_count=len(track.ticks), duration_s=duration, pix_fmt=pix_fmt,
        bit_depth=_bit_depth(pix_fmt))


def _audio_info(stream, track: _Track) -> AudioStreamInfo:
    cc = stream.codec_context
    layout = cc.layout.name if cc.layout is not None else None
    duration = track.duration_s()
    if not track.ticks and stream.duration:
        duration = float(stream.duration * stream.time_base)
    return AudioStreamInfo(index=stream.index, codec=cc.name, profile=cc.profile,
                           sample_rate=cc.sample_rate, channels=cc.channels, layout=layout,
                           duration_s=duration)


def rotation_of(frame) -> int:
    """Clockwise degrees (0, 90, 180, 270) to turn ``frame`` upright, from its display matrix.

    FFmpeg reports the matrix's rotation counter-clockwise; the old ``rotate`` tag and
    this value count clockwise (a phone's portrait video reads 90).
    """
    if frame is None:
        return 0
    return (-round(frame.rotation / 90) * 90) % 360


def frame_rate_of(ticks: list[int], stream) -> tuple[FrameRate, bool, float]:
    """(exact rate, variable?, average frames/s) from sorted presentation ticks.

    Constant rate: every gap equals the median within one tick or 0.1 ms; the rate is
    then the stream's stated rate (or an NTSC/integer rate) matching the mean gap. For a
    variable rate it is the rate of the most common gap.
    """
    tb = stream.time_base
    stated = [Fraction(r) for r in (stream.guessed_rate, stream.average_rate, stream.base_rate,
                                    stream.codec_context.framerate) if r]
    if len(ticks) < 2:
        rate = stated[0] if stated else Fraction(25)
        return FrameRate.of(rate), False, float(rate)
    gaps = np.diff(np.asarray(ticks, dtype=np.int64))
    gaps = gaps[gaps > 0]
    span = Fraction(ticks[-1] - ticks[0]) * tb
    average = (len(ticks) - 1) / span if span else Fraction(25)
    if len(gaps) == 0:
        return FrameRate.of(stated[0] if stated else 25), False, float(average)
    tolerance = max(Fraction(1), _JITTER_S / tb)  # in ticks
    vfr = bool(np.max(np.abs(gaps - np.median(gaps))) > tolerance)
    if not vfr and np.all(gaps == gaps[0]):
        return FrameRate.of(1 / (int(gaps[0]) * tb)), False, float(average)
    if vfr:
        values, counts = np.unique(gaps, return_counts=True)
        gap = int(values[np.argmax(counts)]) * tb
    else:
        gap = 1 / average
    candidates = stated + _NTSC + [Fraction(max(1, round(1 / gap)))]
    best = min(candidates, key=lambda r: abs(1 / r - gap))
    if abs(1 / best - gap) <= tolerance * tb:
        return FrameRate.of(best), vfr, float(average)
    return FrameRate.of(float(1 / gap)), vfr, float(average)


def _bit_depth(pix_fmt: str | None) -> int | None:
    if not pix_fmt:
        return None
    try:
        return av.VideoFormat(pix_fmt).components[0].bits
    except (ValueError, av.error.FFmpegError):
        return None
