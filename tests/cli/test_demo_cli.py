"""`cutwise demo` (what `make run` shows without the window): real outputs, no clobbering."""

import json
import shutil

import cv2

from editor.cli import main
from editor.core import project_file


def _media_folder(tmp_path, clip):
    """A folder holding ``clip`` alone (the shared clip folder also holds the broken files
    other tests make, which the demo would rightly refuse)."""
    folder = tmp_path / "media"
    folder.mkdir()
    shutil.copy(clip.path, folder / clip.path.name)
    return folder


def test_demo_builds_a_project_and_pictures(capsys, tmp_path, monkeypatch, basic_clip):
    monkeypatch.setenv("CUTWISE_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "out"
    args = ["demo", "--media", str(_media_folder(tmp_path, basic_clip)), "--out", str(out),
            "--json", "-q"]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    project = project_file.load(summary["project"])
    clips = project.timeline.tracks[0].clips
    assert [c.duration for c in clips] == [i["video"]["frame_count"] for i in summary["media"]
                                          if i["video"]]
    assert all(a.start == b.end for a, b in zip(clips[1:], clips))  # back to back
    strip = cv2.imread(str(out / "basic-filmstrip.png"))
    assert strip is not None and strip.shape[1] == 6 * 240
    assert (out / "basic-waveform.png").exists()
    # A second run refuses to replace the output unless asked.
    assert main(args) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main(args + ["--overwrite"]) == 0


def test_demo_caps_long_waveforms_and_uses_every_bundled_clip(capsys, tmp_path, monkeypatch,
                                                              basic_clip):
    """A long clip (the 4.5-minute demo reel) gets a waveform picture of bounded width, not
    100 px per second; the default media are every clip in resources/."""
    from editor.cli import demo

    monkeypatch.setenv("CUTWISE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(demo, "WAVEFORM_MAX_WIDTH", 100)  # the 2 s clip counts as long here
    out = tmp_path / "out"
    assert main(["demo", "--media", str(_media_folder(tmp_path, basic_clip)), "--out", str(out),
                 "-q"]) == 0
    wave = cv2.imread(str(out / "basic-waveform.png"))
    assert wave is not None and 50 <= wave.shape[1] <= 100
    bundled = sorted(p.name for p in demo.bundled_media_dir().iterdir()
                     if p.suffix in demo.MEDIA_SUFFIXES)
    assert bundled == ["bigbuckbunny.mp4", "bikes.mp4", "demo-reel.mp4"]
