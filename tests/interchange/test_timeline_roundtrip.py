"""Timeline export → re-import gives back the same cuts, clip ranges and markers,
frame-exactly, in every format, at 23.976, 25, 29.97 and 60 fps and on a VFR source.

The media are real generated clips; re-import starts from an empty project, so each
file's media references are resolved and probed again as they would be for a timeline
coming back from Resolve, Premiere or Final Cut.
"""

from __future__ import annotations

import csv
import io
from fractions import Fraction

import pytest

from editor.core import commands as cmd
from editor.core.model import AUDIO, VIDEO, Clip, Marker, Project, Timeline, Track
from editor.interchange import timeline_io
from editor.interchange.otio_bridge import InterchangeError
from editor.media.assets import asset_from_info
from editor.media.probe import probe
from tests.clips import make_video

RATES = {"23.976": Fraction(24000, 1001), "25": Fraction(25), "29.97": Fraction(30000, 1001),
         "60": Fraction(60), "vfr": Fraction(25)}
FORMATS = {"otio": ".otio", "fcp7": ".xml", "fcpxml": ".fcpxml", "edl": ".edl"}


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    """Per rate: two clips (one with sound) and a timeline with three tracks, gaps, a clip
    past the 10-minute mark (drop-frame timecode at 29.97) and markers, one with a length."""
    folder = tmp_path_factory.mktemp("roundtrip")
    made = {}
    for label, fps in RATES.items():
        vfr = label == "vfr"
        a = asset_from_info(probe(make_video(folder / f"a-{label}.mp4", fps=fps, frames=120, cuts=(40,),
                                             audio=True, vfr=vfr).path))
        b = asset_from_info(probe(make_video(folder / f"b-{label}.mp4", fps=fps, frames=90, vfr=vfr).path))
        assert a.variable_frame_rate == vfr
        v1 = Track(VIDEO, "V1", [Clip(a.id, 0, 40, 10, name="a one"), Clip(b.id, 47, 30, 5, name="b one"),
                                 Clip(a.id, 20000, 50, 61, name="a two")])
        v2 = Track(VIDEO, "V2", [Clip(b.id, 10, 20, 60, name="b two")])
        a1 = Track(AUDIO, "A1", [Clip(a.id, 0, 40, 10, name="a one"), Clip(a.id, 20000, 50, 61, name="a two")])
        markers = [Marker(12, "Intro", "#f5c518"), Marker(50, "Middle part", "#3a86ff", duration=10),
                   Marker(20010, "Late one", "#e5383b", note="check sound")]
        timeline = Timeline(f"Cut {label}", a.frame_rate, 160, 90, [v1, v2, a1], markers)
        made[label] = Project(f"p {label}", [a, b], [timeline])
    return made


def clips_of(project: Project, timeline: Timeline, tracks: int | None = None):
    """Per track: kind and (media file, start, duration, source in) of each clip."""
    names = {a.id: a.path for a in project.assets}
    return [(t.kind, [(names[c.asset_id], c.start, c.duration, c.source_in) for c in t.clips])
            for t in timeline.tracks[:tracks]]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("rate", RATES)
def test_round_trip(projects, tmp_path, rate, fmt):
    project = projects[rate]
    timeline = project.timeline
    out = tmp_path / f"cut{FORMATS[fmt]}"
    warnings = timeline_io.export_file(project, out)
    back = timeline_io.read_file(out)  # into a new project: media resolved from the file
    imported = back.timeline
    again = Project(assets=back.new_assets, timelines=[imported])
    assert imported.frame_rate == timeline.frame_rate
    assert sorted(a.path for a in back.new_assets) == sorted(a.path for a in project.assets)
    if fmt == "edl":  # one video track; marker names in capitals
        assert warnings == ["An EDL holds one video track: V2, A1 not exported."]
        assert clips_of(again, imported) == clips_of(project, timeline, 1)
        assert [(m.frame, m.name) for m in imported.markers] == [(m.frame, m.name.upper()) for m in timeline.markers]
        return
    assert warnings == []
    assert clips_of(again, imported) == clips_of(project, timeline)
    assert [t.name for t in imported.tracks] == ["V1", "V2", "A1"]
    assert [(m.frame, m.name) for m in imported.markers] == [(m.frame, m.name) for m in timeline.markers]
    durations = [m.duration for m in imported.markers]
    assert durations == [0, 10, 0]
    if fmt == "otio":  # OTIO keeps everything: colours, notes, clip names
        assert [(m.color, m.note) for m in imported.markers] == [(m.color, m.note) for m in timeline.markers]
        assert [c.name for c in imported.tracks[0].clips] == ["a one", "b one", "a two"]


def test_vfr_source_is_written_at_real_frame_times(projects):
    """A VFR clip's 10th decoded frame is shown at 13/25 s: other editors get that time."""
    import opentimelineio as otio

    project = projects["vfr"]
    text, _ = timeline_io.export_string(project, "otio")
    first = otio.adapters.read_from_string(text, "otio_json").tracks[0].find_clips()[0]
    assert first.source_range.start_time.value == 13 and project.timeline.tracks[0].clips[0].source_in == 10


def test_fcpxml_has_exact_ntsc_times(projects):
    text, _ = timeline_io.export_string(projects["29.97"], "fcpxml")
    assert 'frameDuration="1001/30000s"' in text
    assert 'offset="2002/3s"' in text  # frame 20000 at 30000/1001 fps = 2002/3 s exactly


def test_import_into_the_open_project_reuses_its_media_in_one_undo_step(projects, tmp_path):
    project = projects["25"]
    out = tmp_path / "cut.xml"
    timeline_io.export_file(project, out)
    copy = Project.from_dict(project.to_dict())
    stack = cmd.UndoStack(copy)
    back = timeline_io.read_file(out, copy)
    assert back.new_assets == []
    stack.push(timeline_io.import_command(back))
    assert len(copy.timelines) == 2
    assert clips_of(copy, copy.timelines[1]) == clips_of(project, project.timeline)
    stack.undo()
    assert copy.to_dict() == project.to_dict()


def test_missing_media_comes_back_offline(projects, tmp_path):
    project = Project.from_dict(projects["25"].to_dict())
    for asset in project.assets:
        asset.path = str(tmp_path / "gone" / asset.name)
    out = tmp_path / "cut.otio"
    timeline_io.export_file(project, out)
    back = timeline_io.read_file(out)
    assert {a.frame_count for a in back.new_assets} == {120, 90}
    assert any("offline" in w for w in back.warnings)
    assert clips_of(Project(assets=back.new_assets, timelines=[back.timeline]), back.timeline) == \
        clips_of(project, project.timeline)


def test_scene_csv_lists_the_first_video_track(projects):
    rows = list(csv.reader(io.StringIO(timeline_io.export_string(projects["29.97"], "csv")[0])))
    spans = [(int(r[1]) - 1, int(r[4]) - 1) for r in rows[2:]]
    assert spans == [(0, 39), (47, 76), (20000, 20049)]


def test_youtube_chapters_from_markers():
    rate = Fraction(30000, 1001)
    from editor.core.timecode import FrameRate

    timeline = Timeline("t", FrameRate.of(rate), tracks=[Track(VIDEO, "V1")],
                        markers=[Marker(0, "Intro"), Marker(900, "Setup"), Marker(110_000, "Finale")])
    text, warnings = timeline_io.export_string(Project(), "chapters", timeline)
    assert text == "0:00:00 Intro\n0:00:30 Setup\n1:01:10 Finale\n"  # 110000 frames = 3670.33 s
    assert warnings == []
    short, warnings = timeline_io.youtube_chapters(Timeline(markers=[Marker(50, "Only")]))
    assert short == "0:00 Intro\n0:02 Only\n"
    assert any("at least 3" in w for w in warnings) and any("10 s or more" in w for w in warnings)


def test_accepted_suggestions_as_a_timeline(projects):
    from editor.core.model import ACCEPTED, REJECTED, Suggestion

    project = Project.from_dict(projects["25"].to_dict())
    asset = project.assets[0]
    project.suggestions = [
        Suggestion("shots", asset.id, 40, 40, kind="cut", status=ACCEPTED),
        Suggestion("shots", asset.id, 70, 79, kind="dissolve", status=ACCEPTED),
        Suggestion("shots", asset.id, 100, 100, kind="cut", status=REJECTED)]
    timeline = timeline_io.suggestions_timeline(project, "shots", asset.id)
    assert [(c.start, c.duration, c.source_in) for c in timeline.tracks[0].clips] == \
        [(0, 40, 0), (40, 30, 40), (70, 40, 80)]
    with pytest.raises(InterchangeError, match="no accepted 'highlights'"):
        timeline_io.suggestions_timeline(project, "highlights", asset.id)


@pytest.mark.parametrize("name, content, message", [
    ("junk.otio", "{not json", "is not a readable OpenTimelineIO"),
    ("junk.fcpxml", "<fcpxml><oops", "Not an FCPXML file"),
    ("junk.xml", "<xmeml version='4'></xmeml>", "is not a readable FCP 7 XML"),
    ("movie.mov", "", "Cannot import 'movie.mov'"),
])
def test_bad_files_give_one_readable_line(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InterchangeError, match=message) as error:
        timeline_io.read_file(path)
    assert "\n" not in error.value.message
