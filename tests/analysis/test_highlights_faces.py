"""The highlights' ``faces`` signal, on a clip made from a real face.

``tests/data/face.png`` (NASA's portrait of Eileen Collins, public domain) is shown in
the second half of a silent 10 s clip only; the first half is the same background.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from editor.analysis import highlights as hl

W, H, FPS, SECONDS, FACE_FROM_S = 320, 180, 10, 10, 5
FACE = cv2.imread(str(Path(__file__).parents[1] / "data" / "face.png"))[:, :, ::-1]


def make_face_clip(path: Path, rotation: int = 0) -> Path:
    """The face in the middle from ``FACE_FROM_S`` on, keyframes every 0.5 s;
    ``rotation`` (clockwise) stores the picture turned and tags it, as a phone does."""
    rng = np.random.default_rng(4)
    background = cv2.GaussianBlur(rng.normal(110, 30, (H, W, 3)).astype(np.float32), (0, 0), 5)
    turns = rotation // 90
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width, video.height = (H, W) if turns % 2 else (W, H)
        video.pix_fmt, video.options = "yuv420p", {"g": str(FPS // 2)}
        video.codec_context.time_base = Fraction(1, FPS)
        if turns:
            video.set_display_rotation(-90 * turns)  # PyAV takes counter-clockwise degrees
        for n in range(SECONDS * FPS):
            img = background.copy()
            if n >= FACE_FROM_S * FPS:
                y, x = (H - FACE.shape[0]) // 2, (W - FACE.shape[1]) // 2
                img[y:y + FACE.shape[0], x:x + FACE.shape[1]] = FACE
            stored = np.ascontiguousarray(np.rot90(np.clip(img, 0, 255).astype(np.uint8), turns))
            frame = av.VideoFrame.from_ndarray(stored, format="rgb24")
            frame.pts = n
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
    return path


@pytest.mark.parametrize("rotation", [0, 90])
def test_faces_are_measured_where_a_face_is_in_view(tmp_path, rotation):
    signals = hl.analyse(make_face_clip(tmp_path / "face.mp4", rotation))
    faces = signals.raw["faces"]
    t = np.arange(len(faces)) * hl.STEP
    # the face (without the hair) is about 50 px high on a 180 px picture
    assert np.all(faces[(t >= FACE_FROM_S + 0.5) & (t <= SECONDS - 0.5)] > 0.2)
    assert np.all(faces[t <= FACE_FROM_S - 0.5] == 0)
    assert "faces" in signals.available


def test_a_weight_on_faces_chooses_the_moments_with_a_face(tmp_path):
    signals = hl.analyse(make_face_clip(tmp_path / "face.mp4"))
    only_faces = {name: 0.0 for name in hl.SIGNALS} | {"faces": 1.0}
    edit = hl.select(signals, 2.0, "energetic", only_faces)
    assert all(s.start >= FACE_FROM_S * FPS for s in edit.segments)
    assert "faces in view" in edit.segments[0].reasons
    without = hl.select(signals, 2.0, "energetic", only_faces | {"faces": -1.0})
    assert all(s.end <= FACE_FROM_S * FPS for s in without.segments)
