"""``cutwise reframe``: the JSON contract, rendering with audio, keyframes export, exit 2."""

from __future__ import annotations

import json

import pytest

import editor.cli as cli
from editor.media.probe import probe
from tests.analysis.test_reframe import make_subject_clip


@pytest.fixture(autouse=True)
def private_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("CUTWISE_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def clip_and_boxes(tmp_path_factory):
    return make_subject_clip(tmp_path_factory.mktemp("cli-reframe") / "figure.mp4",
                             shots=("walk", "still"), frames_per_shot=30)


@pytest.fixture(scope="module")
def clip(clip_and_boxes):
    return clip_and_boxes[0]


def test_json_contract(capsys, clip):
    assert cli.main(["reframe", str(clip), "--aspect", "9:16", "--json", "-q"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["source"] == {"width": 320, "height": 180}
    assert data["crop"] == {"width": 102, "height": 180}
    frames = data["frames"]
    assert [f["frame"] for f in frames] == list(range(60))  # one per frame, decode order
    assert all(isinstance(f["x"], int) and isinstance(f["y"], int) for f in frames)
    assert all(0 <= f["x"] <= 320 - 102 and f["y"] == 0 for f in frames)
    assert [s["start"] for s in data["shots"]] == [0, 30]


def test_render_keyframes_and_pins(capsys, clip, tmp_path):
    out, keys = tmp_path / "v.mp4", tmp_path / "keys.json"
    assert cli.main(["reframe", str(clip), "--aspect", "1:1", "-o", str(out), "--size", "180x180",
                     "--keyframes", str(keys), "--pin", "40:100,0", "-q"]) == 0
    info = probe(out)
    assert (info.video.display_width, info.video.display_height) == (180, 180)
    assert info.video.frame_count == 60 and len(info.audio) == 1
    exported = json.loads(keys.read_text())
    assert exported["crop"] == {"width": 180, "height": 180}
    # a 1:1 crop of a 320x180 frame: 140 px of travel; the pin is clamped into it
    shot = exported["shots"][1]
    assert [40, 100, 0] in shot["user_keyframes"] and [40, 100, 0] in shot["keyframes"]
    # outputs are never overwritten without --overwrite
    assert cli.main(["reframe", str(clip), "-o", str(out), "-q"]) == 2
    assert "already exists" in capsys.readouterr().err


def test_subject_clicks_are_followed(capsys, clip_and_boxes):
    path, boxes = clip_and_boxes
    clicks = []
    for f, rank in ((20, ""), (45, "#2")):  # one click in each shot; the second as subject 2
        b = boxes[f]
        clicks += ["--subject", f"{(b[0] + b[2]) / 2:.0f},{(b[1] + b[3]) / 2:.0f}@{f}{rank}"]
    assert cli.main(["reframe", str(path), *clicks, "--backend", "grabcut", "--json", "-q"]) == 0
    result = json.loads(capsys.readouterr().out)
    frames = result["frames"]
    kept = [f["x"] <= boxes[i][0] and boxes[i][2] <= f["x"] + 102 for i, f in enumerate(frames)]
    assert sum(kept[:30]) >= 27 and sum(kept[30:]) >= 27  # before and after each click
    assert [len(c) for s in result["shots"] for c in s["subjects"]] == [3, 4]
    assert result["shots"][-1]["subjects"][0][2:] == [45, 2]


@pytest.mark.parametrize("args, message", [
    (["--aspect", "9:0"], "aspect"),
    (["--subject", "banana"], "--subject"),
    (["--subject", "60,90@0#0"], "--subject"),
    (["--subject", "60,90@0", "--backend", "grabcut", "--checkpoint", "sam.pth"], "--checkpoint"),
    (["--subject", "60,90@0", "--checkpoint", "missing.pth"], "missing.pth"),
    (["--smoothness", "3"], "--smoothness"),
    (["--pin", "x"], "--pin"),
    (["--size", "5x5"], "--size"),
    (["--background", "plaid"], "background"),
])
def test_bad_options_exit_2_with_one_line(capsys, clip, args, message):
    assert cli.main(["reframe", str(clip), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err


def test_unreadable_file_exit_2(capsys, tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_text("hello")
    assert cli.main(["reframe", str(bad), "--json"]) == 2
    assert capsys.readouterr().err.startswith("cutwise: error:")
