"""The classical fallback: OpenCV GrabCut from the same prompts, tracked frame to frame.

Lower quality than SAM (colour models, no notion of objects), but it needs no weights and
no GPU.

- A box: GrabCut on a region of interest grown well beyond it, so the background colour
  model sees enough background (a tight crop teaches it nothing, and the gaps between arms
  and legs then come out as subject). Inside the box, pixels start as subject only where
  their colour is much more frequent inside the box than around it (histogram odds):
  a thin subject covers a small part of its box, and a box-wide start would teach the
  subject's model mostly background.
- A click: a motion cue finds the box. A nearby frame of the shot is aligned to this one
  by the camera's motion (a similarity fitted to tracked corners, or the median dense
  flow); what still differs moved on its own, and the changed region touching the click
  is the box (in a dim or flat frame a smaller difference counts, as if stretched to a
  normal contrast). The cut stays within that region (holes filled, grown by the click's
  radius): background of the subject's colours beside it sits still. Pixels that the
  clicked point's own shift explains better than the camera's, and that differ from a
  second frame too, are likely subject (the first frame's subject leaves a ghost where
  it was, in that difference only).
  Without motion, rectangles of growing size around the click are tried and the first
  whose cut-out stays inside is kept; a subject bigger than all of them is cut from the
  whole frame.
- Tracking: the colour models learnt from the prompted frame's final cut are kept (the
  subject's model is never refitted from a drifting mask; the background's is refitted
  each frame on sure background, and tried as fitted and with its colours widened by the
  noise a flat background shows beside edges: the cut closer to the moved mask is kept),
  and a tracked mask keeps only the pixels that the subject's model explains better than
  the background's (the cut's smoothness would otherwise draw in a halo, and the gaps
  between arms and legs, that creep on frame by frame); after a click whose cut motion
  bounded, where the seeds below say subject, the background's must explain them
  clearly better (a limb whose colours come close to the scenery's stays; a box's cut,
  made by colours alone, may hold the gaps between limbs, which would stay too). The
  previous mask, moved to this frame, gives the seeds: its eroded core is sure subject,
  the mask itself probable subject, a band around it probable background, the rest of the
  region of interest sure background. Where the subject moves on its own, motion
  evidence from a background model of the shot (:mod:`~editor.analysis.matting.background`)
  corrects the seeds: what moves near it is probable subject, and what sits still far
  from anything moving is background, however alike its colours (a mask would otherwise
  creep into a similar background).
"""

from __future__ import annotations

import cv2
import numpy as np

from editor.analysis.camera_motion import contrast_gain
from editor.analysis.colours import colour_odds
from editor.analysis.matting.types import Prompt, Segment, bbox, iou, round_kernel

_WORK_SIDE = 320  # GrabCut runs on the region of interest scaled to at most this long side
MOTION_SUPPORT = 0.2  # share of the moved mask that must move on its own to trust the motion
_CONTEXT = 0.4  # the region of interest extends this fraction of the subject's size around it
_GMM_COMPONENTS = 5  # OpenCV's GrabCut colour models: 5 Gaussians, 65 floats
# colour variance (RGB levels², at a normal contrast) that a flat background shows near the
# subject beyond what its far part shows: compression ringing around edges, gradients
EDGE_NOISE = 16.0
# log-likelihood odds by which the background's colours must explain a pixel that the
# tracking cut starts as subject (the moved mask, and what moves on its own beside it)
# better than the subject's, for tracking to drop it: a temporal prior, so a part whose
# colours come close to the background's stays (a limb against like scenery), while what
# the cut adds beyond that must earn its place
STAY_ODDS = 2.0


def _says_subject(labels: np.ndarray) -> np.ndarray:
    """Where GrabCut ``labels`` say subject, sure or probable."""
    return (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)


def _disk(mask: np.ndarray, x: float, y: float, r: int, value: int) -> None:
    cv2.circle(mask, (int(round(x)), int(round(y))), r, int(value), -1)


def _dilated(mask: np.ndarray, box: tuple[int, int, int, int], radius: int) -> np.ndarray:
    """``mask`` (uint8, nothing outside ``box``) dilated by a disk of ``radius``, as bool:
    worked out around the box only (a full-frame dilation costs ~10 ms a frame)."""
    h, w = mask.shape
    x0, y0 = max(0, box[0] - radius), max(0, box[1] - radius)
    x1, y1 = min(w, box[2] + radius), min(h, box[3] + radius)
    out = np.zeros((h, w), bool)
    out[y0:y1, x0:x1] = cv2.dilate(mask[y0:y1, x0:x1], round_kernel(radius)) > 0
    return out


def _grow(rect: tuple[int, int, int, int], w: int, h: int, frac: float, least: int = 12):
    """``rect`` grown by ``frac`` of its larger side (at least ``least`` px), clipped."""
    x0, y0, x1, y1 = rect
    m = max(least, int(frac * max(x1 - x0, y1 - y0)))
    return max(0, x0 - m), max(0, y0 - m), min(w, x1 + m), min(h, y1 + m)


def camera_aligned(image: np.ndarray, other: np.ndarray) -> np.ndarray:
    """``other`` warped onto ``image`` by the camera's motion: a similarity (pan, zoom,
    roll) fitted with RANSAC to corners tracked between them, their median shift, the
    median of the dense optical flow, or no motion at all, whichever leaves the smaller median difference."""
    ga, gb = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), cv2.cvtColor(other, cv2.COLOR_RGB2GRAY)
    pts = cv2.goodFeaturesToTrack(ga, 600, 0.01, 5)
    if pts is None or len(pts) < 12:
        return other
    moved, status, _ = cv2.calcOpticalFlowPyrLK(ga, gb, pts, None, winSize=(21, 21), maxLevel=3)
    ok = status[:, 0] == 1
    if ok.sum() < 12:
        return other
    model, _ = cv2.estimateAffinePartial2D(moved[ok], pts[ok], method=cv2.RANSAC,
                                           ransacReprojThreshold=1.5)
    shift = np.median(pts[ok] - moved[ok], axis=0).ravel()
    flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST).calc(ga, gb, None)
    px, py = -np.median(flow[..., 0]), -np.median(flow[..., 1])  # most pixels: the background
    h, w = image.shape[:2]
    best, best_error = other, np.median(_difference(image, other))
    for candidate in (model, np.float32([[1, 0, shift[0]], [0, 1, shift[1]]]),
                      np.float32([[1, 0, px], [0, 1, py]])):
        if candidate is None:
            continue
        aligned = cv2.warpAffine(other, candidate, (w, h), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REFLECT)
        error = np.median(_difference(image, aligned))
        if error < best_error:
            best, best_error = aligned, error
    return best


def _difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-pixel colour difference (0..255) of two lightly blurred RGB images."""
    da = cv2.GaussianBlur(a, (5, 5), 0).astype(np.int16)
    db = cv2.GaussianBlur(b, (5, 5), 0).astype(np.int16)
    return np.abs(da - db).max(axis=2).astype(np.float32)


def _own_shift(image: np.ndarray, other: np.ndarray, x: float, y: float, half: int,
               reach: int) -> tuple[int, int]:
    """How far the patch around (x, y) of ``image`` moved in ``other`` (template match)."""
    h, w = image.shape[:2]
    x0, y0 = max(0, int(x) - half), max(0, int(y) - half)
    x1, y1 = min(w, int(x) + half + 1), min(h, int(y) + half + 1)
    sx0, sy0, sx1, sy1 = max(0, x0 - reach), max(0, y0 - reach), min(w, x1 + reach), min(h, y1 + reach)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return 0, 0
    scores = cv2.matchTemplate(other[sy0:sy1, sx0:sx1], image[y0:y1, x0:x1], cv2.TM_SQDIFF)
    _, _, (bx, by), _ = cv2.minMaxLoc(scores)
    return sx0 + bx - x0, sy0 + by - y0


def _filled(mask: np.ndarray) -> np.ndarray:
    """``mask`` (uint8 0/1) with its holes filled: a flat-coloured subject that moves
    slowly shows motion only along its outline."""
    h, w = mask.shape
    outside = np.zeros((h + 4, w + 4), np.uint8)
    flooded = np.pad(mask, 1).astype(np.uint8)
    cv2.floodFill(flooded, outside, (0, 0), 1)
    return (mask > 0) | (flooded[1:-1, 1:-1] == 0)


def _more_than_the_click(mask: np.ndarray, r: int) -> bool:
    """Whether a cut-out is more than the disk of radius ``r`` painted at a click
    (over twice its area): GrabCut found something there, not just the seed."""
    return mask.sum() > 4 * np.pi * r * r


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


def _log_likelihood(model: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """Log-likelihood of ``pixels`` (N x 3) under a GMM in OpenCV's GrabCut layout."""
    k = _GMM_COMPONENTS
    weights, means = model[0, :k], model[0, k:4 * k].reshape(k, 3)
    covs = model[0, 4 * k:].reshape(k, 3, 3)
    total = np.zeros(len(pixels))
    for c in range(k):
        if weights[c] <= 0:
            continue
        cov, det = covs[c], np.linalg.det(covs[c])
        if det <= np.finfo(float).eps:  # a flat colour: regularised as OpenCV's GMM does
            cov = cov + np.eye(3) * 0.01
            det = np.linalg.det(cov)
        d = pixels - means[c]
        total += weights[c] * np.exp(-0.5 * np.einsum("ni,ij,nj->n", d, np.linalg.inv(cov), d)) / \
            np.sqrt(det)
    return np.log(total + 1e-300)


def _widened(model: np.ndarray, variance: float) -> np.ndarray:
    """``model`` (OpenCV's 5-component GMM layout) with ``variance`` added to each of its
    components' colour variances."""
    out = model.copy()
    k = _GMM_COMPONENTS
    covs = out[0, 4 * k:].reshape(k, 3, 3) + np.eye(3) * variance
    out[0, 4 * k:] = covs.ravel()
    return out


def _refit_gmm(model: np.ndarray, image: np.ndarray, where: np.ndarray) -> np.ndarray:
    """``model`` (OpenCV's 5-component GMM layout) re-estimated on ``image[where]``:
    each pixel goes to the nearest component mean, then weights, means and covariances
    are recomputed (what GrabCut's learning step does, without its slow k-means)."""
    pixels = image[where].reshape(-1, 3).astype(np.float64)
    if len(pixels) < 50:
        return model.copy()
    if len(pixels) > 6000:
        pixels = pixels[:: len(pixels) // 6000]
    k = _GMM_COMPONENTS
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
    uses_motion = True

    def __init__(self, iterations: int = 4):
        self.iterations = iterations
        #: (background, foreground) colour models learnt on the last prompted frame
        self.models: tuple[np.ndarray, np.ndarray] | None = None
        #: log-likelihood odds a pixel the tracking cut starts as subject keeps: STAY_ODDS
        #: after a prompted cut that motion bounded, none after one that colours alone
        #: made (a box's, a still click's: the gaps between limbs may be in it)
        self.stay_odds = 0.0

    def prepare(self, images):
        return list(images)

    # --- GrabCut on a region, scaled down ----------------------------------------------
    @staticmethod
    def _work_region(image: np.ndarray, init: np.ndarray, rect: tuple[int, int, int, int]):
        """(crop, labels, scale): ``rect`` of ``image`` (in BGR, GrabCut's models' order)
        and of ``init``, scaled to at most :data:`_WORK_SIDE`; labels None when they hold
        no subject or no background."""
        x0, y0, x1, y1 = rect
        crop, labels = image[y0:y1, x0:x1], init[y0:y1, x0:x1]
        ch, cw = labels.shape
        scale = min(1.0, _WORK_SIDE / max(ch, cw))
        if scale < 1.0:
            size = (max(2, round(cw * scale)), max(2, round(ch * scale)))
            crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
            labels = cv2.resize(labels, size, interpolation=cv2.INTER_NEAREST)
        crop = np.ascontiguousarray(crop[:, :, ::-1])
        subject = _says_subject(labels)
        if not subject.any() or subject.all():  # GrabCut needs some of both
            return crop, None, scale
        return crop, labels.copy(), scale

    @staticmethod
    def _in_frame(labels: np.ndarray | None, shape: tuple[int, int],
                  rect: tuple[int, int, int, int], scale: float) -> np.ndarray:
        """The subject labels of a work region as a mask of the whole frame."""
        full = np.zeros(shape, bool)
        if labels is None:
            return full
        x0, y0, x1, y1 = rect
        fg = _says_subject(labels).astype(np.float32)
        if scale < 1.0:
            fg = cv2.resize(fg, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
        full[y0:y1, x0:x1] = fg > 0.5
        return full

    def _cut(self, image: np.ndarray, init: np.ndarray, rect: tuple[int, int, int, int],
             iterations: int) -> np.ndarray:
        """GrabCut inside ``rect``, learning colour models from ``init`` (slow: k-means);
        the models learnt again from its final cut are kept for tracking."""
        crop, labels, scale = self._work_region(image, init, rect)
        if labels is not None:
            try:
                bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
                cv2.grabCut(crop, labels, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
                # GrabCut learnt these models before its last cut: learn them again from
                # the final cut (the background one pixel away from the subject, where
                # colours blend), so that tracking does not take background colours
                # for the subject's
                subject = _says_subject(labels).astype(np.uint8)
                away = cv2.erode(1 - subject, np.ones((3, 3), np.uint8)) > 0
                self.models = (_refit_gmm(bgd, crop, away), _refit_gmm(fgd, crop, subject > 0))
            except cv2.error:  # a degenerate colour model (e.g. a flat region): the seeds
                pass
        return self._in_frame(labels, init.shape, rect, scale)

    def _tracked_cuts(self, image: np.ndarray, init: np.ndarray,
                      rect: tuple[int, int, int, int], widenings: tuple[float, ...]
                      ) -> list[np.ndarray]:
        """One graph cut inside ``rect`` (fast) per entry of ``widenings``, with the
        subject's model kept and the background's refitted on this frame's sure background
        (once), its colour variances widened by that entry (RGB levels² at a normal
        contrast: less in a dim or flat crop, whose colours lie closer together)."""
        x0, y0, x1, y1 = rect
        gain = contrast_gain(image[y0:y1, x0:x1])
        crop, start, scale = self._work_region(image, init, rect)
        if start is None:
            return [self._in_frame(None, init.shape, rect, scale) for _ in widenings]
        background, subject = self.models
        sure_bg = start == cv2.GC_BGD
        if sure_bg.sum() < 200:
            sure_bg |= start == cv2.GC_PR_BGD
        fitted = _refit_gmm(background, crop, sure_bg)
        was_subject = _says_subject(start)
        masks = []
        for variance in widenings:
            labels = start.copy()
            bgd = _widened(fitted, variance / gain ** 2) if variance else fitted
            try:
                cv2.grabCut(crop, labels, None, bgd.copy(), subject.copy(), 1,
                            cv2.GC_EVAL_FREEZE_MODEL)
                # the mask keeps only what the subject's colours explain better than the
                # background's (by STAY_ODDS where it was subject already): not what the
                # cut's smoothness drew in beside or between its parts (a halo that creeps
                # frame by frame), nor background that once slipped into the prior's core
                kept = _says_subject(labels)
                if kept.any():
                    pixels = crop[kept].astype(np.float64)
                    stays = self.stay_odds * was_subject[kept]
                    unlike = _log_likelihood(subject, pixels) + stays <= _log_likelihood(bgd, pixels)
                    rows, cols = np.nonzero(kept)
                    labels[rows[unlike], cols[unlike]] = cv2.GC_PR_BGD
            except cv2.error:  # a degenerate colour model (e.g. a flat region): the seeds
                pass
            masks.append(self._in_frame(labels, init.shape, rect, scale))
        return masks

    # --- the user's prompt -----------------------------------------------------------------
    def from_prompt(self, feature, image, prompt: Prompt, neighbours=()) -> Segment:
        cv2.setRNGSeed(0)  # GrabCut's k-means: the same prompt gives the same mask
        self.stay_odds = 0.0
        h, w = image.shape[:2]
        r = max(2, round(min(h, w) / 90))
        positives = [(x, y) for x, y, lab in prompt.points if lab == 1]
        seeds = np.zeros((h, w), np.uint8)
        for x, y in positives:
            _disk(seeds, x, y, r, 1)
        if prompt.box is not None:
            x0, y0, x1, y1 = (int(round(v)) for v in prompt.box)
            box = (max(0, x0), max(0, y0), min(w, x1), min(h, y1))
            mask = self._cut_box(image, box, self._with_points(
                np.full((h, w), cv2.GC_BGD, np.uint8), prompt, r))
            mask = _components_touching(mask, seeds > 0) if positives else self._main_parts(mask)
        else:
            mask = self._from_click(image, prompt, list(neighbours), r)
        return Segment(mask, 1.0)

    def _cut_box(self, image, box, init, likely=None, unlikely=None) -> np.ndarray:
        """GrabCut of the subject inside ``box``: its pixels start as subject where their
        colour is rarer around the box than inside it (or where ``likely``), the rest as
        probable background, and as sure background where ``unlikely``; ``init``'s sure
        labels inside the box are kept."""
        h, w = image.shape[:2]
        rect = _grow(box, w, h, _CONTEXT)
        inside = np.zeros((h, w), bool)
        inside[box[1]:box[3], box[0]:box[2]] = True
        around = np.zeros((h, w), bool)
        around[rect[1]:rect[3], rect[0]:rect[2]] = True
        around &= ~inside
        odds = colour_odds(image, inside, around)
        odds = cv2.GaussianBlur(odds, (5, 5), 0)
        labels = np.where(odds > 0.5, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
        labels[odds < 0.1] = cv2.GC_BGD  # colours common around it and rare inside
        if likely is not None:
            labels[likely] = cv2.GC_PR_FGD
        if unlikely is not None:
            labels[unlikely] = cv2.GC_BGD
        sure = (init == cv2.GC_FGD) | (init == cv2.GC_BGD) & ~inside
        init = np.where(inside & ~sure, labels, init).astype(np.uint8)
        return self._cut(image, init, rect, self.iterations)

    @staticmethod
    def _main_parts(mask: np.ndarray, share: float = 0.15) -> np.ndarray:
        """The largest component of ``mask`` and those at least ``share`` of its size."""
        count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), 8)
        if count <= 2:
            return mask
        areas = stats[1:, cv2.CC_STAT_AREA]
        keep = 1 + np.flatnonzero(areas >= share * areas.max())
        return np.isin(labels, keep)

    @staticmethod
    def _with_points(init: np.ndarray, prompt: Prompt, r: int) -> np.ndarray:
        for x, y, lab in prompt.points:
            _disk(init, x, y, r, cv2.GC_FGD if lab == 1 else cv2.GC_BGD)
        return init

    def _motion_cue(self, image, neighbours, cx: float, cy: float, r: int):
        """(changed, own): pixels that moved unlike the camera, and those among them that
        moved like the clicked point; None when the frames give no usable cue. The first
        neighbour gives both; a second one keeps in ``own`` only what differs from it too
        (the compared frame's subject leaves a ghost where it was, in the first
        difference only)."""
        neighbour = neighbours[0][1]
        blob, diff_cam = self._changed_near_click(image, neighbour, cx, cy, r)
        if blob is None:
            return None
        h, w = image.shape[:2]
        dx, dy = _own_shift(image, neighbour, cx, cy, 4 * r, max(8, min(h, w) // 8))
        shifted = cv2.warpAffine(neighbour, np.float32([[1, 0, -dx], [0, 1, -dy]]), (w, h),
                                 borderMode=cv2.BORDER_REFLECT)
        own = blob & (_difference(image, shifted) < 0.5 * diff_cam)
        if len(neighbours) > 1:
            other, _ = self._changed_near_click(image, neighbours[1][1], cx, cy, r)
            if other is not None:
                own &= other
        return blob, own

    @staticmethod
    def _changed_near_click(image, neighbour, cx: float, cy: float, r: int):
        """(region, difference): how much the frame differs from ``neighbour`` aligned by
        the camera's motion, and the region of it touching the click that counts as
        changed (in a dim or flat frame a smaller difference counts); region None when
        nothing or most of the frame changed."""
        h, w = image.shape[:2]
        diff_cam = _difference(image, camera_aligned(image, neighbour))
        noise = float(np.median(diff_cam))
        threshold = max(12.0 / contrast_gain(image), 4.0 * noise)  # a lower floor when dim
        changed = diff_cam > threshold
        changed = cv2.morphologyEx(changed.astype(np.uint8), cv2.MORPH_CLOSE, round_kernel(r)) > 0
        near = np.zeros((h, w), np.uint8)
        _disk(near, cx, cy, 3 * r, 1)
        blob = _components_touching(changed, near > 0)
        if not blob.any() or blob.sum() > 0.4 * h * w:
            return None, diff_cam
        return blob, diff_cam

    def _from_click(self, image, prompt: Prompt, neighbours, r: int) -> np.ndarray:
        h, w = image.shape[:2]
        positives = [(x, y) for x, y, lab in prompt.points if lab == 1]
        seeds = np.zeros((h, w), np.uint8)
        for x, y in positives:
            _disk(seeds, x, y, r, 1)
        cx, cy = np.mean([p[0] for p in positives]), np.mean([p[1] for p in positives])
        cue = self._motion_cue(image, neighbours, cx, cy, r) if neighbours else None
        if cue is not None:
            blob, own = cue
            box = _grow(bbox(blob | (seeds > 0)), w, h, 0.05, 2)
            init = self._with_points(np.full((h, w), cv2.GC_BGD, np.uint8), prompt, r)
            moved = cv2.dilate(_filled(blob.astype(np.uint8)).astype(np.uint8), round_kernel(r)) > 0
            # within what moved; or, where that is too little (a flat subject that moved
            # less than its width shows motion only along its edges), wherever colour says
            for unlikely in (~moved, None):
                cut = self._cut_box(image, box, init, likely=own, unlikely=unlikely)
                mask = _components_touching(cut, seeds > 0)
                if _more_than_the_click(mask, r):
                    self.stay_odds = STAY_ODDS
                    return mask
        return self._from_click_still(image, prompt, seeds > 0, cx, cy, r)

    def _from_click_still(self, image, prompt, seeds, cx, cy, r) -> np.ndarray:
        """No motion cue: grow a rectangle around the click until the cut-out stays inside;
        a subject bigger than all of them is cut from the whole frame, whose top and side
        edges are taken as background (a subject usually stands on the bottom edge)."""
        h, w = image.shape[:2]
        best = np.zeros((h, w), bool)
        for frac in (0.3, 0.45, 0.6, 0.8):
            rh, rw = frac * h, frac * h * 0.8
            rect = (max(0, int(cx - rw / 2)), max(0, int(cy - rh / 2)),
                    min(w, int(cx + rw / 2)), min(h, int(cy + rh / 2)))
            init = np.full((h, w), cv2.GC_BGD, np.uint8)
            init[rect[1]:rect[3], rect[0]:rect[2]] = cv2.GC_PR_BGD
            best = self._cut_around_click(image, prompt, seeds, init, rect, cx, cy, rw, rh, r)
            found = bbox(best) if _more_than_the_click(best, r) else None
            if found is not None and \
                    (found[0] > rect[0] + 2 or rect[0] == 0) and \
                    (found[2] < rect[2] - 2 or rect[2] == w) and \
                    (found[1] > rect[1] + 2 or rect[1] == 0) and \
                    (found[3] < rect[3] - 2 or rect[3] == h):
                return best
        init = np.full((h, w), cv2.GC_PR_BGD, np.uint8)
        m = max(2, round(0.03 * min(h, w)))
        init[:m], init[:, :m], init[:, w - m:] = cv2.GC_BGD, cv2.GC_BGD, cv2.GC_BGD
        whole = self._cut_around_click(image, prompt, seeds, init, (0, 0, w, h), cx, cy,
                                       0.8 * h * 0.8, 0.8 * h, r)
        return whole if _more_than_the_click(whole, r) and whole.sum() > best.sum() else best

    def _cut_around_click(self, image, prompt, seeds, init, rect, cx, cy, rw, rh, r):
        """GrabCut in ``rect`` from ``init`` with an ellipse of probable subject (a quarter
        of ``rw`` × ``rh``) around the click; the parts touching the click's ``seeds``."""
        cv2.ellipse(init, (int(cx), int(cy)), (int(rw / 4), int(rh / 4)), 0, 0, 360,
                    int(cv2.GC_PR_FGD), -1)
        cut = self._cut(image, self._with_points(init, prompt, r), rect, self.iterations + 1)
        return _components_touching(cut, seeds)

    # --- tracking --------------------------------------------------------------------------
    def track(self, feature, image, prior: Segment, evidence=None) -> Segment:
        h, w = image.shape[:2]
        box = bbox(prior.mask)
        if box is None:
            return Segment(np.zeros((h, w), bool), 0.0)
        x0, y0, x1, y1 = box
        size = max(x1 - x0, y1 - y0)
        prior_u8 = prior.mask.astype(np.uint8)
        band = max(2, size // 16)
        core = cv2.erode(prior_u8, round_kernel(band)) > 0
        reach = _dilated(prior_u8, box, 2 * band)
        init = np.full((h, w), cv2.GC_BGD, np.uint8)
        init[reach] = cv2.GC_PR_BGD
        init[prior.mask] = cv2.GC_PR_FGD
        init[core] = cv2.GC_FGD
        if evidence is not None and float(evidence[prior.mask].mean()) >= MOTION_SUPPORT:
            # the subject moves on its own here: what moves near it is subject; what sits
            # still far from anything moving is background (the subject's insides sit
            # still in a slow move, but near its moving outline): sure background around
            # the moved mask, whatever its colour (no creeping into a similar background),
            # and left to the colours inside it
            moving = (evidence > 0.5) & _dilated(prior_u8, box, 4 * band)
            init[moving & (init != cv2.GC_FGD)] = cv2.GC_PR_FGD
            init[moving & core] = cv2.GC_FGD
            outline = _filled(cv2.morphologyEx(moving.astype(np.uint8), cv2.MORPH_CLOSE,
                                               round_kernel(band)))
            far = cv2.distanceTransform((~outline).astype(np.uint8), cv2.DIST_L2, 3) > 2 * band
            far &= evidence < 0.05
            init[far & prior.mask] = cv2.GC_PR_BGD
            init[far & reach & ~prior.mask] = cv2.GC_BGD
            reach |= moving
        rect = _grow(bbox(reach), w, h, 0.25)
        if self.models is None:  # no keyframe model yet (should not happen): learn one here
            cuts = [self._cut(image, init, rect, self.iterations)]
        else:
            # the background's model, refitted on this frame's far background, is sharp
            # where that is flat: the ringing and gradients beside the subject then fall
            # outside it, and the subject's broader model takes them (a speckled halo);
            # widened by that noise, it takes a dim subject's dark parts instead. Both
            # cuts are made, and the one closer to the moved mask is kept.
            cuts = self._tracked_cuts(image, init, rect, (0.0, EDGE_NOISE))
        seeds = init == cv2.GC_FGD
        masks = [_components_touching(cut, seeds if seeds.any() else prior.mask) for cut in cuts]
        return Segment(max(masks, key=lambda mask: iou(mask, prior.mask)), 1.0)
