"""The project model: media assets, timelines with tracks, clips and markers, and the
suggestion lanes that the AI engines fill.

Plain dataclasses with no Qt. Time on a timeline is an integer frame count at the
timeline's :class:`FrameRate`; a clip's ``source_in`` counts frames of its asset in decode
order. Every object serialises to plain JSON data (``to_dict``/``from_dict``), which is
also how undo snapshots are taken. Change notifications go through :attr:`Project.events`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields
from fractions import Fraction
from typing import Any, Callable

from editor.core.errors import CutwiseError
from editor.core.timecode import FrameRate

VIDEO, AUDIO = "video", "audio"
TRACK_KINDS = (VIDEO, AUDIO)

# Built-in suggestion lanes; plugins may add their own lane names.
LANE_SHOTS, LANE_HIGHLIGHTS, LANE_REFRAME, LANE_MATTING = "shots", "highlights", "reframe", "matting"
PENDING, ACCEPTED, REJECTED = "pending", "accepted", "rejected"
SUGGESTION_STATES = (PENDING, ACCEPTED, REJECTED)


class ModelError(CutwiseError):
    """An edit that would break the model's rules (overlapping clips, unknown ids...)."""


def new_id() -> str:
    return uuid.uuid4().hex[:12]


def _require(data: dict, key: str, kind: type | tuple, where: str):
    if key not in data:
        raise ModelError(f"{where} is missing '{key}'.")
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ModelError(f"{where}: '{key}' has the wrong type ({type(value).__name__}).")
    return value


class _Record:
    """Dataclass mixin: to/from plain JSON data, with validation on the way in."""

    def to_dict(self) -> dict[str, Any]:
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, (FrameRate, Fraction)):
                value = str(value)
            elif isinstance(value, list):
                value = [v.to_dict() if isinstance(v, _Record) else v for v in value]
            elif isinstance(value, dict):
                value = dict(value)
            out[f.name] = value
        return out


@dataclass
class MediaAsset(_Record):
    """A source file in the project's media bin, with the facts the timeline needs."""

    path: str
    frame_rate: FrameRate
    frame_count: int
    width: int
    height: int
    has_audio: bool = False
    variable_frame_rate: bool = False
    name: str = ""
    fingerprint: str = ""
    id: str = field(default_factory=new_id)

    @property
    def duration(self) -> Fraction:
        return self.frame_rate.seconds(self.frame_count)

    @classmethod
    def from_dict(cls, d: dict) -> "MediaAsset":
        where = "A media asset"
        return cls(
            path=_require(d, "path", str, where),
            frame_rate=FrameRate.of(_require(d, "frame_rate", str, where)),
            frame_count=_require(d, "frame_count", int, where),
            width=_require(d, "width", int, where),
            height=_require(d, "height", int, where),
            has_audio=bool(d.get("has_audio", False)),
            variable_frame_rate=bool(d.get("variable_frame_rate", False)),
            name=str(d.get("name", "")),
            fingerprint=str(d.get("fingerprint", "")),
            id=_require(d, "id", str, where),
        )


@dataclass
class Clip(_Record):
    """A piece of an asset placed on a track: ``duration`` frames from ``start``."""

    asset_id: str
    start: int
    duration: int
    source_in: int = 0
    name: str = ""
    id: str = field(default_factory=new_id)

    @property
    def end(self) -> int:
        """First timeline frame after the clip."""
        return self.start + self.duration

    @classmethod
    def from_dict(cls, d: dict) -> "Clip":
        where = "A clip"
        clip = cls(
            asset_id=_require(d, "asset_id", str, where),
            start=_require(d, "start", int, where),
            duration=_require(d, "duration", int, where),
            source_in=_require(d, "source_in", int, where),
            name=str(d.get("name", "")),
            id=_require(d, "id", str, where),
        )
        if clip.duration <= 0 or clip.start < 0 or clip.source_in < 0:
            raise ModelError(f"Clip {clip.id} has a negative or empty range.")
        return clip


@dataclass
class Track(_Record):
    """A video or audio track: clips sorted by start, never overlapping."""

    kind: str = VIDEO
    name: str = ""
    clips: list[Clip] = field(default_factory=list)
    muted: bool = False
    locked: bool = False
    id: str = field(default_factory=new_id)

    def clip_at(self, frame: int) -> Clip | None:
        for clip in self.clips:
            if clip.start <= frame < clip.end:
                return clip
        return None

    def place(self, clip: Clip) -> None:
        """Insert ``clip`` in start order; refuse it if it overlaps another clip."""
        for other in self.clips:
            if other.id != clip.id and clip.start < other.end and other.start < clip.end:
                raise ModelError(
                    f"'{clip.name or clip.id}' would overlap '{other.name or other.id}' "
                    f"on track {self.name or self.id}.")
        self.clips = [c for c in self.clips if c.id != clip.id]
        self.clips.append(clip)
        self.clips.sort(key=lambda c: c.start)

    @property
    def end(self) -> int:
        return max((c.end for c in self.clips), default=0)

    @classmethod
    def from_dict(cls, d: dict) -> "Track":
        where = "A track"
        kind = _require(d, "kind", str, where)
        if kind not in TRACK_KINDS:
            raise ModelError(f"Unknown track kind '{kind}'.")
        track = cls(kind=kind, name=str(d.get("name", "")), muted=bool(d.get("muted", False)),
                    locked=bool(d.get("locked", False)), id=_require(d, "id", str, where))
        for clip_data in _require(d, "clips", list, where):
            track.place(Clip.from_dict(clip_data))
        return track


@dataclass
class Marker(_Record):
    """A named point (or range when ``duration`` > 0) on a timeline."""

    frame: int
    name: str = ""
    color: str = "#f5c518"
    note: str = ""
    duration: int = 0
    id: str = field(default_factory=new_id)

    @classmethod
    def from_dict(cls, d: dict) -> "Marker":
        where = "A marker"
        return cls(frame=_require(d, "frame", int, where), name=str(d.get("name", "")),
                   color=str(d.get("color", "#f5c518")), note=str(d.get("note", "")),
                   duration=int(d.get("duration", 0)), id=_require(d, "id", str, where))


@dataclass
class Timeline(_Record):
    """A sequence: tracks (video above audio in display order) and markers."""

    name: str = "Sequence 1"
    frame_rate: FrameRate = field(default_factory=lambda: FrameRate(25))
    width: int = 1920
    height: int = 1080
    tracks: list[Track] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    id: str = field(default_factory=new_id)

    @property
    def duration(self) -> int:
        return max((t.end for t in self.tracks), default=0)

    def track(self, track_id: str) -> Track:
        for track in self.tracks:
            if track.id == track_id:
                return track
        raise ModelError(f"No track {track_id} in {self.name}.")

    def find_clip(self, clip_id: str) -> tuple[Track, Clip]:
        for track in self.tracks:
            for clip in track.clips:
                if clip.id == clip_id:
                    return track, clip
        raise ModelError(f"No clip {clip_id} in {self.name}.")

    def marker(self, marker_id: str) -> Marker:
        for marker in self.markers:
            if marker.id == marker_id:
                return marker
        raise ModelError(f"No marker {marker_id} in {self.name}.")

    @classmethod
    def from_dict(cls, d: dict) -> "Timeline":
        where = "A timeline"
        return cls(
            name=str(d.get("name", "")),
            frame_rate=FrameRate.of(_require(d, "frame_rate", str, where)),
            width=_require(d, "width", int, where),
            height=_require(d, "height", int, where),
            tracks=[Track.from_dict(t) for t in _require(d, "tracks", list, where)],
            markers=[Marker.from_dict(m) for m in _require(d, "markers", list, where)],
            id=_require(d, "id", str, where),
        )


@dataclass
class Suggestion(_Record):
    """One result of an engine, waiting for the user to accept or reject it.

    ``start``/``end`` are source frames of ``asset_id`` (inclusive); ``kind`` says what
    it is within its lane (``cut``, ``dissolve``, ``highlight``, ``crop``, ``mask``...);
    ``data`` holds lane-specific plain values (crop keyframes, a matte file, reasons).
    """

    lane: str
    asset_id: str
    start: int
    end: int
    kind: str = ""
    confidence: float = 1.0
    status: str = PENDING
    label: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=new_id)

    @classmethod
    def from_dict(cls, d: dict) -> "Suggestion":
        where = "A suggestion"
        status = str(d.get("status", PENDING))
        if status not in SUGGESTION_STATES:
            raise ModelError(f"Unknown suggestion status '{status}'.")
        data = d.get("data", {})
        if not isinstance(data, dict):
            raise ModelError(f"{where}: 'data' must be an object.")
        return cls(lane=_require(d, "lane", str, where), asset_id=_require(d, "asset_id", str, where),
                   start=_require(d, "start", int, where), end=_require(d, "end", int, where),
                   kind=str(d.get("kind", "")), confidence=float(d.get("confidence", 1.0)),
                   status=status, label=str(d.get("label", "")), data=data,
                   id=_require(d, "id", str, where))


class Events:
    """A tiny observer: ``connect(callback)``; ``emit(scope)`` calls each with the scope.

    The scope says what changed: ``"assets"``, ``"suggestions"``, ``"timelines"`` or
    ``("timeline", id)``. Callbacks run on the thread that made the change.
    """

    def __init__(self):
        self._callbacks: list[Callable[[Any], None]] = []

    def connect(self, callback: Callable[[Any], None]) -> None:
        self._callbacks.append(callback)

    def disconnect(self, callback: Callable[[Any], None]) -> None:
        self._callbacks.remove(callback)

    def emit(self, scope) -> None:
        for callback in list(self._callbacks):
            callback(scope)


@dataclass(eq=False)
class Project:
    """Everything a user saves: assets, timelines, suggestions and settings."""

    name: str = "Untitled"
    assets: list[MediaAsset] = field(default_factory=list)
    timelines: list[Timeline] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    events: Events = field(default_factory=Events, repr=False)

    def __post_init__(self):
        if not self.timelines:
            self.timelines.append(default_timeline())

    @property
    def timeline(self) -> Timeline:
        """The first (main) timeline."""
        return self.timelines[0]

    def get_timeline(self, timeline_id: str) -> Timeline:
        for timeline in self.timelines:
            if timeline.id == timeline_id:
                return timeline
        raise ModelError(f"No timeline {timeline_id}.")

    def asset(self, asset_id: str) -> MediaAsset:
        for asset in self.assets:
            if asset.id == asset_id:
                return asset
        raise ModelError(f"No media {asset_id} in the project.")

    def suggestions_in(self, lane: str, asset_id: str | None = None) -> list[Suggestion]:
        return [s for s in self.suggestions
                if s.lane == lane and (asset_id is None or s.asset_id == asset_id)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "assets": [a.to_dict() for a in self.assets],
            "timelines": [t.to_dict() for t in self.timelines],
            "suggestions": [s.to_dict() for s in self.suggestions],
            "settings": dict(self.settings),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Project":
        where = "The project"
        settings = d.get("settings", {})
        if not isinstance(settings, dict):
            raise ModelError(f"{where}: 'settings' must be an object.")
        project = cls(
            name=str(d.get("name", "Untitled")),
            assets=[MediaAsset.from_dict(a) for a in _require(d, "assets", list, where)],
            timelines=[Timeline.from_dict(t) for t in _require(d, "timelines", list, where)],
            suggestions=[Suggestion.from_dict(s) for s in _require(d, "suggestions", list, where)],
            settings=settings,
        )
        known = {a.id for a in project.assets}
        for timeline in project.timelines:
            for track in timeline.tracks:
                for clip in track.clips:
                    if clip.asset_id not in known:
                        raise ModelError(f"Clip {clip.id} refers to unknown media {clip.asset_id}.")
        return project


def default_timeline(frame_rate: FrameRate | None = None, width: int = 1920,
                     height: int = 1080, name: str = "Sequence 1") -> Timeline:
    """A timeline with one video and one audio track, as editors start with."""
    return Timeline(name=name, frame_rate=frame_rate or FrameRate(25), width=width, height=height,
                    tracks=[Track(kind=VIDEO, name="V1"), Track(kind=AUDIO, name="A1")])


def sequence_from_pieces(asset: MediaAsset, pieces, name: str) -> Timeline:
    """A new timeline at the asset's rate playing ``pieces`` (``(start, end)`` source
    frames, end exclusive) back to back on V1, and on A1 when the asset has audio."""
    timeline = default_timeline(asset.frame_rate, asset.width or 1920, asset.height or 1080, name)
    position = 0
    for number, (start, end) in enumerate(pieces, 1):
        if end <= start:
            raise ModelError(f"Piece {number} of the edit is empty ({start}-{end}).")
        for track in timeline.tracks:
            if track.kind == VIDEO or asset.has_audio:
                track.place(Clip(asset_id=asset.id, start=position, duration=end - start,
                                 source_in=start, name=f"{asset.name} {number}"))
        position += end - start
    return timeline
