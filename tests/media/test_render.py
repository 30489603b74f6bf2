"""Rendering an edit list: exact frames in order, audio that follows, joins without
clicks, progress, cancel and nothing half-written."""

from __future__ import annotations

import av
import numpy as np
import pytest

from editor.core.errors import Cancelled, CutwiseError
from editor.core.progress import CancelToken
from editor.media.audio import iter_audio
from editor.media.decode import iter_frames
from editor.media.probe import probe
from editor.media.render import render_segments
from tests.clips import make_video, read_frame_number


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """160x90, 25 fps, 100 frames with a bar-coded frame number, a 440 Hz stereo tone."""
    return make_video(tmp_path_factory.mktemp("render") / "src.mp4", frames=100,
                      cuts=(40, 70), audio=True)


def test_segments_render_frame_exact_with_audio(source, tmp_path):
    out = tmp_path / "edit.mp4"
    reports = []
    segments = [(60 / 25, 72 / 25), (10 / 25, 30 / 25), (80 / 25, 81 / 25)]
    render_segments(source.path, segments, out, progress=lambda d, t, m: reports.append((d, t)))
    numbers = [read_frame_number(f.image) for f in iter_frames(out)]
    assert numbers == list(range(60, 72)) + list(range(10, 30)) + [80]
    info = probe(out)
    assert info.video.codec == "h264" and info.audio[0].codec == "aac"
    assert abs(info.audio[0].duration_s - 33 / 25) < 0.03
    assert reports[-1] == (33, 33)
    # the tone runs on without a click at the joins: no sample jumps far beyond a sine step
    samples = np.concatenate([b.samples for b in iter_audio(out, mono=True)])
    body = samples[2000:-2000]
    assert np.abs(np.diff(body)).max() < 0.2
    assert np.abs(body).max() > 0.3  # and it is there


def test_filter_and_size(source, tmp_path):
    out = tmp_path / "small.mp4"
    seen = []

    def crop(picture, t):
        seen.append(t)
        return picture.crop(40, 0, 80, picture.size[1])

    render_segments(source.path, [(0.0, 0.4)], out, video_filter=crop, size=(40, 44))
    frames = list(iter_frames(out))
    assert len(frames) == 10 == len(seen)
    assert frames[0].image.shape == (44, 40, 3)
    assert seen[0] == pytest.approx(0.0) and seen[-1] == pytest.approx(0.36)


def test_cancel_and_bad_input_leave_nothing(source, tmp_path):
    token = CancelToken()
    token.cancel()
    out = tmp_path / "cancelled.mp4"
    with pytest.raises(Cancelled):
        render_segments(source.path, [(0.0, 2.0)], out, cancel=token)
    with pytest.raises(CutwiseError):
        render_segments(source.path, [], out)
    with pytest.raises(CutwiseError):
        render_segments(source.path, [(2.0, 1.0)], out)
    assert list(tmp_path.iterdir()) == []


def test_video_without_audio(tmp_path):
    clip = make_video(tmp_path / "mute.mp4", frames=30)
    out = render_segments(clip.path, [(0.2, 0.6)], tmp_path / "out.mp4")
    with av.open(str(out)) as container:
        assert not container.streams.audio
    assert [read_frame_number(f.image) for f in iter_frames(out)] == list(range(5, 15))
