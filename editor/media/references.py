"""Which frames other frames refer to, read from the packets' NAL unit headers.

A decoder told to skip unreferenced frames (FFmpeg's ``skip_frame=NONREF``, which the fast
analysis passes use) leaves out every H.264 frame whose slices have ``nal_ref_idc`` 0 and
every HEVC frame of a sub-layer non-reference type (TRAIL_N, RASL_N...). A pass that
decodes every frame for its own use, but must also see the frames such a decode gives,
tells them apart here, without decoding anything.
"""

from __future__ import annotations

from typing import Callable


def _h264(header: int) -> bool | None:
    """Whether a NAL unit (its first header byte) is a slice of a referenced frame (None:
    not a slice)."""
    if header & 0x1F not in (1, 5):  # coded slices: non-IDR, IDR
        return None
    return (header >> 5) & 3 != 0


def _hevc(header: int) -> bool | None:
    kind = (header >> 1) & 0x3F
    if kind >= 32:  # not a coded slice
        return None
    return not (kind <= 14 and kind % 2 == 0)  # the sub-layer non-reference types


# codec: (what a NAL unit header says, where an hvcC/avcC header keeps its length size)
_CODECS = {"h264": (_h264, 4), "hevc": (_hevc, 21)}


def reads_references(codec: str) -> bool:
    """Whether :func:`reference_reader` reads ``codec``'s packets (FFmpeg's name for it:
    ``h264`` and ``hevc``)."""
    return codec in _CODECS


def reference_reader(stream) -> Callable[[bytes], bool | None] | None:
    """For ``stream`` (a PyAV video stream): a function telling from a packet's bytes
    whether its frame is one other frames refer to (None for a packet without a slice),
    or None when the codec is not one this reads."""
    name = stream.codec_context.name
    if not reads_references(name):
        return None
    says, at = _CODECS[name]
    extradata = bytes(stream.codec_context.extradata or b"")
    if len(extradata) > at and extradata[0] == 1:  # avcC / hvcC: NAL units behind a length
        size = (extradata[at] & 3) + 1
        return lambda data: _first(says, _length_prefixed(data, size))
    return lambda data: _first(says, _start_coded(data))  # Annex B: behind start codes


def _first(says, headers) -> bool | None:
    """What the first slice says (every slice of a picture says the same)."""
    for header in headers:
        answer = says(header)
        if answer is not None:
            return answer
    return None


def _length_prefixed(data: bytes, size: int):
    """The first byte of each NAL unit of a packet in the MP4 / Matroska layout."""
    at = 0
    while at + size < len(data):
        length = int.from_bytes(data[at:at + size], "big")
        yield data[at + size]
        at += size + length


def _start_coded(data: bytes):
    """The first byte of each NAL unit of an Annex B packet."""
    at = data.find(b"\x00\x00\x01")
    while 0 <= at < len(data) - 3:
        yield data[at + 3]
        at = data.find(b"\x00\x00\x01", at + 3)
