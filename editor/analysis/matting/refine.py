"""Binary mask → soft alpha: a trimap band, colour sampling, temporal smoothing.

Inside a thin unknown band around the mask's outline, each pixel's alpha comes from the
compositing equation ``I = a·F + (1 - a)·B`` (sampling-based matting, as in Wang and
Cohen's robust matting): F and B are local means of the subject's and the background's
colours just inside and outside the mask, at a few radii, and the pair that explains the
pixel best gives its alpha. This moves the outline onto the picture's edges where the
mask missed them by a few pixels (a cut made at a lower resolution, a pixel of halo, a
limb cut short); two passes, the second around the first one's outline. Where the two
colours are too alike to tell apart, an edge-aware guided filter (He et al., 2010,
written with OpenCV box filters since ``cv2.ximgproc`` is only in the contrib build)
softens the mask instead. Outside the band the alpha is exactly 0 or 1, so the background
stays clean.
"""

from __future__ import annotations

import cv2
import numpy as np

from editor.analysis.matting.types import bbox, round_kernel


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
    kernel = round_kernel(band)
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


SAMPLE_RADII = (0.5, 1.0, 2.0)  # Gaussian radii of the colour means, in bands
MIN_SEPARATION = 10.0  # RGB distance below which subject and background colours are alike


def soft_alpha(image: np.ndarray, mask: np.ndarray, *, band: int | None = None,
               eps: float = 1e-3) -> np.ndarray:
    """A float32 alpha (0..1) for ``image`` (RGB uint8) from a boolean ``mask`` of its size.

    Only the subject's surroundings are computed; the rest of the frame is exactly 0.
    """
    h, w = mask.shape
    alpha = np.zeros((h, w), np.float32)
    box = bbox(mask)
    if box is None:
        return alpha
    band = band or max(2, round(min(h, w) / 180))
    small = 2 if min(h, w) >= 720 else 1  # the fast guided filter: coefficients at half size
    rows, cols = _around(box, 4 * band + 8, (h, w))
    crop, near = image[rows, cols], mask[rows, cols]
    first = _sampled_alpha(crop, near, trimap(near, band)[1], band)
    alpha[rows, cols] = _soft_alpha_near(crop, np.where(np.isnan(first), near, first >= 0.5),
                                         band, eps, small)
    return alpha


def _sampled_alpha(image: np.ndarray, mask: np.ndarray, unknown: np.ndarray,
                   band: int) -> np.ndarray:
    """Alpha from colour sampling in ``unknown``, the band ``band`` px each side of
    ``mask``'s outline; NaN outside it and where the subject's and background's colours
    are too alike."""
    m = mask.astype(np.uint8)
    ring = round_kernel(1)
    subject = cv2.erode(m, ring)  # one pixel in from the outline
    background = 1 - cv2.dilate(m, ring)
    alpha = np.full(mask.shape, np.nan, np.float32)
    if not subject.any() or not background.any() or not unknown.any():
        return alpha
    ys, xs = np.nonzero(unknown)
    here = image[ys, xs].astype(np.float32)
    best = np.full(len(ys), np.inf, np.float32)
    found = np.full(len(ys), np.nan, np.float32)
    radii = [r * band for r in SAMPLE_RADII]
    backgrounds = _local_means(image, background, ys, xs, radii)
    for fg in _local_means(image, subject, ys, xs, radii):
        for bg in backgrounds:
            span = fg - bg
            separation = np.maximum(_dot(span, span), 1e-3)
            a = np.clip(_dot(here - bg, span) / separation, 0.0, 1.0)
            residual = here - (bg + a[:, None] * span)
            # how far the pixel is off the line between the two colours, per unit of it
            distortion = _dot(residual, residual) / separation
            better = (separation > MIN_SEPARATION ** 2) & (distortion < best)
            best[better], found[better] = distortion[better], a[better]
    alpha[ys, xs] = found
    return alpha


def _local_means(image: np.ndarray, where: np.ndarray, ys: np.ndarray, xs: np.ndarray,
                 radii: list[float]) -> list[np.ndarray]:
    """Gaussian-weighted mean colours of the pixels of ``image`` (RGB uint8) where
    ``where`` (uint8) is 1, at (``ys``, ``xs``), one (N, 3) array per radius (px, growing);
    NaN where none is near. The means vary smoothly: each radius is blurred on a grid of
    cells a fraction of it wide, which keeps every blur small."""
    h, w = where.shape
    full = cv2.merge([*cv2.split(cv2.bitwise_and(image, image, mask=where)), where * 255])
    grid, size, means = full, 1, []
    for radius in radii:
        step = max(1, int(radius / 1.5))
        if step != size:  # from the last grid when its cells divide these
            grid = cv2.resize(grid if step % size == 0 else full, (-(-w // step), -(-h // step)),
                              interpolation=cv2.INTER_AREA)
            size = step
        cells = (ys // step) * grid.shape[1] + xs // step
        near = cv2.GaussianBlur(grid.astype(np.float32), (0, 0), radius / step)
        near = near.reshape(-1, 4).take(cells, axis=0)
        weight = near[:, 3:] * (1 / 255)
        means.append(np.where(weight > 1e-3, near[:, :3] / np.maximum(weight, 1e-3), np.nan))
    return means


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise dot products of two (N, 3) arrays."""
    return a[:, 0] * b[:, 0] + a[:, 1] * b[:, 1] + a[:, 2] * b[:, 2]


def _soft_alpha_near(image: np.ndarray, mask: np.ndarray, band: int, eps: float,
                     small: int) -> np.ndarray:
    """The second pass: sampled alpha in the band around ``mask``, the guided filter
    where sampling cannot tell."""
    h, w = mask.shape
    sure, unknown = trimap(mask, band)
    sampled = _sampled_alpha(image, mask, unknown, band)
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
    filtered = np.where(np.isnan(sampled), np.clip(filtered, 0.0, 1.0), sampled)
    return np.where(unknown, filtered, sure.astype(np.float32))


class TemporalSmoother:
    """Removes flicker: blends each alpha with the previous one where the picture is still.

    Where the pixel barely changed since the last frame (camera and subject still), the
    alpha is pulled towards the previous frame's; where it moved, the new alpha wins, so
    motion is not smeared. The outline itself (where alpha crosses 0.5) is the new one:
    a pixel that changes sides takes the new alpha (pulling it back made the outline lag
    the subject). Keeps one frame of state. Frames come as :meth:`gray` of the picture,
    which does not depend on the previous frame (a pool can make it ahead).
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
        keep[(new >= 0.5) != (old >= 0.5)] = 0.0
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
