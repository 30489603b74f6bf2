"""Shot lists out to other tools: PySceneDetect CSV, CMX 3600 EDL, OTIO and FCPXML.

Input is the plain dict a shot engine's ``to_dict()`` gives (what ``cutwise shots --json``
prints): ``fps`` or ``frame_rate`` (``"30000/1001"``), ``frame_count``, ``path`` and
``shots`` as ``[{"start": f, "end": f}, ...]`` with inclusive 0-based frames. A shot list
becomes one timeline of clips, each referring to its range of the source file; frames that
belong to a gradual transition (in no shot) are left out of the edit.

EDL, OTIO and FCPXML go through the timeline exporters of
:mod:`editor.interchange.timeline_io` (OpenTimelineIO and its adapters; FCPXML written
exactly by :mod:`editor.interchange.fcpxml`); the CSV is PySceneDetect's ``--csv`` scene
list, written here by hand.
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
_FORMATS = {"edl": "edl", "otio": "otio", "fcpxml": "fcpxml"}  # -> timeline_io format


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


def shots_project(result: dict, name: str | None = None):
    """A project with the shot list's media and a timeline of one clip per shot, back to
    back (transition frames, in no shot, are left out)."""
    from editor.core.model import Clip, MediaAsset, Project, Timeline, Track

    rate = _rate(result)
    path = Path(result.get("path") or "media.mp4")
    name = name or path.stem
    asset = MediaAsset(path=str(path.resolve()) if path.exists() else str(path), frame_rate=rate,
                       frame_count=int(result["frame_count"]), width=0, height=0,
                       variable_frame_rate=bool(result.get("variable_frame_rate", False)),
                       name=path.name)
    track = Track(name="V1")
    position = 0
    for number, shot in enumerate(result["shots"], 1):
        length = shot["end"] - shot["start"] + 1
        track.place(Clip(asset.id, position, length, shot["start"], name=f"{name} shot {number}"))
        position += length
    timeline = Timeline(name=name, frame_rate=rate, tracks=[track])
    return Project(name=name, assets=[asset], timelines=[timeline])


def to_timeline(result: dict, name: str | None = None):
    """An ``opentimelineio.schema.Timeline`` with one clip per shot."""
    from editor.interchange.otio_bridge import to_otio

    return to_otio(shots_project(result, name))


def to_string(result: dict, fmt: str, name: str | None = None) -> str:
    """The shot list in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "csv":
        return to_csv(result)
    if fmt not in _FORMATS:
        raise ExportError(f"Unknown cut list format '{fmt}' (use one of {', '.join(FORMATS)}).")
    from editor.interchange.timeline_io import export_string

    try:
        return export_string(shots_project(result, name), _FORMATS[fmt])[0]
    except CutwiseError as exc:
        raise ExportError(exc.message) from exc


def write(result: dict, fmt: str, path: str | os.PathLike, name: str | None = None) -> Path:
    """Write the shot list to ``path`` atomically."""
    from editor.core.files import atomic_write_bytes

    text = to_string(result, fmt, name)
    atomic_write_bytes(Path(path), text.encode("utf-8"))
    return Path(path)
