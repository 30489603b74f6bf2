"""The UI's document: commands through a QUndoStack, clean state, files, autosave."""

import pytest

from editor.core import commands as cmd
from editor.core import project_file
from editor.core.errors import CutwiseError
from editor.core.model import Clip, MediaAsset, Marker
from editor.core.timecode import FrameRate
from editor.ui.document import Document


@pytest.fixture
def document(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("CUTWISE_DATA_DIR", str(tmp_path / "data"))
    doc = Document()
    asset = MediaAsset(path=str(tmp_path / "a.mp4"), frame_rate=FrameRate(25), frame_count=250,
                       width=640, height=360, name="a.mp4")
    doc.push(cmd.add_asset(asset))
    doc.undo_stack.setClean()
    return doc


def test_push_undo_redo_and_title(document, qtbot):
    tl = document.project.timeline
    before = document.project.to_dict()
    with qtbot.waitSignal(document.changed) as signal:
        document.push(cmd.insert_clip(tl.id, tl.tracks[0].id, Clip(document.project.assets[0].id, 0, 50)))
    assert signal.args == [("timeline", tl.id)]
    assert document.is_modified and document.title.startswith("●")
    after = document.project.to_dict()
    document.undo_stack.undo()
    assert document.project.to_dict() == before and not document.is_modified
    document.undo_stack.redo()
    assert document.project.to_dict() == after


def test_refused_edit_records_nothing(document):
    tl = document.project.timeline
    with pytest.raises(CutwiseError):
        document.push(cmd.insert_clip(tl.id, tl.tracks[0].id, Clip(document.project.assets[0].id, 0, 9999)))
    assert document.undo_stack.count() == 1 and not document.is_modified


def test_save_open_round_trip_and_bad_file_keeps_project(document, tmp_path):
    document.push(cmd.add_marker(document.project.timeline.id, Marker(frame=5, name="x")))
    path = document.save(tmp_path / "p.cutwise")
    assert not document.is_modified and document.title == "p.cutwise — Cutwise"
    saved = document.project.to_dict()
    other = Document()
    other.open(path)
    assert other.project.to_dict() == saved
    (tmp_path / "bad.cutwise").write_text("{")
    with pytest.raises(CutwiseError):
        other.open(tmp_path / "bad.cutwise")
    assert other.project.to_dict() == saved and other.path == path


def test_autosave_only_when_modified_and_recovery(document, tmp_path):
    assert document.autosave() is None
    document.push(cmd.add_marker(document.project.timeline.id, Marker(frame=7)))
    written = document.autosave()
    assert written.exists()
    recovery = project_file.Recovery(written, None, "now", "Untitled")
    fresh = Document()
    fresh.recover(recovery)
    assert [m.frame for m in fresh.project.timeline.markers] == [7]
    assert fresh.is_modified and not written.exists()
