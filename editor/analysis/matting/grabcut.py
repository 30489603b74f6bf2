"""The classical fallback: OpenCV GrabCut from the same prompts, tracked frame to frame.

Lower quality than SAM (colour models, no notion of objects), but it needs no weights and
no GPU. A single click is turned into a region with a motion cue: the subject usually
moves differently from the background, so the residual of a few frames' optical flow
after removing the camera's global motion outlines it; without motion, rectangles of
growing size around the click are tried and the first whose cut-out stays inside is kept.
Tracking seeds each frame's GrabCut with last frame's mask moved by optical flow.
"""

from __future__ import annotations

import cv2
import numpy as np

from editor.analysis.matting.types import Prompt, Segment, bbox

_WORK_SIDE = 320  # GrabCut runs on the region of interest scaled to at most this long side


def _disk(mask: np.ndarray, x: float, y: float, r: int, value: int) -> None:
    cv2.circle(mask, (int(round(x)), int(round(y))), r, int(value), -1)


def motion_residual(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-pixel motion (px) between RGB frames ``a`` and ``b`` that the camera does not explain."""
    h, w = a.shape[:2]
    scale = min(1.0, 320 / w)
    size = (max(8, round(w * scale)), max(8, round(h * scale)))
    ga = cv2.cvtColor(cv2.resize(a, size, interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
    gb = cv2.cvtColor(cv2.resize(b, size, interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
    flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).calc(ga, gb, None)
    ys, xs = np.mgrid[0:size[1]:4, 0:size[0]:4]
    src = np.stack([xs.ravel(), ys.ravel()], 1).astype(np.float32)
    dst = src + flow[ys.ravel(), xs.ravel()]
    model, _ = cv2.estimateAffine2D(src, dst, ransacReprojThreshold=1.0)
    if model is None:
        return np.zeros((h, w), np.float32)
    gx, gy = np.meshgrid(np.arange(size[0], dtype=np.float32), np.arange(size[1], dtype=np.float32))
    cam = np.dstack([model[0, 0] * gx + model[0, 1] * gy + model[0, 2] - gx,
                     model[1, 0] * gx + model[1, 1] * gy + model[1, 2] - gy])
    residual = np.linalg.norm(flow - cam, axis=2) / scale
    return cv2.resize(residual, (w, h), interpolation=cv2.INTER_LINEAR)


def _components_touching(fg: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """The connected components of ``fg`` that overlap ``seeds``."""
    count, labels = cv2.connectedComponents(fg.astype(np.uint8), connectivity=8)
    if count <= 1:
        return fg.astype(bool)
    keep = np.unique(labels[seeds & fg])
    keep = keep[keep > 0]
    if not len(keep):
        return np.zeros_like(fg, bool)
    return np.isin(labels, keep)


def _refit_gmm(model: np.ndarray, image: np.ndarray, where: np.ndarray) -> np.ndarray:
    """``model`` (OpenCV's 5-component GMM layout) re-estimated on ``image[where]``:
    each pixel goes to the nearest component mean, then weights, means and covariances
    are recomputed (what GrabCut's learning step does, without its slow k-means)."""
    pixels = image[where].reshape(-1, 3).astype(np.float64)
    if len(pixels) < 50:
        return model.copy()
    k = 5
    means = model[0, k:4 * k].reshape(k, 3)
    nearest = np.argmin(((pixels[:, None, :] - means[None]) ** 2).sum(2), axis=1)
    out = model.copy()
    weights, new_means, covs = out[0, :k], out[0, k:4 * k].reshape(k, 3), out[0, 4 * k:].reshape(k, 9)
    for c in range(k):
        members = pixels[nearest == c]
        if len(members) < 8:
            weights[c] = 0.0
            continue
        weights[c] = len(members) / len(pixels)
        new_means[c] = members.mean(0)
        covs[c] = (np.cov(members.T, bias=True) + np.eye(3) * 0.01).ravel()
    out[0, k:4 * k] = new_means.ravel()
    out[0, 4 * k:] = covs.ravel()
    return out


class GrabCutSegmenter:
    """GrabCut on a region of interest around the prompt or the tracked mask."""

    name = "grabcut"
    lower_quality = True
    batch_size = 1

    def __init__(self, iterations: int = 3):
        self.iterations = iterations
        #: (background, foreground) colour models learnt on the last prompted frame
        self.models: tuple[np.ndarray, np.ndarray] | None = None

    def prepare(self, images):
        return list(images)

    # --- one GrabCut on a region, scaled down --------------------------------------------
    def _cut(self, image: np.ndarray, init: np.ndarray, rect: tuple[int, int, int, int],
             iterations: int, models: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """GrabCut inside ``rect``: learning colour models from ``init`` (slow: k-means), or,
        with ``models`` = (background, foreground) GMMs, one graph cut with them (fast)."""
        x0, y0, x1, y1 = rect
        crop, labels = image[y0:y1, x0:x1], init[y0:y1, x0:x1]
        ch, cw = labels.shape
        scale = min(1.0, _WORK_SIDE / max(ch, cw))
        if scale < 1.0:
            size = (max(2, round(cw * scale)), max(2, round(ch * scale)))
            crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
            labels = cv2.resize(labels, size, interpolation=cv2.INTER_NEAREST)
        labels = labels.copy()
        crop = np.ascontiguousarray(crop[:, :, ::-1])  # GrabCut's models are in BGR
        full = np.zeros(init.shape, bool)
        if not ((labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)).any() or \
                not ((labels == cv2.GC_BGD) | (labels == cv2.GC_PR_BGD)).any():
            return full
        try:
            if models is None:
                bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
                cv2.grabCut(crop, labels, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
                self.models = (bgd, fgd)
            else:
                bgd = _refit_gmm(models[0], crop, (labels == cv2.GC_BGD) | (labels == cv2.GC_PR_BGD))
                cv2.grabCut(crop, labels, None, bgd, models[1].copy(), 1,
                            cv2.GC_EVAL_FREEZE_MODEL)
        except cv2.error:  # a degenerate colour model (e.g. a flat region): keep the seeds
            pass
        fg = ((labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)).astype(np.float32)
        if scale < 1.0:
            fg = cv2.resize(fg, (cw, ch), interpolation=cv2.INTER_LINEAR)
        full[y0:y1, x0:x1] = fg > 0.5
        return full

    # --- the user's prompt -----------------------------------------------------------------
    def from_prompt(self, feature, image, prompt: Prompt, neighbour=None) -> Segment:
        h, w = image.shape[:2]
        r = max(2, round(min(h, w) / 90))
        positives = [(x, y) for x, y, lab in prompt.points if lab == 1]
        seeds = np.zeros((h, w), np.uint8)
        for x, y in positives:
            _disk(seeds, x, y, r, 1)
        if prompt.box is not None:
            x0, y0, x1, y1 = (int(round(v)) for v in prompt.box)
            rect = (max(0, x0), max(0, y0), min(w, x1), min(h, y1))
            init = np.full((h, w), cv2.GC_BGD, np.uint8)
            init[rect[1]:rect[3], rect[0]:rect[2]] = cv2.GC_PR_FGD
            mask = self._cut(image, self._with_points(init, prompt, r), self._pad(rect, w, h, 4),
                             self.iterations + 2)
        else:
            mask = self._from_click(image, prompt, neighbour, r)
        if positives:
            mask = _components_touching(mask, seeds.astype(bool))
        return Segment(mask, 1.0)

    @staticmethod
    def _pad(rect, w, h, pad):
        x0, y0, x1, y1 = rect
        return max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad)

    @staticmethod
    def _with_points(init: np.ndarray, prompt: Prompt, r: int) -> np.ndarray:
        for x, y, lab in prompt.points:
            _disk(init, x, y, r, cv2.GC_FGD if lab == 1 else cv2.GC_BGD)
        return init

    def _from_click(self, image, prompt: Prompt, neighbour, r: int) -> np.ndarray:
        h, w = image.shape[:2]
        positives = [(x, y) for x, y, lab in prompt.points if lab == 1]
        seeds = np.zeros((h, w), bool)
        for x, y in positives:
            seeds[min(h - 1, max(0, int(y))), min(w - 1, max(0, int(x)))] = True
        moving = None
        if neighbour is not None:
            residual = motion_residual(image, neighbour)
            threshold = max(1.0, float(np.percentile(residual, 90)) * 0.5)
            blob = cv2.morphologyEx((residual > threshold).astype(np.uint8), cv2.MORPH_CLOSE,
                                    np.ones((5, 5), np.uint8))
            near = cv2.dilate(seeds.astype(np.uint8), np.ones((2 * r + 1,) * 2, np.uint8)) > 0
            found = _components_touching(blob > 0, near)
            if found.any() and found.sum() < 0.5 * h * w:
                moving = found
        if moving is not None:
            x0, y0, x1, y1 = bbox(moving | seeds)
            mx, my = (x1 - x0) // 5 + r, (y1 - y0) // 5 + r
            rect = (max(0, x0 - mx), max(0, y0 - my), min(w, x1 + mx), min(h, y1 + my))
            init = np.full((h, w), cv2.GC_BGD, np.uint8)
            init[rect[1]:rect[3], rect[0]:rect[2]] = cv2.GC_PR_BGD
            init[moving] = cv2.GC_PR_FGD
            return self._cut(image, self._with_points(init, prompt, r), rect, self.iterations + 2)
        # No motion cue: grow a rectangle around the click until the cut-out stays inside it.
        cx, cy = np.mean([p[0] for p in positives]), np.mean([p[1] for p in positives])
        best = np.zeros((h, w), bool)
        for frac in (0.3, 0.45, 0.6, 0.8):
            rh, rw = frac * h, frac * h * 0.8
            rect = (max(0, int(cx - rw / 2)), max(0, int(cy - rh / 2)),
                    min(w, int(cx + rw / 2)), min(h, int(cy + rh / 2)))
            init = np.full((h, w), cv2.GC_BGD, np.uint8)
            init[rect[1]:rect[3], rect[0]:rect[2]] = cv2.GC_PR_BGD
            cv2.ellipse(init, (int(cx), int(cy)), (int(rw / 4), int(rh / 4)), 0, 0, 360,
                        int(cv2.GC_PR_FGD), -1)
            mask = _components_touching(self._cut(image, self._with_points(init, prompt, r),
                                                  rect, self.iterations + 1), seeds)
            best = mask
            found = bbox(mask)
            if found is not None:
                inside = (found[0] > rect[0] + 2 or rect[0] == 0) and \
                    (found[2] < rect[2] - 2 or rect[2] == w) and \
                    (found[1] > rect[1] + 2 or rect[1] == 0) and (found[3] < rect[3] - 2 or rect[3] == h)
                if inside:
                    break
        return best

    # --- tracking --------------------------------------------------------------------------
    def track(self, feature, image, prior: Segment) -> Segment:
        h, w = image.shape[:2]
        box = bbox(prior.mask)
        if box is None:
            return Segment(np.zeros((h, w), bool), 0.0)
        x0, y0, x1, y1 = box
        size = max(x1 - x0, y1 - y0)
        band = max(2, size // 40)
        prior_u8 = prior.mask.astype(np.uint8)
        grown = cv2.dilate(prior_u8, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1,) * 2))
        reach = cv2.dilate(prior_u8, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (4 * band + 1,) * 2))
        core = cv2.erode(prior_u8, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (4 * band + 1,) * 2))
        rx0, ry0, rx1, ry1 = bbox(reach > 0)
        rect = (max(0, rx0 - 2), max(0, ry0 - 2), min(w, rx1 + 2), min(h, ry1 + 2))
        init = np.full((h, w), cv2.GC_BGD, np.uint8)
        init[reach > 0] = cv2.GC_PR_BGD
        init[grown > 0] = cv2.GC_PR_FGD
        init[core > 0] = cv2.GC_FGD
        models = self.models
        if models is None:  # no keyframe model yet (should not happen): learn one here
            mask = self._cut(image, init, rect, self.iterations)
        else:
            mask = self._cut(image, init, rect, 1, models)
        mask = _components_touching(mask, prior.mask)
        return Segment(mask, 1.0)
