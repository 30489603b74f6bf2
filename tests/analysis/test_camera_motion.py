"""The camera's motion between two frames (shared by the reframe and matting engines)."""

import cv2
import numpy as np

from editor.analysis.camera_motion import fit_similarity, tracking_points
from tests.clips import checkers, soft_shapes

CAMERA = (0.0, 4.0)    # the background moves down 4 px (a tilt)
SUBJECT = (-6.0, 1.0)  # the subject moves left on its own


def _scene(shift: tuple[float, float], subject_at: tuple[float, float]) -> np.ndarray:
    """A plain background with soft shapes (few, weak corners) seen through a camera
    shifted by ``shift``, and a subject covered in crisp texture (many strong corners)."""
    view = cv2.warpAffine(soft_shapes(400, 260), np.float32([[1, 0, shift[0] - 40], [0, 1, shift[1] - 40]]),
                          (320, 180))
    x, y = (int(round(v)) for v in subject_at)
    view[y:y + 90, x:x + 60] = checkers(9, 6)
    return view


def test_the_camera_is_the_motion_spread_over_the_picture_not_the_most_textured_thing():
    before = _scene((0, 0), (140, 50))
    after = _scene(CAMERA, (140 + SUBJECT[0], 50 + SUBJECT[1]))
    points = tracking_points(before, corners=120, spacing=6, columns=8, rows=5,
                             inset=(0.06, 0.08), quality=0.003)
    most = fit_similarity(before, after, points, levels=2, threshold=1.0)
    spread = fit_similarity(before, after, points, levels=2, threshold=1.0, spread=True)
    # the subject's corners outnumber the background's: the plain fit follows the subject
    np.testing.assert_allclose(most[:2, 2], SUBJECT, atol=0.5)
    # the points that agree over the wider part of the picture are the camera's
    np.testing.assert_allclose(spread[:2, 2], CAMERA, atol=0.5)
    np.testing.assert_allclose(spread[:2, :2], np.eye(2), atol=0.01)


def test_spread_keeps_the_fit_when_one_motion_covers_the_picture():
    before = _scene((0, 0), (140, 50))
    after = _scene(CAMERA, (140 + CAMERA[0], 50 + CAMERA[1]))  # the subject stands still
    points = tracking_points(before, corners=120, spacing=6, columns=8, rows=5,
                             inset=(0.06, 0.08), quality=0.003)
    spread = fit_similarity(before, after, points, levels=2, threshold=1.0, spread=True)
    np.testing.assert_allclose(spread[:2, 2], CAMERA, atol=0.5)
