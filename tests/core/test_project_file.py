"""Project files: round trips, atomic saves, rejection of bad files, autosave/recovery."""

import json
import os
import subprocess
import sys

import pytest

from editor.core import commands as cmd, project_file as pf
from editor.core.errors import CutwiseError
from editor.core.model import LANE_REFRAME, Clip, MediaAsset, Marker, Project, Suggestion
from editor.core.timecode import FrameRate


@pytest.fixture
def project(tmp_path):
    media = tmp_path / "media" / "clip.mp4"
    media.parent.mkdir()
    media.write_bytes(b"not decoded here")
    p = Project(name="Trip ☀")
    stack = cmd.UndoStack(p)
    asset = MediaAsset(path=str(media), frame_rate=FrameRate(30000, 1001), frame_count=900,
                       width=1920, height=1080, has_audio=True, name="clip.mp4")
    stack.push(cmd.add_asset(asset))
    tl = p.timeline
    stack.push(cmd.insert_clip(tl.id, tl.tracks[0].id, Clip(asset.id, start=0, duration=300, source_in=30)))
    stack.push(cmd.add_marker(tl.id, Marker(frame=120, name="drop", note="the beat")))
    crop = Suggestion(LANE_REFRAME, asset.id, 0, 299, kind="crop",
                      data={"keyframes": [[0, 420, 0], [299, 500, 0]], "aspect": "9:16"})
    stack.push(cmd.replace_suggestions(LANE_REFRAME, asset.id, [crop]))
    return p


def test_save_load_round_trip(project, tmp_path):
    path = tmp_path / "p.cutwise"
    pf.save(project, path)
    assert pf.load(path).to_dict() == project.to_dict()
    data = json.loads(path.read_text("utf-8"))
    assert data["format"] == "cutwise-project" and data["version"] == pf.VERSION
    assert data["project"]["assets"][0]["frame_rate"] == "30000/1001"


def test_saved_project_has_the_permissions_of_a_plain_file(project, tmp_path):
    old = os.umask(0o022)
    try:
        pf.save(project, tmp_path / "p.cutwise")  # via a 0600 temp file, renamed
        (tmp_path / "plain").write_text("x")
    finally:
        os.umask(old)
    assert (tmp_path / "p.cutwise").stat().st_mode & 0o777 == \
        (tmp_path / "plain").stat().st_mode & 0o777


def test_moved_project_folder_finds_its_media(project, tmp_path):
    pf.save(project, tmp_path / "p.cutwise")
    moved = tmp_path.parent / (tmp_path.name + "-moved")
    os.rename(tmp_path, moved)
    try:
        loaded = pf.load(moved / "p.cutwise")
        assert loaded.assets[0].path == str((moved / "media" / "clip.mp4").resolve())
    finally:
        os.rename(moved, tmp_path)


@pytest.mark.parametrize("content,message", [
    (b"", "not JSON"),
    (b"{\"format\": \"cutwise-project\", \"vers", "not JSON"),
    (b"\x00\xff garbage", "not JSON"),
    (b"[1, 2]", "not a Cutwise project"),
    (b'{"format": "something-else", "version": 1}', "not a Cutwise project"),
    (b'{"format": "cutwise-project", "version": 99, "app_version": "9.0", "project": {}}',
     "newer Cutwise"),
    (b'{"format": "cutwise-project", "version": "1", "project": {}}', "invalid format version"),
    (b'{"format": "cutwise-project", "version": 1, "project": {"assets": []}}', "damaged"),
    (b'{"format": "cutwise-project", "version": 1, "project": {"assets": [], "timelines": [],'
     b' "suggestions": [{"lane": "shots"}]}}', "damaged"),
])
def test_bad_files_are_rejected_untouched(tmp_path, content, message):
    path = tmp_path / "bad.cutwise"
    path.write_bytes(content)
    before = path.stat().st_mtime_ns
    with pytest.raises(pf.ProjectFileError, match=message) as info:
        pf.load(path)
    assert "\n" not in info.value.message
    assert path.read_bytes() == content and path.stat().st_mtime_ns == before


def test_overlapping_clips_in_file_are_rejected(project, tmp_path):
    data = pf.to_json(project)
    clip = dict(data["project"]["timelines"][0]["tracks"][0]["clips"][0], id="other", start=100)
    data["project"]["timelines"][0]["tracks"][0]["clips"].append(clip)
    with pytest.raises(pf.ProjectFileError, match="overlap"):
        pf.from_json(data)


def test_missing_file_and_folder_give_plain_errors(tmp_path):
    with pytest.raises(pf.ProjectFileError, match="does not exist"):
        pf.load(tmp_path / "nope.cutwise")
    with pytest.raises(pf.ProjectFileError, match="folder"):
        pf.load(tmp_path)


def test_failed_save_keeps_previous_file(project, tmp_path, monkeypatch):
    path = tmp_path / "p.cutwise"
    pf.save(project, path)
    good = path.read_bytes()
    project.name = "changed"

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)  # where a full disk surfaces
    with pytest.raises(CutwiseError, match="disk is full"):
        pf.save(project, path)
    monkeypatch.undo()
    assert path.read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["media", "p.cutwise"]  # no temp left


def test_save_into_missing_folder_is_created(project, tmp_path):
    pf.save(project, tmp_path / "new" / "deeper" / "p.cutwise")
    assert pf.load(tmp_path / "new" / "deeper" / "p.cutwise").name == project.name


CRASHING_SESSION = """
import sys
from editor.core import project_file as pf
from editor.core.model import Project
p = Project(name="unsaved work")
pf.write_autosave(p, None)
pf.write_autosave(Project(name="saved one"), sys.argv[1])
import os; os._exit(1)  # crash: no clean exit, autosaves stay
"""


def test_autosave_is_recovered_after_a_crash(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    monkeypatch.setenv("CUTWISE_DATA_DIR", str(data_dir))
    project_path = tmp_path / "work.cutwise"
    result = subprocess.run([sys.executable, "-c", CRASHING_SESSION, str(project_path)],
                            env={**os.environ, "CUTWISE_DATA_DIR": str(data_dir)})
    assert result.returncode == 1
    recoveries = pf.find_recoveries()
    assert sorted(r.name for r in recoveries) == ["saved one", "unsaved work"]
    saved = next(r for r in recoveries if r.name == "saved one")
    assert saved.project_path == str(project_path.resolve())
    assert saved.load().name == "saved one"
    saved.discard()
    assert [r.name for r in pf.find_recoveries()] == ["unsaved work"]


def test_own_autosave_is_not_offered_and_is_discarded_on_save(tmp_path):
    data_dir = tmp_path / "data"
    p = Project(name="live")
    path = pf.write_autosave(p, tmp_path / "live.cutwise", data_dir)
    assert path.exists()
    assert pf.find_recoveries(data_dir) == []  # this process is alive: not a crash
    pf.discard_autosave(tmp_path / "live.cutwise", data_dir)
    assert not path.exists()
