"""The timeline view against the real model: mouse edits go through core commands,
undo restores the project exactly, refused edits only leave a message, and a big
project paints only what is visible."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage, QWheelEvent
from PySide6.QtWidgets import QApplication

from editor.core import commands as cmd
from editor.core.model import (
    ACCEPTED, AUDIO, LANE_HIGHLIGHTS, LANE_REFRAME, LANE_SHOTS, PENDING, REJECTED, VIDEO, Clip,
    Marker, MediaAsset, Suggestion, Timeline, Track,
)
from editor.core.timecode import FrameRate
from editor.ui.document import Document
from editor.ui.timeline_view import ASSET_MIME, MediaProvider, TimelineView, asset_mime_data

PPF = 4.0  # pixels per frame in these tests: 25 fps -> 100 px per second


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path, monkeypatch):
    """Saving and opening touch autosaves: keep them out of the user's data folder."""
    monkeypatch.setenv("CUTWISE_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def document():
    doc = Document()
    asset = MediaAsset(path="/media/a.mp4", frame_rate=FrameRate(25), frame_count=1000,
                       width=1920, height=1080, has_audio=True, name="a.mp4")
    doc.push(cmd.add_asset(asset))
    tl = doc.project.timeline
    v1 = tl.tracks[0]
    doc.push(cmd.insert_clip(tl.id, v1.id, Clip(asset.id, start=0, duration=100, name="one")))
    doc.push(cmd.insert_clip(tl.id, v1.id, Clip(asset.id, start=200, duration=100,
                                               source_in=300, name="two")))
    doc.undo_stack.clear()
    return doc


@pytest.fixture
def view(qtbot, document):
    widget = TimelineView(document)
    qtbot.addWidget(widget)
    widget.resize(1000, 400)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_pixels_per_frame(PPF)
    widget.scroll_to_frame(0)
    return widget


def clips(document, track_index=0):
    return document.project.timeline.tracks[track_index].clips


def clip_named(document, name):
    return next(c for t in document.project.timeline.tracks for c in t.clips if c.name == name)


def point(x, y) -> QPoint:
    return QPoint(round(x), round(y))


def drag(qtbot, view, start: QPoint, end: QPoint, modifier=Qt.KeyboardModifier.NoModifier, steps=6):
    vp = view.viewport()
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, modifier, start)
    for i in range(1, steps + 1):
        qtbot.mouseMove(vp, QPoint(start.x() + (end.x() - start.x()) * i // steps,
                                   start.y() + (end.y() - start.y()) * i // steps))
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, modifier, end)


def click(qtbot, view, pos: QPoint, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, modifier, pos)


def undo_all(document):
    while document.undo_stack.canUndo():
        document.undo_stack.undo()


# --- selection ------------------------------------------------------------------------

def test_click_selects_and_ctrl_click_adds(qtbot, view, document):
    one, two = clips(document)
    with qtbot.waitSignal(view.selection_changed) as blocker:
        click(qtbot, view, view.clip_rect(one.id).center().toPoint())
    assert blocker.args == [[one.id]]
    click(qtbot, view, view.clip_rect(two.id).center().toPoint(), Qt.KeyboardModifier.ControlModifier)
    assert view.selected_clip_ids == [one.id, two.id]
    click(qtbot, view, view.clip_rect(one.id).center().toPoint(), Qt.KeyboardModifier.ControlModifier)
    assert view.selected_clip_ids == [two.id]
    empty = view.track_rect(document.project.timeline.tracks[0].id)
    click(qtbot, view, point(view.frame_to_x(150), empty.center().y()))
    assert view.selected_clip_ids == []


def test_rubber_band_selects_clips_it_touches(qtbot, view, document):
    one, two = clips(document)
    a1 = document.project.timeline.tracks[1]
    start = point(view.frame_to_x(350), view.track_rect(a1.id).center().y())
    end = point(view.frame_to_x(50), view.track_rect(document.project.timeline.tracks[0].id).top() + 5)
    drag(qtbot, view, start, end)
    assert set(view.selected_clip_ids) == {one.id, two.id}


# --- move, trim, split, delete ----------------------------------------------------------

def test_drag_moves_clip_by_the_dragged_frames_in_one_undo_step(qtbot, view, document):
    before = document.project.to_dict()
    two = clip_named(document, "two")
    centre = view.clip_rect(two.id).center()
    drag(qtbot, view, centre.toPoint(), point(centre.x() + 25 * PPF, centre.y()))
    moved = clip_named(document, "two")
    assert (moved.start, moved.duration, moved.source_in) == (225, 100, 300)
    assert document.undo_stack.count() == 1
    document.undo_stack.undo()
    assert document.project.to_dict() == before


def test_drag_moves_clip_to_another_track_of_the_same_kind(qtbot, view, document):
    tl = document.project.timeline
    document.push(cmd.add_track(tl.id, VIDEO, "V2"))
    v2 = next(t for t in document.project.timeline.tracks if t.name == "V2")
    one = clip_named(document, "one")
    centre = view.clip_rect(one.id).center()
    target = view.track_rect(v2.id).center().y()
    assert target < centre.y()  # V2 is drawn above V1
    drag(qtbot, view, centre.toPoint(), point(centre.x() + 500 * PPF / 100, target))
    track, clip = document.project.timeline.find_clip(one.id)
    assert track.id == v2.id and clip.start == 5
    # An audio row is not a target for a video clip: it stays on its track.
    a1 = next(t for t in document.project.timeline.tracks if t.kind == AUDIO)
    centre = view.clip_rect(one.id).center()
    drag(qtbot, view, centre.toPoint(), point(centre.x(), view.track_rect(a1.id).center().y()))
    assert document.project.timeline.find_clip(one.id)[0].id == v2.id


def test_dragging_a_selection_moves_every_selected_clip(qtbot, view, document):
    one, two = clips(document)
    view.select_clips([one.id, two.id])
    centre = view.clip_rect(one.id).center()
    drag(qtbot, view, centre.toPoint(), point(centre.x() + 40 * PPF, centre.y()))
    assert [c.start for c in clips(document)] == [40, 240]
    assert document.undo_stack.count() == 1


def test_dragging_the_out_edge_trims(qtbot, view, document):
    one = clip_named(document, "one")
    rect = view.clip_rect(one.id)
    edge = point(rect.right() - 2, rect.center().y())
    drag(qtbot, view, edge, point(edge.x() + 10 * PPF, edge.y()))
    assert clip_named(document, "one").duration == 110


def test_dragging_the_in_edge_trims_and_keeps_the_picture_in_place(qtbot, view, document):
    two = clip_named(document, "two")
    rect = view.clip_rect(two.id)
    edge = point(rect.left() + 2, rect.center().y())
    drag(qtbot, view, edge, point(edge.x() - 10 * PPF, edge.y()))
    two = clip_named(document, "two")
    assert (two.start, two.duration, two.source_in) == (190, 110, 290)


def test_trim_stops_at_the_neighbour_and_the_media_start(qtbot, view, document):
    one = clip_named(document, "one")
    rect = view.clip_rect(one.id)
    edge = point(rect.right() - 2, rect.center().y())
    drag(qtbot, view, edge, point(edge.x() + 180 * PPF, edge.y()), Qt.KeyboardModifier.AltModifier)
    assert clip_named(document, "one").end == 200  # clamped at "two"
    rect = view.clip_rect(one.id)
    edge = point(rect.left() + 2, rect.center().y())
    drag(qtbot, view, edge, point(edge.x() - 50 * PPF, edge.y()))
    assert clip_named(document, "one").start == 0  # source_in is 0: nothing earlier


def test_split_at_playhead_and_undo(view, document):
    before = document.project.to_dict()
    view.set_playhead(40)
    view.split_at_playhead()
    left, right, two = clips(document)
    assert (left.start, left.duration) == (0, 40)
    assert (right.start, right.duration, right.source_in) == (40, 60, 40)
    document.undo_stack.undo()
    assert document.project.to_dict() == before


def test_split_only_selected_clips_when_they_are_under_the_playhead(view, document):
    tl = document.project.timeline
    asset = document.project.assets[0]
    document.push(cmd.insert_clip(tl.id, tl.tracks[1].id, Clip(asset.id, 0, 100, name="sound")))
    sound = clip_named(document, "sound")
    view.select_clips([sound.id])
    view.set_playhead(50)
    view.split_at_playhead()
    assert len(clips(document, 0)) == 2 and len(clips(document, 1)) == 2


def test_ripple_delete_with_the_keyboard_closes_the_gap(qtbot, view, document):
    before = document.project.to_dict()
    one = clip_named(document, "one")
    click(qtbot, view, view.clip_rect(one.id).center().toPoint())
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Delete, Qt.KeyboardModifier.ShiftModifier)
    assert [(c.name, c.start) for c in clips(document)] == [("two", 100)]
    assert view.selected_clip_ids == []  # the deleted clip left the selection
    document.undo_stack.undo()
    assert document.project.to_dict() == before


def test_plain_delete_leaves_the_gap(view, document):
    view.select_clips([clip_named(document, "one").id])
    view.delete_selected()
    assert [(c.name, c.start) for c in clips(document)] == [("two", 200)]


def test_many_edits_undo_back_to_the_exact_project(qtbot, view, document):
    before = document.project.to_dict()
    two = clip_named(document, "two")
    centre = view.clip_rect(two.id).center()
    drag(qtbot, view, centre.toPoint(), point(centre.x() + 60 * PPF, centre.y()))
    view.set_playhead(30)
    view.split_at_playhead()
    view.add_marker_at_playhead()
    view.select_clips([clip_named(document, "two").id])
    view.delete_selected(ripple=True)
    view.toggle_track_flag(document.project.timeline.tracks[1].id, "muted")
    assert document.undo_stack.count() == 5
    assert document.project.to_dict() != before
    undo_all(document)
    assert document.project.to_dict() == before


def test_overlapping_move_is_refused_with_a_message(qtbot, view, document):
    before = document.project.to_dict()
    two = clip_named(document, "two")
    centre = view.clip_rect(two.id).center()
    with qtbot.waitSignal(view.message) as blocker:
        drag(qtbot, view, centre.toPoint(), point(centre.x() - 150 * PPF, centre.y()))
    assert "overlap" in blocker.args[0]
    assert document.project.to_dict() == before
    assert document.undo_stack.count() == 0


def test_locked_track_refuses_edits_and_the_lock_is_undoable(qtbot, view, document):
    v1 = document.project.timeline.tracks[0]
    button = view.header_button_rect(v1.id, "locked").center().toPoint()
    click(qtbot, view, button)
    assert document.project.timeline.tracks[0].locked
    before = document.project.to_dict()
    one = clip_named(document, "one")
    centre = view.clip_rect(one.id).center()
    with qtbot.waitSignal(view.message) as blocker:
        drag(qtbot, view, centre.toPoint(), point(centre.x() + 300, centre.y()))
    assert "locked" in blocker.args[0]
    assert document.project.to_dict() == before
    document.undo_stack.undo()
    assert not document.project.timeline.tracks[0].locked


def test_dragging_to_the_right_edge_scrolls_and_keeps_moving(qtbot, view, document):
    two = clip_named(document, "two")
    centre = view.clip_rect(two.id).center().toPoint()
    vp = view.viewport()
    edge = QPoint(vp.width() - 5, centre.y())
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseMove(vp, QPoint(centre.x() + 20, centre.y()))
    qtbot.mouseMove(vp, edge)
    qtbot.wait(300)
    assert view.visible_frame_range()[0] > 0
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=edge)
    assert clip_named(document, "two").start > 200 + (edge.x() - centre.x()) / PPF + 5


def test_a_clip_deleted_during_a_drag_cancels_it(qtbot, view, document):
    two = clip_named(document, "two")
    centre = view.clip_rect(two.id).center().toPoint()
    vp = view.viewport()
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseMove(vp, QPoint(centre.x() + 40, centre.y()))
    document.push(cmd.remove_clips(document.project.timeline.id, [two.id]))
    qtbot.mouseMove(vp, QPoint(centre.x() + 60, centre.y()))
    view.grab()
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=QPoint(centre.x() + 60, centre.y()))
    assert [c.name for c in clips(document)] == ["one"]
    assert document.undo_stack.count() == 1


# --- snapping ---------------------------------------------------------------------------

def test_snapping_pulls_a_dragged_clip_onto_a_neighbours_edge(qtbot, view, document):
    two = clip_named(document, "two")
    centre = view.clip_rect(two.id).center()
    # Drop "two" one frame (4 px, inside the 8 px snap distance) after "one" ends.
    drag(qtbot, view, centre.toPoint(), point(centre.x() - 99 * PPF, centre.y()))
    assert clip_named(document, "two").start == 100


def test_without_snapping_the_clip_lands_where_dropped(qtbot, view, document):
    view.snapping = False
    two = clip_named(document, "two")
    centre = view.clip_rect(two.id).center()
    drag(qtbot, view, centre.toPoint(), point(centre.x() - 99 * PPF, centre.y()))
    assert clip_named(document, "two").start == 101


def test_trim_snaps_to_a_marker(qtbot, view, document):
    tl = document.project.timeline
    document.push(cmd.add_marker(tl.id, Marker(frame=130, name="beat")))
    one = clip_named(document, "one")
    rect = view.clip_rect(one.id)
    edge = point(rect.right() - 2, rect.center().y())
    drag(qtbot, view, edge, point(view.frame_to_x(128), edge.y()))
    assert clip_named(document, "one").end == 130


# --- zoom, scroll, playhead --------------------------------------------------------------

def wheel(view, pos: QPointF, dy: int, modifiers=Qt.KeyboardModifier.NoModifier):
    event = QWheelEvent(pos, view.viewport().mapToGlobal(pos), QPoint(0, 0), QPoint(0, dy),
                        Qt.MouseButton.NoButton, modifiers, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), event)


def test_ctrl_wheel_zooms_around_the_cursor(view):
    view.scroll_to_frame(50)
    x = view.frame_to_x(150)
    wheel(view, QPointF(x, 200), 120, Qt.KeyboardModifier.ControlModifier)
    assert view.pixels_per_frame == pytest.approx(PPF * 1.25)
    assert view.frame_to_x(150) == pytest.approx(x, abs=1.0)
    wheel(view, QPointF(x, 200), -240, Qt.KeyboardModifier.ControlModifier)
    assert view.pixels_per_frame < PPF
    assert view.frame_to_x(150) == pytest.approx(x, abs=1.0)


def test_wheel_scrolls_sideways_and_zoom_buttons_work(view, document):
    document.push(cmd.insert_clip(document.project.timeline.id,
                                  document.project.timeline.tracks[0].id,
                                  Clip(document.project.assets[0].id, 400, 600, name="long")))
    left = view.visible_frame_range()[0]
    wheel(view, QPointF(500, 200), -120)
    assert view.visible_frame_range()[0] > left
    ppf = view.pixels_per_frame
    view.zoom_in()
    assert view.pixels_per_frame == pytest.approx(ppf * 1.5)
    view.zoom_out()
    assert view.pixels_per_frame == pytest.approx(ppf)
    view.zoom_to_fit()
    first, last = view.visible_frame_range()
    assert first == 0 and last >= 1000


def test_fit_follows_resizes_until_the_user_zooms(view):
    view.zoom_to_fit()
    fitted = view.pixels_per_frame
    view.resize(1400, 400)
    assert view.pixels_per_frame > fitted
    view.zoom_in()
    zoomed = view.pixels_per_frame
    view.resize(1000, 400)
    assert view.pixels_per_frame == zoomed


def test_ruler_click_moves_the_playhead_and_emits(qtbot, view):
    x = view.frame_to_x(137)
    with qtbot.waitSignal(view.playhead_moved) as blocker:
        click(qtbot, view, point(x, view.ruler_rect().center().y()))
    assert blocker.args == [137]
    assert view.playhead == 137


def test_ruler_drag_scrubs_and_snaps_to_a_cut(qtbot, view):
    y = view.ruler_rect().center().y()
    frames = []
    view.playhead_moved.connect(frames.append)
    drag(qtbot, view, point(view.frame_to_x(20), y), point(view.frame_to_x(98), y))
    assert len(frames) > 2 and frames[-1] == 100  # 2 frames (8 px) from the clip edge


def test_set_playhead_does_not_echo(qtbot, view):
    with qtbot.assertNotEmitted(view.playhead_moved):
        view.set_playhead(321)
    assert view.playhead == 321


def test_set_playhead_off_screen_scrolls_to_follow(view):
    view.set_playhead(5000)
    first, last = view.visible_frame_range()
    assert first <= 5000 <= last


# --- markers ----------------------------------------------------------------------------

def test_add_marker_at_playhead(view, document):
    view.set_playhead(77)
    view.add_marker_at_playhead()
    markers = document.project.timeline.markers
    assert [(m.frame, m.name) for m in markers] == [(77, "Marker 1")]
    menu = view.marker_menu(markers[0].id)
    next(a for a in menu.actions() if a.text() == "Remove marker").trigger()
    assert document.project.timeline.markers == []


# --- suggestion lanes ---------------------------------------------------------------------

def add_suggestions(document, suggestions, lane=LANE_SHOTS):
    document.push(cmd.replace_suggestions(lane, document.project.assets[0].id, suggestions))


def test_suggestion_click_activates_and_menu_accepts(qtbot, view, document):
    asset = document.project.assets[0]
    cut = Suggestion(LANE_SHOTS, asset.id, 340, 340, kind="cut")   # inside "two" (source 300+)
    other = Suggestion(LANE_SHOTS, asset.id, 50, 50, kind="cut")   # inside "one"
    add_suggestions(document, [cut, other])
    assert view.lane_names() == [LANE_SHOTS]
    assert view.suggestion_ranges(cut.id) == [(240, 241)]
    lane = view.lane_rect(LANE_SHOTS)
    with qtbot.waitSignal(view.suggestion_activated) as activated:
        with qtbot.waitSignal(view.playhead_moved) as moved:
            click(qtbot, view, point(view.frame_to_x(240), lane.center().y()))
    assert activated.args == [cut.id]
    assert moved.args == [240] and view.playhead == 240

    menu = view.suggestion_menu(cut.id)
    menu.findChild(type(menu.actions()[0]), "accept").trigger()
    status = {s.id: s.status for s in document.project.suggestions}
    assert status == {cut.id: ACCEPTED, other.id: PENDING}
    menu = view.suggestion_menu(cut.id)
    menu.findChild(type(menu.actions()[0]), "reject_all").trigger()
    status = {s.id: s.status for s in document.project.suggestions}
    assert status == {cut.id: ACCEPTED, other.id: REJECTED}
    document.undo_stack.undo()
    assert {s.id: s.status for s in document.project.suggestions}[other.id] == PENDING


def test_accept_all_in_lane(view, document):
    asset = document.project.assets[0]
    highlights = [Suggestion(LANE_HIGHLIGHTS, asset.id, s, s + 20, kind="highlight") for s in (10, 320)]
    add_suggestions(document, highlights, LANE_HIGHLIGHTS)
    menu = view.suggestion_menu(highlights[0].id)
    next(a for a in menu.actions() if a.objectName() == "accept_all").trigger()
    assert {s.status for s in document.project.suggestions} == {ACCEPTED}
    assert document.undo_stack.count() == 2  # the suggestions, then one accept step


def test_suggestions_map_through_clips_and_frame_rates(qtbot, document):
    """A 50 fps asset on a 25 fps timeline: source frames halve, offset by the clip."""
    fast = MediaAsset(path="/media/fast.mp4", frame_rate=FrameRate(50), frame_count=1000,
                      width=1280, height=720, name="fast.mp4")
    document.push(cmd.add_asset(fast))
    tl = document.project.timeline
    document.push(cmd.insert_clip(tl.id, tl.tracks[0].id,
                                  Clip(fast.id, start=400, duration=100, source_in=100)))
    cut = Suggestion(LANE_SHOTS, fast.id, 150, 150, kind="cut")
    span = Suggestion(LANE_HIGHLIGHTS, fast.id, 120, 179, kind="highlight")
    reframe = Suggestion(LANE_REFRAME, fast.id, 100, 299, kind="crop",
                         data={"keyframes": [{"frame": 100}, {"frame": 200}]})
    outside = Suggestion(LANE_SHOTS, fast.id, 900, 900, kind="cut")  # not on the timeline
    document.push(cmd.replace_suggestions(LANE_SHOTS, fast.id, [cut, outside]))
    document.push(cmd.replace_suggestions(LANE_HIGHLIGHTS, fast.id, [span]))
    document.push(cmd.replace_suggestions(LANE_REFRAME, fast.id, [reframe]))
    view = TimelineView(document)
    qtbot.addWidget(view)
    assert view.suggestion_ranges(cut.id) == [(425, 426)]
    assert view.suggestion_ranges(span.id) == [(410, 440)]
    assert view.suggestion_ranges(reframe.id) == [(400, 500)]
    assert view.suggestion_ranges(outside.id) == []
    assert view.lane_names() == [LANE_SHOTS, LANE_HIGHLIGHTS, LANE_REFRAME]


def test_plugin_lanes_show_after_the_built_in_ones(qtbot, document):
    asset = document.project.assets[0]
    document.push(cmd.replace_suggestions("faces", asset.id,
                                          [Suggestion("faces", asset.id, 10, 30, kind="face")]))
    document.push(cmd.replace_suggestions(LANE_SHOTS, asset.id,
                                          [Suggestion(LANE_SHOTS, asset.id, 5, 5, kind="cut")]))
    view = TimelineView(document)
    qtbot.addWidget(view)
    assert view.lane_names() == [LANE_SHOTS, "faces"]


# --- drops ------------------------------------------------------------------------------

def send_drop(view, asset_id: str, pos: QPointF):
    mime = asset_mime_data(asset_id)
    assert mime.hasFormat(ASSET_MIME)
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier)
    try:
        enter = QDragEnterEvent(pos, *args)            # Qt >= 6.12 takes a QPointF
    except TypeError:
        enter = QDragEnterEvent(pos.toPoint(), *args)
    QApplication.sendEvent(view.viewport(), enter)
    assert enter.isAccepted()
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view.viewport(), drop)


def test_dropping_an_asset_inserts_video_and_audio_in_one_step(view, document):
    before = document.project.to_dict()
    asset = document.project.assets[0]
    v1, a1 = document.project.timeline.tracks
    send_drop(view, asset.id, QPointF(view.frame_to_x(400), view.track_rect(v1.id).center().y()))
    video = [c for c in clips(document, 0) if c.start == 400]
    audio = clips(document, 1)
    assert len(video) == 1 and (video[0].duration, video[0].source_in) == (1000, 0)
    assert [(c.start, c.duration, c.asset_id) for c in audio] == [(400, 1000, asset.id)]
    assert sorted(view.selected_clip_ids) == sorted([video[0].id, audio[0].id])
    assert document.undo_stack.count() == 1
    document.undo_stack.undo()
    assert document.project.to_dict() == before


def test_dropping_onto_an_occupied_spot_is_refused(qtbot, view, document):
    before = document.project.to_dict()
    v1 = document.project.timeline.tracks[0]
    with qtbot.waitSignal(view.message) as blocker:
        send_drop(view, document.project.assets[0].id,
                  QPointF(view.frame_to_x(150), view.track_rect(v1.id).center().y()))
    assert "overlap" in blocker.args[0]
    assert document.project.to_dict() == before


# --- media provider ---------------------------------------------------------------------

class Provider:
    """A real in-memory provider: counts requests and answers after ``ready``."""

    def __init__(self):
        self.ready = False
        self.thumbnail_calls = 0
        self.waveform_calls = 0
        self.exact_frames = set()

    def thumbnail(self, asset_id, source_frame, height, exact=False):
        self.thumbnail_calls += 1
        if exact:
            self.exact_frames.add(source_frame)
        if not self.ready:
            return None
        image = QImage(round(height * 16 / 9), height, QImage.Format.Format_RGB32)
        image.fill(0xFF336699)
        return image

    def waveform(self, asset_id):
        self.waveform_calls += 1
        if not self.ready:
            return None
        env = np.abs(np.sin(np.arange(4000) / 10.0)).astype(np.float32)
        return np.stack([-env, env], 1)


def test_media_provider_fills_clips_once_ready(view, document):
    tl = document.project.timeline
    asset = document.project.assets[0]
    document.push(cmd.insert_clip(tl.id, tl.tracks[1].id, Clip(asset.id, 0, 100, name="sound")))
    document.push(cmd.insert_clip(tl.id, tl.tracks[0].id, Clip(asset.id, 110, 50, source_in=37)))
    provider = Provider()
    assert isinstance(provider, MediaProvider)
    view.set_media_provider(provider)
    view.grab()
    assert provider.thumbnail_calls > 0 and provider.waveform_calls > 0
    assert 37 in provider.exact_frames  # a clip's head frame, not one across a cut
    assert view.paint_stats["thumbnails"] == 0 and view.paint_stats["waveforms"] == 0
    provider.ready = True
    view.media_updated()
    view.grab()
    assert view.paint_stats["thumbnails"] >= 2 and view.paint_stats["waveforms"] == 1


# --- models replaced, timelines switched ------------------------------------------------------

def test_switching_timelines_and_replacing_the_project(qtbot, view, document, tmp_path):
    second = Timeline(name="B", tracks=[Track(kind=VIDEO, name="V1")])
    document.push(cmd.add_timeline(second))
    view.select_clips([clip_named(document, "one").id])
    view.set_timeline(second.id)
    assert view.timeline.name == "B" and view.selected_clip_ids == []
    view.grab()
    assert view.paint_stats["clips"] == 0
    document.undo_stack.undo()            # the second timeline goes away
    assert view.timeline.id == document.project.timeline.id
    path = tmp_path / "p.cutwise"
    document.save(path)
    document.open(path)
    view.grab()
    assert view.paint_stats["clips"] == 2


# --- big projects paint only what is visible -------------------------------------------------

def big_document(tmp_path, clips_total=2000, markers_total=5000):
    from editor.core import project_file
    from editor.core.model import Project

    rate = FrameRate(25)
    asset = MediaAsset(path="/media/big.mp4", frame_rate=rate, frame_count=25 * 3600,
                       width=1920, height=1080, has_audio=True, name="big.mp4")
    tracks = [Track(kind=VIDEO, name="V1"), Track(kind=VIDEO, name="V2"),
              Track(kind=AUDIO, name="A1"), Track(kind=AUDIO, name="A2")]
    per = clips_total // len(tracks)
    for track in tracks:
        track.clips = [Clip(asset.id, start=i * 110, duration=100, source_in=i) for i in range(per)]
    end = per * 110
    timeline = Timeline(tracks=tracks, frame_rate=rate,
                        markers=[Marker(frame=i * end // markers_total) for i in range(markers_total)])
    project = Project(assets=[asset], timelines=[timeline],
                      suggestions=[Suggestion(LANE_SHOTS, asset.id, f, f, kind="cut")
                                   for f in range(0, 500 * 110, 37)])
    path = tmp_path / "big.cutwise"
    project_file.save(project, path)
    doc = Document()
    doc.open(path)
    return doc


def visible_counts(view, document):
    first, last = view.visible_frame_range()
    timeline = document.project.timeline
    clips_visible = sum(1 for t in timeline.tracks for c in t.clips if c.end > first and c.start < last)
    markers_visible = sum(1 for m in timeline.markers if first - 10 <= m.frame <= last + 10)
    return clips_visible, markers_visible


def test_big_timeline_paints_only_visible_items(qtbot, tmp_path):
    document = big_document(tmp_path)
    view = TimelineView(document)
    qtbot.addWidget(view)
    view.resize(1200, 400)
    view.show()
    qtbot.waitExposed(view)
    view.set_pixels_per_frame(2.0)
    view.scroll_to_frame(20_000)
    view.grab()
    stats = view.paint_stats
    clips_visible, markers_visible = visible_counts(view, document)
    assert 0 < stats["clips"] <= clips_visible < 100
    assert 0 < stats["markers"] <= markers_visible < 200
    # Zoomed out to everything: at most one block per pixel column and track.
    view.zoom_to_fit()
    view.grab()
    width = view.viewport().width()
    assert 0 < view.paint_stats["clips"] <= 4 * width
    assert 0 < view.paint_stats["markers"] <= width
    assert view.paint_stats["suggestions"] <= width
