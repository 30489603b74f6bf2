"""YUV planes end to end: what goes into the encoder is the picture we meant."""

import av
import numpy as np
import pytest

from editor.analysis.reframe.render import padded_picture, render
from editor.media.decode import iter_frames
from editor.media.planes import Planes
from editor.media.render import render_segments
from tests.clips import make_video, read_frame_number


def _planes_of(rgb: np.ndarray) -> Planes:
    return Planes.from_frame(av.VideoFrame.from_ndarray(rgb, format="rgb24"))


def test_fill_crop_paste_and_round_trip():
    white, black = Planes.filled((6, 4), (255, 255, 255)), Planes.filled((6, 4), (0, 0, 0))
    assert (white.y == 235).all() and (black.y == 16).all()
    assert (white.u == 128).all() and (black.v == 128).all() and white.u.shape == (2, 3)
    rgb = np.zeros((40, 64, 3), np.uint8)
    rgb[:, 32:] = 255
    picture = _planes_of(rgb)
    right = picture.crop(33, 2, 16, 20)  # x rounds down to 32: all white
    assert right.size == (16, 20) and right.y.min() > 230
    canvas = Planes.filled((64, 40), (0, 0, 0))
    canvas.paste(right, 0, 0)
    back = canvas.to_frame().to_ndarray(format="rgb24")
    assert back[:20, :16].min() > 240 and back[22:, :].max() < 15 and back[:, 18:].max() < 15


def test_padded_picture_fits_the_whole_frame():
    rgb = np.full((90, 160, 3), 200, np.uint8)
    out = padded_picture(_planes_of(rgb), (90, 160), (0, 0, 0))
    assert out.size == (90, 160)
    rows = out.y.mean(axis=1)
    # 160x90 scaled to 90 wide is ~50 high, centred; black above and below
    assert rows[:50].max() < 20 and rows[60:100].min() > 150 and rows[110:].max() < 20
    blurred = padded_picture(_planes_of(rgb), (90, 160), None)
    assert blurred.y[:50].min() > 16  # a darkened copy of the picture, not black


def test_rotated_source_renders_upright_in_order(tmp_path):
    clip = make_video(tmp_path / "phone.mp4", width=160, height=96, frames=12, rotation=90)
    out = render_segments(clip.path, [(0.0, 12 / 25)], tmp_path / "out.mp4")
    frames = [f.image for f in iter_frames(out)]
    assert frames[0].shape == (160, 96, 3)  # upright: taller than wide
    assert [read_frame_number(f) for f in frames] == list(range(12))
    assert frames[0][:8, :8].min() > 200  # the white mark is top-left, as shot


@pytest.mark.parametrize("vfr", [False, True])
def test_reframe_render_takes_each_frames_own_window(tmp_path, vfr):
    """Even frames take the left window (white mark inside), odd ones the right; a
    variable-rate source comes out at its nominal rate, each frame held for its time."""
    clip = make_video(tmp_path / "src.mp4", width=160, height=90, frames=20, vfr=vfr)
    crop = (50, 90)
    xs = np.array([0 if i % 2 == 0 else 110 for i in range(20)])
    out = render(clip.path, tmp_path / "out.mp4", xs, np.zeros(20), crop, (50, 90))
    frames = [f.image for f in iter_frames(out)]
    slots = np.arange(len(frames)) / clip.fps
    shown = [max(i for i, t in enumerate(clip.pts) if t <= s) for s in slots]
    assert len(frames) == round(clip.duration_s * clip.fps)
    assert [bool(f[:8, :8].min() > 200) for f in frames] == [i % 2 == 0 for i in shown]
