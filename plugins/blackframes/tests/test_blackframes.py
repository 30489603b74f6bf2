"""The example plugin, loaded the way Cutwise loads it (from its folder, lazily), on a
clip it writes itself: grey, then 15 black frames, then colour; a tone with a silent gap."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from editor.core.errors import Cancelled
from editor.core.model import Marker, Project, Timeline
from editor.core.progress import CancelToken
from editor.media.assets import asset_from_info
from editor.media.probe import probe
from editor.plugins.discovery import load_registry

PLUGIN_FOLDER = Path(__file__).resolve().parents[2]  # plugins/
FPS, FRAMES, BLACK = 25, 100, (30, 44)
SILENCE_S = (Fraction(6, 5), Fraction(12, 5))  # 1.2 s .. 2.4 s
RATE = 48000


def write_clip(path: Path) -> Path:
    """H.264 picture with PCM sound (lossless, so the silence edges are exact)."""
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = 96, 64, "yuv420p"
        audio = out.add_stream("pcm_s16le", rate=RATE, layout="mono")
        for i in range(FRAMES):
            level = 0 if BLACK[0] <= i <= BLACK[1] else (120 if i < BLACK[0] else 200)
            picture = np.full((64, 96, 3), level, np.uint8)
            picture[:, : i % 96] //= 2  # some texture so frames differ
            if level == 0:
                picture[:] = 0
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        t = np.arange(FRAMES * RATE // FPS) / RATE
        tone = (0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16)
        tone[int(SILENCE_S[0] * RATE):int(SILENCE_S[1] * RATE)] = 0
        for start in range(0, len(tone), 1024):
            chunk = tone[start:start + 1024]
            frame = av.AudioFrame.from_ndarray(chunk[None, :], format="s16", layout="mono")
            frame.sample_rate, frame.pts = RATE, start
            out.mux(audio.encode(frame))
        out.mux(audio.encode(None))
    return path


@pytest.fixture(scope="module")
def asset(tmp_path_factory):
    return asset_from_info(probe(write_clip(tmp_path_factory.mktemp("blackframes") / "clip.mkv")))


@pytest.fixture
def registry():
    return load_registry(folders=[PLUGIN_FOLDER], entry_points=False)


def run(registry, engine_id, asset, cancel=None, **params):
    engine = registry.engines[engine_id]
    seen = []
    result = engine.run(asset, engine.resolve(params), progress=lambda d, t, m="": seen.append((d, t)),
                        cancel=cancel or CancelToken())
    assert seen and seen[-1][0] == seen[-1][1]  # progress reached the end
    return result


def test_found_in_the_plugin_folder(registry):
    info = next(p for p in registry.plugins if p.name == "blackframes")
    assert info.engines == ("blackframes.black", "blackframes.silence")
    assert info.exporters == ("blackframes.srt",) and info.api == 1
    assert registry.engines["blackframes.black"].parameters[0].name == "threshold"
    assert not registry.failures


def test_black_frames_exactly(registry, asset):
    (found,) = run(registry, "blackframes.black", asset)
    assert (found.start, found.end, found.lane, found.kind) == (*BLACK, "black", "black")
    assert found.asset_id == asset.id and found.confidence > 0.98


def test_short_black_runs_are_ignored(registry, asset):
    assert run(registry, "blackframes.black", asset, min_frames=16) == []


def test_silence_exactly(registry, asset):
    (found,) = run(registry, "blackframes.silence", asset)
    # frames starting within 1.2 s .. 2.4 s at 25 fps
    assert (found.start, found.end) == (30, 59)
    assert found.data == {"start_time": 1.2, "end_time": 2.4}


def test_cancel_stops_without_disabling_the_plugin(registry, asset):
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        registry.engines["blackframes.black"].run(asset, {"threshold": 0.1, "coverage": 0.98, "min_frames": 3},
                                                  progress=lambda *a: None, cancel=token)
    assert not registry.failures and not registry.disabled


def test_markers_export_as_srt(registry):
    timeline = Timeline(markers=[Marker(0, "Intro"), Marker(50, "Talk", note="guest"), Marker(100, "End")])
    exporter = registry.exporter_for("subs.srt")
    text = exporter.run(Project(), timeline)
    assert text.split("\n\n")[1] == "2\n00:00:02,000 --> 00:00:04,000\nTalk\nguest"
    assert text.startswith("1\n00:00:00,000 --> 00:00:02,000\nIntro\n")
    assert "3\n00:00:04,000 --> 00:00:06,000\nEnd" in text
