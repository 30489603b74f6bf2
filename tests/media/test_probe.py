import json
from fractions import Fraction
from pathlib import Path

import pytest

from editor.core.cache import AnalysisCache
from editor.media import probe as probe_module
from editor.media.probe import MediaInfo, probe
from tests.clips import has_encoder, make_audio_only, make_video, truncate

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "real-clips"
needs_real = pytest.mark.skipif(not REAL.is_dir(), reason="shared real clips not present")


def test_basic_clip_facts(basic_clip):
    info = probe(basic_clip.path)
    v = info.video
    assert (v.codec, v.pix_fmt, v.bit_depth) == ("h264", "yuv420p", 8)
    assert (v.width, v.height, v.display_width, v.display_height) == (160, 90, 160, 90)
    assert (v.frame_count, str(v.frame_rate), v.variable_frame_rate) == (50, "25", False)
    assert v.rotation == 0 and v.pixel_aspect == 1
    assert v.duration_s == pytest.approx(2.0)
    assert info.duration_s == pytest.approx(2.0, abs=0.03)
    assert info.size_bytes == basic_clip.path.stat().st_size
    assert "mp4" in info.container
    [a] = info.audio
    assert (a.codec, a.sample_rate, a.channels) == ("aac", 48000, 2)
    assert a.duration_s == pytest.approx(2.0, abs=0.03)
    assert info.warnings == ()


def test_to_dict_is_json_with_documented_keys(basic_clip):
    d = json.loads(json.dumps(probe(basic_clip.path).to_dict()))
    assert {"path", "container", "duration_s", "size_bytes", "video", "audio"} <= d.keys()
    assert {"codec", "profile", "width", "height", "display_width", "display_height",
            "pixel_aspect", "rotation", "frame_rate", "frame_rate_float",
            "variable_frame_rate", "frame_count", "pix_fmt", "bit_depth"} <= d["video"].keys()
    assert d["video"]["pixel_aspect"] == "1:1" and d["video"]["frame_rate"] == "25"
    assert d["audio"][0].keys() >= {"codec", "sample_rate", "channels", "duration_s"}
    assert MediaInfo.from_dict(d) == probe(basic_clip.path)


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])  # mkv stores 1 ms timestamps: 33/34 ms gaps
def test_ntsc_rate_is_exact(clip_dir, suffix):
    clip = make_video(clip_dir / f"ntsc{suffix}", fps=Fraction(30000, 1001), frames=30)
    v = probe(clip.path).video
    assert str(v.frame_rate) == "30000/1001"
    assert v.to_dict()["frame_rate_float"] == pytest.approx(29.97003)
    assert v.variable_frame_rate is False
    assert v.frame_count == 30


def test_variable_frame_rate_detected(vfr_clip):
    v = probe(vfr_clip.path).video
    assert v.variable_frame_rate is True
    assert v.frame_count == 30
    assert str(v.frame_rate) == "25"  # the most common frame duration
    assert v.average_frame_rate == pytest.approx(29 / float(vfr_clip.pts[-1]))
    assert v.duration_s == pytest.approx(float(vfr_clip.pts[-1]) + 0.04, abs=0.041)


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotation_and_display_size(clip_dir, rotated_clip, rotation):
    clip = rotated_clip if rotation == 90 else make_video(
        clip_dir / f"rot{rotation}.mp4", frames=4, rotation=rotation)
    v = probe(clip.path).video
    assert v.rotation == rotation
    assert (v.width, v.height) == (160, 90)
    assert (v.display_width, v.display_height) == clip.display_size


def test_odd_size(clip_dir):
    clip = make_video(clip_dir / "odd.mp4", width=641, height=361, pix_fmt="yuv444p", frames=4)
    v = probe(clip.path).video
    assert (v.width, v.height, v.display_width, v.display_height) == (641, 361, 641, 361)
    assert v.pix_fmt == "yuv444p" and v.frame_count == 4


@pytest.mark.parametrize("codec", ["libx264", "libx265"])
def test_ten_bit(clip_dir, codec):
    if not has_encoder(codec):
        pytest.skip(f"{codec} not in this FFmpeg build")
    clip = make_video(clip_dir / f"10bit-{codec}.mp4", codec=codec, pix_fmt="yuv420p10le",
                      frames=6)
    v = probe(clip.path).video
    assert (v.pix_fmt, v.bit_depth, v.frame_count) == ("yuv420p10le", 10, 6)
    assert v.codec == ("h264" if codec == "libx264" else "hevc")


@pytest.mark.parametrize("name,codec,channels", [("a.m4a", "aac", 1), ("a.wav", "pcm_s16le", 2)])
def test_audio_only(clip_dir, name, codec, channels):
    path = make_audio_only(clip_dir / name, seconds=0.5, sample_rate=44100, channels=channels)
    info = probe(path)
    assert info.video is None and info.to_dict()["video"] is None
    [a] = info.audio
    assert (a.codec, a.sample_rate, a.channels) == (codec, 44100, channels)
    assert a.duration_s == pytest.approx(0.5, abs=0.03)


def test_truncated_index_intact_probes_with_warning(clip_dir):
    clip = make_video(clip_dir / "faststart.mp4", frames=50, faststart=True)
    path = truncate(clip.path, clip_dir / "faststart-half.mp4", 0.5)
    info = probe(path)
    assert 0 < info.video.frame_count < 50
    assert any("truncated" in w for w in info.warnings)


def test_cache_reuses_result(basic_clip, tmp_path, monkeypatch):
    cache = AnalysisCache(tmp_path)
    first = probe(basic_clip.path, cache=cache)
    assert cache.get_json(cache.key(basic_clip.path, "probe", probe_module.VERSION)) is not None

    def no_scan(*args, **kwargs):
        raise AssertionError("a cached probe must not read packets")
    monkeypatch.setattr(probe_module, "scan_packets", no_scan)
    assert probe(basic_clip.path, cache=cache) == first


@needs_real
@pytest.mark.parametrize("name,frames,rate,vfr,rotation,size", [
    ("goldeneye-vfr-drop3.mp4", 160, "24000/1001", True, 0, (1280, 544)),
    ("issue-134-rotate.mp4", 240, "24000/1001", False, 90, (544, 1280)),
    ("testvideo.mp4", 720, "30000/1001", False, 0, (1280, 720)),
    ("issue-236-split-copy.mkv", 48, "24000/1001", False, 0, (1920, 1080)),
])
def test_real_clips(name, frames, rate, vfr, rotation, size):
    v = probe(REAL / name).video
    assert (v.frame_count, str(v.frame_rate), v.variable_frame_rate) == (frames, rate, vfr)
    assert v.rotation == rotation
    assert (v.display_width, v.display_height) == size
