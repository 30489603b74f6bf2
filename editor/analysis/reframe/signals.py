"""Subject signals: where the things worth keeping in the crop are, frame by frame.

One decoding pass (every frame, at :data:`ANALYSIS_WIDTH` pixels) computes, per frame,
a fused subject map and keeps only its strongest blobs as boxes (a few floats a frame).
The signals, fused with weights:

* **motion saliency** (weight :data:`W_MOTION`): the camera's own motion is measured
  (sparse optical flow on corners away from the subject and on a regular grid, a
  similarity fitted with RANSAC, frame to frame and then straight from each frame to
  those it is compared with; of two motions, the one whose points spread wider, so
  that a crisp subject before a plain background is not taken for the camera) and
  cancelled, then the frame is compared with the
  aligned frames ~0.2 s before and after it; what still differs moves on its own (a
  person, a dancer, a car). The crop's extent of a blob leaves out the ghost this
  leaves where a limb swinging to and fro was both 0.2 s before and after: there the
  frame does not differ from those half as far away either (see
  :meth:`MotionSaliency.push`). Dark shots are stretched to a normal contrast first; a
  frame where most of the picture "moves" is a failed alignment (whip pan, repetitive
  texture) and adds no subject (what differs there still keeps the camera's points
  off). While the camera whips past (it moves more than
  :data:`WHIP` of the picture a frame) nothing is looked for: no smooth crop can follow
  a subject across the picture in a few frames, so the crop holds.
* **visual saliency** (weight :data:`W_VISUAL`): the spectral residual of Hou & Zhang
  (CVPR 2007) on a 64-pixel-wide thumbnail, per channel (luma and both chroma planes),
  written here with OpenCV's DFT because OpenCV 5 has no saliency module.
* **the subject's colours** (:class:`ShotColours`): what moves on its own in a shot
  teaches the colours of its subject, what stays still away from it those of the
  background (histogram back-projection, as CamShift tracks); a pixel whose colour is
  surely the subject's counts (weight :data:`W_COLOUR`) even where it does not move:
  the arm held still, the dancer who stops. Frames are held a chunk at a time (up to
  :data:`CHUNK_S`, bounded memory) so that a shot's first frames use its model too.
* **a user-chosen subject**: a point clicked in the player, followed through its shot
  by the matting engine (Segment Anything when a checkpoint is installed, else its
  GrabCut fallback; see :func:`track_subject`); it outranks everything else: only the
  blobs on its box still count (they bring back limbs its mask lost).

* **faces** (:mod:`.faces`): frontal faces found every few frames on a larger copy
  of the frame, linked into tracks through the shot; a face that moves on its own (the
  camera's motion taken out; a photo on the wall does not) gives a person box, kept
  apart from the blobs (:attr:`Signals.people`): the planner follows it through its
  shot as it follows a clicked subject, where the user clicked none. A still face
  (a talking head, or a photo) is kept too, marked as such: the planner frames it
  only in a shot where nothing else is a subject.

People without a visible face (from behind, in profile, under a helmet) have no
detector here: opencv's HOG people detector needs full-height people at a size the
analysis does not decode, and no other model ships in an installed package.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from editor.analysis.camera_motion import fit_similarity, tracking_points
from editor.analysis.colours import BINS, colour_histogram, read_table
from editor.analysis.shots.features import DETAIL_WIDTH
from editor.analysis.shots.stream import ShotStream
from editor.analysis.reframe.faces import COAST_S, DETECT_SIZE, EVERY_S, FOLLOW_S, Face, \
    FaceDetector, box_centre, link, people
from editor.core.pipeline import ordered_map, prefetch
from editor.core.progress import CancelToken, ProgressCallback, no_progress
from editor.media._av import WarningCallback
from editor.media.decode import iter_frames

ANALYSIS_WIDTH = 320     # at 256 px, 15 % more frames lost the subject; 320 costs 0.85x the speed
MAX_BLOBS = 4
BLOB_FIELDS = 11       # x0, y0, x1, y1, score, cx, cy, tall_x0, tall_x1, present_x0, present_x1
TALL = 0.35            # a blob's tall part: columns whose top is within this (of its height) of its top
W_MOTION, W_VISUAL = 0.75, 0.25
THRESHOLD = 0.3        # a fused value above this is "subject"
MOTION_FULL = 24.0     # gray levels of residual motion that count as certain
CONTRAST = 40.0        # luma standard deviation that dark frames are stretched to
DARK_MEAN = 96.0       # ... when their mean luma is below this
MAX_MOVING_SHARE = 0.2  # more of the frame than this moving: the alignment failed
WHIP = 0.06            # the camera moving more than this (of the width) a frame: a whip pan
REFINE_REACH = 0.03    # a direct alignment this far (of the width, at a corner) off the chain: lost
LAG_S = 0.2            # compare with the frame this long ago
HALF_GAIN = 2.0        # the difference to the frames half the lag away counts double
HALF_LIFE_S = 0.3      # where the subject was seen fades this fast (kept off the camera's corners)
W_COLOUR = 0.5         # a pixel of the subject's colours counts this much ...
COLOUR_SURE = 0.9      # ... where its colour is at least this likely the subject's
MOVING = 0.3           # motion from which a pixel moves (off the camera's points; the subject's colours)
STILL = 0.05           # motion below which a pixel (away from motion) teaches the background's
MIN_SEPARATION = 0.3   # a colour model that tells the two apart less well is not used
CHUNK_S = 10.0         # frames held for the colour model (at most MAX_CHUNK)
MAX_CHUNK = 300
_PROGRESS_EVERY_S = 0.1


@dataclass
class Signals:
    """Subject blobs per decoded frame, in source (display) pixels.

    ``boxes[i, k] = (x0, y0, x1, y1, score, cx, cy, tall_x0, tall_x1)`` for the k-th
    strongest blob of frame ``index[i]`` (``cx, cy``: its saliency-weighted centre;
    ``tall_x0, tall_x1``: the columns of its tallest part, see :func:`_tall_columns`);
    unused slots have score 0. Frames the decoder did not deliver (a damaged stream)
    take the blobs of the nearest decoded frame (:meth:`per_frame`). ``people``: rows
    ``(frame, person, x0, y0, x1, y1, moves)``, the box of each person whose face was
    found, ``moves`` 1 where it moves on its own
    (:func:`~editor.analysis.reframe.faces.people`).
    """

    width: int
    height: int
    frame_count: int
    index: np.ndarray  # int64 [N]
    boxes: np.ndarray  # float32 [N, MAX_BLOBS, BLOB_FIELDS]
    people: np.ndarray = field(default_factory=lambda: np.zeros((0, 7)))

    def people_boxes(self, moving: bool = True) -> list[dict[int, tuple[float, float, float, float]]]:
        """The box by frame of each person whose face moves on its own (``moving``) or
        stays still, the largest face first."""
        rows = self.people[self.people[:, 6] == float(moving)]
        return [{int(r[0]): tuple(float(v) for v in r[2:6]) for r in rows[rows[:, 1] == person]}
                for person in np.unique(rows[:, 1])]

    def per_frame(self) -> np.ndarray:
        """``[frame_count, MAX_BLOBS, BLOB_FIELDS]``: every frame's blobs (nearest
        decoded frame)."""
        out = np.zeros((self.frame_count, MAX_BLOBS, BLOB_FIELDS), np.float32)
        if not len(self.index):
            return out
        frames = np.arange(self.frame_count)
        pos = np.clip(np.searchsorted(self.index, frames), 0, len(self.index) - 1)
        prev = np.clip(pos - 1, 0, len(self.index) - 1)
        nearer_prev = np.abs(self.index[prev] - frames) < np.abs(self.index[pos] - frames)
        return self.boxes[np.where(nearer_prev, prev, pos)]

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"index": self.index, "boxes": self.boxes, "people": self.people,
                "meta": np.array([self.width, self.height, self.frame_count], np.int64)}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "Signals | None":
        try:
            w, h, n = (int(v) for v in arrays["meta"])
            boxes = arrays["boxes"].astype(np.float32)
            people = arrays["people"].astype(np.float64)
            if boxes.ndim != 3 or boxes.shape[1:] != (MAX_BLOBS, BLOB_FIELDS) or \
                    people.ndim != 2 or people.shape[1] != 7:
                return None
            return cls(w, h, n, arrays["index"].astype(np.int64), boxes, people)
        except (KeyError, ValueError, TypeError):
            return None


def spectral_residual(channel: np.ndarray) -> np.ndarray:
    """Visual saliency of one small float32 image (Hou & Zhang 2007), scaled to [0, 1]:
    the spectrum's phase with the residual of its log amplitude, transformed back."""
    spectrum = cv2.dft(channel, flags=cv2.DFT_COMPLEX_OUTPUT)  # [h, w, (re, im)]
    # numpy's: cv2.magnitude's last bits depend on where the arrays lie in memory
    amplitude = np.sqrt(spectrum[..., 0] ** 2 + spectrum[..., 1] ** 2) + 1e-6
    log_amp = np.log(amplitude)
    residual = log_amp - cv2.blur(log_amp, (3, 3), borderType=cv2.BORDER_REFLECT)
    # exp(residual + i·phase) = exp(residual) · spectrum / amplitude
    back = cv2.idft(spectrum * (np.exp(residual) / amplitude)[..., None],
                    flags=cv2.DFT_COMPLEX_OUTPUT)
    sal = cv2.GaussianBlur(back[..., 0] ** 2 + back[..., 1] ** 2, (0, 0), 2.5)
    top = float(sal.max())
    return sal / top if top > 0 else sal


def visual_saliency(yuv: np.ndarray) -> np.ndarray:
    """Spectral-residual saliency of a YUV frame (max over its three channels), [0, 1]."""
    h, w = yuv.shape[:2]
    small = cv2.resize(yuv, (64, max(8, round(64 * h / w))), interpolation=cv2.INTER_AREA)
    small = small.astype(np.float32)
    maps = [spectral_residual(small[:, :, c]) for c in range(3)]
    # a channel without structure (flat chroma) gives noise scaled to 1: weigh by contrast
    contrast = np.array([small[:, :, c].std() for c in range(3)]) + 1e-3
    weights = contrast / contrast.max()
    sal = np.max([m * wgt for m, wgt in zip(maps, weights)], axis=0)
    return cv2.resize(sal, (w, h), interpolation=cv2.INTER_LINEAR)


class MotionSaliency:
    """Motion that the camera does not explain.

    The camera's motion between decoded frames is a similarity transform (pan, zoom,
    roll) fitted with RANSAC to sparse Lucas-Kanade flow, so a subject moving on its own
    is an outlier rather than part of the fit; where the subject has more corners than
    the background, the motion whose points spread wider is the camera's
    (``fit_similarity(spread=True)``).
    """

    def __init__(self, shape: tuple[int, int], fps: float):
        self.shape = shape
        self.lag = max(1, round(LAG_S * fps))
        self.decay_per_frame = 0.5 ** (1.0 / max(1.0, HALF_LIFE_S * fps))
        self.reset()

    def reset(self) -> None:
        # (index, smoothed gray, 3x3 transform from the shot's first frame to this one,
        # the gray as uint8 for the optical flow)
        self.history: deque[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = deque()
        self.seen = np.zeros(self.shape, np.float32)  # where it moved lately, fading
        self._next = 0  # history position of the first frame not yet reported
        self._last = None
        self._tracked: dict[int, np.ndarray] = {}  # each history frame's points, once found

    def _points(self, index: int, image: np.ndarray) -> np.ndarray:
        """Points to follow on frame ``index`` (uint8 ``image``), corners away from where
        the subject was seen (corners on it would make the camera follow it)."""
        if index not in self._tracked:
            mask = 255 - cv2.dilate((self.seen > MOVING).astype(np.uint8) * 255,
                                    np.ones((15, 15), np.uint8))
            # many corners, weak ones too: a flat picture with a few crisp outlines
            # (a silhouette) has few strong ones, and they all lie on one edge
            self._tracked[index] = tracking_points(image, corners=120, spacing=6, columns=8,
                                                   rows=5, inset=(0.06, 0.08), mask=mask,
                                                   quality=0.003)
        return self._tracked[index]

    def _camera_step(self, index: int, prev: np.ndarray, cur: np.ndarray) -> np.ndarray:
        """3x3 transform taking ``prev``'s (frame ``index``'s, uint8) pixels to where they
        are in ``cur``."""
        step = fit_similarity(prev, cur, self._points(index, prev), levels=2, threshold=1.5,
                              spread=True)
        return np.eye(3) if step is None else step

    @staticmethod
    def _chain(frame, other) -> np.ndarray:
        """3x3 transform taking ``other``'s pixels to ``frame``'s by the chain of
        frame-to-frame steps between them."""
        return frame[2] @ np.linalg.inv(other[2])

    def _to_frame(self, frame, other) -> np.ndarray:
        """3x3 transform taking ``other``'s pixels to ``frame``'s: the chain of
        frame-to-frame steps between them, refined by following ``other``'s points
        straight to ``frame``. The steps' small errors add up over the lag, and a sharp,
        high-contrast edge misaligned by half a pixel reads as motion; a refinement
        that moves far from the chain (lost points) is not trusted."""
        chain = self._chain(frame, other)
        direct = fit_similarity(other[3], frame[3], self._points(other[0], other[3]),
                                guess=chain, levels=1, threshold=1.0, spread=True)
        h, w = self.shape
        corners = np.array([[0, w, 0, w], [0, 0, h, h], [1, 1, 1, 1]], float)
        if direct is None or np.abs((direct - chain) @ corners).max() >= REFINE_REACH * w:
            return chain
        return direct

    @staticmethod
    def _outside(aligned: np.ndarray) -> np.ndarray:
        """Pixels the aligned reference does not cover, with a safety band of 4 pixels."""
        empty = (aligned < 0).astype(np.uint8)
        empty[:2], empty[-2:], empty[:, :2], empty[:, -2:] = 1, 1, 1, 1
        return cv2.dilate(empty, np.ones((9, 9), np.uint8)).astype(bool)

    def _aligned_diff(self, frame, other, refine: bool = True) -> np.ndarray:
        """|frame - other|, with ``other`` moved by the camera to ``frame``'s view (with
        ``refine=False`` by the chain of frame-to-frame steps alone: enough for a short
        one)."""
        gray, ref = frame[1], other[1]
        h, w = gray.shape
        to_frame = self._to_frame(frame, other) if refine else self._chain(frame, other)
        aligned = cv2.warpAffine(ref, to_frame[:2].astype(np.float32), (w, h),
                                 flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                 borderValue=-1)
        diff = cv2.blur(cv2.absdiff(gray, aligned), (3, 3))
        diff[self._outside(aligned)] = 0
        sample = diff[::2, ::2].ravel()  # a sample is enough for the noise level
        noise = float(np.partition(sample, sample.size // 2)[sample.size // 2])  # its median
        return np.clip((diff - 2.0 * noise - 2.0) / MOTION_FULL, 0, 1)

    def push(self, index: int, gray: np.ndarray
             ) -> list[tuple[int, np.ndarray, np.ndarray, bool]]:
        """Add a frame; returns ``(index, motion, present, whip)`` for the frames now
        known (~lag behind; motion in [0, 1], zero where the camera's motion was not
        found; present: the motion without ghosts, below; whip: the camera moved faster
        than :data:`WHIP` since the frame before).

        Three-frame differencing: a frame's motion is the smaller of its differences to
        the aligned frames ~``lag`` before and after it, so a moving subject shows where
        it is, without the ghost of where it was. Not where a limb swings to and fro
        about twice a lag: it was at the same place a lag before and after, and both
        differ from the background it left there. ``present`` keeps of the motion only
        what also differs from the frames half a lag before or after (that difference
        counted :data:`HALF_GAIN` times: a steady move changes half as much in half the
        time): the ghost shows the background the frames then showed too.
        """
        # dark shots brightened (up to 4×) to a normal contrast, so their subject shows
        mean, std = (float(v[0, 0]) for v in cv2.meanStdDev(gray))
        std += 1e-3
        gain = float(np.clip(min(CONTRAST / std, DARK_MEAN / (mean + 1e-3)), 1.0, 4.0))
        if gain > 1.0:
            gray = np.clip((gray - mean) * gain + min(128.0, mean * gain), 0, 255)
        gray = cv2.GaussianBlur(gray, (0, 0), 1.0)
        camera, flow = np.eye(3), gray.astype(np.uint8)
        if self.history:
            prev_index, _, prev_camera, prev_flow = self.history[-1]
            camera = self._camera_step(prev_index, prev_flow, flow) @ prev_camera
        self.history.append((index, gray, camera, flow))
        out = []
        # the oldest frame not yet reported whose "after" frame has now arrived
        while self._next < len(self.history) and \
                self.history[self._next][0] <= index - self.lag:
            out.append(self._report(self._next, len(self.history) - 1))
        waiting = self.history[self._next][0] if self._next < len(self.history) else index
        while self._next > 1 and self.history[1][0] <= waiting - self.lag:
            self._tracked.pop(self.history.popleft()[0], None)  # no longer anyone's "before"
            self._next -= 1
        return out

    def unmoved(self, x: float, y: float) -> tuple[float, float]:
        """Where the point ``(x, y)`` of the latest frame (analysis pixels) was in the
        shot's first frame's view: the camera's motion since then undone."""
        if not self.history:
            return x, y
        px, py, pw = np.linalg.inv(self.history[-1][2]) @ (x, y, 1.0)
        return px / pw, py / pw

    def _report(self, i: int, after: int) -> tuple[int, np.ndarray, np.ndarray, bool]:
        frame = self.history[i]
        whip = False
        if i:
            step = self._chain(frame, self.history[i - 1])
            whip = bool(np.hypot(step[0, 2], step[1, 2]) > WHIP * self.shape[1])
        before = max((j for j in range(i) if self.history[j][0] <= frame[0] - self.lag),
                     default=0)
        motion = None
        for j in {before, after} - {i}:
            diff = self._aligned_diff(frame, self.history[j])
            motion = diff if motion is None else np.minimum(motion, diff)
        # where it differs still keeps the camera's points off (a shot's first frame,
        # compared with one frame only, can show more moving than the test allows)
        differs = motion
        if motion is None or (motion > 0.5).mean() > MAX_MOVING_SHARE:
            # the camera's motion was not found (blur, repetitive texture): nothing moves
            motion = np.zeros(self.shape, np.float32)
        present = motion
        half = max(1, round(0.5 * self.lag))
        near = [self.history[j] for j in (i - half, i + half) if 0 <= j < len(self.history)
                and abs(self.history[j][0] - frame[0]) == half]
        if near and motion.any():
            either = np.maximum.reduce([self._aligned_diff(frame, other, refine=False)
                                        for other in near])
            present = np.minimum(motion, HALF_GAIN * either)
        if self._last is not None:
            self.seen *= self.decay_per_frame ** (frame[0] - self._last)
        self._last = frame[0]
        if differs is not None:  # else nothing was compared: nothing to keep off
            np.maximum(self.seen, differs, out=self.seen)
        self._next = i + 1
        return frame[0], motion, present, whip

    def flush(self) -> list[tuple[int, np.ndarray, np.ndarray, bool]]:
        """``(index, motion, present, whip)`` of the frames still waiting for a frame
        after them."""
        out = []
        while self._next < len(self.history):
            out.append(self._report(self._next, len(self.history) - 1))
        return out


def blobs(fused: np.ndarray, scale: float, present: np.ndarray | None = None) -> np.ndarray:
    """The strongest connected regions of a fused map as ``[MAX_BLOBS, BLOB_FIELDS]``
    source boxes with their weighted centres, the columns of their tallest figure
    (:func:`_tall_columns`) and those where ``present`` (the same map without motion
    ghosts) is above the threshold in them (all where it is nowhere)."""
    out = np.zeros((MAX_BLOBS, BLOB_FIELDS), np.float32)
    mask = (fused > THRESHOLD).astype(np.uint8)
    h, w = mask.shape
    k = max(3, w // 20) | 1  # joins the limbs and body of one figure
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(
        cv2.MORPH_ELLIPSE, (k, 2 * k + 1)))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return out
    mass = np.bincount(labels.ravel(), weights=fused.ravel(), minlength=count)
    order = [i for i in np.argsort(-mass) if i != 0 and stats[i, cv2.CC_STAT_AREA] >= h * w / 2000]
    for slot, i in enumerate(order[:MAX_BLOBS]):
        x, y, bw, bh = (stats[i, c] for c in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP,
                                              cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT))
        inside = labels[y:y + bh, x:x + bw] == i
        weight = np.where(inside, fused[y:y + bh, x:x + bw], 0)
        total = max(float(weight.sum()), 1e-9)
        centre = ((float(weight.sum(axis=0) @ np.arange(bw)) / total + x + 0.5) * scale,
                  (float(weight.sum(axis=1) @ np.arange(bh)) / total + y + 0.5) * scale)
        now = np.array([0, bw], float)
        if present is not None:
            on = inside & (present[y:y + bh, x:x + bw] > THRESHOLD)
            cols = np.flatnonzero(on.any(axis=0))
            if len(cols):
                now = np.array([cols[0], cols[-1] + 1], float)
        out[slot] = (x * scale, y * scale, (x + bw) * scale, (y + bh) * scale,
                     mass[i] / (h * w), *centre,
                     *((x + _tall_columns(inside, cut=y == 0)) * scale), *((x + now) * scale))
    return out


def _tall_columns(inside: np.ndarray, cut: bool) -> np.ndarray:
    """``[first, last + 1]`` of the columns of a region (a boolean box) whose top edge is
    within :data:`TALL` of its height of the region's top: the tallest figure with what
    it holds up, without a much shorter one joined to it where they touch. All of them
    where the picture's top ``cut`` the region (its outline there says nothing)."""
    h, w = inside.shape
    if cut:
        return np.array([0, w], float)
    top = np.where(inside.any(axis=0), inside.argmax(axis=0), h)
    tall = np.flatnonzero(top <= top.min() + TALL * h)
    return np.array([tall[0], tall[-1] + 1], float)


class ShotColours:
    """The colours of one shot's subject and of its background, learnt from motion.

    Pixels that move on their own teach the subject's colours, pixels that stay still
    away from any motion the background's (a histogram of each, in YUV stretched to the
    shot's own range so that a dark or flat shot spreads over the bins); a pixel's
    subject likelihood is then its colour's share of the two (back-projection).
    """

    def __init__(self, images: list[np.ndarray]):
        sample = np.concatenate([im.reshape(-1, 3) for im in images[::max(1, len(images) // 8)]])
        low = np.percentile(sample, 1, axis=0).astype(np.float32)
        gain = (255.0 / np.maximum(np.percentile(sample, 99, axis=0) - low, 8.0)).astype(np.float32)
        levels = np.arange(256, dtype=np.float32)[:, None]
        # per channel, each 8-bit value stretched to the shot's range (a lookup table)
        self.stretch = np.clip((levels - low) * gain, 0, 255).astype(np.uint8)[:, None, :]
        self.subject = np.zeros((BINS,) * 3)
        self.background = np.zeros((BINS,) * 3)

    def stretched(self, image: np.ndarray) -> np.ndarray:
        """``image`` with each channel stretched to the shot's range."""
        return cv2.LUT(image, self.stretch)

    def learn(self, stretched: np.ndarray, motion: np.ndarray) -> None:
        """Count one (stretched) frame's pixels: the moving ones as the subject's, the
        still ones at least 5 pixels from any motion as the background's."""
        moving = motion > MOVING
        near = cv2.dilate(moving.astype(np.uint8), np.ones((11, 11), np.uint8))
        self.subject += colour_histogram(stretched, moving)
        self.background += colour_histogram(stretched, (motion < STILL) & (near == 0))

    def likelihood(self) -> np.ndarray | None:
        """Per colour bin, how likely it is the subject's (add-one smoothed; a table for
        :func:`~editor.analysis.colours.read_table`); None when the model does not tell
        the subject from the background."""
        if self.subject.sum() <= 50:
            return None
        subject = (self.subject + 1) / (self.subject.sum() + self.subject.size)
        background = (self.background + 1) / (self.background.sum() + self.background.size)
        table = (subject / (subject + background)).astype(np.float32)
        separation = (float((self.subject * table).sum()) / self.subject.sum()
                      - float((self.background * table).sum()) / max(self.background.sum(), 1.0))
        return table if separation > MIN_SEPARATION else None


def extract_signals(path: str | Path, *, width: int, height: int, frame_count: int,
                    fps: float, resets: set[int] = frozenset(), find_faces: bool = True,
                    shots: ShotStream | None = None,
                    progress: ProgressCallback = no_progress,
                    cancel: CancelToken | None = None,
                    on_warning: WarningCallback | None = None) -> Signals:
    """Decode ``path`` once (every frame, fast, reduced size) and keep each frame's
    subject blobs.

    ``width``/``height`` are the display size; ``resets`` are frames where the motion
    and colour models start afresh (first frames of shots and transitions);
    ``find_faces=False`` leaves the face signal out. With ``shots`` (a fresh
    :class:`~editor.analysis.shots.stream.ShotStream`), the shot engine runs on this
    decoding pass instead and its resets are used, each known before its frame is worked
    on; ``shots.features`` holds the shot engine's features after. Three stages overlap:
    decoding (read ahead on a thread of its own; the shots too), the motion pass and the
    faces, and each chunk's blobs (on a worker, while the next chunk is read).
    """
    if shots is not None:
        resets = shots.resets

    def decode_warning(message: str) -> None:
        if shots is not None:  # kept with the shots found on this pass
            shots.warnings.append(message)
        if on_warning is not None:
            on_warning(message)

    a_w = min(ANALYSIS_WIDTH, width)
    a_h = max(8, round(a_w * height / width))
    scale = width / a_w
    motion = MotionSaliency((a_h, a_w), fps)
    detect = FaceDetector(find_faces)
    if find_faces and not detect.available and on_warning is not None:
        on_warning("Faces are not looked for: this OpenCV has no cascade classifier "
                   "(install opencv-contrib-python-headless).")
    # faces are looked for on a larger copy of the same decoded frame
    shrink = min(1.0, DETECT_SIZE / min(width, height))
    d_w, d_h = max(8, round(width * shrink)), max(8, round(height * shrink))
    follow = max(1, round(FOLLOW_S * fps))  # faces found are looked for again this often
    every = follow * max(1, round(EVERY_S / FOLLOW_S))  # new faces this often
    tracks: list[tuple[list[Face], int]] = []  # (detections, last frame of their shot)
    chunk_size = int(min(MAX_CHUNK, max(1, round(CHUNK_S * fps))))

    def motion_chunks() -> Iterator[tuple[list[tuple], bool]]:
        """``(frames, first)``: up to ``chunk_size`` frames of one shot, each ``(index,
        image, motion, present, whip)``, ``first`` for a shot's first chunk; faces are
        found and linked on the way."""
        faces: list[Face] = []  # the current shot's detections
        last_face, near = -every, None  # where faces were last found (detail pixels)
        images: dict[int, np.ndarray] = {}
        chunk: list[tuple] = []
        first, previous = True, -1
        last_report = time.monotonic()

        def pass_on():
            nonlocal first
            yield chunk.copy(), first
            chunk.clear()
            first = False

        def take(reported):
            for i, moving, present, whip in reported:
                chunk.append((i, images.pop(i), moving, present, whip))
                if len(chunk) >= chunk_size:
                    yield from pass_on()

        def end_shot():
            nonlocal first
            yield from take(motion.flush())
            if chunk:
                yield from pass_on()
            tracks.extend((track, previous) for track in link(faces, fps))
            faces.clear()
            first = True

        # a detail copy of every frame faces may be looked for on (decided ahead, by
        # index alone); whether they are is decided as each frame comes
        decoded = iter_frames(path, fmt="yuv", width=a_w, height=a_h, fast=True,
                              every_frame=True, detail=(d_w, d_h),
                              detail_when=lambda i: detect.available and
                              (shots is not None or i % follow == 0 or i in resets),
                              thumb_width=None if shots is None else DETAIL_WIDTH,
                              references=shots is not None,
                              cancel=cancel, on_warning=decode_warning)
        if shots is not None:  # frames come once the boundaries before them are final
            decoded = shots.follow(decoded)
        for frame in prefetch(decoded, depth=8):
            i = frame.index
            # (by membership: with ``shots`` the set grows on the decoding thread)
            if any(r in resets for r in range(previous + 1, i + 1)):
                yield from end_shot()
                motion.reset()
                last_face, near = -every, None
            previous = i
            images[i] = frame.image
            yield from take(motion.push(i, frame.image[:, :, 0].astype(np.float32)))
            # around the faces found a moment ago (every FOLLOW_S), else (every EVERY_S,
            # and on a shot's first frame, where none are known yet) on the whole picture
            if frame.detail is not None and (i in resets or i % follow == 0 and (
                    i % every == 0 or i - last_face < every)):
                found = detect(frame.detail, near if i % every else None)
                faces.extend(_face(i, box * (width / d_w), motion, scale) for box in found)
                if len(found):
                    last_face, near = i, found
            now = time.monotonic()
            if now - last_report >= _PROGRESS_EVERY_S:
                last_report = now
                progress(i + 1, max(frame_count, i + 1), "finding subjects")
        yield from end_shot()

    colours: ShotColours | None = None  # the current shot's: the worker's alone

    def chunk_rows(item: tuple[list[tuple], bool]) -> tuple[list[int], list[np.ndarray]]:
        nonlocal colours
        frames, first = item
        if first:
            colours = ShotColours([image for _, image, _, _, _ in frames])
        return [f[0] for f in frames], _blob_rows(frames, colours, scale, cancel)

    progress(0, frame_count, "finding subjects")
    index, rows = [], []
    # one worker: the chunks' blobs in order, while the next chunk is read; closed at
    # once on an error or a cancel, which stops the worker and the decoding thread
    with closing(ordered_map(chunk_rows, motion_chunks(), workers=1, ahead=1)) as results:
        for done, found in results:
            index.extend(done)
            rows.extend(found)
    frame_count = max(frame_count, (index[-1] + 1) if index else 0)
    progress(frame_count, frame_count, "subjects found")
    boxes = np.array(rows, np.float32).reshape(-1, MAX_BLOBS, BLOB_FIELDS)
    index = np.array(index, np.int64)
    return Signals(width, height, frame_count, index, boxes,
                   people(tracks, index, width, height, coast=round(COAST_S * fps)))


def _blob_rows(chunk: list[tuple], colours: ShotColours, scale: float,
               cancel: CancelToken | None) -> list[np.ndarray]:
    """The blobs of each frame of ``chunk`` (``(index, image, motion, present, whip)``
    in order), once ``colours`` has learnt from its frames."""
    shown = [colours.stretched(image) for _, image, _, _, _ in chunk]
    for stretched, (_, _, moving, _, _) in zip(shown, chunk):
        colours.learn(stretched, moving)
    table = colours.likelihood()
    rows = []
    for stretched, (_, image, moving, present, whip) in zip(shown, chunk):
        if cancel is not None:
            cancel.raise_if_cancelled()  # a chunk takes up to a second or so
        if whip:
            rows.append(np.zeros((MAX_BLOBS, BLOB_FIELDS), np.float32))
            continue
        visual = W_VISUAL * visual_saliency(image)
        fused, fused_present = W_MOTION * moving + visual, W_MOTION * present + visual
        if table is not None:
            sure = cv2.blur(read_table(table, stretched), (3, 3))
            colour = np.where(sure > COLOUR_SURE, W_COLOUR * sure, 0)
            np.maximum(fused, colour, out=fused)
            np.maximum(fused_present, colour, out=fused_present)
        rows.append(blobs(fused, scale, fused_present))
    return rows


def _face(frame: int, box: np.ndarray, motion: MotionSaliency, scale: float) -> Face:
    """A detection (``box`` in source pixels) with its centre where it was in the view
    of the shot's first frame."""
    x, y = motion.unmoved(*(v / scale for v in box_centre(box)))
    return Face(frame, tuple(float(v) for v in box), (x * scale, y * scale))


def track_subject(path: str | Path, *, clicks: list[tuple[float, float, int]],
                  shot: tuple[int, int], backend: str = "auto", checkpoint: str | None = None,
                  segmenter=None, cache=None, progress: ProgressCallback = no_progress,
                  cancel: CancelToken | None = None,
                  on_warning=None) -> dict[int, tuple[float, float, float, float]]:
    """Follow the subject clicked (``clicks``: ``(x, y, frame)``, all in ``shot``, an
    inclusive frame range) through the shot, backward and forward from each clicked frame
    (another click corrects the tracking around it), with the matting engine:
    ``backend`` and ``checkpoint`` as for :func:`~editor.analysis.matting.make_segmenter`
    (``auto``: Segment Anything when a checkpoint is installed and a GPU runs it, else
    GrabCut). Returns
    ``{frame: (x0, y0, x1, y1)}``, the box of each frame's mask in source pixels; frames
    whose mask the engine flags (lost, jumped, drifted) are left out, the blobs near it
    fill them. ``segmenter``: a function giving the segmenter to use (called only when
    the boxes are not cached; several shots share one model). Cached: re-planning after
    a dragged keyframe does not track again."""
    import tempfile

    from editor.analysis.matting import Prompt, make_segmenter, matte
    from editor.analysis.matting.models import ModelManager, checkpoint_file

    key = None
    if cache is not None:
        if backend == "grabcut":
            weights = None
        elif checkpoint:
            weights = [str(checkpoint), checkpoint_file(checkpoint).stat().st_mtime_ns]
        else:  # what "auto" and "sam" would load ("auto" without a GPU: GrabCut, keyed
            # the same; the cache is this machine's own)
            weights = ModelManager().first_installed()
        key = cache.key(path, "reframe-subject", 5,
                        {"clicks": [[round(float(x), 1), round(float(y), 1), int(f)]
                                    for x, y, f in clicks],
                         "shot": [int(v) for v in shot], "backend": backend, "weights": weights})
        arrays = cache.get_arrays(key)
        if arrays is not None:
            return {int(f): tuple(float(v) for v in box)
                    for f, box in zip(arrays["frames"], arrays["boxes"])}
    segmenter = segmenter() if segmenter is not None else \
        make_segmenter(backend, checkpoint=checkpoint, gpu_only=True, on_warning=on_warning)
    out: dict[int, tuple[float, float, float, float]] = {}
    with tempfile.TemporaryDirectory(prefix="cutwise-subject-") as folder:
        points: dict[int, list] = {}
        for x, y, f in clicks:
            points.setdefault(int(f), []).append((float(x), float(y), 1))
        session = matte(path, [Prompt(f, p) for f, p in sorted(points.items())],
                        segmenter=segmenter, shot=shot, folder=folder, cache=cache,
                        progress=progress, cancel=cancel, on_warning=on_warning)
        sx = session.display[0] / session.size[0]
        sy = session.display[1] / session.size[1]
        for f, info in session.frames.items():
            # a flagged frame (lost, a jump in the mask, a drift) is one to check: skipped
            mask = session.read_mask(f) if info.area and info.flag is None else None
            if mask is None or not mask.any():
                continue
            bx, by, bw, bh = cv2.boundingRect(mask.astype(np.uint8))
            out[f] = (bx * sx, by * sy, (bx + bw) * sx, (by + bh) * sy)
    if key is not None:
        frames = sorted(out)
        boxes = np.array([out[f] for f in frames], np.float64).reshape(-1, 4)
        cache.put_arrays(key, {"frames": np.array(frames, np.int64), "boxes": boxes})
    return out
