"""A Cutwise timeline to and from an OpenTimelineIO timeline, frame-exactly.

Every format goes through this one bridge: OTIO itself, FCP 7 XML and CMX 3600 EDL with
OpenTimelineIO's adapters, FCPXML with :mod:`editor.interchange.fcpxml`.

Time: a clip's place and length are timeline frames at the timeline's rate; its source
start is a source frame at the media's rate. For a variable-frame-rate source the source
frame is a decode-order index, which other editors do not know: it is written as the
frame's real presentation time (at the media's nominal rate, as editors conform VFR)
and read back to the frame shown at that time, when the media file can be read.
"""

from __future__ import annotations

import bisect
import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from urllib.parse import unquote, urlparse

from editor.core.errors import CutwiseError
from editor.core.model import (
    AUDIO, VIDEO, Clip, Marker, MediaAsset, Project, Timeline, Track,
)
from editor.core.timecode import FrameRate

#: OTIO's marker colours and the hex colour each stands for in Cutwise.
MARKER_COLORS = {
    "RED": "#e5383b", "PINK": "#ff8fab", "ORANGE": "#f77f00", "YELLOW": "#f5c518",
    "GREEN": "#2a9d8f", "CYAN": "#00b4d8", "BLUE": "#3a86ff", "PURPLE": "#8338ec",
    "MAGENTA": "#d100d1", "BLACK": "#000000", "WHITE": "#ffffff",
}


class InterchangeError(CutwiseError):
    """A timeline that cannot be written or read in the asked format."""


def color_name(hex_color: str) -> str:
    """The OTIO marker colour nearest to ``#rrggbb``."""
    def rgb(text: str) -> tuple[int, int, int]:
        text = text.lstrip("#")
        try:
            return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)
        except (ValueError, IndexError):
            return 245, 197, 24
    want = rgb(hex_color)
    return min(MARKER_COLORS, key=lambda n: sum((a - b) ** 2 for a, b in zip(rgb(MARKER_COLORS[n]), want)))


# --- source clocks: source frame <-> time other editors understand ------------------------

class SourceClock:
    """Maps an asset's source frames to OTIO times at its nominal rate and back."""

    def __init__(self, asset: MediaAsset, times: list[Fraction] | None = None):
        self.rate = asset.frame_rate
        self.times = times  # presentation time of each frame, for a VFR source

    def to_time(self, frame: int):
        import opentimelineio as otio

        if self.times and 0 <= frame < len(self.times):
            value = round(self.times[frame] * self.rate.fraction)
        else:
            value = frame
        return otio.opentime.RationalTime(value, float(self.rate))

    def to_frame(self, time) -> int:
        value = time.value_rescaled_to(float(self.rate))
        if not self.times:
            return round(value)
        seconds = Fraction(round(value)) / self.rate.fraction
        i = bisect.bisect_left(self.times, seconds)
        candidates = [j for j in (i - 1, i) if 0 <= j < len(self.times)]
        return min(candidates, key=lambda j: abs(self.times[j] - seconds)) if candidates else round(value)

    @property
    def frame_count_time(self):
        """Length of the media as an OTIO time (the last frame's end for a VFR source)."""
        import opentimelineio as otio

        if self.times:
            step = self.times[-1] - self.times[-2] if len(self.times) > 1 else 1 / self.rate.fraction
            return otio.opentime.RationalTime(round((self.times[-1] + step) * self.rate.fraction),
                                              float(self.rate))
        return None


def media_clocks(assets: list[MediaAsset]) -> dict[str, SourceClock]:
    """A clock per asset; VFR sources whose file can be read get their real frame times."""
    from editor.media.decode import frame_times

    clocks = {}
    for asset in assets:
        times = None
        if asset.variable_frame_rate and Path(asset.path).is_file():
            try:
                times = frame_times(asset.path)
            except CutwiseError:
                times = None
        clocks[asset.id] = SourceClock(asset, times)
    return clocks


def _url(path: str) -> str:
    p = Path(path)
    return p.as_uri() if p.is_absolute() else path


def path_from_url(url: str) -> str:
    """A local path from a ``file://`` URL or a plain path."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        path = unquote(parsed.path)
        if os.name == "nt" and path.startswith("/") and path[2:3] == ":":
            path = path[1:]
        return path
    return unquote(url) if parsed.scheme == "" else url


# --- Cutwise -> OTIO ------------------------------------------------------------------

def to_otio(project: Project, timeline: Timeline | None = None,
            clocks: dict[str, SourceClock] | None = None):
    """An ``opentimelineio.schema.Timeline`` with the timeline's tracks, clips, gaps and markers.

    Timeline markers go on the top stack (Resolve and FCP 7 XML read them there); every
    media reference has an ``available_range`` and the timeline a ``global_start_time``,
    which the FCP writers need.
    """
    import opentimelineio as otio

    timeline = timeline or project.timeline
    rate = timeline.frame_rate
    fps = float(rate)
    clocks = clocks if clocks is not None else media_clocks(project.assets)

    def rt(frames: int):
        return otio.opentime.RationalTime(frames, fps)

    out = otio.schema.Timeline(name=timeline.name)
    out.global_start_time = rt(0)
    out.metadata["cutwise"] = {"frame_rate": str(rate), "width": timeline.width,
                               "height": timeline.height}
    for track in timeline.tracks:
        kind = otio.schema.TrackKind.Audio if track.kind == AUDIO else otio.schema.TrackKind.Video
        otrack = otio.schema.Track(name=track.name, kind=kind)
        position = 0
        for clip in track.clips:
            if clip.start > position:
                otrack.append(otio.schema.Gap(source_range=otio.opentime.TimeRange(rt(0), rt(clip.start - position))))
            otrack.append(_otio_clip(project.asset(clip.asset_id), clip, clocks, rt))
            position = clip.end
        out.tracks.append(otrack)
    for marker in timeline.markers:
        out.tracks.markers.append(otio.schema.Marker(
            name=marker.name, color=color_name(marker.color),
            marked_range=otio.opentime.TimeRange(rt(marker.frame), rt(marker.duration)),
            metadata={"cutwise": {"color": marker.color, "note": marker.note}}))
    return out


def _otio_clip(asset: MediaAsset, clip: Clip, clocks: dict[str, SourceClock], rt):
    import opentimelineio as otio

    clock = clocks.get(asset.id) or SourceClock(asset)
    start = clock.to_time(clip.source_in)
    length = clock.frame_count_time or otio.opentime.RationalTime(asset.frame_count, float(asset.frame_rate))
    ref = otio.schema.ExternalReference(
        target_url=_url(asset.path),
        available_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, float(asset.frame_rate)), length))
    ref.name = asset.name or Path(asset.path).name
    ref.metadata["cutwise"] = {"asset_id": asset.id, "width": asset.width, "height": asset.height,
                               "has_audio": asset.has_audio, "variable_frame_rate": asset.variable_frame_rate,
                               "frame_rate": str(asset.frame_rate)}
    return otio.schema.Clip(name=clip.name or asset.name, media_reference=ref,
                            source_range=otio.opentime.TimeRange(start, rt(clip.duration)),
                            metadata={"cutwise": {"clip_id": clip.id}})


# --- OTIO -> Cutwise ------------------------------------------------------------------

@dataclass
class ImportedTimeline:
    """A timeline read from another editor, with the media it needs that the project lacks."""

    timeline: Timeline
    new_assets: list[MediaAsset] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _timeline_rate(otl, fallback: FrameRate | None) -> FrameRate:
    meta = otl.metadata.get("cutwise") or {}
    if meta.get("frame_rate"):
        return FrameRate.of(str(meta["frame_rate"]))
    if otl.global_start_time is not None:
        return FrameRate.of(float(otl.global_start_time.rate))
    for clip in otl.find_clips():
        if clip.source_range is not None:
            return FrameRate.of(float(clip.source_range.duration.rate))
    return fallback or FrameRate(25)


class _AssetResolver:
    """Finds or makes the asset for each media reference (probing files that exist)."""

    def __init__(self, project: Project | None, probe_media: bool):
        self.known = {Path(a.path).resolve() if Path(a.path).is_absolute() else Path(a.path): a
                      for a in (project.assets if project else [])}
        self.by_id = {a.id: a for a in (project.assets if project else [])}
        self.new: list[MediaAsset] = []
        self.clocks: dict[str, SourceClock] = {}
        self.probe_media = probe_media
        self.warnings: list[str] = []

    def asset_for(self, clip, default_rate: FrameRate) -> MediaAsset:
        ref = clip.media_reference
        url = getattr(ref, "target_url", "") or ""
        meta = dict(ref.metadata.get("cutwise") or {}) if ref is not None else {}
        path_text = path_from_url(url) if url else (clip.name or "missing media")
        path = Path(path_text)
        key = path.resolve() if path.is_absolute() else path
        asset = self.known.get(key)
        if asset is None and meta.get("asset_id") in self.by_id and not url:
            asset = self.by_id[meta["asset_id"]]
        if asset is None:
            asset = self._make(path, ref, meta, clip, default_rate)
            self.known[key] = asset
            self.new.append(asset)
        if asset.id not in self.clocks:
            self.clocks.update(media_clocks([asset]))
        return asset

    def _make(self, path: Path, ref, meta: dict, clip, default_rate: FrameRate) -> MediaAsset:
        if self.probe_media and path.is_file():
            from editor.media.assets import asset_from_info
            from editor.media.probe import probe

            try:
                return asset_from_info(probe(path))
            except CutwiseError as exc:
                self.warnings.append(f"{path.name}: {exc.message} (kept as offline media)")
        available = getattr(ref, "available_range", None) if ref is not None else None
        if meta.get("frame_rate"):
            rate = FrameRate.of(str(meta["frame_rate"]))
        elif available is not None:
            rate = FrameRate.of(float(available.duration.rate))
        else:
            rate = FrameRate.of(float(clip.source_range.start_time.rate)) if clip.source_range else default_rate
        if available is not None:
            frames = round(available.end_time_exclusive().value_rescaled_to(float(rate)))
        else:
            frames = round(clip.source_range.end_time_exclusive().value_rescaled_to(float(rate)))
        if not path.is_file():
            self.warnings.append(f"{path.name} is offline (not found at {path}).")
        kwargs = {"id": meta["asset_id"]} if meta.get("asset_id") and meta["asset_id"] not in self.by_id else {}
        return MediaAsset(path=str(path), frame_rate=rate, frame_count=max(frames, 1),
                          width=int(meta.get("width", 0)), height=int(meta.get("height", 0)),
                          has_audio=bool(meta.get("has_audio", False)),
                          variable_frame_rate=bool(meta.get("variable_frame_rate", False)),
                          name=getattr(ref, "name", "") or path.name, **kwargs)


def from_otio(otl, project: Project | None = None, *, rate: FrameRate | None = None,
              probe_media: bool = True) -> ImportedTimeline:
    """A Cutwise timeline from an OTIO timeline; media already in ``project`` is reused."""
    import opentimelineio as otio

    tl_rate = _timeline_rate(otl, rate)
    fps = float(tl_rate)
    meta = otl.metadata.get("cutwise") or {}
    resolver = _AssetResolver(project, probe_media)
    timeline = Timeline(name=otl.name or "Imported", frame_rate=tl_rate,
                        width=int(meta.get("width", 1920)), height=int(meta.get("height", 1080)))
    markers: dict[tuple[int, str], Marker] = {}

    def frames(time) -> int:
        return round(time.value_rescaled_to(fps))

    def add_marker(m, frame: int) -> None:
        cw = m.metadata.get("cutwise") or {}
        color = cw.get("color") or MARKER_COLORS.get(str(m.color).upper(), "#f5c518")
        key = (frame, m.name.casefold())
        if frame >= 0 and key not in markers:
            markers[key] = Marker(frame=frame, name=m.name, color=color, note=str(cw.get("note", "")),
                                  duration=frames(m.marked_range.duration))

    for m in otl.tracks.markers:
        add_marker(m, frames(m.marked_range.start_time))
    counts = {VIDEO: 0, AUDIO: 0}
    for otrack in otl.tracks:
        if not isinstance(otrack, otio.schema.Track):
            resolver.warnings.append(f"Skipped a nested stack '{otrack.name}' (not a track).")
            continue
        kind = AUDIO if otrack.kind == otio.schema.TrackKind.Audio else VIDEO
        counts[kind] += 1
        track = Track(kind=kind, name=otrack.name or f"{'A' if kind == AUDIO else 'V'}{counts[kind]}")
        for m in otrack.markers:
            add_marker(m, frames(m.marked_range.start_time))
        for index, item in enumerate(otrack):
            if isinstance(item, otio.schema.Gap):
                continue
            if not isinstance(item, otio.schema.Clip):
                resolver.warnings.append(f"Skipped {type(item).__name__} '{item.name}' on {track.name}.")
                continue
            placed = otrack.range_of_child_at_index(index)
            asset = resolver.asset_for(item, tl_rate)
            clock = resolver.clocks[asset.id]
            source = item.trimmed_range()
            start, duration = frames(placed.start_time), frames(placed.duration)
            if duration <= 0:
                continue
            clip_meta = item.metadata.get("cutwise") or {}
            clip = Clip(asset_id=asset.id, start=start, duration=duration,
                        source_in=max(0, clock.to_frame(source.start_time)), name=item.name or "")
            if clip_meta.get("clip_id"):
                clip.id = str(clip_meta["clip_id"])
            track.place(clip)
            for m in item.markers:  # clip markers are in the clip's source time
                offset = m.marked_range.start_time - source.start_time
                add_marker(m, start + frames(offset))
        timeline.tracks.append(track)
    timeline.markers = sorted(markers.values(), key=lambda m: (m.frame, m.name))
    return ImportedTimeline(timeline, resolver.new, resolver.warnings)


def project_from(imported: ImportedTimeline, name: str = "") -> Project:
    """A new project holding an imported timeline and its media."""
    project = Project(name=name or imported.timeline.name, assets=list(imported.new_assets),
                      timelines=[imported.timeline])
    return project
