"""The matting panel in the real window: click the subject in the player, preview, propagate,
correct on another frame, export ProRes 4444 (GrabCut backend: no SAM checkpoint here)."""

import av
import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from editor.analysis.matting import MatteSession
from tests.analysis.test_matting import make_subject_clip
from tests.ui.test_main_window import import_and_wait

pytestmark = pytest.mark.player


@pytest.fixture(scope="module")
def dancer(tmp_path_factory):
    path = tmp_path_factory.mktemp("panel") / "dancer.mp4"
    return path, make_subject_clip(path, frames=24)


def show(qtbot, window, asset, frame):
    window.show_source_frame(asset.id, frame)
    player = window.player.player
    qtbot.waitUntil(lambda: player.path == asset.path and player.frame == frame, timeout=15000)


def test_click_preview_propagate_correct_export(make_window, qtbot, dancer, tmp_path):
    path, truth = dancer
    window = make_window()
    asset = import_and_wait(qtbot, window, path)
    panel = window.panels["matting"]
    window.show()
    qtbot.waitExposed(window)
    window.docks["engine-matting"].raise_()  # its tab in front: clicks on the player are its own
    panel.select_asset(asset.id)
    assert panel.player_panel is window.player
    show(qtbot, window, asset, 12)

    video = window.player.video
    video.mouse_pressed_on_video.emit(QPointF(82, 50), Qt.LeftButton)   # the body
    video.mouse_pressed_on_video.emit(QPointF(82, 25), Qt.LeftButton)   # the head
    video.mouse_pressed_on_video.emit(QPointF(20, 20), Qt.RightButton)  # not the subject
    assert panel.prompts[12] == [(82, 50, 1), (82, 25, 1), (20, 20, 0)]
    qtbot.waitUntil(lambda: panel.preview is not None and panel._preview_job is None,
                    timeout=20000)
    assert panel.preview[0] == 12 and "GrabCut fallback" in panel.status.text()
    # The preview mask is tinted over the video: compare the player with and without it.
    window.player.resize(384, 260)
    with_tint = window.player.video.grab().toImage()
    with_tint.save(str(tmp_path / "preview.png"))
    mask = np.zeros((108, 192), bool)
    preview = panel.preview
    panel.preview = None
    without = window.player.video.grab().toImage()
    panel.preview = preview
    rect = window.player.video.video_rect()
    for y in range(0, 108, 4):
        for x in range(0, 192, 4):
            px, py = int(rect.x() + (x + 0.5) * rect.width() / 192), int(rect.y() + (y + 0.5) * rect.height() / 108)
            a, b = with_tint.pixelColor(px, py), without.pixelColor(px, py)
            mask[y, x] = a.blue() - b.blue() > 20
    assert 10 < mask.sum() < 0.2 * mask[::4, ::4].size * 16

    panel.run()
    qtbot.waitUntil(lambda: panel.job is None, timeout=60000)
    matte = panel.current_matte()
    assert matte is not None and (matte.start, matte.end) == (0, 23)
    assert panel.results.count() == 1 and "GrabCut fallback" in matte.label
    alpha = panel._alpha_image(5)
    assert alpha is not None and alpha.width() == 192

    # A correction on frame 20 re-propagates from there, in the same session folder.
    show(qtbot, window, asset, 20)
    video.mouse_pressed_on_video.emit(QPointF(90, 50), Qt.LeftButton)
    video.mouse_pressed_on_video.emit(QPointF(90, 25), Qt.LeftButton)
    folder = matte.data["folder"]
    assert panel.run_params()["session"] == folder
    panel.run()
    qtbot.waitUntil(lambda: panel.job is None, timeout=60000)
    session = MatteSession.load(folder)
    assert sorted(session.prompts) == [12, 20] and session.frames[22].keyframe == 20
    assert len(panel.lane_suggestions()) == 1

    out = tmp_path / "subject.mov"
    panel.ask_export_path = lambda fmt: str(out)
    panel.format.setCurrentText("prores")
    panel.export()
    qtbot.waitUntil(lambda: panel._export_job is None, timeout=60000)
    assert "Exported" in panel.status.text()
    with av.open(str(out)) as container:
        frames = list(container.decode(video=0))
    assert len(frames) == 24
    a = frames[16].to_ndarray(format="rgba")[:, :, 3] >= 128
    assert np.count_nonzero(a & truth[16]) / np.count_nonzero(a | truth[16]) > 0.75

    # Composite preview: the subject stays, the rest turns to a grey checkerboard.
    show(qtbot, window, asset, 16)
    window.player.remove_overlay(panel.paint_overlay)
    plain = window.player.video.grab().toImage()
    window.player.add_overlay(panel.paint_overlay)
    panel.view.setCurrentText("checkerboard")
    composite = window.player.video.grab().toImage()
    composite.save(str(tmp_path / "checkerboard.png"))
    rect = window.player.video.video_rect()

    def at(image, x, y):
        c = image.pixelColor(int(rect.x() + x * rect.width() / 192),
                             int(rect.y() + y * rect.height() / 108))
        return c.red(), c.green(), c.blue()

    ys, xs = np.nonzero(truth[16])
    inside = (int(np.median(xs)), int(np.median(ys)))
    assert np.abs(np.subtract(at(composite, *inside), at(plain, *inside))).max() < 12
    background = [at(composite, x, 102) for x in range(2, 40, 4)]  # 4-pixel cells' centres
    assert all(max(c) - min(c) < 8 and min(c) > 140 for c in background)  # neutral grey
    assert len({c[0] // 25 for c in background}) == 2  # two shades: a checkerboard

    # Put on timeline: a ProRes 4444 matte laid over the shot on its own track, one undo.
    from editor.core import commands as cmd
    from editor.core.model import Clip

    timeline = window.document.project.timeline
    window.document.push(cmd.insert_clip(timeline.id, timeline.tracks[0].id,
                                         Clip(asset.id, start=10, duration=24)))
    panel.put_on_timeline()
    qtbot.waitUntil(lambda: panel._overlay_job is None, timeout=60000)
    track = next(t for t in timeline.tracks if t.name == "Matte")
    (clip,) = track.clips
    assert (clip.start, clip.duration, clip.source_in) == (10, 24, 0)
    overlay = window.document.project.asset(clip.asset_id)
    with av.open(overlay.path) as container:
        assert container.streams.video[0].codec_context.pix_fmt.startswith("yuva444p")
    window.document.undo_stack.undo()
    assert all(t.name != "Matte" for t in window.document.project.timeline.tracks)


def test_clicks_need_the_media_in_the_viewer(make_window, qtbot, dancer):
    window = make_window()
    asset = import_and_wait(qtbot, window, dancer[0])
    panel = window.panels["matting"]
    window.show()
    qtbot.waitExposed(window)
    window.docks["engine-matting"].raise_()
    panel.select_asset(asset.id)
    window.player.video.mouse_pressed_on_video.emit(QPointF(10, 10), Qt.LeftButton)
    assert panel.prompts == {} and "Open this media in the viewer" in panel.status.text()
    panel.run()
    assert panel.job is None and "Click the subject" in panel.status.text()


def test_a_click_on_the_player_goes_to_the_panel_in_front(make_window, qtbot, dancer):
    window = make_window()
    asset = import_and_wait(qtbot, window, dancer[0])
    matting, reframe = window.panels["matting"], window.panels["reframe"]
    window.show()
    qtbot.waitExposed(window)
    for panel in (matting, reframe):
        panel.select_asset(asset.id)
    show(qtbot, window, asset, 12)
    video = window.player.video
    window.docks["engine-reframe"].raise_()
    reframe.pick_button.setChecked(True)
    video.mouse_pressed_on_video.emit(QPointF(82, 50), Qt.LeftButton)  # picks the subject
    assert reframe.run_params()["subjects"] == [[82.0, 50.0, 12]] and matting.prompts == {}
    window.docks["engine-matting"].raise_()
    reframe.pick_button.setChecked(True)
    video.mouse_pressed_on_video.emit(QPointF(80, 40), Qt.LeftButton)  # a matting prompt
    assert matting.prompts == {12: [(80, 40, 1)]}
    assert len(reframe.run_params()["subjects"]) == 1
    qtbot.waitUntil(lambda: matting._preview_job is None, timeout=20000)
