import os

import av
import numpy as np
import pytest

from editor.core.errors import CutwiseError
from editor.media._av import media_error
from editor.media.audio import iter_audio
from editor.media.decode import frame_times, iter_frames
from editor.media.errors import (CorruptMediaError, MediaNotFoundError, MediaPermissionError,
                                 NotMediaError, TruncatedMediaError, UnsupportedCodecError)
from editor.media.probe import probe
from editor.media.thumbnails import thumbnail
from editor.media.waveform import waveform_peaks
from tests.clips import make_video, replace_fourcc, truncate

READERS = {
    "probe": probe,
    "iter_frames": lambda p: list(iter_frames(p)),
    "frame_times": frame_times,
    "iter_audio": lambda p: list(iter_audio(p)),
    "thumbnail": lambda p: thumbnail(p, 0.0),
    "waveform_peaks": waveform_peaks,
}


@pytest.fixture(scope="module")
def bad(clip_dir, basic_clip):
    """name -> path of unreadable inputs."""
    d = clip_dir / "bad"
    d.mkdir()
    (d / "empty.mp4").write_bytes(b"")
    (d / "notes.mp4").write_text("Shot list\n1. wide\n2. close-up\n" * 20)
    (d / "noise.mov").write_bytes(np.random.default_rng(7).bytes(40_000))
    data = basic_clip.path.read_bytes()
    moov = data.index(b"moov")
    damaged = bytearray(data)
    damaged[moov + 40:moov + 400] = bytes(range(256)) + bytes(104)
    (d / "damaged-index.mp4").write_bytes(bytes(damaged))
    return {"missing": d / "missing.mp4", "folder": d, "empty": d / "empty.mp4",
            "text": d / "notes.mp4", "random": d / "noise.mov",
            "truncated": truncate(basic_clip.path, d / "half.mp4", 0.5),
            "damaged index": d / "damaged-index.mp4"}


EXPECTED = {"missing": MediaNotFoundError, "folder": MediaNotFoundError,
            "empty": NotMediaError, "text": NotMediaError, "random": NotMediaError,
            "truncated": TruncatedMediaError, "damaged index": CorruptMediaError}


def assert_plain(error: CutwiseError, path):
    assert isinstance(error, CutwiseError)
    assert not isinstance(error, av.error.FFmpegError)
    assert "\n" not in error.message and "Traceback" not in error.message
    assert str(path) in error.message and error.path == str(path)


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("case", EXPECTED)
def test_bad_input_raises_typed_one_line_error(bad, case, reader):
    with pytest.raises(EXPECTED[case]) as info:
        READERS[reader](bad[case])
    assert_plain(info.value, bad[case])


@pytest.mark.parametrize("reader", ["probe", "iter_frames", "frame_times", "thumbnail"])
def test_unknown_codec(clip_dir, basic_clip, reader):
    path = replace_fourcc(basic_clip.path, clip_dir / "unknown-codec.mp4")
    with pytest.raises(UnsupportedCodecError) as info:
        READERS[reader](path)
    assert_plain(info.value, path)


def test_truncated_before_any_frame(clip_dir):
    clip = make_video(clip_dir / "err-faststart.mp4", frames=20, faststart=True)
    data = clip.path.read_bytes()
    path = clip_dir / "err-no-frames.mp4"
    path.write_bytes(data[:data.index(b"mdat") + 20])
    assert any("truncated" in w for w in probe(path).warnings)
    with pytest.raises(TruncatedMediaError) as info:
        list(iter_frames(path))
    assert_plain(info.value, path)


def test_truncated_after_some_frames_warns(clip_dir):
    clip = make_video(clip_dir / "err-faststart2.mp4", frames=50, faststart=True)
    path = truncate(clip.path, clip_dir / "err-half.mp4", 0.5)
    warnings = []
    frames = list(iter_frames(path, on_warning=warnings.append))
    assert 0 < len(frames) < 50
    assert any("truncated" in w for w in warnings)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root reads files whatever their mode")
def test_permission_denied(tmp_path, basic_clip):
    path = tmp_path / "locked.mp4"
    path.write_bytes(basic_clip.path.read_bytes())
    path.chmod(0)
    with pytest.raises(MediaPermissionError) as info:
        probe(path)
    assert_plain(info.value, path)


@pytest.mark.parametrize("exc", [PermissionError(13, "Permission denied"),
                                 av.error.PermissionError(13, "Permission denied")])
def test_permission_errors_map_to_permission_error(exc, tmp_path):
    error = media_error(exc, tmp_path / "x.mp4")
    assert isinstance(error, MediaPermissionError)
    assert_plain(error, tmp_path / "x.mp4")
