"""Prompts, per-frame masks and the interface every segmentation backend implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import cv2
import numpy as np

from editor.core.errors import CutwiseError


@dataclass
class Prompt:
    """What the user said on one frame: positive/negative points and an optional box.

    Coordinates are pixels of the upright picture at the media's display size.
    """

    frame: int
    points: list[tuple[float, float, int]] = field(default_factory=list)  # x, y, 1 or 0
    box: tuple[float, float, float, float] | None = None  # x0, y0, x1, y1

    def __post_init__(self):
        if not any(label == 1 for _, _, label in self.points) and self.box is None:
            raise CutwiseError(f"Frame {self.frame}: give at least one positive point or a box.")

    def scaled(self, sx: float, sy: float) -> Prompt:
        box = None if self.box is None else (self.box[0] * sx, self.box[1] * sy,
                                             self.box[2] * sx, self.box[3] * sy)
        return Prompt(self.frame, [(x * sx, y * sy, lab) for x, y, lab in self.points], box)

    def to_dict(self) -> dict:
        return {"frame": self.frame, "points": [list(p) for p in self.points],
                "box": list(self.box) if self.box else None}

    @classmethod
    def from_dict(cls, d: dict) -> Prompt:
        return cls(int(d["frame"]), [(float(x), float(y), int(lab)) for x, y, lab in d["points"]],
                   tuple(d["box"]) if d.get("box") else None)


@dataclass
class Segment:
    """A backend's answer for one frame: a boolean mask, and SAM's low-res logits if any."""

    mask: np.ndarray
    score: float = 1.0
    logits: Any = None

    @property
    def area(self) -> int:
        return int(np.count_nonzero(self.mask))


class Segmenter(Protocol):
    """A segmentation backend (SAM or GrabCut) as the propagation loop drives it."""

    name: str
    lower_quality: bool
    batch_size: int
    #: whether it uses motion: :meth:`track` the motion evidence (a background model
    #: costs time), :meth:`from_prompt` the nearby frames (each costs a seek)
    uses_motion: bool

    def prepare(self, images: list[np.ndarray]) -> list[Any]:
        """Per-frame features for a batch (SAM: image embeddings; GrabCut: the image)."""

    def from_prompt(self, feature: Any, image: np.ndarray, prompt: Prompt,
                    neighbours: list[tuple[int, np.ndarray]]) -> Segment:
        """The mask the user's prompt asks for (``neighbours``: ``(offset, frame)`` for
        a frame of the shot a little after or before it, for a motion cue)."""

    def track(self, feature: Any, image: np.ndarray, prior: Segment,
              evidence: np.ndarray | None = None) -> Segment:
        """The subject on this frame, given last frame's mask moved to this frame
        (``evidence``: how surely each pixel moves on its own, 0..1, when known; see
        :mod:`~editor.analysis.matting.background`)."""


def bbox(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) exclusive of a boolean mask, or None when empty."""
    ys = np.flatnonzero(mask.any(axis=1))
    if not len(ys):
        return None
    xs = np.flatnonzero(mask.any(axis=0))
    return int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1


def round_kernel(radius: float) -> np.ndarray:
    """A round structuring element ``radius`` px (at least 1) each side of its centre."""
    radius = max(1, int(radius))
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.count_nonzero(a | b)
    return 1.0 if union == 0 else np.count_nonzero(a & b) / union


def interior_point(mask: np.ndarray) -> tuple[int, int] | None:
    """The pixel deepest inside the mask (x, y): a safe positive point for a prompt."""
    if not mask.any():
        return None
    dist = cv2.distanceTransform(np.pad(mask.astype(np.uint8), 1), cv2.DIST_L2, 3)[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
    return int(x), int(y)
