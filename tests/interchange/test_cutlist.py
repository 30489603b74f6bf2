"""Cut list exporters: each format read back (by OpenTimelineIO or csv) gives our shots."""

from __future__ import annotations

import csv
import io

import opentimelineio as otio
import pytest

from editor.interchange import cutlist

RESULT = {
    "path": "/media/film.mp4", "fps": 25.0, "frame_rate": "25", "frame_count": 250,
    "cuts": [30, 76], "transitions": [{"type": "dissolve", "start": 137, "end": 150}],
    "shots": [{"start": 0, "end": 29}, {"start": 30, "end": 75}, {"start": 76, "end": 136},
              {"start": 151, "end": 249}],
}
RANGES = [(0, 30), (30, 46), (76, 61), (151, 99)]  # (first frame, length) per shot


def clip_ranges(timeline) -> list[tuple[int, int]]:
    return [(round(c.source_range.start_time.to_frames()),
             round(c.source_range.duration.to_frames())) for c in timeline.find_clips()]


def test_csv_is_a_pyscenedetect_scene_list():
    text = cutlist.to_csv(RESULT)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Timecode List:", "00:00:01.200", "00:00:03.040", "00:00:06.040"]
    assert rows[1][:3] == ["Scene Number", "Start Frame", "Start Timecode"]
    body = rows[2:]
    assert len(body) == 4
    # PySceneDetect numbers frames from 1 and prints the last frame of each scene
    starts = [int(r[1]) - 1 for r in body]
    ends = [int(r[4]) - 1 for r in body]
    assert list(zip(starts, ends)) == [(s["start"], s["end"]) for s in RESULT["shots"]]
    assert [int(r[7]) for r in body] == [n for _, n in RANGES]
    assert body[1][3] == "1.200" and body[1][2] == "00:00:01.200"


def test_edl_round_trips_through_otio():
    text = cutlist.to_string(RESULT, "edl")
    assert text.startswith("TITLE: film")
    timeline = otio.adapters.read_from_string(text, "cmx_3600", rate=25)
    assert clip_ranges(timeline) == RANGES


def test_otio_round_trips():
    timeline = otio.adapters.read_from_string(cutlist.to_string(RESULT, "otio"), "otio_json")
    assert clip_ranges(timeline) == RANGES
    ref = timeline.find_clips()[0].media_reference
    assert ref.target_url.endswith("film.mp4")
    assert ref.available_range.duration.to_frames() == 250


def test_fcpxml_round_trips():
    text = cutlist.to_string(RESULT, "fcpxml")
    assert "<fcpxml" in text
    timeline = otio.adapters.read_from_string(text, "fcpx_xml")
    assert clip_ranges(timeline) == RANGES


def test_ntsc_rate_edl():
    result = dict(RESULT, fps=29.97, frame_rate="30000/1001", frame_count=300)
    timeline = otio.adapters.read_from_string(cutlist.to_string(result, "edl"), "cmx_3600",
                                              rate=30000 / 1001)
    assert clip_ranges(timeline) == RANGES


def test_write_file_and_unknown_format(tmp_path):
    out = cutlist.write(RESULT, "csv", tmp_path / "scenes.csv")
    assert out.read_text().startswith("Timecode List:")
    with pytest.raises(cutlist.ExportError):
        cutlist.to_string(RESULT, "avid")
