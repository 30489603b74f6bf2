"""Undoable edits: the one place where a project changes.

A :class:`Command` knows which parts of the project it touches (its scopes), applies
its change once, and keeps plain-data snapshots of those parts from before and after.
Undo restores the before snapshot and redo the after one, so both give back exactly the
prior state, and an edit that fails half-way leaves the project as it was. The UI
mirrors :class:`UndoStack` in a QUndoStack; the CLI and tests use it directly.
"""

from __future__ import annotations

from typing import Callable, Iterable

from editor.core.model import (
    ACCEPTED, AUDIO, LANE_SHOTS, SUGGESTION_STATES, VIDEO, Clip, Events, MediaAsset, Marker, ModelError,
    Project, Suggestion, Timeline, Track,
)

Scope = str | tuple[str, str]  # "assets", "suggestions", "timelines" or ("timeline", id)


def _snapshot(project: Project, scope: Scope):
    if scope == "assets":
        return [a.to_dict() for a in project.assets]
    if scope == "suggestions":
        return [s.to_dict() for s in project.suggestions]
    if scope == "timelines":
        return [t.to_dict() for t in project.timelines]
    return project.get_timeline(scope[1]).to_dict()


def _restore(project: Project, scope: Scope, snap) -> None:
    if scope == "assets":
        project.assets[:] = [MediaAsset.from_dict(a) for a in snap]
    elif scope == "suggestions":
        project.suggestions[:] = [Suggestion.from_dict(s) for s in snap]
    elif scope == "timelines":
        project.timelines[:] = [Timeline.from_dict(t) for t in snap]
    else:
        for i, timeline in enumerate(project.timelines):
            if timeline.id == scope[1]:
                project.timelines[i] = Timeline.from_dict(snap)


class Command:
    """An edit with a description; ``apply`` runs once, later redos replay snapshots."""

    def __init__(self, text: str, scopes: Iterable[Scope], apply: Callable[[Project], None]):
        self.text = text
        scopes = list(dict.fromkeys(scopes))
        if "timelines" in scopes:  # covers every single timeline, even one made by this edit
            scopes = [s for s in scopes if not isinstance(s, tuple)]
        self.scopes = scopes
        self._apply = apply
        self._before: list | None = None
        self._after: list | None = None

    def redo(self, project: Project) -> None:
        if self._after is not None:
            self._put(project, self._after)
            return
        self._before = [_snapshot(project, s) for s in self.scopes]
        try:
            self._apply(project)
        except BaseException:
            self._put(project, self._before)
            raise
        self._after = [_snapshot(project, s) for s in self.scopes]
        self._emit(project)

    def undo(self, project: Project) -> None:
        self._put(project, self._before)

    def _put(self, project: Project, snaps: list) -> None:
        for scope, snap in zip(self.scopes, snaps):
            _restore(project, scope, snap)
        self._emit(project)

    def _emit(self, project: Project) -> None:
        for scope in self.scopes:
            project.events.emit(scope)


class UndoStack:
    """Linear history of commands with a clean (saved) mark."""

    def __init__(self, project: Project, limit: int = 1000):
        self.project = project
        self.limit = limit
        self._done: list[Command] = []
        self._undone: list[Command] = []
        self._clean_depth: int | None = 0
        self.changed = Events()

    def push(self, command: Command) -> None:
        """Apply ``command`` and record it; a failing command changes nothing."""
        command.redo(self.project)
        self._done.append(command)
        self._undone.clear()
        if self._clean_depth is not None and self._clean_depth > len(self._done) - 1:
            self._clean_depth = None  # the saved state was in the discarded redo tail
        if len(self._done) > self.limit:
            self._done.pop(0)
            if self._clean_depth is not None:
                self._clean_depth = self._clean_depth - 1 if self._clean_depth > 0 else None
        self.changed.emit(self)

    def undo(self) -> None:
        if self._done:
            command = self._done.pop()
            command.undo(self.project)
            self._undone.append(command)
            self.changed.emit(self)

    def redo(self) -> None:
        if self._undone:
            command = self._undone.pop()
            command.redo(self.project)
            self._done.append(command)
            self.changed.emit(self)

    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)

    @property
    def undo_text(self) -> str:
        return self._done[-1].text if self._done else ""

    @property
    def redo_text(self) -> str:
        return self._undone[-1].text if self._undone else ""

    def set_clean(self) -> None:
        """Mark the current state as saved."""
        self._clean_depth = len(self._done)
        self.changed.emit(self)

    @property
    def is_clean(self) -> bool:
        return self._clean_depth == len(self._done)


def _timeline_scope(timeline_id: str) -> tuple[str, str]:
    return ("timeline", timeline_id)


def _unlocked(track: Track) -> Track:
    if track.locked:
        raise ModelError(f"Track {track.name or track.id} is locked.")
    return track


def _check_source_range(project: Project, timeline: Timeline, clip: Clip) -> None:
    """A clip may not reach before the first or past the last frame of its media."""
    asset = project.asset(clip.asset_id)
    if clip.source_in < 0 or clip.duration <= 0:
        raise ModelError(f"'{clip.name or clip.id}' has an empty or negative range.")
    end_time = asset.frame_rate.seconds(clip.source_in) + timeline.frame_rate.seconds(clip.duration)
    if asset.frame_rate.frame_at(end_time) > asset.frame_count:
        raise ModelError(f"'{clip.name or clip.id}' runs past the end of {asset.name or asset.path}.")


def source_frame(project: Project, timeline: Timeline, clip: Clip, frame: int) -> int:
    """The source frame of ``clip``'s media shown at timeline ``frame``."""
    asset = project.asset(clip.asset_id)
    offset = timeline.frame_rate.seconds(frame - clip.start)
    return asset.frame_rate.frame_at(asset.frame_rate.seconds(clip.source_in) + offset)


def _first_showing(asset: MediaAsset, timeline: Timeline, clip: Clip, source: int) -> int:
    """The first timeline frame of ``clip`` that shows frame ``source`` of its media
    (``source`` at or after the clip's ``source_in``; may lie past the clip's end)."""
    offset = asset.frame_rate.seconds(source) - asset.frame_rate.seconds(clip.source_in)
    return clip.start - timeline.frame_rate.frame_at(-offset)  # rounds up


def timeline_frames(project: Project, timeline: Timeline, asset_id: str, source: int) -> list[int]:
    """The timeline frames that first show ``source`` of an asset (one per clip holding it)."""
    asset = project.asset(asset_id)
    found = set()
    for track in timeline.tracks:
        for clip in track.clips:
            if clip.asset_id != asset_id or source < clip.source_in:
                continue
            frame = _first_showing(asset, timeline, clip, source)
            if frame < clip.end:
                found.add(frame)
    return sorted(found)


# --- assets -----------------------------------------------------------------------------

def add_asset(asset: MediaAsset) -> Command:
    def apply(p: Project):
        if any(a.id == asset.id for a in p.assets):
            raise ModelError(f"Media {asset.id} is already in the project.")
        p.assets.append(MediaAsset.from_dict(asset.to_dict()))
    return Command(f"Import {asset.name or asset.path}", ["assets"], apply)


def remove_asset(asset_id: str) -> Command:
    """Remove media with every clip and suggestion that uses it."""
    def apply(p: Project):
        p.asset(asset_id)
        p.assets[:] = [a for a in p.assets if a.id != asset_id]
        p.suggestions[:] = [s for s in p.suggestions if s.asset_id != asset_id]
        for timeline in p.timelines:
            for track in timeline.tracks:
                track.clips = [c for c in track.clips if c.asset_id != asset_id]
    return Command("Remove media", ["assets", "suggestions", "timelines"], apply)


# --- timelines and tracks ---------------------------------------------------------------

def add_timeline(timeline: Timeline) -> Command:
    def apply(p: Project):
        p.timelines.append(Timeline.from_dict(timeline.to_dict()))
    return Command(f"New sequence {timeline.name}", ["timelines"], apply)


def add_track(timeline_id: str, kind: str, name: str = "", index: int | None = None) -> Command:
    def apply(p: Project):
        timeline = p.get_timeline(timeline_id)
        same = [t for t in timeline.tracks if t.kind == kind]
        track = Track(kind=kind, name=name or f"{'A' if kind == AUDIO else 'V'}{len(same) + 1}")
        timeline.tracks.insert(len(timeline.tracks) if index is None else index, track)
    return Command(f"Add {kind} track", [_timeline_scope(timeline_id)], apply)


def remove_track(timeline_id: str, track_id: str) -> Command:
    def apply(p: Project):
        timeline = p.get_timeline(timeline_id)
        timeline.tracks.remove(_unlocked(timeline.track(track_id)))
    return Command("Remove track", [_timeline_scope(timeline_id)], apply)


# --- clips ------------------------------------------------------------------------------

def insert_clip(timeline_id: str, track_id: str, clip: Clip) -> Command:
    """Place ``clip`` on a track; refused if it overlaps or exceeds its media."""
    def apply(p: Project):
        timeline = p.get_timeline(timeline_id)
        new = Clip.from_dict(clip.to_dict())
        _check_source_range(p, timeline, new)
        _unlocked(timeline.track(track_id)).place(new)
    return Command(f"Add clip {clip.name}".rstrip(), [_timeline_scope(timeline_id)], apply)


def remove_clips(timeline_id: str, clip_ids: Iterable[str], ripple: bool = False) -> Command:
    """Delete clips; with ``ripple`` the later clips on each track close the gaps."""
    clip_ids = list(clip_ids)

    def apply(p: Project):
        timeline = p.get_timeline(timeline_id)
        for clip_id in clip_ids:
            track, clip = timeline.find_clip(clip_id)
            _unlocked(track).clips.remove(clip)
            if ripple:
                for later in track.clips:
                    if later.start >= clip.end:
                        later.start -= clip.duration
    text = ("Ripple delete" if ripple else "Delete") + (" clips" if len(clip_ids) > 1 else " clip")
    return Command(text, [_timeline_scope(timeline_id)], apply)


def move_clip(timeline_id: str, clip_id: str, start: int, track_id: str | None = None) -> Command:
    def apply(p: Project):
        timeline = p.get_timeline(timeline_id)
        track, clip = timeline.find_clip(clip_id)
        target = timeline.track(track_id) if track_id else track
        if target.kind != track.kind:
            raise ModelError(f"A {track.kind} clip cannot go on a {target.kind} track.")
        if start < 0:
            raise ModelError("A clip cannot start before the beginning of the timeline.")
        _unlocked(track).clips.remove(clip)
        clip.start = start
        _unlocked(target).place(clip)
    return Command("Move clip", [_timeline_scope(timeline_id)], apply)


def trim_clip(timeline_id: str, clip_id: str, edge: str, frame: int) -> Command:
    """Move a clip's ``"in"`` or ``"out"`` edge to timeline ``frame``."""
    if edge not in ("in", "out"):
        raise ModelError(f"Unknown clip edge '{edge}'.")

    def apply(p: Project):
        timeline = p.get_timeline(timeline_id)
        track, clip = timeline.find_clip(clip_id)
        _unlocked(track)
        if edge == "in":
            new_in = source_frame(p, timeline, clip, frame)
            clip.duration = clip.end - frame
            clip.start, clip.source_in = frame, new_in
        else:
            clip.duration = frame - clip.start
        if clip.start < 0:
            raise ModelError("A clip cannot start before the beginning of the timeline.")
        _check_source_range(p, timeline, clip)
        track.place(clip)
    return Command("Trim clip", [_timeline_scope(timeline_id)], apply)


def split_clip(timeline_id: str, clip_id: str, frame: int) -> Command:
    """Cut a clip in two at timeline ``frame`` (the first frame of the right part)."""
    def apply(p: Project):
        timeline = p.get_timeline(timeline_id)
        track, clip = timeline.find_clip(clip_id)
        _unlocked(track)
        if not clip.start < frame < clip.end:
            raise ModelError("The split point must lie inside the clip.")
        right = Clip(asset_id=clip.asset_id, start=frame, duration=clip.end - frame,
                     source_in=source_frame(p, timeline, clip, frame), name=clip.name)
        clip.duration = frame - clip.start
        track.place(right)
    return Command("Split clip", [_timeline_scope(timeline_id)], apply)


def split_all_at(timeline_id: str, frames: Iterable[int], track_id: str | None = None) -> Command:
    """Split every clip (on one track or all) at each of ``frames``: one undo step."""
    frames = sorted(set(frames))

    def apply(p: Project):
        timeline = p.get_timeline(timeline_id)
        tracks = [timeline.track(track_id)] if track_id else timeline.tracks
        for track in tracks:
            for frame in frames:
                clip = track.clip_at(frame)
                if clip is not None and clip.start < frame:
                    split_clip(timeline_id, clip.id, frame)._apply(p)
    return Command("Split at cuts", [_timeline_scope(timeline_id)], apply)


def split_at_accepted_shots(timeline_id: str, asset_id: str) -> Command:
    """Split the clips of one asset where its accepted shot boundaries fall: one undo step.

    A cut splits at its first frame; a gradual transition at its middle frame.
    """
    def apply(p: Project):
        timeline = p.get_timeline(timeline_id)
        sources = {s.start if s.kind == "cut" else (s.start + s.end + 1) // 2
                   for s in p.suggestions_in(LANE_SHOTS, asset_id) if s.status == ACCEPTED}
        for source in sorted(sources):
            for frame in timeline_frames(p, timeline, asset_id, source):
                for track in timeline.tracks:
                    clip = track.clip_at(frame)
                    if clip is not None and clip.asset_id == asset_id and clip.start < frame \
                            and not track.locked:
                        split_clip(timeline_id, clip.id, frame)._apply(p)
    return Command("Split clips at accepted cuts", [_timeline_scope(timeline_id)], apply)


# --- markers ----------------------------------------------------------------------------

def add_marker(timeline_id: str, marker: Marker) -> Command:
    def apply(p: Project):
        if marker.frame < 0:
            raise ModelError("A marker cannot sit before the beginning of the timeline.")
        timeline = p.get_timeline(timeline_id)
        timeline.markers.append(Marker.from_dict(marker.to_dict()))
        timeline.markers.sort(key=lambda m: m.frame)
    return Command("Add marker", [_timeline_scope(timeline_id)], apply)


def remove_marker(timeline_id: str, marker_id: str) -> Command:
    def apply(p: Project):
        timeline = p.get_timeline(timeline_id)
        timeline.markers.remove(timeline.marker(marker_id))
    return Command("Remove marker", [_timeline_scope(timeline_id)], apply)


def edit_marker(timeline_id: str, marker_id: str, **changes) -> Command:
    """Change a marker's ``frame``, ``name``, ``color``, ``note`` or ``duration``."""
    unknown = set(changes) - {"frame", "name", "color", "note", "duration"}
    if unknown:
        raise ModelError(f"Markers have no {', '.join(sorted(unknown))}.")

    def apply(p: Project):
        timeline = p.get_timeline(timeline_id)
        marker = timeline.marker(marker_id)
        for key, value in changes.items():
            setattr(marker, key, value)
        if marker.frame < 0:
            raise ModelError("A marker cannot sit before the beginning of the timeline.")
        timeline.markers.sort(key=lambda m: m.frame)
    return Command("Edit marker", [_timeline_scope(timeline_id)], apply)


# --- suggestions ------------------------------------------------------------------------

def replace_suggestions(lane: str, asset_id: str, suggestions: Iterable[Suggestion]) -> Command:
    """Put an engine's fresh results in a lane, dropping its earlier pending ones.

    Accepted and rejected suggestions of that lane stay: the user's decisions are kept.
    """
    suggestions = [Suggestion.from_dict(s.to_dict()) for s in suggestions]

    def apply(p: Project):
        p.asset(asset_id)
        p.suggestions[:] = [s for s in p.suggestions
                            if not (s.lane == lane and s.asset_id == asset_id and s.status == "pending")]
        p.suggestions.extend(suggestions)
    return Command(f"New {lane} suggestions", ["suggestions"], apply)


def set_suggestion_status(suggestion_ids: Iterable[str], status: str) -> Command:
    """Accept, reject or reset several suggestions in one step."""
    if status not in SUGGESTION_STATES:
        raise ModelError(f"Unknown suggestion status '{status}'.")
    wanted = set(suggestion_ids)

    def apply(p: Project):
        found = {s.id for s in p.suggestions if s.id in wanted}
        if found != wanted:
            raise ModelError(f"No suggestion {sorted(wanted - found)[0]} in the project.")
        for s in p.suggestions:
            if s.id in wanted:
                s.status = status
    verb = {ACCEPTED: "Accept", "rejected": "Reject"}.get(status, "Reset")
    return Command(f"{verb} suggestions", ["suggestions"], apply)


def compound(text: str, commands: list[Command]) -> Command:
    """Several edits as one undo step (e.g. accept cuts and split clips at them)."""
    def apply(p: Project):
        for command in commands:
            command._apply(p)
    return Command(text, [s for c in commands for s in c.scopes], apply)


def overlay_asset(timeline_id: str, asset_id: str, first: int, overlay: MediaAsset,
                  track_name: str) -> Command:
    """Lay ``overlay`` (its frame 0 is frame ``first`` of ``asset_id``, e.g. a matte of a
    shot) over every clip of that asset that shows those frames, in sync, on the video
    track named ``track_name`` above the others (made when missing): one undo step.
    The overlay media joins the project; older overlays in the way are replaced."""
    def apply(p: Project):
        if not any(a.id == overlay.id for a in p.assets):
            p.assets.append(MediaAsset.from_dict(overlay.to_dict()))
        timeline = p.get_timeline(timeline_id)
        source = p.asset(asset_id)
        last = first + overlay.frame_count - 1
        placed = []
        for track in timeline.tracks:
            for clip in track.clips:
                if track.kind != VIDEO or clip.asset_id != asset_id:
                    continue
                clip_last = source_frame(p, timeline, clip, clip.end - 1)
                lo, hi = max(first, clip.source_in), min(last, clip_last)
                if lo > hi:
                    continue
                start = _first_showing(source, timeline, clip, lo)
                end = min(clip.end, _first_showing(source, timeline, clip, hi + 1))
                placed.append(Clip(asset_id=overlay.id, start=start, duration=end - start,
                                   source_in=lo - first, name=overlay.name))
        if not placed:
            raise ModelError(f"No clip of {source.name or source.path} on the timeline shows "
                             f"frames {first}-{last}.")
        track = next((t for t in timeline.tracks if t.kind == VIDEO and t.name == track_name),
                     None)
        if track is None:
            above = max((i for i, t in enumerate(timeline.tracks) if t.kind == VIDEO),
                        default=-1) + 1
            track = Track(kind=VIDEO, name=track_name)
            timeline.tracks.insert(above, track)
        _unlocked(track)
        for clip in placed:
            track.clips = [c for c in track.clips if c.end <= clip.start or c.start >= clip.end]
            _check_source_range(p, timeline, clip)
            track.place(clip)
    return Command(f"Overlay {overlay.name or 'media'}", ["assets", _timeline_scope(timeline_id)],
                   apply)
