"""Export a Cutwise timeline to other editors and import theirs, format by file extension.

=========  ========================  ======================================  ======
extension  format                    opens in                                import
=========  ========================  ======================================  ======
.otio      OpenTimelineIO JSON       DaVinci Resolve, OTIO tools             yes
.xml       FCP 7 XML (xmeml)         Premiere Pro, Resolve, Final Cut 7      yes
.fcpxml    FCPXML 1.8                Final Cut Pro                           yes
.edl       CMX 3600 EDL (first V)    every editor                            yes
.csv       PySceneDetect scene list  scripts, spreadsheets                   no
.txt       YouTube chapters          a YouTube description                   no
=========  ========================  ======================================  ======

What a format cannot hold is reported as warnings, never silently dropped: an EDL has
one video track and markers only inside its clips (their names in capitals, as CMX
3600 has them); FCPXML needs every clip and marker within the storyline's length.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from editor.core.errors import CutwiseError
from editor.core.model import (
    ACCEPTED, LANE_SHOTS, VIDEO, Clip, Project, Timeline, Track, default_timeline,
)
from editor.core.timecode import FrameRate
from editor.interchange.otio_bridge import (
    ImportedTimeline, InterchangeError, from_otio, media_clocks, path_from_url, to_otio,
)

#: extension -> format name
EXTENSIONS = {".otio": "otio", ".xml": "fcp7", ".fcpxml": "fcpxml", ".edl": "edl",
              ".csv": "csv", ".txt": "chapters"}
EXPORT_FORMATS = ("otio", "fcp7", "fcpxml", "edl", "csv", "chapters")
IMPORT_FORMATS = ("otio", "fcp7", "fcpxml", "edl")
DESCRIPTIONS = {
    "otio": "OpenTimelineIO (DaVinci Resolve)", "fcp7": "FCP 7 XML (Premiere Pro)",
    "fcpxml": "FCPXML (Final Cut Pro)", "edl": "CMX 3600 EDL", "csv": "PySceneDetect CSV",
    "chapters": "YouTube chapters",
}
_ADAPTERS = {"otio": "otio_json", "fcp7": "fcp_xml", "edl": "cmx_3600"}


def format_for(path: str | os.PathLike, fmt: str | None = None, *, reading: bool = False) -> str:
    """The format named, or the one ``path``'s extension stands for."""
    allowed = IMPORT_FORMATS if reading else EXPORT_FORMATS
    fmt = fmt or EXTENSIONS.get(Path(path).suffix.lower())
    if fmt not in allowed:
        exts = ", ".join(e for e, f in EXTENSIONS.items() if f in allowed)
        verb = "import" if reading else "export"
        raise InterchangeError(f"Cannot {verb} '{Path(path).name}': use one of {exts}.")
    return fmt


# --- export ---------------------------------------------------------------------------

def export_string(project: Project, fmt: str, timeline: Timeline | None = None) -> tuple[str, list[str]]:
    """The timeline as text in ``fmt``, and what the format could not hold."""
    timeline = timeline or project.timeline
    if fmt == "csv":
        return scene_csv(timeline), []
    if fmt == "chapters":
        return youtube_chapters(timeline)
    if fmt not in _ADAPTERS and fmt != "fcpxml":
        raise InterchangeError(f"Unknown timeline format '{fmt}' (use one of {', '.join(EXPORT_FORMATS)}).")
    import opentimelineio as otio

    warnings: list[str] = []
    otl = to_otio(project, timeline, media_clocks(project.assets))
    try:
        if fmt == "fcpxml":
            from editor.interchange import fcpxml

            return fcpxml.write_string(otl), warnings
        if fmt == "edl":
            otl = _edl_ready(otl, warnings)
            return otio.adapters.write_to_string(otl, "cmx_3600", rate=float(timeline.frame_rate)), warnings
        return otio.adapters.write_to_string(otl, _ADAPTERS[fmt]), warnings
    except CutwiseError:
        raise
    except Exception as exc:  # an adapter refusing the timeline
        raise InterchangeError(f"Could not write {DESCRIPTIONS[fmt]}: {exc}") from exc


def export_file(project: Project, path: str | os.PathLike, fmt: str | None = None,
                timeline: Timeline | None = None) -> list[str]:
    """Write the timeline to ``path`` atomically (format by extension); returns warnings."""
    from editor.core.files import atomic_write_bytes, describe_os_error

    text, warnings = export_string(project, format_for(path, fmt), timeline)
    try:
        atomic_write_bytes(Path(path), text.encode("utf-8"))
    except OSError as exc:
        raise describe_os_error(exc, "write", path) from None
    return warnings


def _edl_ready(otl, warnings: list[str]):
    """One video track with the timeline's markers moved onto its clips (source time)."""
    import opentimelineio as otio

    videos = [t for t in otl.tracks if t.kind == otio.schema.TrackKind.Video]
    if not videos:
        raise InterchangeError("An EDL needs a video track; this timeline has none.")
    others = [t.name for t in otl.tracks if t is not videos[0] and len(t.find_clips())]
    if others:
        warnings.append(f"An EDL holds one video track: {', '.join(others)} not exported.")
    track = videos[0]
    out = otio.schema.Timeline(name=otl.name, global_start_time=otl.global_start_time)
    out.tracks.append(track.clone())
    track = out.tracks[0]
    lost = []
    for marker in otl.tracks.markers:
        at = marker.marked_range.start_time
        for index, item in enumerate(track):
            span = track.range_of_child_at_index(index)
            if isinstance(item, otio.schema.Clip) and span.contains(at):
                moved = marker.clone()
                moved.marked_range = otio.opentime.TimeRange(
                    item.trimmed_range().start_time + (at - span.start_time), marker.marked_range.duration)
                item.markers.append(moved)
                break
        else:
            lost.append(marker.name or "unnamed")
    if lost:
        warnings.append(f"An EDL keeps markers only inside clips of {track.name}: "
                        f"{', '.join(lost)} not exported.")
    return out


def scene_csv(timeline: Timeline) -> str:
    """The first video track's clips as a PySceneDetect scene list (timeline frames)."""
    from editor.interchange.cutlist import to_csv

    track = next((t for t in timeline.tracks if t.kind == VIDEO), Track())
    shots = [{"start": c.start, "end": c.end - 1} for c in track.clips]
    return to_csv({"frame_rate": str(timeline.frame_rate), "shots": shots})


def youtube_chapters(timeline: Timeline) -> tuple[str, list[str]]:
    """``0:00 Intro`` lines from the timeline's markers, with YouTube's rules checked."""
    rate = timeline.frame_rate
    seen: dict[int, str] = {}
    for marker in sorted(timeline.markers, key=lambda m: m.frame):
        second = int(rate.seconds(marker.frame))
        seen.setdefault(second, marker.name or f"Chapter {len(seen) + 1}")
    warnings = []
    if 0 not in seen:
        seen = {0: "Intro", **seen}
        warnings.append("No marker at the start: added '0:00 Intro' (YouTube needs a chapter at 0:00).")
    total = int(rate.seconds(timeline.duration))
    hours = total >= 3600 or max(seen) >= 3600

    def stamp(s: int) -> str:
        h, rest = divmod(s, 3600)
        m, s = divmod(rest, 60)
        return f"{h}:{m:02d}:{s:02d}" if hours else f"{m}:{s:02d}"

    starts = sorted(seen)
    if len(starts) < 3:
        warnings.append(f"YouTube shows chapters only with at least 3; there are {len(starts)}.")
    short = [seen[a] for a, b in zip(starts, starts[1:] + [max(total, starts[-1] + 10)]) if b - a < 10]
    if short:
        warnings.append(f"YouTube needs chapters of 10 s or more: {', '.join(short)} shorter.")
    return "".join(f"{stamp(s)} {seen[s]}\n" for s in starts), warnings


# --- accepted suggestions as a timeline -----------------------------------------------

def suggestions_timeline(project: Project, lane: str, asset_id: str) -> Timeline:
    """A timeline of one media's accepted suggestions: for the shots lane, the shots
    between accepted cuts (transition frames left out); for other lanes, each accepted
    range as a clip, back to back."""
    asset = project.asset(asset_id)
    accepted = sorted((s for s in project.suggestions_in(lane, asset_id) if s.status == ACCEPTED),
                      key=lambda s: s.start)
    if not accepted:
        raise InterchangeError(f"{asset.name or asset.path} has no accepted '{lane}' suggestions to export.")
    if lane == LANE_SHOTS:
        ranges, start = [], 0
        for s in accepted:  # a cut starts a shot; a transition's frames belong to none
            if s.start > start:
                ranges.append((start, s.start - 1))
            start = s.start if s.kind == "cut" else s.end + 1
        if start < asset.frame_count:
            ranges.append((start, asset.frame_count - 1))
    else:
        ranges = [(s.start, s.end) for s in accepted]
    timeline = default_timeline(asset.frame_rate, asset.width or 1920, asset.height or 1080,
                                f"{asset.name or 'Media'} {lane}")
    timeline.tracks = [timeline.tracks[0]]
    position = 0
    for number, (first, last) in enumerate(ranges, 1):
        length = last - first + 1
        timeline.tracks[0].place(Clip(asset.id, position, length, first, name=f"{asset.name} {lane} {number}"))
        position += length
    return timeline


# --- import ---------------------------------------------------------------------------

def read_file(path: str | os.PathLike, project: Project | None = None, fmt: str | None = None,
              rate: FrameRate | None = None) -> ImportedTimeline:
    """A timeline from an OTIO, FCP 7 XML, FCPXML or EDL file; media already in
    ``project`` is reused, other media is probed (or kept offline when missing)."""
    path = Path(path)
    fmt = format_for(path, fmt, reading=True)
    try:
        text = path.read_text("utf-8-sig")
    except FileNotFoundError:
        raise InterchangeError(f"{path} does not exist.") from None
    except UnicodeDecodeError:
        raise InterchangeError(f"{path.name} is not a text timeline file.") from None
    except OSError as exc:
        raise InterchangeError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    return read_string(text, fmt, project, rate=rate, name=path.name)


def read_string(text: str, fmt: str, project: Project | None = None, *,
                rate: FrameRate | None = None, name: str = "The file") -> ImportedTimeline:
    import opentimelineio as otio

    warnings: list[str] = []
    edl_markers = []
    try:
        if fmt == "fcpxml":
            from editor.interchange import fcpxml

            otl = fcpxml.read_string(text)
        elif fmt == "edl":
            rate = rate or _edl_rate(text, warnings)
            text, edl_markers = _edl_locators(text, rate)
            otl = otio.adapters.read_from_string(text, "cmx_3600", rate=float(rate))
        else:
            otl = otio.adapters.read_from_string(text, _ADAPTERS[fmt])
    except CutwiseError:
        raise
    except Exception as exc:  # the adapters raise many kinds of errors on bad input
        raise InterchangeError(f"{name} is not a readable {DESCRIPTIONS[fmt]} file ({exc}).") from None
    if isinstance(otl, otio.schema.SerializableCollection):
        otl = next((t for t in otl if isinstance(t, otio.schema.Timeline)), None)
    if not isinstance(otl, otio.schema.Timeline):
        raise InterchangeError(f"{name} holds no timeline.")
    try:
        imported = from_otio(otl, project, rate=rate)
    except CutwiseError as exc:
        raise InterchangeError(f"{name}: {exc.message}") from None
    from editor.core.model import Marker

    for frame, label, color in edl_markers:
        if not any(m.frame == frame for m in imported.timeline.markers):
            imported.timeline.markers.append(Marker(frame=frame, name=label, color=color))
    imported.timeline.markers.sort(key=lambda m: (m.frame, m.name))
    imported.warnings[:0] = warnings
    return imported


_EDL_EVENT = re.compile(r"^\s*\d+\s+\S+\s+\S+\s+\S+(?:\s+\d+)?\s+"
                        r"(\d+:\d+:\d+[:;.]\d+)\s+(\d+:\d+:\d+[:;.]\d+)\s+(\d+:\d+:\d+[:;.]\d+)\s+(\d+:\d+:\d+[:;.]\d+)")
_EDL_LOC = re.compile(r"^\*\s*LOC:\s*(\d+:\d+:\d+[:;.]\d+)\s+(\w*)\s*(.*)$")


def _edl_rate(text: str, warnings: list[str]) -> FrameRate:
    """An EDL does not say its rate: take it from its media when found, else guess."""
    for match in re.finditer(r"^\*\s*(?:FROM CLIP|SOURCE FILE):\s*(.+?)\s*$", text, re.M):
        media = Path(path_from_url(match.group(1)))
        if media.is_file():
            try:
                from editor.media.probe import probe

                info = probe(media)
                if info.video is not None:
                    return info.video.frame_rate
            except CutwiseError:
                continue
    guess = FrameRate(30000, 1001) if re.search(r"\d\d:\d\d:\d\d;\d\d", text) else FrameRate(25)
    warnings.append(f"The EDL does not say its frame rate and its media was not found: read at {guess} fps.")
    return guess


def _edl_locators(text: str, rate: FrameRate) -> tuple[str, list[tuple[int, str, str]]]:
    """Take the ``* LOC:`` lines out (the adapter loses drop-frame ones) and place each
    marker on the timeline from its event's source and record timecodes."""
    from editor.interchange.otio_bridge import MARKER_COLORS

    lines, markers = [], []
    event = None
    first_record = None
    for line in text.splitlines():
        match = _EDL_EVENT.match(line)
        if match:
            src_in, _, rec_in, _ = (rate.parse_timecode(tc) for tc in match.groups())
            first_record = rec_in if first_record is None else min(first_record, rec_in)
            event = (src_in, rec_in)
        loc = _EDL_LOC.match(line.strip())
        if loc and event is not None:
            at = rate.parse_timecode(loc.group(1))
            color = MARKER_COLORS.get(loc.group(2).upper(), MARKER_COLORS["RED"])
            markers.append((at - event[0] + event[1], loc.group(3).strip(), color))
            continue
        lines.append(line)
    start = first_record or 0
    return "\n".join(lines) + "\n", [(f - start, n, c) for f, n, c in markers]


def import_command(imported: ImportedTimeline):
    """One undoable step that adds the imported media and the timeline to a project."""
    from editor.core import commands as cmd

    steps = [cmd.add_asset(a) for a in imported.new_assets] + [cmd.add_timeline(imported.timeline)]
    return cmd.compound(f"Import timeline {imported.timeline.name}", steps)
