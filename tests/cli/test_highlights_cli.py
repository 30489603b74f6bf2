"""``cutwise highlights``: JSON, render, sequence export, weights, presets, bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import opentimelineio as otio
import pytest

from editor.cli import main
from editor.media.probe import probe
from tests.analysis.test_highlights_media import ENERGETIC, make_clip


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("hlcli") / "clip.mp4")


@pytest.fixture(autouse=True)
def private_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("CUTWISE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CUTWISE_CACHE_DIR", str(tmp_path.parent / "hl-cli-cache"))


def run_json(capsys, *argv) -> dict:
    assert main([*argv, "--json", "-q"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_shape(clip, capsys):
    data = run_json(capsys, "highlights", str(clip), "--duration", "3", "--mood", "energetic")
    assert data["duration_s"] == 3.0
    assert data["segments"], "no segments"
    for seg in data["segments"]:
        assert {"start_s", "end_s", "score", "reasons"} <= set(seg)
        assert seg["reasons"] and 0.0 <= seg["score"] <= 1.0
        assert ENERGETIC[0] <= seg["start_s"] < seg["end_s"] <= ENERGETIC[1]
    total = sum(s["end_s"] - s["start_s"] for s in data["segments"])
    assert total == pytest.approx(3.0, abs=1 / 25)


def test_render_and_sequences(clip, tmp_path, capsys):
    out = tmp_path / "teaser.mp4"
    assert main(["highlights", str(clip), "--duration", "2", "--mood", "calm", "-o", str(out),
                 "-q"]) == 0
    info = probe(out)
    assert info.video.frame_count == 50 and info.audio
    assert main(["highlights", str(clip), "--duration", "2", "-o", str(out), "-q"]) == 2
    assert "already exists" in capsys.readouterr().err
    timeline = None
    for fmt in ("otio", "edl"):
        path = tmp_path / f"edit.{fmt}"
        assert main(["highlights", str(clip), "--duration", "4", "--mood", "story",
                     "--format", fmt, "-o", str(path), "-q"]) == 0
        text = path.read_text()
        if fmt == "otio":
            timeline = otio.adapters.read_from_string(text, "otio_json")
        else:
            assert text.startswith("TITLE:") and "001" in text
    clips = list(timeline.video_tracks()[0].find_clips())
    assert sum(c.source_range.duration.value for c in clips) == 100  # 4 s at 25 fps


def test_weights_presets_and_order(clip, capsys):
    base = run_json(capsys, "highlights", str(clip), "--duration", "3")
    inverted = ",".join(f"{n}=-1" for n in ("motion", "cuts", "onsets", "loudness", "beat"))
    other = run_json(capsys, "highlights", str(clip), "--duration", "3", "--weights", inverted,
                     "--save-preset", "upside down")
    assert other["segments"] != base["segments"]
    assert other["weights"]["motion"] == -1.0
    again = run_json(capsys, "highlights", str(clip), "--duration", "3", "--preset",
                     "upside down")
    assert again["segments"] == other["segments"]
    ranked = run_json(capsys, "highlights", str(clip), "--duration", "4", "--order", "score")
    scores = [s["score"] for s in ranked["segments"]]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("argv, words", [
    (["--duration", "0"], "positive"),
    (["--duration", "3", "--weights", "motion"], "name=number"),
    (["--duration", "3", "--weights", "smell=2"], "Unknown signal"),
    (["--duration", "3", "--preset", "nope"], "No highlight preset"),
    (["--duration", "3", "--format", "edl"], "needs -o"),
    (["--duration", "3", "-o", "out.xyz"], "cannot tell the format"),
])
def test_bad_input_exits_2_with_one_line(clip, capsys, argv, words):
    assert main(["highlights", str(clip), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and len(err.splitlines()) == 1


def test_not_a_video(tmp_path, capsys):
    bad = tmp_path / "notes.mp4"
    bad.write_text("hello")
    assert main(["highlights", str(bad), "--duration", "3"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_readable_listing_from_the_command_line(clip):
    done = subprocess.run([sys.executable, "-m", "editor", "highlights", str(clip),
                           "--duration", "3"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "energetic edit of 3.000 s" in done.stdout and "cuts in" in done.stdout
