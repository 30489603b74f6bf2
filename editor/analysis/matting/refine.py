"""Binary mask → soft alpha: a trimap band, an edge-aware guided filter, temporal smoothing.

The guided filter (He et al., 2010) is written with OpenCV box filters, since
``cv2.ximgproc`` is only in the contrib build. It makes the alpha follow the picture's
edges inside a thin unknown band around the mask's outline; outside the band the alpha
is exactly 0 or 1, so the background stays clean.
"""

from __future__ import annotations

import cv2
import numpy as np


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


def soft_alpha(image: np.ndarray, mask: np.ndarray, *, band: int | None = None,
               eps: float = 1e-3) -> np.ndarray:
    """A float32 alpha (0..1) for ``image`` (RGB uint8) from a boolean ``mask`` of its size."""
    h, w = mask.shape
    if not mask.any():
        return np.zeros((h, w), np.float32)
    band = band or max(2, round(min(h, w) / 180))
    sure, unknown = trimap(mask, band)
    small = 2 if min(h, w) >= 720 else 1  # the fast guided filter: coefficients at half size
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
    alpha = np.where(unknown, np.clip(filtered, 0.0, 1.0), sure.astype(np.float32))
    return alpha.astype(np.float32)


class TemporalSmoother:
    """Removes flicker: blends each alpha with the previous one where the picture is still.

    Where the pixel barely changed since the last frame (camera and subject still), the
    alpha is pulled towards the previous frame's; where it moved, the new alpha wins, so
    motion is not smeared. Keeps one frame of state.
    """

    def __init__(self, strength: float = 0.6, noise: float = 6.0):
        self.strength = strength
        self.noise = noise
        self._prev_alpha: np.ndarray | None = None
        self._prev_gray: np.ndarray | None = None

    def reset(self) -> None:
        self._prev_alpha = self._prev_gray = None

    def __call__(self, image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
        gray = cv2.GaussianBlur(gray, (5, 5), 0)
        out = alpha
        if self._prev_alpha is not None and self._prev_alpha.shape == alpha.shape:
            change = np.abs(gray - self._prev_gray)
            keep = self.strength * np.exp(-change / self.noise)
            out = (1 - keep) * alpha + keep * self._prev_alpha
            out[(alpha == 0) & (self._prev_alpha < 0.02)] = 0.0  # keep the background clean
        self._prev_alpha, self._prev_gray = out, gray
        return out
