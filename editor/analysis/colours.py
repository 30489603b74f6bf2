"""Colour histograms and their back-projection: which colours are much more frequent on a
subject than around it. A 16-level-per-channel table learnt on some frames is read on any
frame. Shared by the matting engine (GrabCut's starting labels, finding a lost subject
again) and the reframe engine's subject colours."""

from __future__ import annotations

import cv2
import numpy as np

BINS = 16  # levels per channel
_SHIFT = 4  # a value's level: value >> _SHIFT (256 == BINS << _SHIFT)
_RANGES = [0, 256, 0, 256, 0, 256]


def colour_histogram(image: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Pixel counts of ``image`` (8-bit, 3 channels) ``where`` true, per colour bin
    (float32, ``BINS`` per channel)."""
    return cv2.calcHist([image], [0, 1, 2], where.astype(np.uint8), [BINS] * 3, _RANGES)


def colour_table(image: np.ndarray, inside: np.ndarray, around: np.ndarray,
                 background_share: float = 0.6, least: float = 0.0) -> np.ndarray:
    """For each colour bin, how likely a pixel of that colour is the subject's (0..1),
    given a region ``inside`` that holds the subject (plus some background) and a region
    ``around`` of background only; 0 for colours that make up less than ``least`` of
    ``inside``."""
    h_in = colour_histogram(image, inside)
    h_out = colour_histogram(image, around)
    h_in /= max(1.0, float(h_in.sum()))
    h_out /= max(1.0, float(h_out.sum()))
    odds = np.clip(1.0 - background_share * h_out / np.maximum(h_in, 1e-9), 0.0, 1.0)
    odds[h_in <= least] = 0.0
    return odds.astype(np.float32)


def read_table(table: np.ndarray, image: np.ndarray) -> np.ndarray:
    """The table's odds for every pixel of ``image`` (float32, its size)."""
    # (cv2.calcBackProject mis-reads 3-D float histograms in OpenCV 5); one flat index
    # reads the table three times faster than an index per channel
    q = (image >> _SHIFT).astype(np.intp)
    return table.reshape(-1)[(q[..., 0] * BINS + q[..., 1]) * BINS + q[..., 2]]


def colour_odds(image: np.ndarray, inside: np.ndarray, around: np.ndarray,
                background_share: float = 0.6) -> np.ndarray:
    """Per pixel of ``image``, how likely its colour is the subject's (see :func:`colour_table`)."""
    return read_table(colour_table(image, inside, around, background_share), image)
