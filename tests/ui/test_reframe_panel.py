"""The reframe panel in the real window, offscreen: run → crop suggestions per shot, the
crop overlay in the player (dimmed outside; on the timeline too, for the clip under the
playhead), drag the crop to pin a frame (in the source viewer or on the timeline) →
re-plan, subject picking, render job with progress."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from editor.core.model import LANE_REFRAME
from editor.media.probe import probe
from tests.analysis.test_reframe import make_subject_clip

pytestmark = pytest.mark.player


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path, _ = make_subject_clip(tmp_path_factory.mktemp("ui-reframe") / "figure.mp4",
                                shots=("walk", "still"), frames_per_shot=30)
    return path


def _mouse(widget, kind, pos):
    event = QMouseEvent(kind, pos, widget.mapToGlobal(pos), Qt.LeftButton,
                        Qt.LeftButton if kind != QEvent.MouseButtonRelease else Qt.NoButton,
                        Qt.NoModifier)
    QApplication.sendEvent(widget, event)


def dimmed_outside(video, x: float, cw: float) -> bool:
    """Whether the picture (the 320-px clip) is darker beside the crop ``x``..``x + cw``
    than inside it, at mid-height."""
    rect = video.video_rect()
    scale = rect.width() / 320
    image = video.grab().toImage()
    inside = image.pixelColor(int(rect.x() + (x + cw / 2) * scale), int(rect.y() + 90 * scale))
    outside_x = x + cw + 20 if x + cw + 20 < 320 else x - 20
    outside = image.pixelColor(int(rect.x() + outside_x * scale), int(rect.y() + 90 * scale))
    return outside.lightness() < inside.lightness()


def test_run_preview_drag_and_render(make_window, qtbot, clip, tmp_path):
    window = make_window()
    window.import_files([str(clip)])
    qtbot.waitUntil(lambda: len(window.document.project.assets) == 1, timeout=15000)
    asset = window.document.project.assets[0]
    panel = window.panels["reframe"]
    window.show()
    qtbot.waitExposed(window)
    window.docks["engine-reframe"].raise_()  # its tab in front: drags and picks are its own
    panel.select_asset(asset.id)
    panel.run()
    qtbot.waitUntil(lambda: panel.job is None, timeout=60000)
    lane = window.document.project.suggestions_in(LANE_REFRAME, asset.id)
    assert [s.start for s in sorted(lane, key=lambda s: s.start)] == [0, 30]
    assert all(s.kind == "crop" and s.data["keyframes"] for s in lane)

    # the overlay: the player shows the asset; outside the crop is dimmed
    window.show_source_frame(asset.id, 40)
    video = window.player.video
    video.resize(640, 360)
    qtbot.waitUntil(lambda: window.player.player.frame == 40 and all(window.player.player.video_size),
                    timeout=10000)
    x, _, cw, _, _ = panel.crop_at(40)
    assert dimmed_outside(video, x, cw)
    rect = video.video_rect()
    scale = rect.width() / 320

    # drag the crop 40 source pixels to the right on frame 40: a keyframe, then a re-plan
    start = QPointF(rect.x() + (x + cw / 2) * scale, rect.y() + 90 * scale)
    end = start + QPointF(40 * scale, 0)
    _mouse(video, QEvent.MouseButtonPress, start)
    _mouse(video, QEvent.MouseMove, end)
    _mouse(video, QEvent.MouseButtonRelease, end)
    assert 40 in panel.user_keyframes()
    want = panel.user_keyframes()[40][0]
    assert abs(want - (x + 40)) <= 3  # widget → picture pixel rounding
    qtbot.waitUntil(lambda: panel.job is None, timeout=60000)
    assert panel.crop_at(40)[0] == pytest.approx(want, abs=1)
    pinned = [s for s in window.document.project.suggestions_in(LANE_REFRAME, asset.id)
              if s.start <= 40 <= s.end]
    assert pinned and [40, round(want), 0] in pinned[0].data["user_keyframes"]

    # on the timeline (the program monitor) the crop of the clip under the playhead
    # shows too: the clip placed at frame 10, timeline frame 50 is its source frame 40
    window.timeline.insert_asset(asset.id, 10)
    window.show_timeline_frame(50)
    player = window.player.player
    qtbot.waitUntil(lambda: player.is_timeline and player.frame == 50 and
                    all(player.video_size) and not player.seeking, timeout=10000)
    assert player.source_at(50) == (asset.id, 40) and player.source_at(5) is None
    x, _, cw, _, _ = panel.crop_at(40)
    assert dimmed_outside(video, x, cw)
    # ... and is dragged there too: the keyframe goes on the clip's own frame
    start = QPointF(rect.x() + (x + cw / 2) * scale, rect.y() + 90 * scale)
    _mouse(video, QEvent.MouseButtonPress, start)
    _mouse(video, QEvent.MouseMove, start - QPointF(30 * scale, 0))
    _mouse(video, QEvent.MouseButtonRelease, start - QPointF(30 * scale, 0))
    moved = panel.user_keyframes()[40][0]
    assert abs(moved - (x - 30)) <= 3 and list(panel.user_keyframes()) == [40]
    qtbot.waitUntil(lambda: panel.job is None, timeout=60000)
    assert panel.crop_at(40)[0] == pytest.approx(moved, abs=1)
    panel.pick_button.setChecked(True)  # a subject picked there: on the clip's frame too
    video.mouse_pressed_on_video.emit(QPointF(80, 100), Qt.LeftButton)
    assert panel.run_params()["subjects"] == [[80.0, 100.0, 40]]
    window.show_source_frame(asset.id, 40)
    qtbot.waitUntil(lambda: not player.is_timeline and player.frame == 40, timeout=10000)

    # picking a subject: the next click on the video sets it; the camera follows it
    panel.pick_button.setChecked(True)
    video.mouse_pressed_on_video.emit(QPointF(80, 100), Qt.LeftButton)  # the figure's body
    assert panel.run_params()["subjects"] == [[80.0, 100.0, 40]]
    assert not panel.pick_button.isChecked()
    ring = video.grab().toImage().pixelColor(int(rect.x() + 80 * scale + 7),
                                             int(rect.y() + 100 * scale))
    assert ring.red() > 200 and ring.green() > 160 and ring.blue() < 120  # the pick's marker
    assert panel.run_params()["subject_backend"] == "auto"  # SAM on a GPU, else GrabCut
    panel.run()
    qtbot.waitUntil(lambda: panel.job is None, timeout=60000)
    x, _, cw, _, _ = panel.crop_at(55)
    assert x <= 64 and x + cw >= 96  # the still figure's body on a later frame of the shot
    assert "GrabCut" in panel.status.text()  # no SAM here: it says how it tracked
    panel._keys.clear()  # as after reopening the project: the clicks come back from the lane
    panel._subjects.clear()
    saved = next(s for s in window.document.project.suggestions_in(LANE_REFRAME, asset.id)
                 if s.data.get("subjects"))
    saved.data["subjects"].append(["x", 1])  # a hand-edited project: skipped, the rest loads
    panel._asset_changed()
    assert panel.run_params()["subjects"] == [[80.0, 100.0, 40]]
    panel.pick_button.setChecked(True)  # another pick on that frame replaces the first
    video.mouse_pressed_on_video.emit(QPointF(82, 110), Qt.LeftButton)
    assert panel.run_params()["subjects"] == [[82.0, 110.0, 40]]
    window.show_source_frame(asset.id, 50)
    qtbot.waitUntil(lambda: window.player.player.frame == 50, timeout=10000)
    panel.pick_button.setChecked(True)  # one on another frame adds to it
    video.mouse_pressed_on_video.emit(QPointF(84, 110), Qt.LeftButton)
    assert len(panel.run_params()["subjects"]) == 2 and "2 clicks" in panel.subject_label.text()
    panel.subject_rank.setCurrentIndex(1)  # a second subject on that frame: kept beside it
    panel.pick_button.setChecked(True)
    video.mouse_pressed_on_video.emit(QPointF(200, 90), Qt.LeftButton)
    assert panel.run_params()["subjects"][-1] == [200.0, 90.0, 50, 2]
    assert len(panel.run_params()["subjects"]) == 3
    assert "main on frames 40, 50; subject 2 on frame 50" in panel.subject_label.text()
    panel.clear_edits()
    assert "subjects" not in panel.run_params() and "automatic" in panel.subject_label.text()

    # render job with progress
    out = tmp_path / "vertical.mp4"
    assert panel.render_to(str(out))
    qtbot.waitUntil(lambda: panel.render_job is None, timeout=60000)
    assert "Rendered" in panel.status.text()
    info = probe(out)
    assert (info.video.display_width, info.video.display_height) == (1080, 1920)
    assert info.video.frame_count == 60
