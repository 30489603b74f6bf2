"""An edit (pieces of one source, in play order) out to OTIO and CMX 3600 EDL.

The pieces are ``(start, end)`` source frames, ``end`` exclusive, placed back to back on
one video track (and, for OTIO, a matching audio track), each clip referring to its range
of the source file. Written by OpenTimelineIO (EDL with ``otio-cmx3600-adapter``), as
:mod:`editor.interchange.cutlist` does for shot lists.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from editor.core.files import atomic_write_bytes
from editor.core.timecode import FrameRate
from editor.interchange.cutlist import ExportError

FORMATS = ("otio", "edl")


def to_timeline(source: str | os.PathLike, frame_rate: FrameRate, frame_count: int,
                pieces: Sequence[tuple[int, int]], name: str | None = None,
                audio: bool = True):
    """An ``opentimelineio.schema.Timeline`` playing ``pieces`` of ``source`` in order."""
    import opentimelineio as otio

    rate = float(frame_rate)
    path = Path(source)
    name = name or f"{path.stem} edit"
    url = path.resolve().as_uri() if path.is_absolute() or path.exists() else str(path)
    available = otio.opentime.TimeRange(otio.opentime.RationalTime(0, rate),
                                         otio.opentime.RationalTime(frame_count, rate))
    timeline = otio.schema.Timeline(name=name)
    timeline.global_start_time = otio.opentime.RationalTime(0, rate)
    kinds = [("V1", otio.schema.TrackKind.Video)]
    if audio:
        kinds.append(("A1", otio.schema.TrackKind.Audio))
    for track_name, kind in kinds:
        track = otio.schema.Track(name=track_name, kind=kind)
        for number, (start, end) in enumerate(pieces, 1):
            if end <= start:
                raise ExportError(f"Piece {number} of the edit is empty ({start}-{end}).")
            ref = otio.schema.ExternalReference(target_url=url, available_range=available)
            ref.name = path.name
            source_range = otio.opentime.TimeRange(otio.opentime.RationalTime(start, rate),
                                                   otio.opentime.RationalTime(end - start, rate))
            track.append(otio.schema.Clip(name=f"{path.stem} {number}", media_reference=ref,
                                          source_range=source_range))
        timeline.tracks.append(track)
    return timeline


def to_string(source, frame_rate: FrameRate, frame_count: int,
              pieces: Sequence[tuple[int, int]], fmt: str, name: str | None = None) -> str:
    """The edit as OTIO JSON or a CMX 3600 EDL (video only)."""
    if fmt not in FORMATS:
        raise ExportError(f"Unknown sequence format '{fmt}' (use one of {', '.join(FORMATS)}).")
    import opentimelineio as otio

    timeline = to_timeline(source, frame_rate, frame_count, pieces, name, audio=fmt == "otio")
    try:
        if fmt == "edl":
            return otio.adapters.write_to_string(timeline, "cmx_3600", rate=float(frame_rate))
        return otio.adapters.write_to_string(timeline, "otio_json")
    except Exception as exc:  # an adapter missing or refusing the timeline
        raise ExportError(f"Could not write {fmt.upper()}: {exc}") from exc


def write(source, frame_rate: FrameRate, frame_count: int, pieces: Sequence[tuple[int, int]],
          fmt: str, out: str | os.PathLike, name: str | None = None) -> Path:
    """Write the edit to ``out`` atomically."""
    text = to_string(source, frame_rate, frame_count, pieces, fmt, name)
    atomic_write_bytes(Path(out), text.encode("utf-8"))
    return Path(out)
