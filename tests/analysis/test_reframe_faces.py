"""Faces as a reframe signal, on clips made from a real face.

``tests/data/face.png`` is a crop of NASA's portrait of Eileen Collins (public domain;
the ``astronaut`` image of scikit-image). Pasted into generated frames it is a person
who walks (the patch moves over the background) or a photo on the wall (the patch is
part of the background the camera pans over).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from editor.analysis.reframe import reframe
from editor.analysis.reframe.faces import (DETECT_SIZE, EVERY_S, FOLLOW_S, PERSON_BELOW,
                                           PERSON_SIDE, Face, FaceDetector, link, lives,
                                           people, person_box)
from editor.analysis.reframe.signals import extract_signals

W, H, FPS, SHOT = 480, 270, 25, 50
# at 1.2× the face is 60 px high: 40 px where faces are looked for (180 px high)
FACE = cv2.resize(cv2.imread(str(Path(__file__).parents[1] / "data" / "face.png")), None,
                  fx=1.2, fy=1.2, interpolation=cv2.INTER_CUBIC)[:, :, ::-1].astype(np.float32)
FACE_IN_PATCH = (25, 32, 85, 92)  # where the detector finds the face in the patch


def _background(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = cv2.GaussianBlur(rng.normal(0, 1, (H, W + 200, 3)).astype(np.float32), (0, 0), 6)
    return np.clip(img / (img.std() + 1e-6) * 30 + 110, 0, 255)


def _paste(img: np.ndarray, patch: np.ndarray, x: int, y: int) -> tuple[int, int, int, int]:
    img[y:y + patch.shape[0], x:x + patch.shape[1]] = patch
    fx0, fy0, fx1, fy1 = FACE_IN_PATCH
    return x + fx0, y + fy0, x + fx1, y + fy1


def make_face_clip(path: Path) -> tuple[Path, list, list]:
    """Two shots. First: a person (the face patch) walks slowly across the left half
    while a bigger, faster textured block (a car) goes back and forth on the right.
    Second: the camera pans over a wall with the face as a photo on it, on the left,
    while a red figure walks on the right. Returns the path, the face box per frame
    of the first shot and the figure's box per frame of the second."""
    # bold stripes: a car with strong edges
    car = np.where((np.arange(190) // 12 % 2 == 0)[None, :, None], (250, 220, 30), (30, 30, 160))
    car = car.astype(np.float32)
    faces, figures = [], []
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = W, H, "yuv420p"
        video.codec_context.time_base = Fraction(1, FPS)
        video.options = {"g": "25", "crf": "18"}
        wall = _background(2)
        _paste(wall, FACE, 60, 40)
        for n in range(2 * SHOT):
            j = n % SHOT
            if n < SHOT:
                img = _background(1)[:, :W].copy()
                faces.append(_paste(img, FACE, 20 + j, 50))
                car_x = 250 + int(40 * abs(np.sin(np.pi * j / 10)))
                img[130:260, car_x:car_x + 190] = car
            else:
                pan = j
                img = wall[:, pan:pan + W].copy()
                cx = 300 + 2 * j
                cv2.ellipse(img, (cx, 170), (22, 60), 0, 0, 360, (220, 40, 40), -1)
                cv2.circle(img, (cx, 95), 16, (220, 40, 40), -1)
                figures.append((cx - 22, 79, cx + 22, 230))
            frame = av.VideoFrame.from_ndarray(np.clip(img, 0, 255).astype(np.uint8),
                                               format="rgb24")
            frame.pts = n
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
    return path, faces, figures


@pytest.fixture(scope="module")
def face_clip(tmp_path_factory):
    return make_face_clip(tmp_path_factory.mktemp("faces") / "faces.mp4")


def _kept(result, boxes, offset=0) -> float:
    cw = result.crop[0]
    return np.mean([result.xs[offset + i] <= b[0] and b[2] <= result.xs[offset + i] + cw
                    for i, b in enumerate(boxes)])


def test_a_walking_person_outranks_a_bigger_mover_and_a_photo_on_the_wall_does_not(face_clip):
    path, faces, figures = face_clip
    result = reframe(path, aspect="9:16")
    assert [(s.start, s.end) for s in result.shots] == [(0, SHOT - 1), (SHOT, 2 * SHOT - 1)]
    assert [s.follows for s in result.shots] == ["face", "motion"]  # said on the timeline
    assert _kept(result, faces) >= 0.9            # the face, not the car
    assert _kept(result, figures, SHOT) >= 0.9    # the figure, not the photo


def test_without_a_face_detector_the_person_is_lost_and_a_note_says_why(face_clip, monkeypatch):
    """What the face signal changes: without it (an OpenCV build without the cascade
    classifier) the bigger mover beside the person leaves the camera without a subject
    (it stays centred, on neither); the user is told faces were not looked for."""
    path, faces, _ = face_clip
    monkeypatch.delattr(cv2, "CascadeClassifier")
    assert not FaceDetector().available
    notes = []
    result = reframe(path, aspect="9:16", on_warning=notes.append)
    assert _kept(result, faces) < 0.5 and result.shots[0].follows != "face"
    assert any("Faces are not looked for" in note for note in notes)


def test_a_talking_head_that_barely_moves_is_framed(tmp_path):
    """A person sitting still on the right (swaying half a pixel, as a speaker on a
    tripod shot): nothing moves enough to be a subject, so the camera frames the still
    face rather than the empty middle of the picture."""
    path, x, y = tmp_path / "talk.mp4", W - FACE.shape[1] - 10, 60
    background = _background(3)[:, :W]
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = W, H, "yuv420p"
        video.codec_context.time_base = Fraction(1, FPS)
        for n in range(SHOT):
            shift = np.float32([[1, 0, x + 0.5 * np.sin(n / 4)], [0, 1, y]])
            face = cv2.warpAffine(FACE, shift, (W, H), flags=cv2.INTER_LINEAR)
            inside = cv2.warpAffine(np.ones(FACE.shape[:2], np.float32), shift, (W, H))
            img = background * (1 - inside[..., None]) + face
            frame = av.VideoFrame.from_ndarray(np.clip(img, 0, 255).astype(np.uint8),
                                               format="rgb24")
            frame.pts = n
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
    result = reframe(path, aspect="9:16")
    fx0, _, fx1, _ = FACE_IN_PATCH
    assert _kept(result, [(x + fx0, 0, x + fx1, 0)] * SHOT) == 1.0
    assert [s.follows for s in result.shots] == ["face"]


def test_the_walking_person_is_the_one_person_found_around_their_face(face_clip, monkeypatch):
    path, faces, _ = face_clip
    looked = []
    original = FaceDetector.__call__

    def record(self, luma, near=None):
        looked.append((luma.shape, near is None))
        return original(self, luma, near)

    monkeypatch.setattr(FaceDetector, "__call__", record)
    signals = extract_signals(path, width=W, height=H, frame_count=2 * SHOT, fps=FPS,
                              resets={SHOT})
    # on a larger copy of the frame: a search of the whole picture every EVERY_S, and
    # around the faces found every FOLLOW_S between (a face is in view all along, so
    # every FOLLOW_S-th frame is looked at; the second shot's first frame is one)
    d_h = min(H, DETECT_SIZE)
    assert {shape for shape, _ in looked} == {(d_h, round(d_h * W / H))}
    follow = round(FOLLOW_S * FPS)
    assert len(looked) == len(range(0, 2 * SHOT, follow))
    searches = sum(search for _, search in looked)  # and on each shot's first frame
    assert searches == len(set(range(0, 2 * SHOT, follow * round(EVERY_S / FOLLOW_S))) | {SHOT})
    [person] = signals.people_boxes()  # not the photo on the wall ...
    [photo] = signals.people_boxes(moving=False)  # ... which is a still face
    assert min(photo) >= SHOT
    assert min(person) <= 2 and SHOT - 4 <= max(person) < SHOT
    for frame, (x0, y0, x1, y1) in person.items():
        fx0, fy0, fx1, fy1 = faces[frame]
        assert x0 <= fx0 and fx1 <= x1 and y0 <= fy0 + 5 and fy1 < y1


def _track(centres, size=50.0, step=3, anchors=None):
    """Detections every ``step`` frames at ``centres`` in the picture, at ``anchors``
    with the camera's motion undone (the same by default: a still camera)."""
    return [Face(k * step, (x - size / 2, y - size / 2, x + size / 2, y + size / 2), anchor)
            for k, ((x, y), anchor) in enumerate(zip(centres, anchors or centres))]


def test_a_face_lives_when_it_moves_on_its_own_often_enough():
    walking = _track([(100 + 6 * k, 80) for k in range(6)])
    photo = _track([(100 + (k % 2), 80) for k in range(12)])  # the detector's jitter
    panned_past = _track([(100 + 6 * k, 80) for k in range(6)], anchors=[(100, 80)] * 6)
    misjudged = _track([(100, 80)] * 6, anchors=[(100 + 9 * k, 80) for k in range(6)])
    glimpse = _track([(100, 80), (140, 80)])
    assert lives(walking)
    assert not lives(photo)
    assert not lives(panned_past)  # moves in the picture only with the camera
    assert not lives(misjudged)    # the camera's motion misjudged on a still photo
    assert not lives(glimpse)      # two detections may be a false one


def test_detections_link_to_the_nearest_track_within_reach_and_gap():
    a = _track([(100 + 10 * k, 80) for k in range(4)])
    b = _track([(300 - 10 * k, 80) for k in range(4)])
    late = Face(40, (95, 55, 145, 105), (120, 80))  # 1.2 s after the last: a new track
    tracks = link(a + b + [late], fps=FPS)
    assert sorted(tuple(f.anchor[0] for f in t) for t in tracks) == [
        (100, 110, 120, 130), (120,), (300, 290, 280, 270)]
    # a face crossing the picture fast (0.7 face sizes in 0.08 s) is one track; a leap
    # of 3 face sizes in 0.2 s is another face, as is one 1.4 face sizes away after
    # 0.4 s (however long a face was not seen, it is not looked for further away)
    fast = _track([(100 + 35 * k, 80) for k in range(4)], step=2)
    leap = Face(11, (330, 55, 380, 105), (355, 80))
    late = Face(16, (250, 55, 300, 105), (275, 80))
    assert [len(t) for t in link(fast + [leap, late], fps=FPS)] == [4, 1, 1]


def test_person_box_is_the_head_and_shoulders_inside_the_picture():
    x0, y0, x1, y1 = person_box((10, 20, 60, 70), W, H)
    assert x0 == 0 and x1 == pytest.approx(60 + PERSON_SIDE * 50)
    assert y0 == 20 and y1 == pytest.approx(70 + PERSON_BELOW * 50)
    assert person_box((400, 200, 470, 270), W, H)[2:] == (W, H)


def test_a_person_goes_on_at_their_speed_a_moment_after_their_face_is_lost():
    walking = _track([(100 + 6 * k, 80) for k in range(6)])  # 2 px a frame, frames 0-15
    leaving = _track([(300 + 30 * k, 80) for k in range(6)])  # 10 px a frame, to the edge
    photo = _track([(300, 80)] * 6)
    next_shot = 24
    rows = people([(t, next_shot - 1) for t in (walking, leaving, photo)], np.arange(40), W, H,
                  coast=10)
    boxes = {person: {int(r[0]): r[2:6] for r in rows if r[1] == person} for person in (0, 1)}
    assert set(rows[rows[:, 6] == 1, 1]) == {0, 1}  # the moving ones first
    assert set(rows[rows[:, 6] == 0, 1]) == {2}  # the photo: a still face
    assert sorted(boxes[0]) == list(range(0, 24))  # 10 frames more, but not into the next shot
    first, last = person_box(walking[0].box, W, H), person_box(walking[-1].box, W, H)
    assert np.allclose(boxes[0][0], first) and np.allclose(boxes[0][15], last)
    assert np.allclose(boxes[0][20], np.add(last, (10, 0, 10, 0)))  # on at 2 px a frame
    assert max(boxes[1]) == 22 and boxes[1][22][0] < W  # out of the picture on frame 23
