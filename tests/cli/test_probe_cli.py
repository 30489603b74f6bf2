"""`cutwise probe`: correct facts on good media, one clear line on each bad input."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from editor.cli import main
from tests.clips import make_video, replace_fourcc, truncate


def probe_json(capsys, path):
    assert main(["probe", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_probe_json_facts(capsys, basic_clip):
    info = probe_json(capsys, basic_clip.path)
    video = info["video"]
    assert (video["width"], video["height"]) == (160, 90)
    assert video["frame_rate"] == "25" and video["frame_count"] == 50
    assert video["variable_frame_rate"] is False and video["rotation"] == 0
    assert info["duration_s"] == pytest.approx(2.0, abs=0.05)
    assert [a["channels"] for a in info["audio"]] == [2]


def test_probe_json_on_vfr_and_rotated(capsys, vfr_clip, rotated_clip):
    assert probe_json(capsys, vfr_clip.path)["video"]["variable_frame_rate"] is True
    video = probe_json(capsys, rotated_clip.path)["video"]
    assert video["rotation"] == 90 and (video["display_width"], video["display_height"]) == (90, 160)


def test_probe_audio_only_has_no_video(capsys, audio_only_clip):
    info = probe_json(capsys, audio_only_clip)
    assert info["video"] is None and info["audio"][0]["sample_rate"] == 48000


def test_probe_text_output_is_readable(capsys, basic_clip):
    assert main(["probe", str(basic_clip.path)]) == 0
    out = capsys.readouterr().out
    assert "160x90" in out and "25 fps" in out and "50 frames" in out


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory, basic_clip):
    folder = tmp_path_factory.mktemp("bad")
    (folder / "empty.mp4").write_bytes(b"")
    (folder / "notes.mp4").write_text("shopping list: milk, eggs\n")
    (folder / "noise.mp4").write_bytes(bytes(range(256)) * 64)
    truncate(basic_clip.path, folder / "truncated.mp4", 0.3)
    replace_fourcc(basic_clip.path, folder / "unknown-codec.mp4")
    return folder


@pytest.mark.parametrize("name,words", [
    ("missing.mp4", "does not exist"),
    ("empty.mp4", "empty"),
    ("notes.mp4", "not a"),
    ("noise.mp4", "not a"),
    ("truncated.mp4", "truncated"),
    ("unknown-codec.mp4", "codec"),
])
def test_bad_input_is_one_line_exit_2(capsys, bad_files, name, words):
    assert main(["probe", str(bad_files / name), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, lines
    assert name in lines[0] and words in lines[0].lower(), lines[0]


def test_folder_is_a_clear_error(capsys, tmp_path):
    assert main(["probe", str(tmp_path)]) == 2
    assert "folder" in capsys.readouterr().err


def test_installed_console_script_runs(basic_clip):
    script = Path(sys.executable).parent / "cutwise"
    result = subprocess.run([str(script), "probe", str(basic_clip.path), "--json"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and json.loads(result.stdout)["video"]["frame_count"] == 50


def test_a_cut_short_file_is_described_with_its_warning_once(tmp_path):
    """A file whose index promises more frames than its data holds: the text lists the
    warning; stderr stays empty (a separate process: pytest's log capture would hide the
    log's own printing, which repeated it unprefixed)."""
    clip = make_video(tmp_path / "faststart.mp4", frames=50, faststart=True)
    path = truncate(clip.path, tmp_path / "cut-short.mp4", 0.5)
    script = Path(sys.executable).parent / "cutwise"
    result = subprocess.run([str(script), "probe", str(path)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0 and result.stderr == ""
    warnings = [line for line in result.stdout.splitlines() if line.startswith("  warning")]
    assert len(warnings) == 1 and "truncated" in warnings[0] and str(path) in warnings[0]
