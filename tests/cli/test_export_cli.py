"""``cutwise export`` and ``cutwise import``: format by extension, chapters, accepted
suggestions, plugin exporters, and one-line errors that write nothing."""

from __future__ import annotations

import json

import opentimelineio as otio
import pytest

import editor.cli as cli
from editor.core import project_file
from editor.core.model import ACCEPTED, Clip, Marker, Project, Suggestion, Timeline, Track
from editor.media.assets import asset_from_info
from editor.media.probe import probe
from tests.clips import make_video


@pytest.fixture(autouse=True)
def private_dirs(monkeypatch, tmp_path):
    monkeypatch.setenv("CUTWISE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CUTWISE_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(scope="module")
def project_path(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    asset = asset_from_info(probe(make_video(folder / "clip.mp4", fps=25, frames=100, cuts=(40,)).path))
    timeline = Timeline("Edit", asset.frame_rate, 160, 90,
                        [Track("video", "V1", [Clip(asset.id, 0, 40, 0, name="one"), Clip(asset.id, 50, 30, 60, name="two")])],
                        [Marker(0, "Start"), Marker(300, "Middle"), Marker(600, "End")])
    project = Project("p", [asset], [timeline],
                      suggestions=[Suggestion("shots", asset.id, 40, 40, kind="cut", status=ACCEPTED)])
    path = folder / "edit.cutwise"
    project_file.save(project, path)
    return path


def ranges(otl):
    return [(round(c.range_in_parent().start_time.value), round(c.source_range.start_time.value),
             round(c.source_range.duration.value)) for c in otl.find_clips()]


@pytest.mark.parametrize("suffix, adapter", [(".otio", "otio_json"), (".xml", "fcp_xml")])
def test_export_by_extension(project_path, tmp_path, suffix, adapter):
    out = tmp_path / f"edit{suffix}"
    assert cli.main(["export", str(project_path), "-o", str(out), "-q"]) == 0
    assert ranges(otio.adapters.read_from_file(str(out), adapter)) == [(0, 0, 40), (50, 60, 30)]


def test_export_json_report_and_edl(project_path, tmp_path, capsys):
    out = tmp_path / "edit.edl"
    assert cli.main(["export", str(project_path), "-o", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report == {"output": str(out), "format": "edl", "timeline": "Edit", "warnings": [
        "An EDL keeps markers only inside clips of V1: Middle, End not exported."]}
    assert "* LOC: 00:00:00:00 YELLOW  START" in out.read_text()


def test_chapters_to_stdout(project_path, capsys):
    assert cli.main(["export", str(project_path), "--chapters", "-q"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "0:00 Start\n0:12 Middle\n0:24 End\n"


def test_accepted_suggestions_as_a_scene_list(project_path, tmp_path):
    out = tmp_path / "shots.csv"
    assert cli.main(["export", str(project_path), "--lane", "shots", "--media", "clip.mp4",
                     "-o", str(out), "-q"]) == 0
    rows = out.read_text().splitlines()
    assert rows[0] == "Timecode List:,00:00:01.600" and len(rows) == 4


def test_plugin_exporter_by_extension(project_path, tmp_path):
    out = tmp_path / "markers.srt"
    assert cli.main(["export", str(project_path), "-o", str(out), "-q"]) == 0
    assert out.read_text().startswith("1\n00:00:00,000 --> 00:00:12,000\nStart\n")


def test_import_then_export_again(project_path, tmp_path, capsys):
    otio_file = tmp_path / "edit.otio"
    assert cli.main(["export", str(project_path), "-o", str(otio_file), "-q"]) == 0
    back = tmp_path / "back.cutwise"
    assert cli.main(["import", str(otio_file), "-o", str(back), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["clips"], report["markers"], report["frame_rate"]) == (2, 3, "25")
    original, imported = project_file.load(project_path), project_file.load(back)
    assert [(c.start, c.duration, c.source_in) for c in imported.timeline.tracks[0].clips] == \
        [(c.start, c.duration, c.source_in) for c in original.timeline.tracks[0].clips]
    assert [a.path for a in imported.assets] == [a.path for a in original.assets]


@pytest.mark.parametrize("args, message", [
    (["-o", "{tmp}/x.mov"], "cannot export to 'x.mov': use one of .otio, .xml, .fcpxml, .edl, .csv, .txt, .srt"),
    ([], "say where to write with -o OUT"),
    (["-o", "{tmp}/exists.otio"], "already exists; pass --overwrite"),
    (["--lane", "shots", "-o", "{tmp}/a.csv"], "--lane needs --media"),
    (["--timeline", "Nope", "-o", "{tmp}/a.otio"], "no timeline named 'Nope'"),
    (["--lane", "highlights", "--media", "clip.mp4", "-o", "{tmp}/a.otio"], "no accepted 'highlights'"),
])
def test_bad_export_is_one_line_and_writes_nothing(project_path, tmp_path, capsys, args, message):
    (tmp_path / "exists.otio").write_text("keep")
    before = sorted(p.name for p in tmp_path.iterdir())
    argv = ["export", str(project_path)] + [a.format(tmp=tmp_path) for a in args]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert (tmp_path / "exists.otio").read_text() == "keep"


def test_bad_import_is_one_line(tmp_path, capsys):
    (tmp_path / "junk.otio").write_text("{")
    assert cli.main(["import", str(tmp_path / "junk.otio"), "-o", str(tmp_path / "p.cutwise")]) == 2
    assert "junk.otio is not a readable OpenTimelineIO" in capsys.readouterr().err
    assert cli.main(["import", str(tmp_path / "junk.otio"), "-o", str(tmp_path / "p.txt")]) == 2
    assert "must end in .cutwise" in capsys.readouterr().err
    assert not (tmp_path / "p.cutwise").exists()
