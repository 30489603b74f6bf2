"""Mask → soft alpha on drawn pictures whose true coverage is known: the outline moves onto
the picture's edges where the mask missed them, and stays put where colours cannot tell;
over time, a still picture's alpha is steadied and a moving outline is not held back."""

from __future__ import annotations

import cv2
import numpy as np

from editor.analysis.matting.refine import TemporalSmoother, soft_alpha
from editor.analysis.matting.types import iou

H, W, SS = 120, 160, 8  # picture size and the supersampling of the true coverage


def coverage() -> np.ndarray:
    """Exact pixel coverage (0..1) of a figure: a body, a thin arm and a head."""
    big = np.zeros((H * SS, W * SS), np.uint8)
    cv2.ellipse(big, (80 * SS, 70 * SS), (16 * SS, 30 * SS), 0, 0, 360, 255, -1)
    cv2.line(big, (90 * SS, 55 * SS), (128 * SS, 30 * SS), 255, 5 * SS)
    cv2.circle(big, (80 * SS, 30 * SS), 10 * SS, 255, -1)
    return cv2.resize(big, (W, H), interpolation=cv2.INTER_AREA).astype(np.float32) / 255


def picture(alpha: np.ndarray, subject=(200, 60, 40), seed: int = 0) -> np.ndarray:
    """The figure composited over a textured background, with a little noise."""
    rng = np.random.default_rng(seed)
    texture = cv2.GaussianBlur(rng.normal(0, 1, (H, W, 3)).astype(np.float32), (0, 0), 3)
    background = np.clip(texture / texture.std() * 20 + (60, 110, 150), 0, 255)
    image = alpha[..., None] * np.float32(subject) + (1 - alpha[..., None]) * background
    return np.clip(image + rng.normal(0, 2, image.shape), 0, 255).astype(np.uint8)


def test_an_outline_two_pixels_off_moves_onto_the_edges():
    truth = coverage()
    image = picture(truth)
    inside = truth >= 0.5
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    for mask in (cv2.dilate(inside.astype(np.uint8), kernel) > 0,   # a halo
                 cv2.erode(inside.astype(np.uint8), kernel) > 0):   # the arm cut thin
        alpha = soft_alpha(image, mask)
        assert iou(alpha >= 0.5, inside) > 0.9 > iou(mask, inside) + 0.1
        edge = (truth > 0.05) & (truth < 0.95)
        assert np.abs(alpha - truth)[edge].mean() < 0.2  # soft where the picture blends
        reach = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (15, 15))  # well past the band
        assert (alpha[cv2.dilate(mask.astype(np.uint8), reach) == 0] == 0).all()


def test_alike_colours_keep_the_outline_and_a_clean_background():
    truth = coverage()
    image = picture(truth, subject=(60, 110, 150))  # the background's own mean colour
    mask = truth >= 0.5
    alpha = soft_alpha(image, mask)
    assert np.isfinite(alpha).all() and alpha.min() >= 0 and alpha.max() <= 1
    assert iou(alpha >= 0.5, mask) > 0.85
    far = cv2.dilate(mask.astype(np.uint8), np.ones((15, 15), np.uint8)) == 0
    assert (alpha[far] == 0).all()


def test_an_empty_mask_gives_an_empty_alpha():
    alpha = soft_alpha(picture(coverage()), np.zeros((H, W), bool))
    assert alpha.shape == (H, W) and not alpha.any()


def test_smoothing_steadies_a_still_pictures_alpha_and_keeps_the_new_outline():
    image = picture(coverage())
    gray = TemporalSmoother.gray(image)
    alpha = soft_alpha(image, coverage() >= 0.5)
    soft = (alpha > 0) & (alpha < 1)
    rng = np.random.default_rng(1)
    jittered = [np.clip(alpha + soft * rng.normal(0, 0.05, alpha.shape), 0, 1).astype(np.float32)
                for _ in range(8)]
    smoother = TemporalSmoother()
    steadied = [smoother(gray, a) for a in jittered]

    def change(seq):
        return np.mean([np.abs(b - a)[soft].mean() for a, b in zip(seq, seq[1:])])

    assert change(steadied) < 0.6 * change(jittered)
    assert (steadied[-1][alpha == 0] == 0).all()  # the background stays clean
    # the mask jumps on the same picture: the outline is the new one, not held back
    moved = np.roll(alpha, 4, axis=1)
    assert ((smoother(gray, moved) >= 0.5) == (moved >= 0.5)).all()
