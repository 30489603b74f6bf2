"""Per-frame features for shot-boundary detection, computed in one streaming pass.

Each decoded frame is reduced to a small gray thumbnail (the luma plane, area-averaged,
which also averages away film grain and compression noise). A ring buffer holds the last
``2 * MAX_SPAN + 1`` thumbnails, so memory is bounded whatever the length of the file;
only a fixed vector of floats per frame is kept (:data:`COLUMNS`). Scoring
(:mod:`editor.analysis.shots.scoring`) works on these columns alone, which is what lets a
new sensitivity re-score a cached file without decoding it again.

Distances between two thumbnails ``a`` and ``b``:

* ``ncc``: 1 - normalised cross-correlation (0 = same structure). Invariant to gain and
  offset, so exposure steps and fades of one shot score low.
* ``mad``: mean absolute difference, in 0..1 of the luma range.

Columns for frame ``t`` (position in decode order; NaN where a neighbour is missing):

* ``mean``, ``std``: luma statistics of the thumbnail (0..1); ``lo``, ``hi`` its 5th and
  95th luma percentiles (a black frame under a small caption or logo is flat between them).
* ``d1``, ``m1``: ``ncc``/``mad`` between ``t - 1`` and ``t`` at the detail size; ``c1``
  the ``ncc`` at the coarse size (less noise in dark, grainy shots).
* ``h1``: half the L1 distance of 32-bin luma histograms of ``t - 1`` and ``t``.
* ``gap``: how many frames apart ``t - 1`` and ``t`` are (1 unless frames were skipped).
* ``u1``: mean absolute difference of the U/V grids of ``t - 1`` and ``t`` (0..1): the
  cut between two shots that differ only in colour; ``ur`` the smallest such distance
  between ``t - 1`` and ``t + 1..3`` (small when the colour comes back: a flash).
* ``r{m}`` for m in :data:`FLASH_LAGS`: ``ncc`` between ``t - 1`` and ``t + m``; small when
  the picture before ``t`` comes back (a flash, a strobe, a single bad frame).
* ``q{j}`` for j in :data:`BACK_LAGS`: ``ncc`` between ``t - j`` and ``t``; small when frame
  ``t`` brings back a picture from before ``t - 1`` (the end of a flash).
* ``g{k}`` for k in :data:`SPANS`: ``ncc`` between ``t - k`` and ``t + k`` (the two ends of a
  window centred on ``t``): high across any boundary.
* ``l{k}``: how far frame ``t`` is from the average of ``t - k`` and ``t + k``, over the
  distance of those two (about 0 in the middle of a dissolve, 0.5 for a cut or a wipe).
* ``w{k}``: the share of changing pixels of frame ``t`` that match either end exactly
  (near 1 for a wipe or a cut, low in the middle of a dissolve), and ``b{k}`` how evenly
  they split between the two ends (0.5 for half a wipe, 0 for a cut).
"""

from __future__ import annotations

import numpy as np
import cv2

DETAIL_WIDTH = 128  # thumbnail for frame-to-frame features
COARSE_WIDTH = 32  # thumbnail for the long-range comparisons
CHROMA_WIDTH = 16  # U and V grids for the colour distance
FLASH_LAGS = (1, 2, 3, 4, 5, 6)
BACK_LAGS = (2, 3, 4, 5)
SPANS = (2, 3, 4, 6, 8, 12, 16, 24)
MAX_SPAN = max(max(SPANS), max(FLASH_LAGS))
HIST_BINS = 32

COLUMNS = (["mean", "std", "lo", "hi", "d1", "c1", "m1", "h1", "gap", "u1", "ur"] + [f"r{m}" for m in FLASH_LAGS]
           + [f"q{j}" for j in BACK_LAGS]
           + [f"g{k}" for k in SPANS] + [f"l{k}" for k in SPANS] + [f"w{k}" for k in SPANS]
           + [f"b{k}" for k in SPANS])
COLUMN = {name: i for i, name in enumerate(COLUMNS)}
_EPS_STD = 1.5  # luma levels: below this a picture is flat and its NCC is noise


class _Thumb:
    __slots__ = ("detail", "zdetail", "coarse", "zcoarse", "hist", "mean", "std", "lo", "hi",
                 "chroma", "index")

    def __init__(self, image: np.ndarray, index: int = 0):
        self.index = index
        if image.ndim == 3:  # Y, U, V planes (as stored)
            gray = np.ascontiguousarray(image[:, :, 0])
            h, w = gray.shape
            ch = max(1, round(h * CHROMA_WIDTH / w))
            uv = cv2.resize(image[:, :, 1:3], (CHROMA_WIDTH, ch),
                            interpolation=cv2.INTER_AREA).astype(np.float32)
            # colour relative to brightness: an exposure step (a gain on R, G and B)
            # scales U - 128 and V - 128 with the luma, so this does not change
            self.chroma = (uv - 128.0) * (255.0 / (float(gray.mean()) + 24.0))
        else:
            gray = image
            self.chroma = None
        h, w = gray.shape
        dh = max(2, round(h * DETAIL_WIDTH / w))
        detail = gray if w <= DETAIL_WIDTH else cv2.resize(gray, (DETAIL_WIDTH, dh),
                                                            interpolation=cv2.INTER_AREA)
        coarse = cv2.resize(detail, (COARSE_WIDTH, max(2, round(h * COARSE_WIDTH / w))),
                            interpolation=cv2.INTER_AREA)
        self.detail = detail.astype(np.float32)
        self.coarse = coarse.astype(np.float32)
        mean, std = cv2.meanStdDev(self.detail)
        self.mean, self.std = float(mean[0, 0]), float(std[0, 0])
        self.zdetail = (self.detail - self.mean) / max(self.std, _EPS_STD)
        self.zcoarse = _normalise(self.coarse)
        levels = cv2.calcHist([detail], [0], None, [256], [0, 256]).ravel()
        levels /= max(1.0, float(levels.sum()))
        cdf = np.cumsum(levels)
        self.lo, self.hi = np.searchsorted(cdf, (0.05, 0.95)) / 255.0
        self.hist = levels.reshape(HIST_BINS, -1).sum(axis=1)


def _normalise(img: np.ndarray) -> np.ndarray:
    mean, std = cv2.meanStdDev(img)
    return (img - float(mean[0, 0])) / max(float(std[0, 0]), _EPS_STD)


def _ncc(za: np.ndarray, zb: np.ndarray) -> float:
    return max(0.0, 1.0 - float(np.mean(za * zb)))


def chroma_distance(a: "_Thumb", b: "_Thumb") -> float:
    """Mean absolute difference of the U and V grids (relative to the brightness) in luma
    range units (~0..1), NaN without chroma."""
    if a.chroma is None or b.chroma is None:
        return float("nan")
    return float(cv2.norm(a.chroma, b.chroma, cv2.NORM_L1)) / (255.0 * a.chroma.size)


def pair_row(prev: "_Thumb", cur: "_Thumb") -> np.ndarray:
    """A row with only the frame-to-frame columns (d1, c1, m1, h1, gap, u1) of two frames."""
    row = np.full(len(COLUMNS), np.nan, np.float32)
    row[_D1] = _ncc(prev.zdetail, cur.zdetail)
    row[_C1] = _ncc(prev.zcoarse, cur.zcoarse)
    row[_M1] = float(cv2.norm(prev.detail, cur.detail, cv2.NORM_L1)) / (255.0 * prev.detail.size)
    row[_H1] = 0.5 * float(np.abs(prev.hist - cur.hist).sum())
    row[_GAP] = cur.index - prev.index
    row[_U1] = chroma_distance(prev, cur)
    return row


class FeatureExtractor:
    """Feed gray frames in decode order with :meth:`push`; read rows back in order.

    Rows come out ``MAX_SPAN`` frames late (they need that much look-ahead); call
    :meth:`finish` after the last frame to get the rest.
    """

    def __init__(self):
        self._size = 2 * MAX_SPAN + 1
        self._ring: list[_Thumb | None] = [None] * self._size
        # the coarse thumbnails of the ring, raw and normalised, one per matrix row
        self._coarse = self._zcoarse = None
        self._base = 0  # first position of the current thumbnail size
        self._count = 0  # frames pushed
        self._emitted = 0  # rows returned

    def push(self, image: np.ndarray, index: int | None = None) -> list[np.ndarray]:
        """Add the next decoded frame (gray, or Y/U/V planes stacked) and its frame index
        (frames may be missing between two pushes); return the rows that became complete
        (0 or 1)."""
        thumb = _Thumb(image, self._count if index is None else index)
        slot = self._count % self._size
        if self._coarse is None or self._coarse.shape[1] != thumb.coarse.size:
            # first frame, or the picture changed size: earlier frames are not compared
            self._coarse = np.zeros((self._size, thumb.coarse.size), np.float32)
            self._zcoarse = np.zeros_like(self._coarse)
            self._base = self._count
        self._ring[slot] = thumb
        self._coarse[slot] = thumb.coarse.ravel()
        self._zcoarse[slot] = thumb.zcoarse.ravel()
        self._count += 1
        rows = []
        while self._emitted <= self._count - 1 - MAX_SPAN:
            rows.append(self._row(self._emitted))
            self._emitted += 1
        return rows

    def finish(self) -> list[np.ndarray]:
        rows = []
        while self._emitted < self._count:
            rows.append(self._row(self._emitted))
            self._emitted += 1
        return rows

    def _first(self) -> int:
        """The oldest position still held (and of the current size)."""
        return max(self._base, self._count - self._size)

    def _get(self, pos: int) -> _Thumb | None:
        if pos < self._first() or pos >= self._count:
            return None
        return self._ring[pos % self._size]

    def _row(self, t: int) -> np.ndarray:
        row = np.full(len(COLUMNS), np.nan, np.float32)
        cur, prev = self._get(t), self._get(t - 1)
        row[_MEAN] = cur.mean / 255.0
        row[_STD] = cur.std / 255.0
        row[_LO], row[_HI] = cur.lo, cur.hi
        if prev is not None:
            row[_D1] = _ncc(prev.zdetail, cur.zdetail)
            row[_M1] = float(cv2.norm(prev.detail, cur.detail, cv2.NORM_L1)) / (
                255.0 * prev.detail.size)
            row[_H1] = 0.5 * float(np.abs(prev.hist - cur.hist).sum())
            row[_GAP] = cur.index - prev.index
            row[_U1] = chroma_distance(prev, cur)
            back = [chroma_distance(prev, nxt) for nxt in
                    (self._get(t + m) for m in (1, 2, 3)) if nxt is not None]
            if back:
                row[_UR] = min(back)
        first, last = self._first(), self._count - 1
        # every coarse NCC of this row in one matrix product
        ok = (t + _PAIR_A >= first) & (t + _PAIR_B <= last)
        if ok.any():
            za = self._zcoarse[(t + _PAIR_A[ok]) % self._size]
            zb = self._zcoarse[(t + _PAIR_B[ok]) % self._size]
            row[_PAIR_COL[ok]] = np.maximum(0.0, 1.0 - np.einsum("ij,ij->i", za, zb)
                                            / za.shape[1])
        ok = (t - _SPANS >= first) & (t + _SPANS <= last)
        if ok.any():
            k = _SPANS[ok]
            x = self._coarse[t % self._size][None, :]
            xa = self._coarse[(t - k) % self._size]
            xb = self._coarse[(t + k) % self._size]
            dab = np.abs(xa - xb)
            spread = dab.mean(axis=1)
            da, db = np.abs(x - xa), np.abs(x - xb)
            row[_L_COL[ok]] = np.abs(x - 0.5 * (xa + xb)).mean(axis=1) / np.maximum(spread,
                                                                                   1.0)
            changing = dab > np.maximum(12.0, spread)[:, None]
            n = changing.sum(axis=1)
            tol = 0.25 * dab
            near_a = (da < tol) & changing
            near_b = (db < tol) & changing & ~near_a
            na, nb = near_a.sum(axis=1), near_b.sum(axis=1)
            enough = n >= 8
            row[_W_COL[ok][enough]] = ((na + nb) / np.maximum(n, 1))[enough]
            row[_B_COL[ok][enough]] = (np.minimum(na, nb) / np.maximum(1, na + nb))[enough]
        return row


_MEAN, _STD, _LO, _HI, _D1, _C1, _M1, _H1, _GAP, _U1, _UR = (
    COLUMN[c] for c in ("mean", "std", "lo", "hi", "d1", "c1", "m1", "h1", "gap", "u1", "ur"))
_Q = [COLUMN[f"q{j}"] for j in BACK_LAGS]
_R = [COLUMN[f"r{m}"] for m in FLASH_LAGS]
_G, _L, _W, _B = ({k: COLUMN[f"{c}{k}"] for k in SPANS} for c in "glwb")
# the coarse NCC pairs of a row at ``t``: positions ``t + _PAIR_A`` and ``t + _PAIR_B``
_PAIR_A = np.array([-1] + [-j for j in BACK_LAGS] + [-1] * len(FLASH_LAGS)
                   + [-k for k in SPANS])
_PAIR_B = np.array([0] * (1 + len(BACK_LAGS)) + list(FLASH_LAGS) + list(SPANS))
_PAIR_COL = np.array([_C1] + _Q + _R + [_G[k] for k in SPANS])
_SPANS = np.array(SPANS)
_L_COL, _W_COL, _B_COL = (np.array([cols[k] for k in SPANS]) for cols in (_L, _W, _B))
