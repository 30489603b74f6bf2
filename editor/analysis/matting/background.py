"""What moves on its own: a motion-compensated background model of a shot, frame by frame.

The frames of a walk through a shot are pushed in walk order (forward or backward). For a
frame, a handful of frames up to :attr:`BackgroundModel.reach` steps before and after it
are moved onto its view by the camera's motion (a similarity: pan, zoom, roll, fitted with
RANSAC to corners tracked between the two frames, starting from the chained frame-to-frame
motion) and brightness-matched; their per-pixel median is the background as it would look
without the subject, since a subject that moves is elsewhere in most of them. Where the
frame differs from that background is the subject (and anything else that moves on its
own): the whole of it, flat-coloured insides included, not only the edges that frame
differencing finds.

Memory is bounded: frames are kept at :data:`WORK_WIDTH` pixels and only ``2 * reach + 1``
of them at a time.
"""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np

from editor.analysis.camera_motion import contrast_gain, fit_similarity, tracking_points

WORK_WIDTH = 320
NOISE_FLOOR = 6.0  # gray levels of difference that are never the subject
FULL = 24.0  # gray levels above the noise that count as certainly the subject
SPREAD = 2.0  # how much the other frames' disagreement discounts a difference


def _gray(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


class BackgroundModel:
    """Pushed frames in walk order; :meth:`foreground` for any pushed frame still held."""

    def __init__(self, reach: int = 24, samples: int = 8, width: int = WORK_WIDTH):
        #: up to ``samples`` frames at most ``reach`` positions away (and at least 2) are compared
        self.reach, self.samples, self.width = reach, samples, width
        # (position, small RGB, its gray, camera transform from the first frame, points to follow)
        self.frames: deque[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = deque()
        self.count = 0  # frames pushed so far; a frame's position is its push number

    def push(self, image: np.ndarray) -> int:
        """Add the next frame of the walk; returns its position."""
        h, w = image.shape[:2]
        scale = min(1.0, self.width / w)
        small = cv2.resize(image, (max(8, round(w * scale)), max(8, round(h * scale))),
                           interpolation=cv2.INTER_AREA)
        gray = _gray(small)
        points = _points(gray)
        camera = np.eye(3)
        if self.frames:
            _, _, prev_gray, prev_camera, prev_points = self.frames[-1]
            camera = _motion(prev_gray, prev_points, gray, np.eye(3)) @ prev_camera
        self.frames.append((self.count, small, gray, camera, points))
        while self.frames[0][0] < self.count - 2 * self.reach:
            self.frames.popleft()
        self.count += 1
        return self.count - 1

    def foreground(self, position: int, size: tuple[int, int]) -> np.ndarray | None:
        """How surely each pixel of the frame at ``position`` is not background (0..1,
        float32, ``size`` = (width, height)); None when too few other frames are held."""
        held = {item[0]: item[1:] for item in self.frames}
        if position not in held:
            return None
        small, gray, camera, _ = held[position]
        near = sorted((p for p in held if 2 <= abs(p - position) <= self.reach),
                      key=lambda p: abs(p - position))
        # evenly spread over what is held, the farthest first (the subject has moved most)
        pick = np.linspace(len(near) - 1, 0, min(self.samples, len(near))).round().astype(int)
        others = [near[i] for i in dict.fromkeys(pick.tolist())]
        if len(others) < 3:
            return None
        h, w = gray.shape
        stack = []
        for p in others:
            o_small, o_gray, o_camera, o_points = held[p]
            guess = camera @ np.linalg.inv(o_camera)  # the other frame's pixels onto this one
            matrix = _motion(o_gray, o_points, gray, guess)
            warped = cv2.warpAffine(o_small, matrix[:2].astype(np.float32), (w, h),
                                    flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                    borderValue=(0, 0, 0))
            covered = cv2.warpAffine(np.full((h, w), 255, np.uint8), matrix[:2].astype(np.float32),
                                     (w, h), flags=cv2.INTER_NEAREST) > 0
            if covered.mean() < 0.5:
                continue
            level = float(np.median(_gray(warped)[covered][::7])) + 1.0
            warped = np.clip(warped.astype(np.float32) * ((float(np.median(gray[covered][::7])) + 1.0)
                                                          / level), 0, 255)
            warped[~covered] = small[~covered]  # nothing known there: no evidence either way
            stack.append(warped)
        if len(stack) < 3:
            return None
        stack = np.stack([cv2.GaussianBlur(o, (3, 3), 0) for o in stack], axis=-1)
        background = _median_last(stack)
        # where the other frames disagree among themselves, something moved through them
        # there (the subject's own path): their median is no background to judge by
        spread = _median_last(_channel_max(np.abs(stack - background[..., None])))
        here = cv2.GaussianBlur(small.astype(np.float32), (3, 3), 0)
        diff = (_channel_max(np.abs(here - background)) - SPREAD * spread) * contrast_gain(small)
        noise = float(np.median(diff[::3, ::3]))
        evidence = np.clip((diff - 2.0 * noise - NOISE_FLOOR) / FULL, 0.0, 1.0)
        return cv2.resize(evidence, size, interpolation=cv2.INTER_LINEAR)


def _channel_max(values: np.ndarray) -> np.ndarray:
    """The largest of the colour channels (axis 2): what ``max(axis=2)`` gives, in less
    than half its time on these layouts."""
    return np.maximum(np.maximum(values[:, :, 0], values[:, :, 1]), values[:, :, 2])


def _median_last(values: np.ndarray) -> np.ndarray:
    """The median along the last axis (a short one: sorting it is faster than
    ``np.median`` across a leading axis)."""
    ordered = np.sort(values, axis=-1)
    n = ordered.shape[-1]
    return 0.5 * (ordered[..., (n - 1) // 2] + ordered[..., n // 2])


def _points(gray: np.ndarray) -> np.ndarray:
    """Points of a frame to follow: its corners and a 10×6 grid."""
    return tracking_points(gray, corners=150, spacing=5, columns=10, rows=6, inset=(0.05, 0.05))


def _motion(src: np.ndarray, points: np.ndarray, dst: np.ndarray, guess: np.ndarray) -> np.ndarray:
    """3x3 similarity moving ``src``'s pixels onto ``dst``'s, from ``src``'s ``points``
    tracked with the flow started at ``guess``; ``guess`` itself when the fit fails."""
    found = fit_similarity(src, dst, points, guess=guess, levels=3, threshold=1.0,
                           least_inliers=8)
    return guess if found is None else found
