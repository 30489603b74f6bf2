"""Editing through undoable commands: unit cases and a property-based state machine."""

import pytest
from hypothesis import settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from editor.core import commands as cmd
from editor.core.model import (
    ACCEPTED, LANE_SHOTS, Clip, MediaAsset, Marker, ModelError, Project, Suggestion,
)
from editor.core.project_file import from_json, to_json
from editor.core.timecode import FrameRate


def make_project(frame_count=500, rate=FrameRate(25)):
    project = Project(name="Test")
    stack = cmd.UndoStack(project)
    asset = MediaAsset(path="/media/a.mp4", frame_rate=rate, frame_count=frame_count,
                       width=640, height=360, name="a.mp4")
    stack.push(cmd.add_asset(asset))
    return project, stack, asset


def video_track(project):
    return project.timeline.tracks[0]


def test_insert_refuses_overlap_and_leaves_project_unchanged():
    project, stack, asset = make_project()
    tl, v1 = project.timeline, video_track(project)
    stack.push(cmd.insert_clip(tl.id, v1.id, Clip(asset.id, start=0, duration=100)))
    before = project.to_dict()
    with pytest.raises(ModelError, match="overlap"):
        stack.push(cmd.insert_clip(tl.id, v1.id, Clip(asset.id, start=50, duration=100)))
    assert project.to_dict() == before
    assert stack.undo_text == "Add clip"


def test_clip_cannot_run_past_its_media():
    project, stack, asset = make_project(frame_count=100)
    tl, v1 = project.timeline, video_track(project)
    with pytest.raises(ModelError, match="past the end"):
        stack.push(cmd.insert_clip(tl.id, v1.id, Clip(asset.id, start=0, duration=90, source_in=20)))
    stack.push(cmd.insert_clip(tl.id, v1.id, Clip(asset.id, start=0, duration=80, source_in=20)))
    assert video_track(project).end == 80


def test_overlay_follows_every_clip_of_its_source_in_sync():
    """A matte of source frames 10-39 lands over both clips that show parts of them;
    frames 30-34 are on no clip."""
    project, stack, asset = make_project(frame_count=60)
    tl, v1 = project.timeline, video_track(project)
    stack.push(cmd.insert_clip(tl.id, v1.id, Clip(asset.id, start=0, duration=30)))
    stack.push(cmd.insert_clip(tl.id, v1.id, Clip(asset.id, start=40, duration=25, source_in=35)))
    before = project.to_dict()
    matte = MediaAsset(path="/mattes/m.mov", frame_rate=FrameRate(25), frame_count=30,
                       width=640, height=360, name="matte")
    stack.push(cmd.overlay_asset(tl.id, asset.id, 10, matte, "Matte"))
    overlay = next(t for t in tl.tracks if t.name == "Matte")
    assert tl.tracks.index(overlay) == tl.tracks.index(v1) + 1
    assert [(c.start, c.duration, c.source_in) for c in overlay.clips] == [(10, 20, 0), (40, 5, 25)]
    assert project.asset(matte.id).path == "/mattes/m.mov"
    # a corrected matte replaces the old one on the same track
    newer = MediaAsset(path="/mattes/m2.mov", frame_rate=FrameRate(25), frame_count=30,
                       width=640, height=360, name="matte 2")
    stack.push(cmd.overlay_asset(tl.id, asset.id, 10, newer, "Matte"))
    assert {c.asset_id for c in overlay.clips} == {newer.id} and len(overlay.clips) == 2
    stack.undo()
    stack.undo()
    assert project.to_dict() == before
    with pytest.raises(ModelError, match="shows frames"):
        stack.push(cmd.overlay_asset(tl.id, asset.id, 30, MediaAsset(
            path="/m3.mov", frame_rate=FrameRate(25), frame_count=5, width=8, height=8), "Matte"))
    assert project.to_dict() == before


def test_split_trim_ripple_and_undo_restore_exact_state():
    project, stack, asset = make_project()
    tl = project.timeline
    v1 = video_track(project)
    clip = Clip(asset.id, start=10, duration=200, source_in=5)
    stack.push(cmd.insert_clip(tl.id, v1.id, clip))
    states = [project.to_dict()]
    stack.push(cmd.split_clip(tl.id, clip.id, 60))
    states.append(project.to_dict())
    left, right = video_track(project).clips
    assert (left.start, left.duration, left.source_in) == (10, 50, 5)
    assert (right.start, right.duration, right.source_in) == (60, 150, 55)
    stack.push(cmd.trim_clip(tl.id, right.id, "in", 70))
    right = video_track(project).clips[1]
    assert (right.start, right.duration, right.source_in) == (70, 140, 65)
    states.append(project.to_dict())
    stack.push(cmd.remove_clips(tl.id, [left.id], ripple=True))
    (only,) = video_track(project).clips
    assert only.start == 20  # moved left by the deleted clip's 50 frames
    for expected in reversed(states):
        stack.undo()
        assert project.to_dict() == expected
    for expected in states[1:]:
        stack.redo()
        assert project.to_dict() == expected


def test_split_maps_source_frames_across_rates():
    # A 50 fps source on a 25 fps timeline: one timeline frame is two source frames.
    project, stack, asset = make_project(frame_count=1000, rate=FrameRate(50))
    tl, v1 = project.timeline, video_track(project)
    clip = Clip(asset.id, start=0, duration=100, source_in=10)
    stack.push(cmd.insert_clip(tl.id, v1.id, clip))
    stack.push(cmd.split_clip(tl.id, clip.id, 30))
    assert video_track(project).clips[1].source_in == 70


def test_locked_track_refuses_edits():
    project, stack, asset = make_project()
    tl, v1 = project.timeline, video_track(project)
    v1.locked = True
    with pytest.raises(ModelError, match="locked"):
        stack.push(cmd.insert_clip(tl.id, v1.id, Clip(asset.id, start=0, duration=10)))


def test_clean_state_tracks_saves_and_undo():
    project, stack, asset = make_project()
    stack.set_clean()
    assert stack.is_clean
    stack.push(cmd.add_marker(project.timeline.id, Marker(frame=12, name="beat")))
    assert not stack.is_clean
    stack.undo()
    assert stack.is_clean
    stack.redo()
    stack.undo()
    stack.push(cmd.add_marker(project.timeline.id, Marker(frame=3)))
    stack.undo()
    assert stack.is_clean


def test_suggestions_keep_user_decisions_when_engine_reruns():
    project, stack, asset = make_project()
    first = [Suggestion(LANE_SHOTS, asset.id, f, f, kind="cut") for f in (40, 90, 150)]
    stack.push(cmd.replace_suggestions(LANE_SHOTS, asset.id, first))
    stack.push(cmd.set_suggestion_status([first[1].id], ACCEPTED))
    rerun = [Suggestion(LANE_SHOTS, asset.id, f, f, kind="cut") for f in (41, 150, 300)]
    stack.push(cmd.replace_suggestions(LANE_SHOTS, asset.id, rerun))
    lane = project.suggestions_in(LANE_SHOTS, asset.id)
    assert sorted((s.start, s.status) for s in lane) == [
        (41, "pending"), (90, "accepted"), (150, "pending"), (300, "pending")]
    with pytest.raises(ModelError):
        stack.push(cmd.set_suggestion_status(["nope"], ACCEPTED))


def test_split_at_accepted_cuts_is_one_undo_step():
    project, stack, asset = make_project()
    tl, v1 = project.timeline, video_track(project)
    stack.push(cmd.insert_clip(tl.id, v1.id, Clip(asset.id, start=0, duration=400)))
    before = project.to_dict()
    stack.push(cmd.split_all_at(tl.id, [100, 250, 399, 400, 0]))
    assert [(c.start, c.source_in) for c in video_track(project).clips] == [
        (0, 0), (100, 100), (250, 250), (399, 399)]
    stack.undo()
    assert project.to_dict() == before


def test_remove_asset_takes_its_clips_and_suggestions_and_undoes():
    project, stack, asset = make_project()
    tl, v1 = project.timeline, video_track(project)
    stack.push(cmd.insert_clip(tl.id, v1.id, Clip(asset.id, start=0, duration=10)))
    stack.push(cmd.replace_suggestions(LANE_SHOTS, asset.id, [Suggestion(LANE_SHOTS, asset.id, 5, 5)]))
    before = project.to_dict()
    stack.push(cmd.remove_asset(asset.id))
    assert not project.assets and not project.suggestions and not video_track(project).clips
    stack.undo()
    assert project.to_dict() == before


def test_events_name_the_changed_scope():
    project, stack, asset = make_project()
    seen = []
    project.events.connect(seen.append)
    stack.push(cmd.add_marker(project.timeline.id, Marker(frame=1)))
    stack.undo()
    assert seen == [("timeline", project.timeline.id)] * 2


class TimelineMachine(RuleBasedStateMachine):
    """Random edits; after each, the model's rules hold and undo/redo/save are exact."""

    @initialize()
    def setup(self):
        self.project, self.stack, self.asset = make_project(frame_count=2000, rate=FrameRate(30000, 1001))
        self.tl_id = self.project.timeline.id
        self.history = [self.project.to_dict()]

    def _try(self, command):
        try:
            self.stack.push(command)
        except ModelError:
            assert self.project.to_dict() == self.history[-1], "a refused edit changed the project"
        else:
            self.history.append(self.project.to_dict())

    def _clips(self):
        return [c for t in self.project.timeline.tracks for c in t.clips]

    @rule(track=st.integers(0, 1), start=st.integers(0, 600), duration=st.integers(1, 300),
          source_in=st.integers(0, 1900))
    def insert(self, track, start, duration, source_in):
        track_id = self.project.timeline.tracks[track].id
        self._try(cmd.insert_clip(self.tl_id, track_id,
                                  Clip(self.asset.id, start=start, duration=duration, source_in=source_in)))

    @precondition(lambda self: self._clips())
    @rule(data=st.data(), start=st.integers(0, 900))
    def move(self, data, start):
        clip = data.draw(st.sampled_from(self._clips()))
        self._try(cmd.move_clip(self.tl_id, clip.id, start))

    @precondition(lambda self: self._clips())
    @rule(data=st.data(), edge=st.sampled_from(["in", "out"]), delta=st.integers(-100, 100))
    def trim(self, data, edge, delta):
        clip = data.draw(st.sampled_from(self._clips()))
        self._try(cmd.trim_clip(self.tl_id, clip.id, edge, (clip.start if edge == "in" else clip.end) + delta))

    @precondition(lambda self: self._clips())
    @rule(data=st.data(), offset=st.integers(-5, 300))
    def split(self, data, offset):
        clip = data.draw(st.sampled_from(self._clips()))
        self._try(cmd.split_clip(self.tl_id, clip.id, clip.start + offset))

    @precondition(lambda self: self._clips())
    @rule(data=st.data(), ripple=st.booleans())
    def delete(self, data, ripple):
        clip = data.draw(st.sampled_from(self._clips()))
        self._try(cmd.remove_clips(self.tl_id, [clip.id], ripple=ripple))

    @precondition(lambda self: self.stack.can_undo and len(self.history) > 1)
    @rule()
    def undo_then_redo(self):
        current = self.project.to_dict()
        self.stack.undo()
        assert self.project.to_dict() == self.history[-2]
        self.stack.redo()
        assert self.project.to_dict() == current

    @invariant()
    def clips_never_overlap_and_stay_inside_media(self):
        for track in self.project.timeline.tracks:
            clips = track.clips
            assert clips == sorted(clips, key=lambda c: c.start)
            for a, b in zip(clips, clips[1:]):
                assert a.end <= b.start
            for c in clips:
                assert c.start >= 0 and c.duration > 0 and c.source_in >= 0

    @invariant()
    def save_load_round_trips(self):
        again = from_json(to_json(self.project))
        assert again.to_dict() == self.project.to_dict()

    def teardown(self):
        for _ in self.history[1:]:
            self.stack.undo()
        assert self.project.to_dict() == self.history[0]


TestTimelineMachine = TimelineMachine.TestCase
TestTimelineMachine.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)


def test_split_at_accepted_shots_maps_source_frames_through_clips():
    # A 50 fps asset on a 25 fps timeline, used twice: from source 0 at 0, from source 200 at 300.
    project, stack, asset = make_project(frame_count=1000, rate=FrameRate(50))
    tl, v1, a1 = project.timeline, *project.timeline.tracks
    stack.push(cmd.insert_clip(tl.id, v1.id, Clip(asset.id, start=0, duration=200)))
    stack.push(cmd.insert_clip(tl.id, a1.id, Clip(asset.id, start=0, duration=200)))
    stack.push(cmd.insert_clip(tl.id, v1.id, Clip(asset.id, start=300, duration=100, source_in=200)))
    shots = [Suggestion(LANE_SHOTS, asset.id, 100, 100, kind="cut"),         # 0:00:02
             Suggestion(LANE_SHOTS, asset.id, 250, 250, kind="cut"),         # in both clips
             Suggestion(LANE_SHOTS, asset.id, 301, 301, kind="cut"),         # odd frame, both clips
             Suggestion(LANE_SHOTS, asset.id, 120, 139, kind="dissolve"),
             Suggestion(LANE_SHOTS, asset.id, 60, 60, kind="cut")]           # left pending
    stack.push(cmd.replace_suggestions(LANE_SHOTS, asset.id, shots))
    stack.push(cmd.set_suggestion_status([s.id for s in shots[:4]], ACCEPTED))
    assert cmd.timeline_frames(project, tl, asset.id, 250) == [125, 325]
    before = project.to_dict()
    stack.push(cmd.split_at_accepted_shots(tl.id, asset.id))
    v1, a1 = project.timeline.tracks
    assert [c.start for c in v1.clips] == [0, 50, 65, 125, 151, 300, 325, 351]
    assert [c.start for c in a1.clips] == [0, 50, 65, 125, 151]
    assert v1.clips[3].source_in == 250 and v1.clips[7].source_in == 302
    stack.undo()
    assert project.to_dict() == before


def test_new_sequence_with_clips_is_one_undo_step():
    from editor.core.model import default_timeline

    project, stack, asset = make_project()
    sequence = default_timeline(name="Teaser")
    before = project.to_dict()
    stack.push(cmd.compound("Create sequence", [
        cmd.add_timeline(sequence),
        cmd.insert_clip(sequence.id, sequence.tracks[0].id, Clip(asset.id, start=0, duration=40)),
        cmd.insert_clip(sequence.id, sequence.tracks[0].id, Clip(asset.id, start=40, duration=30,
                                                                 source_in=200))]))
    teaser = project.get_timeline(sequence.id)
    assert [(c.start, c.source_in) for c in teaser.tracks[0].clips] == [(0, 0), (40, 200)]
    stack.undo()
    assert project.to_dict() == before
    stack.redo()
    assert len(project.get_timeline(sequence.id).tracks[0].clips) == 2


def test_sequence_from_pieces_places_video_and_audio_back_to_back():
    from editor.core.model import sequence_from_pieces

    asset = MediaAsset(path="/m.mp4", frame_rate=FrameRate(30000, 1001), frame_count=900,
                       width=1280, height=720, has_audio=True, name="m.mp4")
    seq = sequence_from_pieces(asset, [(100, 160), (400, 430)], "Teaser")
    v1, a1 = seq.tracks
    assert seq.frame_rate == asset.frame_rate and (seq.width, seq.height) == (1280, 720)
    for track in (v1, a1):
        assert [(c.start, c.duration, c.source_in) for c in track.clips] == [(0, 60, 100), (60, 30, 400)]
    silent = MediaAsset(path="/s.mp4", frame_rate=FrameRate(25), frame_count=50, width=64, height=36)
    assert sequence_from_pieces(silent, [(0, 10)], "x").tracks[1].clips == []
    with pytest.raises(ModelError, match="empty"):
        sequence_from_pieces(asset, [(5, 5)], "bad")
