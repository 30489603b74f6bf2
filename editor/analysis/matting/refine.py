"""Binary mask → soft alpha: a trimap band, an edge-aware guided filter, temporal smoothing.

The guided filter (He et al., 2010) is written with OpenCV box filters, since
``cv2.ximgproc`` is only in the contrib build. It makes the alpha follow the picture's
edges inside a thin unknown band around the mask's outline; outside the band the alpha
is exactly 0 or 1, so the background stays clean.
"""

from __future__ import annotations

import cv2
import numpy as np

from editor.analysis.matting.types import bbox


def _box(img: np.ndarray, r: int) -> np.ndarray:
    return cv2.boxFilter(img, -1, (2 * r + 1, 2 * r + 1), borderType=cv2.BORDER_REFLECT)


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """Filter ``src`` (float32 HxW) edge-aware along gray ``guide`` (float32 HxW, 0..1)."""
    mean_i, mean_p = _box(guide, radius), _box(src, radius)
    cov_ip = _box(guide * src, radius) - mean_i * mean_p
    var_i = _box(guide * guide, radius) - mean_i * mean_i
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    return _box(a, radius) * guide + _box(b, radius)


def trimap(mask: np.ndarray, band: int) -> tuple[np.ndarray, np.ndarray]:
    """(sure foreground, unknown band) of a boolean mask; the band is ``band`` px each side."""
    m = mask.astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1, 2 * band + 1))
    inner = cv2.erode(m, kernel) > 0
    outer = cv2.dilate(m, kernel) > 0
    return inner, outer & ~inner


def _around(box: tuple[int, int, int, int], pad: int, shape: tuple[int, int]) -> tuple[slice, slice]:
    """(rows, cols) of ``box`` grown by ``pad``, clipped to ``shape``; on even pixels (start
    and, short of the frame's edge, length) so that a half-size pass samples the same grid
    as over the whole frame."""
    x0, y0, x1, y1 = box

    def span(lo: int, hi: int, size: int) -> slice:
        lo = max(0, lo - pad) // 2 * 2
        hi = min(size, hi + pad)
        return slice(lo, min(size, hi + (hi - lo) % 2))

    return span(y0, y1, shape[0]), span(x0, x1, shape[1])


def soft_alpha(image: np.ndarray, mask: np.ndarray, *, band: int | None = None,
               eps: float = 1e-3) -> np.ndarray:
    """A float32 alpha (0..1) for ``image`` (RGB uint8) from a boolean ``mask`` of its size.

    Only the subject's surroundings are computed (every filter here reaches less than
    the margin kept around the mask); the rest of the frame is exactly 0.
    """
    h, w = mask.shape
    alpha = np.zeros((h, w), np.float32)
    box = bbox(mask)
    if box is None:
        return alpha
    band = band or max(2, round(min(h, w) / 180))
    small = 2 if min(h, w) >= 720 else 1  # the fast guided filter: coefficients at half size
    rows, cols = _around(box, 4 * band + 8, (h, w))
    alpha[rows, cols] = _soft_alpha_near(image[rows, cols], mask[rows, cols], band, eps, small)
    return alpha


def _soft_alpha_near(image: np.ndarray, mask: np.ndarray, band: int, eps: float,
                     small: int) -> np.ndarray:
    h, w = mask.shape
    sure, unknown = trimap(mask, band)
    guide = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    src = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), band / 2)
    if small > 1:
        g_small = cv2.resize(guide, (w // small, h // small), interpolation=cv2.INTER_AREA)
        p_small = cv2.resize(src, (w // small, h // small), interpolation=cv2.INTER_AREA)
        r = max(1, band // small)
        mean_i, mean_p = _box(g_small, r), _box(p_small, r)
        a = (_box(g_small * p_small, r) - mean_i * mean_p) / (_box(g_small * g_small, r)
                                                              - mean_i * mean_i + eps)
        b = mean_p - a * mean_i
        a = cv2.resize(_box(a, r), (w, h), interpolation=cv2.INTER_LINEAR)
        b = cv2.resize(_box(b, r), (w, h), interpolation=cv2.INTER_LINEAR)
        filtered = a * guide + b
    else:
        filtered = guided_filter(guide, src, band, eps)
    return np.where(unknown, np.clip(filtered, 0.0, 1.0), sure.astype(np.float32))


class TemporalSmoother:
    """Removes flicker: blends each alpha with the previous one where the picture is still.

    Where the pixel barely changed since the last frame (camera and subject still), the
    alpha is pulled towards the previous frame's; where it moved, the new alpha wins, so
    motion is not smeared. Keeps one frame of state. Frames come as :meth:`gray` of the
    picture, which does not depend on the previous frame (a pool can make it ahead).
    """

    def __init__(self, strength: float = 0.6, noise: float = 6.0):
        self.strength = strength
        self.noise = noise
        self._prev_alpha: np.ndarray | None = None
        self._prev_gray: np.ndarray | None = None

    def __call__(self, gray: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        """The smoothed alpha; only where this or the last alpha is non-zero is computed."""
        prev_alpha, prev_gray = self._prev_alpha, self._prev_gray
        self._prev_alpha, self._prev_gray = alpha, gray
        if prev_alpha is None or prev_alpha.shape != alpha.shape:
            return alpha
        boxes = [b for b in (bbox(alpha > 0), bbox(prev_alpha > 0)) if b is not None]
        if not boxes:
            return alpha
        box = (min(b[0] for b in boxes), min(b[1] for b in boxes),
               max(b[2] for b in boxes), max(b[3] for b in boxes))
        rows, cols = _around(box, 0, alpha.shape)
        new, old = alpha[rows, cols], prev_alpha[rows, cols]
        change = cv2.absdiff(gray[rows, cols], prev_gray[rows, cols])
        keep = self.strength * np.exp(change * (-1.0 / self.noise))
        blended = new + keep * (old - new)
        blended[(new == 0) & (old < 0.02)] = 0.0  # keep the background clean
        out = alpha.copy()
        out[rows, cols] = blended
        self._prev_alpha = out
        return out

    @staticmethod
    def gray(image: np.ndarray) -> np.ndarray:
        """The picture as the smoother compares it: gray, float32, lightly blurred."""
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
        return cv2.GaussianBlur(gray, (5, 5), 0)
