"""Pictures as 8-bit YUV 4:2:0 planes, the form decoders give and H.264 encoders take.

Rendering works on these planes end to end (crop, scale, pad) instead of converting every
frame to RGB and back: the two colour conversions cost more than the crop and the scale
together at 1080p, and skipping them also keeps the source's colours exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import av
import cv2
import numpy as np

# BT.709 limited range (HD video), for solid fills given in RGB
_KR, _KB = 0.2126, 0.0722


def _plane_array(plane) -> np.ndarray:
    data = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
    return data[:, :plane.width]


def _resize(plane: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    w, h = size
    if plane.shape[1] == w and plane.shape[0] == h:
        return plane
    shrinking = w < plane.shape[1] and h < plane.shape[0]
    return cv2.resize(plane, (w, h), interpolation=cv2.INTER_AREA if shrinking
                      else cv2.INTER_LINEAR)


def _chroma_size(size: tuple[int, int]) -> tuple[int, int]:
    return (size[0] + 1) // 2, (size[1] + 1) // 2


@dataclass
class Planes:
    """Y at full size, U and V at half size (rounded up)."""

    y: np.ndarray
    u: np.ndarray
    v: np.ndarray

    @property
    def size(self) -> tuple[int, int]:
        return self.y.shape[1], self.y.shape[0]

    @classmethod
    def from_frame(cls, frame: av.VideoFrame, rot90_k: int = 0,
                   size: tuple[int, int] | None = None) -> Planes:
        """The frame's planes, turned ``rot90_k`` quarter turns counter-clockwise and scaled
        to ``size`` (the display size, which differs from the stored one for non-square
        pixels). Formats other than 8-bit 4:2:0 are converted first."""
        if frame.format.name != "yuv420p":
            frame = frame.reformat(format="yuv420p")
        y, u, v = (_plane_array(frame.planes[i]) for i in range(3))
        if rot90_k:
            y, u, v = (np.rot90(p, rot90_k) for p in (y, u, v))
        out = cls(y, u, v)
        if size is not None and size != out.size:
            return out.resized(size)
        return cls(*(np.ascontiguousarray(p) if rot90_k else p.copy() for p in (y, u, v)))

    @classmethod
    def filled(cls, size: tuple[int, int], rgb: tuple[int, int, int]) -> Planes:
        """A solid picture of ``size`` in the colour ``rgb``."""
        r, g, b = (c / 255 for c in rgb)
        luma = _KR * r + (1 - _KR - _KB) * g + _KB * b
        y = 16 + 219 * luma
        u = 128 + 224 * (b - luma) / (2 * (1 - _KB))
        v = 128 + 224 * (r - luma) / (2 * (1 - _KR))
        w, h = size
        cw, ch = _chroma_size(size)
        return cls(np.full((h, w), round(y), np.uint8), np.full((ch, cw), round(u), np.uint8),
                   np.full((ch, cw), round(v), np.uint8))

    def crop(self, x: int, y: int, w: int, h: int) -> Planes:
        """The window at (x, y) of size w x h (a view; x and y are rounded down to even)."""
        x, y = x // 2 * 2, y // 2 * 2
        cx, cy = x // 2, y // 2
        cw, ch = _chroma_size((w, h))
        return Planes(self.y[y:y + h, x:x + w], self.u[cy:cy + ch, cx:cx + cw],
                      self.v[cy:cy + ch, cx:cx + cw])

    def resized(self, size: tuple[int, int]) -> Planes:
        csize = _chroma_size(size)
        return Planes(_resize(self.y, size), _resize(self.u, csize), _resize(self.v, csize))

    def blurred_fill(self, size: tuple[int, int], darken: float = 0.6) -> Planes:
        """``size`` covered by this picture (centre-cropped), heavily blurred and darkened:
        the background of a padded layout."""
        w, h = self.size
        ow, oh = size
        cover = max(ow / w, oh / h)
        cw, ch = min(w, round(ow / cover)), min(h, round(oh / cover))
        centre = self.crop((w - cw) // 2, (h - ch) // 2, cw, ch)
        small = centre.resized((max(8, ow // 16), max(8, oh // 16)))
        out = []
        for plane, neutral in ((small.y, 16), (small.u, 128), (small.v, 128)):
            blurred = cv2.GaussianBlur(plane, (0, 0), 2.0).astype(np.float32)
            keep = darken if neutral == 16 else 1.0
            out.append(np.clip(neutral + (blurred - neutral) * keep, 0, 255).astype(np.uint8))
        return Planes(*out).resized(size)

    def paste(self, other: Planes, x: int, y: int) -> None:
        """Draw ``other`` with its top-left corner at (x, y) (rounded down to even)."""
        x, y = x // 2 * 2, y // 2 * 2
        w, h = other.size
        self.y[y:y + h, x:x + w] = other.y
        cw, ch = other.u.shape[1], other.u.shape[0]
        self.u[y // 2:y // 2 + ch, x // 2:x // 2 + cw] = other.u
        self.v[y // 2:y // 2 + ch, x // 2:x // 2 + cw] = other.v

    def to_frame(self) -> av.VideoFrame:
        """A yuv420p video frame (the size must be even)."""
        w, h = self.size
        packed = np.empty(h * w * 3 // 2, np.uint8)
        quarter = h * w // 4
        packed[:h * w] = self.y.ravel()
        packed[h * w:h * w + quarter] = self.u.ravel()
        packed[h * w + quarter:] = self.v.ravel()
        return av.VideoFrame.from_ndarray(packed.reshape(h * 3 // 2, w), format="yuv420p")
