"""The preview player with mpv headless (``vo=null``/``ao=null``), frame-exact checks
through the bar code painted in every generated frame."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

pytest.importorskip("PySide6")

import numpy as np  # noqa: E402
from PySide6.QtCore import QRectF, QThread, Qt  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402

from editor.core.model import AUDIO, VIDEO, Clip, MediaAsset, Project, Timeline, Track  # noqa: E402
from editor.core.timecode import FrameRate  # noqa: E402
from editor.ui.player import (INSTALL_HINT, Player, PlayerPanel, build_edl,  # noqa: E402
                              letterbox, player_available)
from tests.clips import make_video, read_frame_number  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
HAVE_MPV, WHY = player_available()
needs_mpv = pytest.mark.skipif(not HAVE_MPV, reason=WHY or "libmpv missing")
pytestmark = pytest.mark.player

FPS = FrameRate(25)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("player")
    a = make_video(d / "a.mp4", frames=50, cuts=(20, 35), audio=True)
    # A comma, semicolon and percent sign in the name exercise EDL's %len% escaping.
    b = make_video(d / "b,x;%.mp4", frames=40, cuts=(10,), audio=True)
    return a, b


@pytest.fixture
def player(qapp):
    p = Player(headless=True)
    yield p
    p.close()


def shown(player: Player) -> int:
    image = player.grab_frame()
    assert image is not None
    return read_frame_number(image)


def load(qtbot, player, clip):
    with qtbot.waitSignal(player.file_loaded, timeout=5000):
        player.load(str(clip.path), FPS, frame_count=clip.frames)


def seek(qtbot, player, frame):
    """Seek and wait until mpv has restarted playback at the new position."""
    player.seek_frame(frame)
    qtbot.waitUntil(lambda: not player.seeking, timeout=5000)


@needs_mpv
def test_seek_is_frame_exact_and_step(qtbot, player, clips):
    a, _ = clips
    load(qtbot, player, a)
    assert player.duration == 50
    qtbot.waitUntil(lambda: player.video_size == (160, 90), timeout=3000)
    for n in (0, 1, 13, 20, 34, 35, 49, 7):
        seek(qtbot, player, n)
        assert player.frame == n
        assert shown(player) == n
    seek(qtbot, player, 10)
    player.step(1)
    qtbot.waitUntil(lambda: not player.seeking, timeout=5000)
    assert (player.frame, shown(player)) == (11, 11)
    player.step(-1)
    player.step(-1)
    qtbot.waitUntil(lambda: not player.seeking, timeout=5000)
    assert (player.frame, shown(player)) == (9, 9)
    seek(qtbot, player, 500)  # clamped to the last frame
    assert (player.frame, shown(player)) == (49, 49)


@needs_mpv
def test_seek_right_after_load_lands_once_the_file_is_open(qtbot, player, clips):
    a, b = clips
    load(qtbot, player, b)
    with qtbot.waitSignal(player.file_loaded, timeout=5000):
        player.load(str(a.path), FPS, frame_count=a.frames)
        player.seek_frame(27)  # before mpv has opened the file
    qtbot.waitUntil(lambda: not player.seeking, timeout=5000)
    assert (player.frame, shown(player)) == (27, 27)


@needs_mpv
def test_a_file_replaced_while_opening_leaves_no_trace(qtbot, player, clips):
    a, b = clips
    opened = []
    player.file_loaded.connect(opened.append)
    player.load(str(b.path), FPS, frame_count=b.frames)
    player.seek_frame(5)
    with qtbot.waitSignal(player.file_loaded, timeout=5000):
        player.load(str(a.path), FPS, frame_count=a.frames)  # before b has opened
        player.seek_frame(27)
    qtbot.waitUntil(lambda: not player.seeking, timeout=5000)
    assert (player.frame, shown(player), player.duration) == (27, 27, a.frames)
    assert opened == [str(a.path)]
    assert player.shows_source(f"{a.path.parent}/./{a.path.name}")
    assert not player.shows_source(str(b.path))


@needs_mpv
def test_position_changed_on_gui_thread_while_playing(qtbot, player, clips, qapp):
    a, _ = clips
    load(qtbot, player, a)
    seek(qtbot, player, 0)
    threads, frames = [], []

    def on_position(frame):
        threads.append(QThread.currentThread() is qapp.thread())
        frames.append(frame)

    player.position_changed.connect(on_position)
    with qtbot.waitSignal(player.playing_changed, timeout=3000) as blocker:
        player.play()
    assert blocker.args == [True]
    qtbot.waitUntil(lambda: len(frames) >= 5, timeout=5000)
    player.pause()
    assert all(threads) and threads
    assert frames == sorted(frames)
    assert not player.playing


@needs_mpv
def test_play_to_end_stops_and_reports_paused(qtbot, player, clips):
    a, _ = clips
    load(qtbot, player, a)
    seek(qtbot, player, 44)
    player.shuttle(1)
    player.shuttle(1)  # 2x
    assert player.speed == 2 and player.mpv.speed == 2.0
    qtbot.waitUntil(lambda: not player.playing, timeout=5000)
    assert player.frame == 49 and player.speed == 0


@needs_mpv
def test_shuttle_backward_is_emulated(qtbot, player, clips):
    a, _ = clips
    load(qtbot, player, a)
    seek(qtbot, player, 30)
    player.shuttle(-1)
    player.shuttle(-1)
    assert player.speed == -2 and player.playing
    qtbot.waitUntil(lambda: player.frame <= 20, timeout=5000)
    player.shuttle(0)
    assert not player.playing and player.speed == 0
    qtbot.waitUntil(lambda: not player.seeking, timeout=5000)
    assert shown(player) == player.frame < 30
    player.shuttle(-1)  # runs into frame 0 and stops there
    qtbot.waitUntil(lambda: not player.playing, timeout=8000)
    assert player.frame == 0


@needs_mpv
def test_in_out_loop_volume_mute(qtbot, player, clips):
    a, _ = clips
    load(qtbot, player, a)
    with qtbot.waitSignal(player.in_out_changed) as blocker:
        player.set_in(10)
    assert blocker.args == [10, None]
    player.set_out(19)
    assert (player.in_point, player.out_point) == (10, 19)
    assert player.mpv["ab-loop-a"] == "no"  # not looping yet
    player.loop_in_out(True)
    assert float(player.mpv["ab-loop-a"]) == pytest.approx(0.4, abs=0.002)
    assert float(player.mpv["ab-loop-b"]) == pytest.approx(19.5 / 25, abs=0.002)
    seek(qtbot, player, 17)
    player.play()  # 17, 18, 19, then back to 10
    qtbot.waitUntil(lambda: player.frame < 17, timeout=5000)
    player.pause()
    assert 10 <= player.frame <= 19
    player.loop_in_out(False)
    assert player.mpv["ab-loop-a"] == "no" and player.mpv["ab-loop-b"] == "no"

    with qtbot.waitSignal(player.volume_changed):
        player.set_volume(35)
    assert player.mpv.volume == 35 and player.volume == 35
    player.set_volume(250)
    assert player.volume == 100
    with qtbot.waitSignal(player.muted_changed) as blocker:
        player.set_muted(True)
    assert blocker.args == [True] and player.mpv.mute is True
    player.toggle_mute()
    assert player.mpv.mute is False and not player.muted


def two_clip_project(clips):
    a, b = clips
    project = Project(name="t")
    asset_a = MediaAsset(str(a.path), FPS, a.frames, 160, 90, has_audio=True)
    asset_b = MediaAsset(str(b.path), FPS, b.frames, 160, 90, has_audio=True)
    project.assets += [asset_a, asset_b]
    timeline = Timeline(frame_rate=FPS, width=160, height=90,
                        tracks=[Track(kind=VIDEO, name="V1"), Track(kind=AUDIO, name="A1")])
    # a[5:15] at 0..9, a gap 10..14, b[20:35] at 15..29
    timeline.tracks[0].place(Clip(asset_a.id, start=0, duration=10, source_in=5))
    timeline.tracks[0].place(Clip(asset_b.id, start=15, duration=15, source_in=20))
    project.timelines[0] = timeline
    return project, timeline


def test_edl_url_and_map(clips):
    project, timeline = two_clip_project(clips)
    url, tmap = build_edl(project, timeline)
    b_path = str(clips[1].path)
    assert url.startswith("edl://%")
    assert f"%{len(b_path.encode())}%{b_path},start=0.800000,length=0.600000" in url
    assert tmap.duration == 30
    assert [tmap.frame_of(t) for t in (0.0, 0.36, 0.4, 0.44, 0.96)] == [0, 9, 15, 16, 29]
    assert tmap.in_gap(12) and not tmap.in_gap(15)
    assert tmap.time_of(12) == pytest.approx(0.4, abs=0.001)  # gap -> next clip's start


@needs_mpv
def test_load_timeline_maps_frames(qtbot, player, clips):
    project, timeline = two_clip_project(clips)
    with qtbot.waitSignal(player.file_loaded, timeout=5000):
        player.load_timeline(project, timeline)
    assert player.is_timeline and player.duration == 30
    assert not any(player.shows_source(str(c.path)) for c in clips)  # the timeline, no source
    # timeline frame -> source frame shown
    for frame, source in ((0, 5), (9, 14), (15, 20), (16, 21), (29, 34), (3, 8)):
        seek(qtbot, player, frame)
        assert player.frame == frame
        assert shown(player) == source, frame
    seek(qtbot, player, 9)
    player.step(1)  # across the gap, onto the next clip
    qtbot.waitUntil(lambda: not player.seeking, timeout=5000)
    assert player.frame == 10 and player.blank  # parked in the gap
    seek(qtbot, player, 8)
    positions = []
    player.position_changed.connect(positions.append)
    player.play()
    qtbot.waitUntil(lambda: player.frame >= 17, timeout=5000)
    player.pause()
    assert 9 in positions and 15 in positions
    assert not any(10 <= f < 15 for f in positions)  # playing skips the gap


@needs_mpv
def test_close_is_clean_and_idempotent(qtbot, qapp, clips):
    p = Player(headless=True)
    load(qtbot, p, clips[0])
    p.play()
    p.close()
    p.close()
    assert p.mpv is None
    p.seek_frame(3)  # a no-op after close, never a crash
    qapp.processEvents()


@needs_mpv
def test_panel_transport_and_jumps(qtbot, clips):
    a, _ = clips
    panel = PlayerPanel()
    qtbot.addWidget(panel)
    assert panel.player is not None and panel.player.headless  # offscreen -> vo=null
    with qtbot.waitSignal(panel.player.file_loaded, timeout=5000):
        panel.load(str(a.path), FPS, frame_count=a.frames)
    assert panel.play_button.isEnabled() and panel.scrub.maximum() == 49
    panel.set_jump_points([35, 20, 20, 0])
    panel.jump_next()
    qtbot.waitUntil(lambda: not panel.player.seeking, timeout=5000)
    assert panel.player.frame == 20 and panel.scrub.value() == 20
    assert panel.timecode_label.text() == "00:00:00:20 / 00:00:01:24"
    panel.jump_next()
    panel.jump_previous()
    assert panel.player.frame == 20
    panel.step_forward()
    panel.mark_in()
    panel.step_forward()
    panel.mark_out()
    assert (panel.player.in_point, panel.player.out_point) == (21, 22)
    panel.toggle_loop()
    assert panel.player.looping and panel.loop_button.isChecked()
    panel.toggle_mute()
    assert panel.mute_button.isChecked()
    panel.scrub.sliderMoved.emit(42)
    qtbot.waitUntil(lambda: not panel.player.seeking, timeout=5000)
    assert shown(panel.player) == 42

    # overlays get the letterboxed picture rectangle and the current frame
    seen = []
    panel.resize(400, 400)
    panel.show()
    qtbot.waitExposed(panel)
    panel.add_overlay(lambda painter, rect, frame: seen.append((QRectF(rect), frame)))
    panel.video.grab()
    rect, frame = seen[-1]
    assert frame == 42
    assert rect == letterbox((160, 90), panel.video.size())
    assert rect.width() / rect.height() == pytest.approx(16 / 9)
    assert QRectF(panel.video.rect()).contains(rect)
    clicks = []
    panel.video.mouse_pressed_on_video.connect(lambda pt, button: clicks.append((pt, button)))
    qtbot.mouseClick(panel.video, Qt.LeftButton, pos=rect.center().toPoint())
    (pt, button), = clicks
    assert button == Qt.LeftButton
    assert pt.x() == pytest.approx(80, abs=1) and pt.y() == pytest.approx(45, abs=1)
    panel.shutdown()
    assert panel.player.mpv is None


@needs_mpv
def test_headless_picture_is_the_frame_a_seek_lands_on(qtbot, clips):
    """The offscreen video widget (tests, snapshots) shows the frame a seek lands on, not
    the one on screen when the seek was asked for (the position changes at once; the
    picture only when mpv has it)."""
    a, _ = clips
    panel = PlayerPanel()
    qtbot.addWidget(panel)
    panel.resize(400, 300)
    panel.show()
    qtbot.waitExposed(panel)
    with qtbot.waitSignal(panel.player.file_loaded, timeout=5000):
        panel.load(str(a.path), FPS, frame_count=a.frames)
    qtbot.waitUntil(lambda: panel.player.video_size == (160, 90), timeout=3000)

    def painted() -> int:
        image = panel.video.grab().toImage().copy(panel.video.video_rect().toRect())
        image = image.convertToFormat(QImage.Format_RGB888)
        rows = np.frombuffer(image.constBits(), np.uint8).reshape(
            image.height(), image.bytesPerLine())[:, :3 * image.width()]
        return read_frame_number(rows.reshape(image.height(), image.width(), 3))

    for frame in (13, 34, 7):
        panel.player.seek_frame(frame)
        panel.video.grab()  # a paint while the seek is in flight
        qtbot.waitUntil(lambda: not panel.player.seeking, timeout=5000)
        assert painted() == frame
    panel.shutdown()


def test_letterbox():
    assert letterbox((1280, 720), (400, 400)) == QRectF(0, 87.5, 400, 225)
    assert letterbox((90, 160), (320, 160)) == QRectF(115, 0, 90, 160)
    assert letterbox((0, 0), (10, 20)) == QRectF(0, 0, 10, 20)


def test_missing_libmpv_message_in_process(qtbot):
    def no_libmpv(name):
        raise OSError("Cannot find libmpv in the usual places.")

    ok, message = player_available(no_libmpv)
    assert not ok and message.startswith(INSTALL_HINT)
    panel = PlayerPanel(availability=(ok, message))
    qtbot.addWidget(panel)
    assert panel.player is None and panel.video is None
    assert "sudo apt-get install libmpv2" in panel.message.text()
    assert not any(w.isEnabled() for w in panel.controls)
    panel.toggle_play()  # slots are harmless no-ops
    panel.jump_next()
    panel.shutdown()


def test_missing_libmpv_real_import_fails(tmp_path):
    """The real python-mpv import failing with OSError (libmpv.so not found)."""
    script = textwrap.dedent("""
        import ctypes.util, json, os, sys
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        ctypes.util.find_library = lambda name: None   # as on a machine without libmpv
        sys.modules.pop("mpv", None)
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from editor.ui.player import PlayerPanel, player_available
        panel = PlayerPanel()
        panel.show()
        app.processEvents()
        print(json.dumps({"available": player_available()[0],
                          "text": panel.message.text() if panel.message else None,
                          "enabled": [w.isEnabled() for w in panel.controls]}))
        panel.close()
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["available"] is False
    assert result["text"].startswith(INSTALL_HINT)
    assert not any(result["enabled"])


@needs_mpv
def test_unreadable_file_reports_error(qtbot, player, tmp_path):
    bad = tmp_path / "not-a-video.mp4"
    bad.write_bytes(b"\0" * 1000)
    with qtbot.waitSignal(player.error, timeout=5000) as blocker:
        player.load(str(bad), FPS)
    assert "not-a-video.mp4" in blocker.args[0]
    player.seek_frame(3)  # refused quietly, nothing raised
