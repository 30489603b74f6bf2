"""The camera's motion between two frames: points worth following, and a similarity (pan,
zoom, roll) fitted with RANSAC to where sparse Lucas-Kanade flow takes them, so that a
subject moving on its own is an outlier rather than part of the fit. Shared by the
reframe engine's motion saliency and the matting engine's background model."""

from __future__ import annotations

import cv2
import numpy as np


def tracking_points(gray: np.ndarray, *, corners: int, spacing: int, columns: int, rows: int,
                    inset: tuple[float, float], mask: np.ndarray | None = None,
                    quality: float = 0.01) -> np.ndarray:
    """Up to ``corners`` Shi-Tomasi corners of a uint8 ``gray`` frame (``spacing`` px apart,
    where ``mask`` allows; ``quality``: the weakest corner kept, relative to the
    strongest), then a regular ``columns`` × ``rows`` grid ``inset`` (x, y, as
    shares of the frame) from its edges: smooth backgrounds (sky, walls, bokeh) have few
    corners but still show the camera's motion. float32 ``[N, 1, 2]``."""
    h, w = gray.shape
    gx, gy = np.meshgrid(np.linspace(inset[0], 1 - inset[0], columns) * w,
                         np.linspace(inset[1], 1 - inset[1], rows) * h)
    grid = np.stack([gx.ravel(), gy.ravel()], 1).astype(np.float32)[:, None]
    found = cv2.goodFeaturesToTrack(gray, corners, quality, spacing, mask=mask)
    return grid if found is None else np.concatenate([found.astype(np.float32), grid])


SPREAD_GAIN = 2.0  # a second motion whose points spread this much wider is the camera's


def fit_similarity(src: np.ndarray, dst: np.ndarray, points: np.ndarray, *,
                   guess: np.ndarray | None = None, levels: int = 3, threshold: float = 1.0,
                   least_inliers: int = 0, spread: bool = False) -> np.ndarray | None:
    """3x3 similarity taking ``src``'s pixels (uint8 gray) to where they are in ``dst``,
    from ``src``'s ``points``; the flow starts at ``guess`` (3x3) when given. None when
    fewer than 8 points are followed or fewer than ``least_inliers`` agree.

    RANSAC keeps the motion most points agree on. With ``spread``, a second motion that
    the other points agree on wins where they spread :data:`SPREAD_GAIN` times as wide:
    a crisp subject over a plain background (a dancer before a wall, a person against
    the sky) has more corners than the whole background, and the camera is the motion
    of the wider picture."""
    start, flags = None, 0
    if guess is not None:
        start = cv2.transform(points, guess[:2].astype(np.float32))
        flags = cv2.OPTFLOW_USE_INITIAL_FLOW
    moved, status, _ = cv2.calcOpticalFlowPyrLK(src, dst, points, start, winSize=(15, 15),
                                                maxLevel=levels, flags=flags)
    good = status.ravel() == 1
    if good.sum() < 8:
        return None
    points, moved = points[good], moved[good]
    matrix, inliers = cv2.estimateAffinePartial2D(points, moved, method=cv2.RANSAC,
                                                  ransacReprojThreshold=threshold)
    if matrix is None or inliers is None or inliers.sum() < least_inliers:
        return None
    rest = inliers.ravel() == 0
    if spread and rest.sum() >= 8:
        other, agree = cv2.estimateAffinePartial2D(points[rest], moved[rest],
                                                   method=cv2.RANSAC,
                                                   ransacReprojThreshold=threshold)
        if other is not None and agree is not None and agree.sum() >= 8 and \
                _extent(points[rest][agree.ravel() == 1]) > \
                SPREAD_GAIN * _extent(points[~rest]):
            matrix = other
    out = np.eye(3)
    out[:2] = matrix
    return out


def _extent(points: np.ndarray) -> float:
    """The area of the bounding box of ``[N, 1, 2]`` points."""
    span = points.reshape(-1, 2).max(axis=0) - points.reshape(-1, 2).min(axis=0)
    return float(span[0] * span[1])


def contrast_gain(image: np.ndarray, contrast: float = 40.0) -> float:
    """How much a dark or flat RGB frame's differences are stretched (1 to 4): its luma
    spread brought up to ``contrast``, so that what moves in a dim shot stands out from
    the grain as much as in a well-lit one."""
    spread = float(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).std())
    return float(np.clip(contrast / (spread + 1e-3), 1.0, 4.0))
