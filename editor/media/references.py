"""Which frames other frames refer to, read from the packets' NAL unit headers.

A decoder told to skip unreferenced frames (FFmpeg's ``skip_frame=NONREF``, which the fast
analysis passes use) leaves out every H.264 frame whose slices have ``nal_ref_idc`` 0. A
pass that decodes every frame for its own use, but must also see the frames such a
decode gives, tells them apart here, without decoding anything.
"""

from __future__ import annotations

from typing import Callable

_SLICES = (1, 5)  # H.264 NAL unit types of coded slices (non-IDR, IDR)


def reads_references(codec: str) -> bool:
    """Whether :func:`reference_reader` reads ``codec``'s packets (FFmpeg's name for it:
    only ``h264`` so far)."""
    return codec == "h264"


def reference_reader(stream) -> Callable[[bytes], bool | None] | None:
    """For ``stream`` (a PyAV video stream): a function telling from a packet's bytes
    whether its frame is one other frames refer to (None for a packet without a slice),
    or None when the codec is not one this reads."""
    if not reads_references(stream.codec_context.name):
        return None
    extradata = bytes(stream.codec_context.extradata or b"")
    if len(extradata) > 4 and extradata[0] == 1:  # avcC: NAL units behind a length field
        return lambda data: _referenced(_length_prefixed(data, (extradata[4] & 3) + 1))
    return lambda data: _referenced(_start_coded(data))  # Annex B: behind start codes


def _referenced(headers) -> bool | None:
    for header in headers:
        if header & 0x1F in _SLICES:
            return (header >> 5) & 3 != 0  # every slice of a picture has the same value
    return None


def _length_prefixed(data: bytes, size: int):
    """The first byte of each NAL unit of an avcC packet."""
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
