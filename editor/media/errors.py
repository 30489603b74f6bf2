"""Typed errors for media a user handed us that cannot be read.

Each carries a one-line, plain-language message that names the file; the CLI prints it
and the UI shows it. PyAV's exceptions never escape the media layer for bad input.
"""

from __future__ import annotations

from editor.core.errors import CutwiseError


class MediaError(CutwiseError):
    """Base of every media-reading problem."""


class MediaNotFoundError(MediaError):
    """The path does not exist (or is not a file)."""


class MediaPermissionError(MediaError):
    """The file exists but we may not read it."""


class NotMediaError(MediaError):
    """The file is not audio or video FFmpeg understands (empty, text, random bytes)."""


class NoVideoStreamError(MediaError):
    """Video was asked of a file that only has audio."""


class NoAudioStreamError(MediaError):
    """Audio was asked of a file that has none."""


class TruncatedMediaError(MediaError):
    """The file ends before its media data does (an interrupted copy or download)."""


class CorruptMediaError(MediaError):
    """The file's structure or data is damaged beyond what decoding can skip."""


class UnsupportedCodecError(MediaError):
    """The file is readable but its codec has no decoder in this FFmpeg build."""


class MediaVanishedError(MediaError):
    """The file was deleted, replaced or became unreadable while we read it."""
