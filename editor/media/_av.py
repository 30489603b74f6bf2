"""Opening media with PyAV, and turning its exceptions into typed, one-line errors."""

from __future__ import annotations

import logging
import os
import stat
import struct
from fractions import Fraction
from pathlib import Path
from typing import Callable, Iterator

import av
import av.error

from editor.media.errors import (CorruptMediaError, MediaError, MediaNotFoundError,
                                 MediaPermissionError, MediaVanishedError, NotMediaError,
                                 NoVideoStreamError, TruncatedMediaError,
                                 UnsupportedCodecError)

log = logging.getLogger("editor.media")

WarningCallback = Callable[[str], None]

# Leading bytes of containers FFmpeg reads; a file that starts like one of these but
# does not open is damaged rather than "not media".
_SIGNATURES = {b"\x1aE\xdf\xa3": "Matroska/WebM", b"RIFF": "RIFF (AVI/WAV)", b"OggS": "Ogg",
               b"fLaC": "FLAC", b"ID3": "MP3", b"FLV": "FLV", b"0&\xb2u": "ASF/WMV",
               b"\x00\x00\x01\xba": "MPEG program stream"}
_ISO_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid"}


def exact_seconds(value: float | Fraction) -> Fraction:
    """Seconds as a Fraction; a float counts as the decimal it prints as (1.96 is 49/25)."""
    return value if isinstance(value, Fraction) else Fraction(repr(float(value)))


class FileWatch:
    """Remembers a file's identity so a read can notice it being deleted or replaced."""

    def __init__(self, path: Path):
        self.path = path
        self._identity = self._stat()

    def _stat(self):
        st = os.stat(self.path)
        return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns

    def check(self) -> None:
        try:
            same = self._stat() == self._identity
        except OSError:
            same = False
        if not same:
            raise MediaVanishedError(
                f"{self.path} was deleted or changed while it was being read.", path=str(self.path))


def open_input(path: str | os.PathLike) -> tuple[av.container.InputContainer, FileWatch]:
    """Open ``path`` for reading, or raise the :class:`MediaError` that explains why not."""
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise MediaNotFoundError(f"{path} does not exist.", path=str(path)) from None
    except PermissionError:
        raise MediaPermissionError(f"{path} cannot be read: permission denied.",
                                   path=str(path)) from None
    except OSError as exc:
        raise MediaNotFoundError(f"{path} cannot be opened: {exc.strerror}.",
                                 path=str(path)) from None
    if stat.S_ISDIR(st.st_mode):
        raise MediaNotFoundError(f"{path} is a folder, not a media file.", path=str(path))
    if st.st_size == 0:
        raise NotMediaError(f"{path} is empty (0 bytes), not a media file.", path=str(path))
    watch = FileWatch(path)
    try:
        container = av.open(str(path), mode="r", metadata_errors="replace")
    except Exception as exc:  # PyAV raises many kinds; all become one of ours
        raise media_error(exc, path) from exc
    if not any(s.type in ("video", "audio") for s in container.streams):
        container.close()
        if not container.streams:  # FFmpeg guessed a format but found nothing in it
            raise _unopenable(path)
        raise NotMediaError(f"{path} contains no video or audio.", path=str(path))
    return container, watch


def media_error(exc: BaseException, path: Path, *, reading: bool = False) -> MediaError:
    """The typed error for a PyAV/OS exception raised while opening (or ``reading``) ``path``."""
    if isinstance(exc, MediaError):
        return exc
    p = str(path)
    if isinstance(exc, av.error.DecoderNotFoundError):
        return UnsupportedCodecError(f"{p} uses a codec this FFmpeg build cannot decode.", path=p)
    if isinstance(exc, FileNotFoundError):
        if reading:
            return MediaVanishedError(f"{p} disappeared while it was being read.", path=p)
        return MediaNotFoundError(f"{p} does not exist.", path=p)
    if isinstance(exc, PermissionError):
        return MediaPermissionError(f"{p} cannot be read: permission denied.", path=p)
    if isinstance(exc, IsADirectoryError):
        return MediaNotFoundError(f"{p} is a folder, not a media file.", path=p)
    if isinstance(exc, EOFError):
        return TruncatedMediaError(f"{p} ends early: the file is truncated.", path=p)
    if isinstance(exc, av.error.InvalidDataError) and not reading:
        return _unopenable(path)
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return CorruptMediaError(f"{p} could not be read ({reason.rstrip('.')}).", path=p)


def _unopenable(path: Path) -> MediaError:
    """Tell a damaged media file from something that never was media."""
    p = str(path)
    try:
        with path.open("rb") as f:
            head = f.read(16)
            size = os.fstat(f.fileno()).st_size
            if head[4:8] in _ISO_BOXES:
                problem = _iso_bmff_problem(f, size)
                if problem == "truncated":
                    return TruncatedMediaError(
                        f"{p} is truncated: it ends before its media data does "
                        "(an interrupted copy or download?).", path=p)
                if problem == "no index":
                    return TruncatedMediaError(
                        f"{p} has no index (moov box): the recording or copy was "
                        "probably interrupted.", path=p)
                return CorruptMediaError(f"{p} is a damaged MP4/MOV file.", path=p)
    except OSError as exc:
        return media_error(exc, path)
    for magic, kind in _SIGNATURES.items():
        if head.startswith(magic):
            return CorruptMediaError(f"{p} looks like {kind} but is damaged.", path=p)
    return NotMediaError(f"{p} is not a video or audio file.", path=p)


def _iso_bmff_problem(f, size: int) -> str | None:
    """Walk the top-level boxes of an MP4/MOV: 'truncated', 'no index', 'damaged' or None."""
    offset, seen = 0, set()
    while offset + 8 <= size:
        f.seek(offset)
        header = f.read(16)
        box_size, kind = struct.unpack(">I4s", header[:8])
        if box_size == 1 and len(header) == 16:
            box_size = struct.unpack(">Q", header[8:16])[0]
        elif box_size == 0:
            box_size = size - offset
        if box_size < 8 or not kind.isalnum():
            return "damaged"
        if offset + box_size > size:
            return "truncated"
        seen.add(kind)
        offset += box_size
    if offset != size:
        return "truncated"
    return None if b"moov" in seen else "no index"


def video_stream(container: av.container.InputContainer, path: Path) -> av.video.stream.VideoStream:
    """The first real video stream (cover art does not count), ready to decode."""
    for stream in container.streams.video:
        if is_cover_art(stream):
            continue
        if stream.codec_context is None:
            raise UnsupportedCodecError(
                f"{path} has video in a codec this FFmpeg build cannot decode.", path=str(path))
        return stream
    raise NoVideoStreamError(f"{path} has no video stream (audio only?).", path=str(path))


def is_cover_art(stream) -> bool:
    """Album art in an audio file shows up as a one-picture video stream."""
    return bool(stream.disposition & av.stream.Disposition.attached_pic)


def warner(on_warning: WarningCallback | None) -> WarningCallback:
    """A callback that passes each warning on to ``on_warning``, or logs it when no one
    takes it (a caller that does tells the user itself: the log has it at debug level,
    so a command line does not print it twice)."""
    def warn(message: str) -> None:
        if on_warning is None:
            log.warning(message)
            return
        log.debug(message)
        on_warning(message)
    return warn


def read_packets(container, streams: list, path: Path, watch: FileWatch, cancel,
                 warn: WarningCallback, anything_decoded: Callable[[], bool]
                 ) -> Iterator[av.Packet]:
    """Demux ``streams``, checking the cancel token and that the file is still there.

    A read error ends the packets with a warning once something was decoded; before
    that it raises the typed error.
    """
    packets = container.demux(*streams)
    while True:
        if cancel is not None:
            cancel.raise_if_cancelled()
        watch.check()
        try:
            packet = next(packets)
        except StopIteration:
            return
        except (av.error.FFmpegError, OSError) as exc:
            watch.check()
            error = media_error(exc, path, reading=True)
            if not anything_decoded():
                raise error from exc
            warn(f"{path}: reading stopped early: {error}")
            return
        yield packet
