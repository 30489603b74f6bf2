"""Faces: the people a shot is about, one of the reframe's subject signals.

OpenCV's frontal-face cascade (Viola & Jones 2001; Lienhart's ``alt2`` training,
shipped beside this module with its Intel licence, since no OpenCV 5 distribution ships
the cascades' data) looks for faces every :data:`EVERY_S` (every :data:`FOLLOW_S`
while one is in view) on a copy of the frame :data:`DETECT_SIZE` pixels on its shorter
side, so faces at least :data:`MIN_FACE` of those pixels high (a ninth of that side). The
classifier itself is in the ``opencv-contrib`` distribution; without it (another
OpenCV build) no face is found and the other signals carry on.

A face alone says little: the detector also fires on a photo on the wall, a poster the
camera pans past, a pattern. So detections are linked into tracks through each shot,
and a track counts only where it is seen on at least :data:`MIN_DETECTIONS` frames and
the face moves on its own: its centre wanders by at least :data:`OWN_MOTION` of its
size both in the picture and with the camera's motion since the shot's first frame
undone (a photo the camera pans past moves only in the picture; one the camera holds
still moves in neither, even where the camera's motion was misjudged). The motion map
on the face is no test: a dancer's arm swinging in front of a photo moves there too. A
counted face becomes a person box (the head and the top of the shoulders under it),
followed through its shot as a clicked subject is; several people are kept together
where they fit, the largest face first. A still face (a person sitting still, or a
photo) is left to the other signals, and framed only in a shot where they find no
subject at all: a talking head that barely moves, rather than a crop of the empty
middle of the picture.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

import cv2
import numpy as np

CASCADE = Path(__file__).with_name("haarcascade_frontalface_alt2.xml")
DETECT_SIZE = 180      # faces are looked for on a copy this small (its shorter side) ...
MIN_FACE = 20          # ... at least this many pixels high
EVERY_S = 0.3          # on a frame this often, ...
FOLLOW_S = 0.1         # ... and this often while a face is in view
SEARCH_STEP = 1.3      # face sizes tried on a search: each this much larger than the last
FOLLOW_STEP = 1.2      # ... and around a face found
MIN_DETECTIONS = 3     # a track seen fewer times is a false detection
LINK_GAP_S = 0.5       # detections further apart than this are not linked
LINK_SPEED = 10.0      # ... nor ones further apart than a face moving this fast (its
LINK_REACH = (0.5, 1.0)  # sizes a second) goes, but this far (of its size) at least / most
OWN_MOTION = 0.15      # a face wandering this much (of its size) both ways lives
COAST_S = 0.2          # a face no longer found goes on at its speed this long
PERSON_SIDE = 0.5      # a person box: the face widened by this (of its width) on each side
PERSON_BELOW = 2.0     # ... and this (of its height) below it


@dataclass
class Face:
    """One detection: ``box`` (x0, y0, x1, y1, source pixels) on ``frame``; ``anchor``
    its centre where the camera's motion since the shot's first frame is undone."""

    frame: int
    box: tuple[float, float, float, float]
    anchor: tuple[float, float]

    @property
    def size(self) -> float:
        return self.box[3] - self.box[1]


class FaceDetector:
    """Frontal faces on 8-bit luma images (one classifier per analysis: OpenCV's are
    not shared between threads); ``enabled=False``: none is loaded."""

    def __init__(self, enabled: bool = True):
        self._cascade = None
        if enabled and hasattr(cv2, "CascadeClassifier"):
            cascade = cv2.CascadeClassifier(str(CASCADE))
            self._cascade = None if cascade.empty() else cascade

    @property
    def available(self) -> bool:
        return self._cascade is not None

    def __call__(self, luma: np.ndarray, near: np.ndarray | None = None) -> np.ndarray:
        """``[K, 4]`` face boxes (x0, y0, x1, y1) in ``luma``'s pixels: on the whole
        picture, or only around the faces ``near`` (boxes found a moment before: a
        face followed costs a fraction of a search)."""
        if self._cascade is None:
            return np.zeros((0, 4))
        if near is None:
            return self._detect(luma, MIN_FACE, step=SEARCH_STEP)
        h, w = luma.shape
        found = []
        for x0, y0, x1, y1 in near:
            size = y1 - y0
            left, top = int(max(0, x0 - size)), int(max(0, y0 - size))
            right, bottom = int(min(w, x1 + size)), int(min(h, y1 + size))
            boxes = self._detect(luma[top:bottom, left:right], max(MIN_FACE, int(size / 2)),
                                 int(size * 2))
            found.append(boxes + (left, top, left, top))
        return np.concatenate(found) if found else np.zeros((0, 4))

    def _detect(self, luma: np.ndarray, smallest: int, largest: int = 0,
                step: float = FOLLOW_STEP) -> np.ndarray:
        """Faces ``smallest`` to ``largest`` (0: any) pixels high, sizes ``step`` apart."""
        if min(luma.shape) < smallest:
            return np.zeros((0, 4))
        found = self._cascade.detectMultiScale(
            cv2.equalizeHist(luma), scaleFactor=step, minNeighbors=3,
            minSize=(smallest, smallest), maxSize=(largest, largest))
        boxes = np.array(found, float).reshape(-1, 4)
        boxes[:, 2:] += boxes[:, :2]
        return boxes


def link(faces: list[Face], fps: float) -> list[list[Face]]:
    """Tracks of one shot's detections (in frame order): each detection joins the
    nearest track whose last detection is at most :data:`LINK_GAP_S` before it and
    near enough for a face moving at :data:`LINK_SPEED` (within :data:`LINK_REACH`), or
    starts one."""
    gap = LINK_GAP_S * fps
    tracks: list[list[Face]] = []
    ordered = sorted(faces, key=lambda f: (f.frame, -f.size))  # the largest first
    for frame, found in groupby(ordered, key=lambda f: f.frame):
        taken: set[int] = set()
        for face in found:
            cx, cy = box_centre(face.box)
            best, nearest = None, np.inf
            for k, track in enumerate(tracks):
                last = track[-1]
                if k in taken or not 0 < frame - last.frame <= gap:
                    continue
                lx, ly = box_centre(last.box)
                distance = np.hypot(cx - lx, cy - ly) / max(face.size, last.size)
                reach = np.clip(LINK_SPEED * (frame - last.frame) / fps, *LINK_REACH)
                if distance <= min(nearest, reach) and 0.5 <= face.size / last.size <= 2.0:
                    best, nearest = k, distance
            if best is None:
                tracks.append([face])
                best = len(tracks) - 1
            else:
                tracks[best].append(face)
            taken.add(best)
    return tracks


def lives(track: list[Face]) -> bool:
    """Whether a track is a person moving: seen often enough, and moving in the picture
    and against the background alike (a poster does not)."""
    if len(track) < MIN_DETECTIONS:
        return False
    size = float(np.median([f.size for f in track]))
    return all(_spread(points) >= OWN_MOTION * size for points in
               ([box_centre(f.box) for f in track], [f.anchor for f in track]))


def _spread(points) -> float:
    """How far points wander (between their 10th and 90th percentiles, on either axis)."""
    points = np.array(points)
    return float((np.percentile(points, 90, axis=0) - np.percentile(points, 10, axis=0)).max())


def person_box(box, width: int, height: int) -> tuple[float, float, float, float]:
    """The head and shoulders under a face box, inside the picture."""
    x0, y0, x1, y1 = box
    side, below = PERSON_SIDE * (x1 - x0), PERSON_BELOW * (y1 - y0)
    return max(0.0, x0 - side), max(0.0, y0), min(float(width), x1 + side), \
        min(float(height), y1 + below)


def people(tracks: list[tuple[list[Face], int]], frames: np.ndarray, width: int, height: int,
           coast: int) -> np.ndarray:
    """``[M, 7]`` rows ``(frame, person, x0, y0, x1, y1, moves)``: the person box of each
    track (``tracks``: its detections and the last frame of its shot) seen on at least
    :data:`MIN_DETECTIONS` frames, on the decoded ``frames`` from its first detection
    on, moving linearly between detections and then, for ``coast`` frames within its
    shot, on at the speed it had (a face turned away or leaving the picture is not
    found, and goes on where it was going). ``moves`` is 1 where the track
    :func:`lives`, 0 for a still face (a person sitting still, or a photo). People are
    numbered moving ones first, each group from the largest face."""
    seen = [(lives(track), track, end) for track, end in tracks
            if len(track) >= MIN_DETECTIONS]
    ranked = sorted(seen, key=lambda t: (not t[0], -np.median([f.size for f in t[1]])))
    rows = []
    for person, (moves, track, end) in enumerate(ranked):
        at = np.array([f.frame for f in track])
        boxes = np.array([person_box(f.box, width, height) for f in track])
        speed = (boxes[-1] - boxes[-2]) / (at[-1] - at[-2])
        for frame in frames[(frames >= at[0]) & (frames <= min(end, at[-1] + coast))]:
            if frame <= at[-1]:
                box = [np.interp(frame, at, boxes[:, c]) for c in range(4)]
            else:
                box = np.clip(boxes[-1] + speed * (frame - at[-1]), 0, [width, height] * 2)
                if box[2] - box[0] < 1:
                    break  # gone out of the picture
            rows.append([frame, person, *box, float(moves)])
    return np.array(rows, np.float64).reshape(-1, 7)


def box_centre(box) -> tuple[float, float]:
    """The middle of a box (x0, y0, x1, y1)."""
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
