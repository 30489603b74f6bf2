"""Shot lists out to other tools: PySceneDetect CSV, CMX 3600 EDL, OTIO and FCPXML.

Input is the plain dict a shot engine's ``to_dict()`` gives (what ``cutwise shots --json``
prints): ``fps`` or ``frame_rate`` (``"30000/1001"``), ``frame_count``, ``path`` and
``shots`` as ``[{"start": f, "end": f}, ...]`` with inclusive 0-based frames. A shot list
becomes one timeline of clips, each referring to its range of the source file; frames that
belong to a gradual transition (in no shot) are left out of the edit.

EDL, OTIO and FCPXML are written by OpenTimelineIO (with the ``otio-cmx3600-adapter`` and
``otio-fcpx-xml-adapter`` plugins); the CSV is PySceneDetect's ``--csv`` scene list, written
here by hand.
"""

from __future__ import annotations

import csv
import io
import os
from fractions import Fraction
from pathlib import Path

from editor.core.errors import CutwiseError
from editor.core.timecode import FrameRate

FORMATS = ("csv", "edl", "otio", "fcpxml")
_ADAPTERS = {"edl": "cmx_3600", "otio": "otio_json", "fcpxml": "fcpx_xml"}


class ExportError(CutwiseError):
    """A shot list that cannot be written in the asked format."""


def _rate(result: dict) -> FrameRate:
    if result.get("frame_rate"):
        return FrameRate.of(str(result["frame_rate"]))
    return FrameRate.of(float(result["fps"]))


def _timecode(frame: int, rate: FrameRate) -> str:
    """PySceneDetect's timecode: HH:MM:SS.mmm of the frame's start at the nominal rate."""
    ms = round(Fraction(frame) / rate.fraction * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def to_csv(result: dict) -> str:
    """PySceneDetect's scene list (``scenedetect ... list-scenes``), 1-based frames.

    The first line lists the cut timecodes, as PySceneDetect writes it; then one row per
    shot with start/end frame, timecode and seconds, and the length.
    """
    rate = _rate(result)
    shots = result["shots"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    cuts = [_timecode(s["start"], rate) for s in shots[1:]]
    writer.writerow(["Timecode List:"] + cuts)
    writer.writerow(["Scene Number", "Start Frame", "Start Timecode", "Start Time (seconds)",
                     "End Frame", "End Timecode", "End Time (seconds)", "Length (frames)",
                     "Length (timecode)", "Length (seconds)"])
    for number, shot in enumerate(shots, 1):
        start, end = shot["start"], shot["end"] + 1  # PySceneDetect's end is exclusive...
        length = end - start
        writer.writerow([number, start + 1, _timecode(start, rate),
                         f"{float(Fraction(start) / rate.fraction):.3f}",
                         end, _timecode(end, rate),  # ...but printed 1-based (= last frame)
                         f"{float(Fraction(end) / rate.fraction):.3f}", length,
                         _timecode(length, rate), f"{float(Fraction(length) / rate.fraction):.3f}"])
    return buf.getvalue()


def to_timeline(result: dict, name: str | None = None):
    """An ``opentimelineio.schema.Timeline`` with one clip per shot, gaps for transitions."""
    import opentimelineio as otio

    rate = float(_rate(result))
    path = Path(result.get("path") or "media.mp4")
    name = name or path.stem
    frame_count = int(result["frame_count"])
    available = otio.opentime.TimeRange(otio.opentime.RationalTime(0, rate),
                                         otio.opentime.RationalTime(frame_count, rate))
    url = path.resolve().as_uri() if path.is_absolute() or path.exists() else str(path)
    timeline = otio.schema.Timeline(name=name)
    timeline.global_start_time = otio.opentime.RationalTime(0, rate)
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    for number, shot in enumerate(result["shots"], 1):
        ref = otio.schema.ExternalReference(target_url=url, available_range=available)
        ref.name = path.name
        source = otio.opentime.TimeRange(
            otio.opentime.RationalTime(shot["start"], rate),
            otio.opentime.RationalTime(shot["end"] - shot["start"] + 1, rate))
        track.append(otio.schema.Clip(name=f"{name} shot {number}", media_reference=ref,
                                      source_range=source))
    return timeline


def to_string(result: dict, fmt: str, name: str | None = None) -> str:
    """The shot list in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "csv":
        return to_csv(result)
    if fmt not in _ADAPTERS:
        raise ExportError(f"Unknown cut list format '{fmt}' (use one of {', '.join(FORMATS)}).")
    import opentimelineio as otio

    timeline = to_timeline(result, name)
    try:
        if fmt == "edl":
            rate = _rate(result)
            return otio.adapters.write_to_string(timeline, "cmx_3600", rate=float(rate))
        return otio.adapters.write_to_string(timeline, _ADAPTERS[fmt])
    except Exception as exc:  # an adapter missing or refusing the timeline
        raise ExportError(f"Could not write {fmt.upper()}: {exc}") from exc


def write(result: dict, fmt: str, path: str | os.PathLike, name: str | None = None) -> Path:
    """Write the shot list to ``path`` atomically."""
    from editor.core.files import atomic_write_bytes

    text = to_string(result, fmt, name)
    atomic_write_bytes(Path(path), text.encode("utf-8"))
    return Path(path)
