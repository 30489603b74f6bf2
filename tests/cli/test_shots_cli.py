"""``cutwise shots``: JSON shape, cut list formats, readable output, exit 2 on bad input."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import opentimelineio as otio
import pytest

import editor.cli as cli
from tests.analysis.test_shots import Shot, sequence, write
from tests.clips import corrupt, make_audio_only


@pytest.fixture(autouse=True)
def private_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("CUTWISE_CACHE_DIR", str(tmp_path / "cache"))


class _Clip:
    def __init__(self, path):
        self.path = path


@pytest.fixture(scope="module")
def cut_clip(tmp_path_factory):
    """Textured shots at frames 0-19, 20-49 and 50-69 (25 fps), hard cuts between them."""
    frames, truth = sequence([("shot", Shot(1), 20), ("shot", Shot(2), 30), ("shot", Shot(3), 20)])
    assert truth["cuts"] == [20, 50]
    return _Clip(write(tmp_path_factory.mktemp("cli") / "cuts.mp4", frames))


def test_json_shape(capsys, cut_clip):
    assert cli.main(["shots", str(cut_clip.path), "--json", "-q"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["fps"] == 25.0 and data["frame_count"] == 70
    assert isinstance(data["cuts"], list) and all(isinstance(c, int) for c in data["cuts"])
    assert isinstance(data["transitions"], list)
    for t in data["transitions"]:
        assert t["type"] in ("dissolve", "fade", "wipe") and t["start"] <= t["end"]
    shots = data["shots"]
    assert shots[0]["start"] == 0 and shots[-1]["end"] == 69
    for a, b in zip(shots, shots[1:]):
        assert a["end"] < b["start"]
    assert data["cuts"] == [20, 50] and data["transitions"] == []
    assert [(s["start"], s["end"]) for s in shots] == [(0, 19), (20, 49), (50, 69)]


def test_readable_list_by_default(capsys, cut_clip):
    assert cli.main(["shots", str(cut_clip.path), "-q"]) == 0
    out = capsys.readouterr().out
    assert "shots" in out.splitlines()[0]
    assert "00:00:00.800" in out  # frame 20 at 25 fps starts the second shot


def test_csv_to_stdout(capsys, cut_clip):
    assert cli.main(["shots", str(cut_clip.path), "--format", "csv", "-q"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][0] == "Timecode List:" and rows[1][0] == "Scene Number"
    assert int(rows[2][1]) == 1


@pytest.mark.parametrize("fmt,adapter", [("edl", "cmx_3600"), ("otio", "otio_json"),
                                         ("fcpxml", "fcpx_xml")])
def test_formats_to_file(tmp_path, cut_clip, fmt, adapter):
    out = tmp_path / f"cuts.{fmt}"
    assert cli.main(["shots", str(cut_clip.path), "--format", fmt, "-o", str(out), "-q"]) == 0
    kwargs = {"rate": 25} if adapter == "cmx_3600" else {}
    timeline = otio.adapters.read_from_file(str(out), adapter, **kwargs)
    starts = [round(c.source_range.start_time.to_frames()) for c in timeline.find_clips()]
    assert starts == [0, 20, 50]
    # never overwrite without --overwrite
    assert cli.main(["shots", str(cut_clip.path), "--format", fmt, "-o", str(out), "-q"]) == 2
    assert cli.main(["shots", str(cut_clip.path), "--format", fmt, "-o", str(out), "-q",
                     "--overwrite"]) == 0


def test_sensitivity_is_checked(capsys, cut_clip):
    assert cli.main(["shots", str(cut_clip.path), "--sensitivity", "3"]) == 2
    assert "sensitivity" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["missing", "empty", "audio"])
def test_bad_input_is_one_line_exit_2(capsys, tmp_path, kind):
    path = tmp_path / ("tone.m4a" if kind == "audio" else "bad.mp4")
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "audio":
        make_audio_only(path)
    assert cli.main(["shots", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cutwise: error:") and path.name in lines[0]


def test_a_damaged_clip_s_warnings_are_printed_once_each(tmp_path, cut_clip):
    """Each warning reaches stderr once, as ``cutwise: warning: ...``: the media layer's log
    does not print it a second time (a separate process: pytest's own log capture would
    hide that second printing)."""
    damaged = corrupt(cut_clip.path, tmp_path / "damaged.mp4", packets=3)
    script = Path(sys.executable).parent / "cutwise"

    def shots(path):
        run = subprocess.run([str(script), "shots", str(path), "--json"],
                             capture_output=True, text=True, timeout=120,
                             env=dict(os.environ, CUTWISE_CACHE_DIR=str(tmp_path / "cache")))
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout)["warnings"], run.stderr.strip().splitlines()

    told, lines = shots(damaged)
    assert told and lines == [f"cutwise: warning: {message}" for message in told]
    assert all(message.startswith(f"{damaged}: ") for message in told)
    # a copy reads the first one's cached analysis; its warnings name the copy
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(damaged.read_bytes())
    told_again, _ = shots(copy)
    assert told_again == [message.replace(str(damaged), str(copy)) for message in told]
