"""The whole window, offscreen: demo project, import, edit, undo, save/reopen, engine
panel run → results → accept → split, cancel, player ↔ timeline playhead."""

import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from editor.core import commands as cmd
from editor.core.model import ACCEPTED
from editor.jobs import JobState
from tests.analysis.test_shots import Shot, sequence, write

pytestmark = pytest.mark.player


@pytest.fixture(scope="module")
def cuts_clip(tmp_path_factory):
    frames, truth = sequence([("shot", Shot(1), 25), ("shot", Shot(2), 30), ("shot", Shot(3), 25)])
    return write(tmp_path_factory.mktemp("win") / "three-shots.mp4", frames), truth


def import_and_wait(qtbot, window, *paths):
    count = len(window.document.project.assets)
    window.import_files([str(p) for p in paths])
    qtbot.waitUntil(lambda: len(window.document.project.assets) == count + len(paths), timeout=15000)
    return window.document.project.assets[-1]


def test_demo_project_opens_with_everything_visible(make_window):
    window = make_window("--demo")
    project = window.document.project
    assert [a.name for a in project.assets] == ["bigbuckbunny.mp4", "bikes.mp4", "demo-reel.mp4"]
    assert window.media_bin.topLevelItemCount() == 3
    assert sum(len(t.clips) for t in project.timeline.tracks) == 5  # bikes.mp4 has no audio
    reel = project.assets[2]
    assert (reel.width, reel.height, reel.has_audio) == (640, 360, True)
    assert reel.frame_count > 4 * 60 * 25  # long enough for a 3-minute story edit
    assert "shots" in window.panels and window.docks["engine-shots"].widget().widget() is window.panels["shots"]
    assert window.actions["split"].shortcut().toString() == "S"
    assert not window.document.is_modified


def test_the_first_layout_shows_every_panel_whole(make_window, qtbot):
    """The engine panels' column starts wide enough for the widest panel's rows (the
    highlights panel's two columns of weights); narrowed by the user, a panel scrolls
    across rather than cutting its rows off."""
    window = make_window()
    window.resize(1600, 1000)
    window.show()
    qtbot.waitExposed(window)
    for key, dock in window.docks.items():
        if key.startswith("engine-"):
            dock.raise_()  # its tab in front: a hidden tab is not laid out
            qtbot.wait(20)
            scroll = dock.widget()
            assert scroll.viewport().width() >= scroll.widget().minimumSizeHint().width(), key
            assert scroll.horizontalScrollBarPolicy() != Qt.ScrollBarAlwaysOff


def test_import_edit_undo_save_reopen(make_window, qtbot, cuts_clip, tmp_path):
    window = make_window()
    asset = import_and_wait(qtbot, window, cuts_clip[0])
    assert asset.frame_count == 80 and window.media_bin.topLevelItemCount() == 1
    tl = window.document.project.timeline
    window.timeline.insert_asset(asset.id, 10)
    (clip,) = window.document.project.timeline.tracks[0].clips
    window.document.push(cmd.trim_clip(tl.id, clip.id, "out", 70))
    window.timeline.set_playhead(40)
    window.timeline.split_at_playhead()
    edited = window.document.project.to_dict()
    assert [(c.start, c.duration) for c in window.document.project.timeline.tracks[0].clips] == \
        [(10, 30), (40, 30)]
    window.document.undo_stack.undo()
    assert len(window.document.project.timeline.tracks[0].clips) == 1
    window.document.undo_stack.redo()
    assert window.document.project.to_dict() == edited
    assert window._save_to(tmp_path / "edit.cutwise")
    assert not window.document.is_modified and window.windowTitle() == "edit.cutwise — Cutwise"
    other = make_window(str(tmp_path / "edit.cutwise"))
    assert other.document.project.to_dict() == edited


def test_unreadable_import_is_reported_and_changes_nothing(make_window, qtbot, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: shown.append(a[2]))
    window = make_window()
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    window.import_files([str(bad)])
    qtbot.waitUntil(lambda: bool(shown), timeout=10000)
    assert "notes.mp4" in shown[0] and window.document.project.assets == []
    assert not window.document.is_modified


def test_shots_panel_run_accept_split(make_window, qtbot, cuts_clip):
    window = make_window()
    asset = import_and_wait(qtbot, window, cuts_clip[0])
    window.timeline.insert_asset(asset.id, 0)
    panel = window.panels["shots"]
    panel.select_asset(asset.id)
    panel.run()
    assert not panel.run_button.isEnabled() and panel.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: panel.job is None, timeout=30000)
    starts = [s.start for s in panel.lane_suggestions()]
    assert starts == cuts_clip[1]["cuts"] == [25, 55]
    assert panel.results.count() == 2
    # Each result shows the frame before and the frame after its cut, side by side.
    qtbot.waitUntil(lambda: all(not panel.results.item(i).icon().isNull() for i in range(2)),
                    timeout=15000)
    picture = panel.results.item(0).icon().pixmap(panel.results.iconSize()).toImage()
    half = picture.width() // 2
    left, right = picture.pixelColor(half // 2, picture.height() // 2), \
        picture.pixelColor(half + half // 2, picture.height() // 2)
    assert picture.width() > 1.8 * picture.height() * 16 / 9 * 0.9
    assert (left.red(), left.green(), left.blue()) != (right.red(), right.green(), right.blue())
    panel.accept_all()
    assert {s.status for s in panel.lane_suggestions()} == {ACCEPTED}
    panel.split_at_accepted()
    video = window.document.project.timeline.tracks[0]
    assert [c.start for c in video.clips] == [0, 25, 55]
    window.document.undo_stack.undo()
    assert [c.start for c in window.document.project.timeline.tracks[0].clips] == [0]


def test_cancelled_run_leaves_project_unchanged(make_window, qtbot, cuts_clip):
    window = make_window()
    asset = import_and_wait(qtbot, window, cuts_clip[0])
    before = window.document.project.to_dict()
    panel = window.panels["shots"]
    panel.select_asset(asset.id)
    panel.run()
    job = panel.job
    panel.cancel()
    qtbot.waitUntil(lambda: panel.job is None, timeout=10000)
    assert job.state is JobState.CANCELLED
    assert "Cancelled" in panel.status.text()
    assert window.document.project.to_dict() == before


def test_an_engine_note_shows_while_it_runs_and_with_its_results(make_window, qtbot, cuts_clip):
    from editor.plugins.api import Engine

    release = threading.Event()

    def noting(asset, params, *, progress, cancel, on_warning):
        progress(1, 2, "tracking")
        on_warning("SAM runs on the CPU.")
        release.wait(10)
        return []

    window = make_window()
    asset = import_and_wait(qtbot, window, cuts_clip[0])
    window.registry.register_engine(Engine(id="noting", name="Noting", lane="noting", run=noting))
    panel = window.panels["noting"]
    panel.select_asset(asset.id)
    panel.run()
    qtbot.waitUntil(lambda: "SAM runs on the CPU." in panel.status.text(), timeout=10000)
    assert panel.job is not None  # while the job still runs
    release.set()
    qtbot.waitUntil(lambda: panel.job is None, timeout=10000)
    assert panel.status.text() == "0 suggestion(s). SAM runs on the CPU."


def test_timeline_playhead_drives_player_and_back(make_window, qtbot):
    window = make_window("--demo")
    player = window.player.player
    if player is None:
        pytest.skip("libmpv is not installed")
    window.timeline.playhead_moved.emit(150)  # as a user scrub would
    qtbot.waitUntil(lambda: player.is_timeline and player.frame == 150, timeout=10000)
    player.seek_frame(40)
    qtbot.waitUntil(lambda: window.timeline.playhead == 40, timeout=10000)
    # showing another sequence: the timeline viewer follows it
    from editor.core import commands as cmd
    from editor.core.model import sequence_from_pieces

    asset = window.document.project.assets[0]
    sequence = sequence_from_pieces(asset, [(10, 30)], "Short")
    window.document.push(cmd.add_timeline(sequence))
    window.timeline.set_timeline(sequence.id)
    qtbot.waitUntil(lambda: player.path == f"timeline:{sequence.id}" and player.duration == 20,
                    timeout=10000)


def test_closing_with_unsaved_changes_asks(make_window, monkeypatch):
    window = make_window("--demo")
    window.timeline.set_playhead(10)
    window.timeline.add_marker_at_playhead()
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a) or QMessageBox.Cancel)
    assert not window.close()
    assert len(asked) == 1 and window.document.is_modified
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Discard)
    assert window.close()


def test_autosave_and_recovery_prompt(make_window, monkeypatch):
    window = make_window("--demo")
    window.timeline.set_playhead(5)
    window.timeline.add_marker_at_playhead()
    window.autosave()
    from editor.core import project_file
    written = project_file.autosave_path(None)
    assert written.exists()
    # Pretend that copy was left by a crashed process, then start a new window.
    import json
    data = json.loads(written.read_text())
    data["autosave"]["pid"] = 2**22 + 12345
    written.write_text(json.dumps(data))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    fresh = make_window()
    fresh.offer_recovery()
    assert [m.frame for m in fresh.document.project.timeline.markers] == \
        [m.frame for m in window.document.project.timeline.markers]
    assert fresh.document.is_modified


def test_window_starts_without_importing_torch(tmp_path):
    """torch and segment-anything load only when a GPU engine runs: startup stays fast."""
    import os
    import subprocess
    import sys

    script = ("from PySide6.QtWidgets import QApplication\n"
              "from PySide6.QtCore import QSettings\n"
              "import sys\n"
              "app = QApplication([])\n"
              "from editor.ui.app import create_window, parse_args\n"
              "w = create_window(parse_args(['--demo']), QSettings(sys.argv[1], QSettings.IniFormat))\n"
              "w.show(); app.processEvents()\n"
              "print(sorted(m for m in ('torch', 'torchvision', 'segment_anything') if m in sys.modules))\n"
              "w.document.undo_stack.setClean(); w.close()\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "CUTWISE_CACHE_DIR": str(tmp_path / "c"),
           "CUTWISE_DATA_DIR": str(tmp_path / "d")}
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "s.ini")], env=env,
                         capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
