"""The subject's colours: which colours are much more frequent on it than around it.

A 16-level-per-channel table of odds (histogram back-projection) learnt on one frame can
be read on that frame (GrabCut's starting labels inside a box) or on another (finding the
subject again after it was lost).
"""

from __future__ import annotations

import cv2
import numpy as np

from editor.analysis.matting.types import round_kernel

_BINS, _RANGES = [16, 16, 16], [0, 256, 0, 256, 0, 256]


def colour_table(image: np.ndarray, inside: np.ndarray, around: np.ndarray,
                 background_share: float = 0.6, least: float = 0.0) -> np.ndarray:
    """For each colour bin, how likely a pixel of that colour is the subject's (0..1),
    given a region ``inside`` that holds the subject (plus some background) and a region
    ``around`` of background only; 0 for colours that make up less than ``least`` of
    ``inside``."""
    h_in = cv2.calcHist([image], [0, 1, 2], inside.astype(np.uint8), _BINS, _RANGES)
    h_out = cv2.calcHist([image], [0, 1, 2], around.astype(np.uint8), _BINS, _RANGES)
    h_in /= max(1.0, float(h_in.sum()))
    h_out /= max(1.0, float(h_out.sum()))
    odds = np.clip(1.0 - background_share * h_out / np.maximum(h_in, 1e-9), 0.0, 1.0)
    odds[h_in <= least] = 0.0
    return odds.astype(np.float32)


def read_table(table: np.ndarray, image: np.ndarray) -> np.ndarray:
    """The table's odds for every pixel of ``image`` (float32, its size)."""
    q = image // 16  # (cv2.calcBackProject mis-reads 3-D float histograms in OpenCV 5)
    return table[q[..., 0], q[..., 1], q[..., 2]]


def colour_odds(image: np.ndarray, inside: np.ndarray, around: np.ndarray,
                background_share: float = 0.6) -> np.ndarray:
    """Per pixel of ``image``, how likely its colour is the subject's (see :func:`colour_table`)."""
    return read_table(colour_table(image, inside, around, background_share), image)


class SubjectColours:
    """Finds a lost subject again by its colours (and its motion, when known)."""

    def __init__(self, image: np.ndarray, mask: np.ndarray):
        # (colours the subject hardly shows, or never, say nothing for it)
        self.table = colour_table(image, mask, ~mask, background_share=0.9, least=0.002)
        self.size = max(1, int(mask.sum()))

    def find(self, image: np.ndarray, evidence: np.ndarray | None = None) -> np.ndarray | None:
        """The region of ``image`` most like the subject: a connected blob of its colours
        (moving, where ``evidence`` says what moves) of about its size; None when no blob
        is convincing."""
        odds = cv2.GaussianBlur(read_table(self.table, image), (5, 5), 0)
        if evidence is not None:
            odds = odds * np.clip(evidence * 2.0, 0.0, 1.0)
        likely = (odds > 0.5).astype(np.uint8)
        h = image.shape[0]
        k = max(3, round(0.02 * h)) | 1
        likely = cv2.morphologyEx(likely, cv2.MORPH_CLOSE, round_kernel(k // 2))
        count, labels, stats, _ = cv2.connectedComponentsWithStats(likely, connectivity=8)
        best, best_mass = None, 0.0
        for i in range(1, count):
            area = stats[i, cv2.CC_STAT_AREA]
            if not 0.4 * self.size <= area <= 2.5 * self.size:
                continue
            region = labels == i
            mass = float(odds[region].mean())
            if mass > best_mass:
                best, best_mass = region, mass
        return best if best_mass >= 0.6 else None
