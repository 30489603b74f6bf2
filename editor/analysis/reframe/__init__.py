"""Auto-reframe: a shot-aware virtual camera that crops 16:9 to 9:16, 1:1, 4:5 or any ratio.

::

    result = reframe("talk.mp4", aspect="9:16", smoothness=0.5, cache=AnalysisCache(),
                     progress=callback, cancel=token)
    result.xs, result.ys        # crop's top-left corner on every frame (source pixels)
    result.crop                 # (w, h) of the crop window in source pixels
    result.shots                # [ShotPlan(start, end, mode, padded, keyframes, ...)]
    result.to_dict()            # what ``cutwise reframe FILE --json`` prints

Pipeline: shots from :mod:`editor.analysis.shots` (the camera starts afresh at every
cut; found on the subjects' decoding pass by :mod:`editor.analysis.shots.stream` unless
the shot engine's features are cached or the codec is neither H.264 nor HEVC); subject
blobs per frame from one fast decoding pass (:mod:`.signals`: motion that
the camera does not explain, spectral-residual visual saliency, the colours of what
moves in each shot) and the people whose faces move on their own (:mod:`.faces`),
cached per file, and a clicked subject (or several, by rank) followed through its shot
by the matting engine (a clicked person's moving face fills in where that tracking
loses them; a shot without a click follows its people alike, and one where nothing
moves enough to be a subject frames its still faces); per shot, one subject
is followed through the blobs (a Viterbi pass: strong blobs, no jumps to far-off
ones), each frame's subject becomes an interval the crop must cover with a margin (and,
where the box is sure, the box itself at a much higher cost), and an L1-optimal path
(:mod:`.path`) picks a stationary, panning or tracking camera; into a gradual
transition each shot's camera goes on following its subject and hands over to the next
shot's where the evidence of the two cameras says (a wipe that was the subject's own
motion keeps it). A shot whose subject is clearly wider than the crop on most of its
frames is marked ``padded``: the renderer then shows the whole frame over a blurred (or
coloured) background instead of cutting the subject in half. User keyframes pin the
path on their frames; re-planning with them does not decode again.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from editor.core.cache import AnalysisCache
from editor.core.errors import CutwiseError
from editor.core.model import LANE_REFRAME, Suggestion
from editor.core.progress import CancelToken, ProgressCallback, no_progress
from editor.media._av import WarningCallback
from editor.media.probe import probe
from editor.media.references import reads_references

from editor.analysis.reframe.faces import box_centre
from editor.analysis.reframe.path import MODES, plan_axis
from editor.analysis.reframe.signals import (ANALYSIS_WIDTH, Signals, extract_signals,
                                             track_subject)

log = logging.getLogger(__name__)

__all__ = ["VERSION", "ReframeResult", "ShotPlan", "reframe", "plan", "parse_aspect",
           "crop_size", "output_size", "to_suggestions", "path_from_suggestions",
           "reduce_keyframes", "click_entry", "subject_click", "Signals"]

VERSION = 17
ASPECTS = ("9:16", "1:1", "4:5", "4:3", "16:9")
MARGIN = 0.05          # of the crop's width/height, kept around the subject
PAD_WIDTH = 1.2        # a shot is padded when its subject is this much wider than the
PAD_SHARE = 0.6        # crop on this share of its frames
PAD_MIN_S = 1.0        # ... and on at least this long
MAX_SUBJECT_SHARE = 0.6  # of the frame's width: a blob wider than this is not a subject
LOPSIDED = 0.15        # ... nor one whose weighted centre is this far (of its width) off its middle
KNOT_S = 0.02          # the path is solved at knots this far apart (linear between)
EXTENT_WINDOW_S = 0.6  # a subject's extent: the union of its boxes over ± this
CONTEXT_S = 1.0        # of a shot's frames that show whom its camera follows into a transition
HANDOVER_S = 0.2       # the shortest hand-over between two shots' cameras in a transition
JUMP_COST = 4.0        # of following another blob, per crop width it is away
ABSENT_REWARD = 0.3    # of a frame where the subject is not seen (a blob's: its share of the top)
MIN_PRESENCE = 0.25    # a shot's subject shows on at least this share of its frames
FIRM_CONF = 1.0        # confidence from which a box is sure enough to be kept at any cost
FIRM_JUMP = 0.5        # of the crop: a box this far from its neighbours (per frame) is unsure
WIDE = 1.5             # an extent this much wider than the subject's usual one took in more
FIT_WIDE = 1.15        # ... and this much, where it is wider than the crop
TALL_SIDE = 0.05       # a blob's tall figure this near (of its width) one of its ends: the rest is beside it
EDGE = 0.2             # of the crop: a subject this near the picture's edge touches it
MIN_SCORE = 0.01       # blob mass (share of the frame) that counts as fully confident
FOLLOWS_LABEL = {"click": ", your subject", "face": ", a face"}  # on the timeline


@dataclass
class ShotPlan:
    # the frames its keyframes cover: its shot and the transition after it (the first
    # plan also the frames before its shot)
    start: int
    end: int  # inclusive
    mode: str  # "stationary", "pan" or "track"
    padded: bool
    keyframes: list[list[int]]  # [[frame, x, y], ...] reproducing the path by interpolation
    user_keyframes: list[list[int]] = field(default_factory=list)
    # the clicks on subjects: [x, y, frame], or [x, y, frame, rank] after the main one
    subjects: list[list[float]] = field(default_factory=list)
    # what its camera follows: "click" (the clicked subjects), "face" (people whose faces
    # move, or still faces where nothing else is a subject), "motion" (the subject
    # blobs) or "nothing" (no subject: the camera stays)
    follows: str = "motion"

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "mode": self.mode, "padded": self.padded,
                "keyframes": self.keyframes, "user_keyframes": self.user_keyframes,
                "subjects": self.subjects, "follows": self.follows}


@dataclass
class ReframeResult:
    path: str
    aspect: str
    source: tuple[int, int]
    crop: tuple[int, int]
    output: tuple[int, int]
    fps: float
    xs: np.ndarray  # int [frame_count]
    ys: np.ndarray
    padded: np.ndarray  # bool [frame_count]
    shots: list[ShotPlan]
    warnings: tuple[str, ...] = ()

    @property
    def frame_count(self) -> int:
        return len(self.xs)

    def to_dict(self) -> dict:
        frames = []
        for i, (x, y, pad) in enumerate(zip(self.xs.tolist(), self.ys.tolist(),
                                            self.padded.tolist())):
            entry = {"frame": i, "x": x, "y": y}
            if pad:
                entry["padded"] = True
            frames.append(entry)
        return {"source": {"width": self.source[0], "height": self.source[1]},
                "crop": {"width": self.crop[0], "height": self.crop[1]},
                "frames": frames,
                "path": self.path, "aspect": self.aspect,
                "output": {"width": self.output[0], "height": self.output[1]},
                "fps": round(self.fps, 6), "frame_count": self.frame_count,
                "shots": [s.to_dict() for s in self.shots],
                "warnings": list(self.warnings)}

    def keyframes_dict(self) -> dict:
        """The editable keyframes (``--keyframes OUT.json``)."""
        return {"source": {"width": self.source[0], "height": self.source[1]},
                "crop": {"width": self.crop[0], "height": self.crop[1]},
                "aspect": self.aspect, "fps": round(self.fps, 6),
                "frame_count": self.frame_count,
                "shots": [s.to_dict() for s in self.shots]}


def parse_aspect(text: str) -> Fraction:
    """``"9:16"``, ``"9/16"``, ``"0.5625"`` → width/height as a Fraction."""
    text = str(text).strip()
    try:
        for sep in (":", "/", "x"):
            if sep in text:
                a, b = text.split(sep, 1)
                value = Fraction(a.strip()) / Fraction(b.strip())
                break
        else:
            value = Fraction(text).limit_denominator(1000)
    except (ValueError, ZeroDivisionError):
        raise CutwiseError(f"'{text}' is not an aspect ratio (try 9:16, 1:1 or 4:5).") from None
    if not Fraction(1, 10) <= value <= 10:
        raise CutwiseError(f"aspect ratio {text} is out of range (1:10 to 10:1).")
    return value


def _even(v: float) -> int:
    return max(2, int(round(v / 2)) * 2)


def crop_size(width: int, height: int, aspect: Fraction, zoom: float = 1.0) -> tuple[int, int]:
    """The crop window in source pixels: full height (÷ ``zoom``) at ``aspect``."""
    zoom = max(1.0, float(zoom))
    h = height / zoom
    w = h * aspect
    if w > width / zoom:  # a ratio wider than the source: full width instead
        w = width / zoom
        h = w / aspect
    return min(width, _even(w)), min(height, _even(h))


def output_size(aspect: Fraction, long_side: int = 1920) -> tuple[int, int]:
    """Rendered size: 1080×1920 for 9:16, 1080×1080 for 1:1, 1080×1350 for 4:5..."""
    short = long_side * 9 // 16
    if aspect <= 1:
        return _even(short), _even(short / aspect)
    return _even(short * aspect), _even(short)


def reduce_keyframes(frames: np.ndarray, xs: np.ndarray, ys: np.ndarray,
                     tolerance: float = 0.75) -> list[list[int]]:
    """Fewest keyframes whose linear interpolation stays within ``tolerance`` px."""
    keep = {0, len(frames) - 1}
    stack = [(0, len(frames) - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        t = (frames[a + 1:b] - frames[a]) / (frames[b] - frames[a])
        err = np.maximum(np.abs(xs[a] + t * (xs[b] - xs[a]) - xs[a + 1:b]),
                         np.abs(ys[a] + t * (ys[b] - ys[a]) - ys[a + 1:b]))
        worst = int(np.argmax(err))
        if err[worst] > tolerance:
            mid = a + 1 + worst
            keep.add(mid)
            stack += [(a, mid), (mid, b)]
    return [[int(frames[i]), int(round(xs[i])), int(round(ys[i]))] for i in sorted(keep)]


def _interpolate(keys: list[list[int]], frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    k = np.array(keys, float).reshape(-1, 3)
    return np.interp(frames, k[:, 0], k[:, 1]), np.interp(frames, k[:, 0], k[:, 2])


def _window_extent(a0: np.ndarray, a1: np.ndarray, reach: int) -> tuple[np.ndarray, np.ndarray]:
    """Per frame, the union of the extents ``a0..a1`` over ``±reach`` frames (NaN-aware)."""
    n = len(a0)
    lo, hi = a0.copy(), a1.copy()
    for d in range(1, min(reach, n - 1) + 1):
        lo[:-d], hi[:-d] = np.fmin(lo[:-d], a0[d:]), np.fmax(hi[:-d], a1[d:])
        lo[d:], hi[d:] = np.fmin(lo[d:], a0[:-d]), np.fmax(hi[d:], a1[:-d])
    return lo, hi


def _one_subject(boxes: np.ndarray, crop: tuple[int, int]) -> np.ndarray:
    """``boxes`` of a shot with each frame's blobs reordered so that the first one
    follows one subject through the shot (Viterbi over the blobs): strong blobs are
    preferred, jumps between far-apart blobs cost, so a distractor that outshines the
    subject for a few frames does not pull the camera over. One more state per frame,
    "not seen" (it stays where the subject was last), lets the subject vanish behind
    something crossing the picture: those frames keep no blob at all."""
    n, k = boxes.shape[:2]
    score = boxes[:, :, 4]
    valid = score > 0
    top = np.maximum(score.max(axis=1, keepdims=True), 1e-9)
    reward = np.where(valid, score / top, -np.inf)
    # not seen: where the blobs disagree (several) or are faint; one strong blob is it
    doubt = (valid.sum(axis=1) > 1) | (score.max(axis=1) < MIN_SCORE)
    reward = np.concatenate([reward, np.where(doubt, ABSENT_REWARD, -np.inf)[:, None]], axis=1)
    cx = (boxes[:, :, 0] + boxes[:, :, 2]) / 2 / crop[0]
    cy = (boxes[:, :, 1] + boxes[:, :, 3]) / 2 / crop[1]
    frames = np.flatnonzero(valid.any(axis=1))
    if len(frames) < 2:
        return boxes
    total = reward[frames[0]].copy()
    total[k] = -np.inf  # the subject is seen first
    px, py = np.append(cx[frames[0]], 0.0), np.append(cy[frames[0]], 0.0)  # where each state is
    back = np.zeros((len(frames), k + 1), int)
    for j in range(1, len(frames)):
        b = frames[j]
        jump = np.abs(cx[b][:, None] - px[None, :]) + np.abs(cy[b][:, None] - py[None, :])
        options = total[None, :] - JUMP_COST * np.nan_to_num(jump, nan=np.inf)
        back[j, :k] = np.argmax(options, axis=1)
        back[j, k] = int(np.argmax(total))  # not seen: no jump, stays where it was
        best = options[np.arange(k), back[j, :k]]
        total = reward[b] + np.append(best, total[back[j, k]])
        px = np.append(cx[b], px[back[j, k]])
        py = np.append(cy[b], py[back[j, k]])
    choice = np.zeros(n, int)
    state = int(np.argmax(total))
    for j in range(len(frames) - 1, -1, -1):
        choice[frames[j]] = state
        state = back[j][state]
    out = boxes.copy()
    for i in frames:
        c = choice[i]
        if c == k:
            out[i] = 0.0
        elif c:
            out[i, [0, c]] = boxes[i, [c, 0]]
    return out


def _target_intervals(boxes: np.ndarray, user: list[dict[int, tuple]], start: int,
                      size: int, axis: int, crop: int, reach: int = 0) -> tuple:
    """Per frame of a shot, for one axis: (lo, hi, centre, confidence) of the crop's
    position that keeps the subject inside with a margin, and (firm_lo, firm_hi, firm)
    that keeps the frame's own subject box inside, where that box is sure.

    ``user``: the tracked boxes of each subject the user clicked, main subject first
    (those not tracked in this shot are passed over). A frame's subject extent is the
    union of its candidates' (or, when they cannot fit together, the first's): the
    blobs (across, one wider than the crop that is a tall figure with a much shorter one
    beside it is narrowed to the tall one: :func:`_narrow_to_tall`), or each clicked
    subject's box and the blobs on it; a further clicked subject joins only where it fits
    with those before it. The extent is then widened over ``±reach`` frames where that
    union fits the crop: limbs swing out and back, and a frame's blob rarely shows all of
    the subject at once.
    An extent much wider than the subject's usual width (it took in a neighbour, or the
    trail of a fast move), or too wide for the crop and a little wider than usual, is
    narrowed to that width (:func:`_rein_wide`), and one near the picture's edge is taken
    to the edge. The box alone is sure (``firm`` > 0) when it is confident, no wider than
    usual and where its neighbours say it is (a one-frame jump is a detection error; a
    subject moving fast moves on every frame).
    """
    n = len(boxes)
    a0, a1 = np.full(n, np.nan), np.full(n, np.nan)
    conf = np.zeros(n)
    subjects = [u for u in user if any(start <= f < start + n for f in u)]
    tracked = [np.array([f - start for f in u if start <= f < start + n], int) for u in subjects]
    usable = crop * (1 - 2 * MARGIN)
    if axis == 0:
        boxes = _narrow_to_present(_narrow_to_tall(boxes, crop, size))
    for i in range(n):
        blobs = boxes[i][boxes[i, :, 4] > 0]
        groups = [_subject_candidates(blobs, u, known, start, i) for u, known in
                  zip(subjects, tracked)] if subjects else [_candidates(blobs)]
        if not groups[0]:
            continue  # the (main) subject is not seen here
        e0, e1 = _fitting_extent(groups[0], axis, crop)
        for more in groups[1:]:  # further subjects where they fit with those before
            if more:
                m0, m1 = _fitting_extent(more, axis, crop)
                if max(e1, m1) - min(e0, m0) <= usable:
                    e0, e1 = min(e0, m0), max(e1, m1)
        a0[i], a1[i], conf[i] = e0, e1, groups[0][0][1]
    seen = ~np.isnan(a0)
    wide = _rein_wide(a0, a1, seen, 2 * reach, crop)
    # a subject this near the picture's edge may go on past what was seen of it: keep
    # the crop against that edge where it still holds all of the subject
    a0[seen & (a0 < EDGE * crop) & (a1 <= crop)] = 0.0
    a1[seen & (a1 > size - EDGE * crop) & (a0 >= size - crop)] = size
    firm_lo, firm_hi = a1 - crop, a0.copy()
    firm = np.where(wide | (conf < FIRM_CONF), 0.0, conf)
    middle = np.where(seen, (a0 + a1) / 2, np.nan)
    for d in (1, 2):  # a box far from both neighbours on either side is an outlier
        far = np.ones(n, bool)
        for shift in (-d, d):
            other = np.full(n, np.nan)
            if shift < 0:
                other[:shift] = middle[-shift:]
            else:
                other[shift:] = middle[:-shift]
            far &= ~(np.abs(other - middle) <= FIRM_JUMP * crop * d)
        firm[far] = 0.0
    w0, w1 = _window_extent(a0, a1, reach)
    fits = (w1 - w0 <= usable) & seen
    a0, a1 = np.where(fits, w0, a0), np.where(fits, w1, a1)
    margin = np.minimum(MARGIN * crop, np.maximum(0.0, (crop - (a1 - a0)) / 2))
    lo, hi = a1 + margin - crop, a0 - margin
    centre = (a0 + a1) / 2 - crop / 2
    return lo, hi, centre, conf, (firm_lo, firm_hi, firm)


def _candidates(blobs: np.ndarray, first: tuple | None = None) -> list[tuple[tuple, float]]:
    """(box, confidence) of a frame's subject: ``first`` (a tracked box) and then the
    blobs at least a fifth as strong as the strongest."""
    cands = [(first, 1.0)] if first is not None else []
    if len(blobs):
        top = blobs[0, 4]
        cands += [((b[0], b[1], b[2], b[3]), min(1.0, max(0.2, b[4] / MIN_SCORE)))
                  for b in blobs if b[4] >= 0.2 * top]
    return cands


def _subject_candidates(blobs: np.ndarray, boxes: dict[int, tuple], known: np.ndarray,
                        start: int, i: int) -> list[tuple[tuple, float]]:
    """A clicked subject's candidates on frame ``start + i``: its tracked box and the
    blobs on it (limbs its mask lost); on a frame its tracking flagged, the blobs near its
    box on the nearest frame where it is known (not a stronger one elsewhere), joined by
    that box where they fit together: someone lost behind passing traffic is most likely
    still where they were, and the hand of theirs that still moves is not all of them.
    No blob near it (a whip pan, an empty frame): not seen."""
    box = boxes.get(start + i)
    if box is not None:
        return _candidates(blobs[_overlaps(blobs, box)], box)
    last = boxes[start + known[np.argmin(np.abs(known - i))]]
    bx0, by0, bx1, by1 = last
    gw, gh = (bx1 - bx0) / 2, (by1 - by0) / 2
    near = _candidates(blobs[_overlaps(blobs, (bx0 - gw, by0 - gh, bx1 + gw, by1 + gh))])
    return near + [(tuple(last), 0.0)] if near else []  # the blobs' confidence leads


def _narrow_to_tall(blobs: np.ndarray, crop: float, size: float) -> np.ndarray:
    """``blobs`` narrowed, across, to their tallest figure (``tall_x0, tall_x1``) where
    they are wider than the ``crop`` and the rest is a much shorter one beside it, on one
    side (a child beside a dancer, joined where they touch; where the crop holds both,
    with no room for its margin, both are kept); not a blob that reaches the picture's
    side (something passing in or out: its outline is cut). ``blobs``: ``[...,
    BLOB_FIELDS]``, the whole shot at once (unused slots, zero wide, stay as they are)."""
    x0, x1, t0, t1 = blobs[..., 0], blobs[..., 2], blobs[..., 7], blobs[..., 8]
    slack = TALL_SIDE * (x1 - x0)
    one_side = (t0 - x0 <= slack) | (x1 - t1 <= slack)
    wide = (x1 - x0 > crop) & (t1 > t0) & one_side & (x0 > 0) & (x1 < size)
    return _narrowed(blobs, wide, 7)


def _narrow_to_present(blobs: np.ndarray) -> np.ndarray:
    """``blobs`` narrowed, across, to their columns without motion ghosts (``present_x0,
    present_x1``; see :meth:`~.signals.MotionSaliency.push`): where a subject is, not
    where its swinging limbs were both a moment before and after. Only for the crop's
    extent: which blob is the subject is told by the whole region."""
    return _narrowed(blobs, blobs[..., 10] > blobs[..., 9], 9)


def _narrowed(blobs: np.ndarray, which: np.ndarray, field: int) -> np.ndarray:
    """``blobs`` with those ``which`` selects narrowed across to the columns in fields
    ``field`` and ``field + 1``."""
    if not which.any():
        return blobs
    blobs = blobs.copy()
    blobs[which, 0] = np.maximum(blobs[which, 0], blobs[which, field])
    blobs[which, 2] = np.minimum(blobs[which, 2], blobs[which, field + 1])
    return blobs


def _fitting_extent(cands: list[tuple[tuple, float]], axis: int, crop: int) -> tuple[float, float]:
    """The candidates' extent on ``axis``, or the first's when they do not fit together."""
    e0 = min(c[0][axis] for c in cands)
    e1 = max(c[0][axis + 2] for c in cands)
    if e1 - e0 + 2 * MARGIN * crop > crop:
        e0, e1 = cands[0][0][axis], cands[0][0][axis + 2]
    return e0, e1


def _overlaps(blobs: np.ndarray, box: tuple) -> np.ndarray:
    """Which of ``blobs`` (rows of x0, y0, x1, y1, ...) share some area with ``box``."""
    return (np.minimum(blobs[:, 2], box[2]) > np.maximum(blobs[:, 0], box[0])) & \
        (np.minimum(blobs[:, 3], box[3]) > np.maximum(blobs[:, 1], box[1]))


def _rein_wide(a0: np.ndarray, a1: np.ndarray, seen: np.ndarray, reach: int,
               crop: float) -> np.ndarray:
    """Narrow, in place, the extents that are much wider than the subject's usual width
    around them (a blob that took in a neighbour touching the subject, or the trail of
    a fast move), or wider than the ``crop`` and a little wider than that width
    (:data:`FIT_WIDE`; centred, an extent the crop cannot hold cuts the subject's side
    as much as the rest), to that usual width, keeping the edge that is where the
    subject's edge is on the frames around it. Returns which frames were narrowed."""
    width = np.where(seen, a1 - a0, np.nan)
    if not seen.any():
        return seen.copy()
    around = np.lib.stride_tricks.sliding_window_view(
        np.pad(width, reach, constant_values=np.nan), 2 * reach + 1)
    usual = _row_percentile(around, 40)  # NaN where a window saw nothing
    wide = seen & (width > np.where(width > crop, FIT_WIDE, WIDE) * usual)
    good = np.flatnonzero(seen & ~wide)
    if not wide.any() or not len(good):
        return wide
    frames = np.flatnonzero(wide)
    ref0, ref1 = np.interp(frames, good, a0[good]), np.interp(frames, good, a1[good])
    keep_left = np.abs(a0[frames] - ref0) <= np.abs(a1[frames] - ref1)
    a1[frames] = np.where(keep_left, a0[frames] + usual[frames], a1[frames])
    a0[frames] = np.where(keep_left, a0[frames], a1[frames] - usual[frames])
    return wide


def _row_percentile(rows: np.ndarray, q: float) -> np.ndarray:
    """``np.nanpercentile(rows, q, axis=1)`` to the same bits (its linear method), each
    row sorted once instead of numpy's row-by-row loop (a hundred times faster here);
    NaN for a row of NaNs."""
    ordered = np.sort(rows, axis=1)  # NaNs last
    count = np.maximum((~np.isnan(rows)).sum(axis=1), 1)
    at = (count - 1) * (q / 100)
    low = np.floor(at).astype(np.intp)
    a = np.take_along_axis(ordered, low[:, None], 1)[:, 0]
    b = np.take_along_axis(ordered, np.minimum(low + 1, count - 1)[:, None], 1)[:, 0]
    t, step = at - low, b - a
    return np.where(t >= 0.5, b - step * (1 - t), a + step * t)  # numpy's _lerp


def _needs_padding(boxes: np.ndarray, user: dict[int, tuple], start: int,
                   crop: tuple[int, int], frame_width: int, min_frames: int) -> bool:
    """Whether the subject of a shot (the first blob of each frame after
    :func:`_one_subject`, or the main clicked subject's tracked box) is wider or taller
    than the crop, with room to spare, on most of the shot's frames (at least
    ``min_frames``). A few wide blobs, a whip pan, a passer-by, a subject about the
    crop's width (centring it loses little) or a blob that took in background (spread
    over most of the picture, or with its weight to one side) do not letterbox the whole
    shot."""
    sizes = []
    for i in range(len(boxes)):
        box = user.get(start + i)
        lopsided = False
        if box is None and boxes[i, 0, 4] > 0:
            box = boxes[i, 0, :4]
            # its weight far off its middle: a subject joined by background beside it
            lopsided = abs(boxes[i, 0, 5] - (box[0] + box[2]) / 2) > LOPSIDED * (box[2] - box[0])
        if box is not None:
            size = max((box[2] - box[0]) / crop[0], (box[3] - box[1]) / crop[1])
            spread = box[2] - box[0] > MAX_SUBJECT_SHARE * frame_width
            sizes.append(0.0 if spread or lopsided else size)
    wide = sum(size >= PAD_WIDTH for size in sizes)
    return bool(wide >= max(min_frames, PAD_SHARE * len(boxes)))


def _spans(shots: list[tuple[int, int]], n: int) -> list[tuple[int, int, int, int]]:
    """``(start, end, lo, hi)`` per shot: its frames, and the frames up to its
    neighbours' (the transitions between them; to the clip's ends for the first and last
    shots) that its camera is planned on into."""
    inside = sorted((max(0, s), min(n - 1, e)) for s, e in shots)
    inside = [(s, e) for s, e in inside if s <= e]
    return [(s, e, inside[k - 1][1] + 1 if k else 0,
             inside[k + 1][0] - 1 if k + 1 < len(inside) else n - 1)
            for k, (s, e) in enumerate(inside)]


def _holds(chosen: np.ndarray, path: np.ndarray, crop: tuple[int, int]) -> np.ndarray:
    """Per frame, whether the crop at ``path`` holds the followed blob (the first of
    ``chosen``) whole."""
    box = chosen[:, 0]
    return (box[:, 4] > 0) & (box[:, 0] >= path[:, 0]) & (box[:, 2] <= path[:, 0] + crop[0]) & \
        (box[:, 1] >= path[:, 1]) & (box[:, 3] <= path[:, 1] + crop[1])


def _handover(holds_out: np.ndarray, holds_in: np.ndarray, shortest: int = 1) -> np.ndarray:
    """The incoming camera's weight on each frame of a transition (the outgoing
    camera's is the rest), from whether each camera holds its subject there, on from
    its own shot without a break (a subject seen again further on may be anything).

    The hand-over is put where the fewest frames disagree: the outgoing camera before
    it, the incoming one after it, each losing only frames where the other alone holds
    its subject. Where several places are as good (a real dissolve: both or neither
    hold theirs) it ramps linearly across all of them, at least ``shortest`` frames,
    from the frame before the transition to the one after it at most; a "transition"
    that is one shot's own footage goes to that shot's camera."""
    length = len(holds_in)
    # a camera's evidence: the frames on which it holds its subject on from its own shot
    holds_out = np.logical_and.accumulate(holds_out)
    holds_in = np.logical_and.accumulate(holds_in[::-1])[::-1]
    only_in, only_out = (holds_in & ~holds_out).astype(int), (holds_out & ~holds_in).astype(int)
    # cost of switching before frame s: only_in frames before it, only_out frames after
    cost = np.concatenate([[0], np.cumsum(only_in)]) + \
        np.concatenate([np.cumsum(only_out[::-1])[::-1], [0]])
    best = np.flatnonzero(cost == cost.min())
    a, b = best[0], best[-1]
    ramp = min(max(b - a + 1, shortest), length + 1)
    # no jump onto either shot's own path
    centre = np.clip((a + b) / 2 - 0.5, ramp / 2 - 1, length - ramp / 2)
    return np.clip((np.arange(length) - centre) / ramp + 0.5, 0.0, 1.0)


def plan(signals: Signals, shots: list[tuple[int, int]], crop: tuple[int, int], *,
         fps: float, smoothness: float = 0.5, keyframes: dict[int, tuple[float, float]] | None = None,
         user_boxes: Sequence[dict[int, tuple]] = (), mode: str = "auto"
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[ShotPlan]]:
    """Camera path for every frame from cached ``signals`` (no decoding).

    ``shots`` are inclusive (start, end) frame ranges. Into the frames between shots
    (gradual transitions) each shot's camera goes on following its subject, and across
    a transition the outgoing camera hands over to the incoming one (:func:`_handover`):
    a "transition" that is not one (the shot engine took the subject's motion for a
    wipe) or that is longer than found still keeps its subject. A :class:`ShotPlan`
    covers its shot and the transition after it (the first one also the frames before
    it).
    ``keyframes`` map a frame to a user's (x, y) crop corner; ``user_boxes`` hold the
    tracked box of each clicked subject per frame, the main subject first.
    """
    n = signals.frame_count
    width, height = signals.width, signals.height
    cw, ch = crop
    # a corner pinned past the picture's edge (typed, or from another aspect) stops there
    keyframes = {f: (float(np.clip(x, 0, width - cw)), float(np.clip(y, 0, height - ch)))
                 for f, (x, y) in (keyframes or {}).items()}
    boxes = signals.per_frame()
    spans = _spans(shots, n)
    if not spans:  # no shot at all: a centred crop
        return (np.full(n, round((width - cw) / 2), int), np.full(n, round((height - ch) / 2), int),
                np.zeros(n, bool), [])
    step = max(1, round(KNOT_S * fps))
    reach = max(1, round(EXTENT_WINDOW_S * fps))
    context = max(2, round(CONTEXT_S * fps))
    people, still = signals.people_boxes(), signals.people_boxes(moving=False)
    clicked = [_with_faces(u, people) for u in user_boxes]

    def camera(first: int, last: int, pins: dict, follow: bool | None = None):
        """The path over ``first..last`` (pinned at ``pins`` as at keyframes), its
        camera mode, the subject blobs it followed and what it follows
        (:attr:`ShotPlan.follows`). ``follow``: whether there is a subject blob to
        follow (None: whether one shows on enough of these frames)."""
        keys = {f - first: v for f, v in {**keyframes, **pins}.items() if first <= f <= last}
        # the clicked subjects (with their faces); where there are none, the people
        # whose faces move
        clicks = _seen(clicked, first, last)
        subjects = clicks or _seen(people, first, last)
        chosen = _one_subject(boxes[first:last + 1], crop)
        if follow is None:
            follow = (chosen[:, 0, 4] > 0).mean() >= MIN_PRESENCE
        if not follow:
            chosen = np.zeros_like(chosen)  # something passing by, not a subject
            # nothing moves: the faces that stay still (a talking head) rather than
            # the empty middle of the picture
            subjects = subjects or _seen(still, first, last)
        follows = "click" if clicks else "face" if subjects else \
            "motion" if chosen[:, 0, 4].any() else "nothing"
        axes = []
        for axis, size, c in ((0, width, cw), (1, height, ch)):
            lo, hi, centre, conf, firm = _target_intervals(
                chosen, subjects, first, size, axis, c, reach)
            axes.append(plan_axis(lo, hi, centre, conf, size - c, smoothness=smoothness,
                                  step=step, keyframes={f: v[axis] for f, v in keys.items()},
                                  mode=mode, firm=firm))
        path = np.stack([a.positions for a in axes], axis=1)
        return path, max(axes[0].mode, axes[1].mode, key=MODES.index), chosen, follows

    path = np.zeros((n, 2))
    padded = np.zeros(n, bool)
    incoming, outgoing = {}, {}  # per transition's first frame: (path, holds its subject)
    cameras = []  # (mode, padded) per span
    for k, (start, end, lo, hi) in enumerate(spans):
        shot, shot_mode, chosen, follows = camera(start, end, {})
        path[start:end + 1] = shot
        follow = bool(chosen[:, 0, 4].any())
        main = next(iter(_seen(user_boxes, start, end)), {})
        shot_padded = not any(start <= f <= end for f in keyframes) and _needs_padding(
            chosen, main, start, crop, width, round(PAD_MIN_S * fps))
        cameras.append((shot_mode, shot_padded, follows))
        # into the transitions on either side, from where this shot's camera is on its
        # first (last) frame: to the clip's ends all the way, between two shots handed
        # over below
        if lo < start:
            pins = {start: tuple(shot[0])}
            ext, _, followed, _ = camera(lo, min(end, start + context), pins, follow)
            ext, followed = ext[:start - lo], followed[:start - lo]
            if k:
                incoming[lo] = (ext, _holds(followed, ext, crop))
            else:
                path[lo:start] = ext
        if hi > end:
            pins = {end: tuple(shot[-1])}
            ext, _, followed, _ = camera(max(start, end - context), hi, pins, follow)
            ext, followed = ext[-(hi - end):], followed[-(hi - end):]
            if k == len(spans) - 1:
                path[end + 1:hi + 1] = ext
            else:
                outgoing[end + 1] = (ext, _holds(followed, ext, crop))
    for first, (ext_in, holds_in) in incoming.items():
        ext_out, holds_out = outgoing[first]
        weight = _handover(holds_out, holds_in, max(1, round(HANDOVER_S * fps)))
        path[first:first + len(weight)] = (1 - weight[:, None]) * ext_out + weight[:, None] * ext_in
    xs, ys = np.round(path[:, 0]).astype(int), np.round(path[:, 1]).astype(int)
    plans = []
    for k, ((start, end, lo, hi), (shot_mode, shot_padded, follows)) in enumerate(
            zip(spans, cameras)):
        first = lo if k == 0 else start  # a plan owns its shot and the transition after it
        frames = np.arange(first, hi + 1)
        padded[first:hi + 1] = shot_padded
        plans.append(ShotPlan(first, hi, shot_mode, shot_padded,
                              reduce_keyframes(frames, xs[first:hi + 1], ys[first:hi + 1]),
                              [[int(f), int(round(v[0])), int(round(v[1]))]
                               for f, v in sorted(keyframes.items()) if first <= f <= hi],
                              follows=follows))
    return xs, ys, padded, plans


def _with_faces(tracked: dict[int, tuple], people: list[dict[int, tuple]]) -> dict[int, tuple]:
    """A clicked subject's tracked boxes (in any number of shots) joined with the person
    box of each moving face that is theirs (it holds the tracked box's centre on most of
    the frames where both are known): their union where both are known, the face's alone
    where the tracking lost the subject (a mask that kept a patch of a dark suit, then
    lost it)."""
    joined = dict(tracked)
    for person in people:
        both = [f for f in tracked if f in person]
        if both and np.mean([_holds_point(person[f], tracked[f]) for f in both]) >= 0.5:
            for f, box in person.items():
                joined[f] = _union(joined[f], box) if f in joined else box
    return joined


def _holds_point(box: tuple, other: tuple) -> bool:
    """Whether ``box`` holds the centre of ``other``."""
    cx, cy = box_centre(other)
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


def _union(a: tuple, b: tuple) -> tuple:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def _seen(subjects: Sequence[dict[int, tuple]], first: int, last: int) -> list[dict[int, tuple]]:
    """Those of ``subjects`` (boxes by frame) seen somewhere in ``first..last``."""
    return [u for u in subjects if any(first <= f <= last for f in u)]


def _progress_span(progress: ProgressCallback, lo: int, hi: int) -> ProgressCallback:
    def report(done: int, total: int, message: str = "") -> None:
        share = done / total if total else 0.0
        progress(lo + round((hi - lo) * min(1.0, share)), 1000, message)
    return report


def reframe(path: str | Path, *, aspect: str | Fraction = "9:16", zoom: float = 1.0,
            smoothness: float = 0.5, keyframes: dict[int, tuple[float, float]] | None = None,
            subjects: Sequence[tuple] = (), subject_backend: str = "auto",
            checkpoint: str | None = None, mode: str = "auto",
            output_long_side: int = 1920, cache: AnalysisCache | None = None,
            progress: ProgressCallback = no_progress, cancel: CancelToken | None = None,
            on_warning: WarningCallback | None = None) -> ReframeResult:
    """Plan the crop of every frame of ``path`` for ``aspect``.

    ``keyframes``: ``{frame: (x, y)}`` crop corners the user fixed; ``subjects``: ``(x,
    y, frame)`` clicks on the subject to follow (source pixels; one per shot, or more to
    correct where the tracking lost it), or ``(x, y, frame, rank)`` for several
    subjects: rank 1 (the default) is the main one, the others are kept in the crop, in
    rank order, where they fit with it. Each subject's clicks in a shot are tracked
    through it by the matting engine with ``subject_backend`` and ``checkpoint`` (see
    :func:`~editor.analysis.matting.make_segmenter`). Raises the media
    layer's typed errors for unreadable input and
    :class:`~editor.core.errors.Cancelled` when ``cancel`` is set.
    """
    from editor.analysis.shots import detect_shots, features_key
    from editor.analysis.shots.stream import ShotStream

    path = Path(path)
    ratio = parse_aspect(aspect) if not isinstance(aspect, Fraction) else aspect
    info = probe(path, cache=cache, cancel=cancel)
    if info.video is None:
        from editor.media.errors import NoVideoStreamError

        raise NoVideoStreamError(f"{path} has no video stream (audio only?).", path=str(path))
    video = info.video
    width, height = video.display_width, video.display_height
    fps = float(video.frame_rate) or 25.0
    subjects = [subject_click(click) for click in subjects]
    for click in subjects:  # before the long analysis: a typo fails at once
        _check_subject(click, width, height, video.frame_count)
    if subjects and checkpoint:
        from editor.analysis.matting.models import checkpoint_file

        checkpoint_file(checkpoint)
    # every warning once, in order: both passes decode every damaged frame
    notes: dict[str, None] = {}

    def note(message: str) -> None:
        if message not in notes:
            notes[message] = None
            if on_warning is not None:
                on_warning(message)

    found = 600 if subjects else 950  # progress: tracking a subject takes long
    signals = None
    shots_cached = cache is not None and cache.has(features_key(path, cache))
    if not shots_cached and reads_references(video.codec):
        # one decoding pass for both engines: the shots found as the frames come
        stream = ShotStream()
        signals = extract_signals(path, width=width, height=height,
                                  frame_count=video.frame_count, fps=fps, shots=stream,
                                  progress=_progress_span(progress, 0, found), cancel=cancel,
                                  on_warning=note)
        # damaged frames: the shot engine's own pass may see them differently
        shots = detect_shots(path, cache=cache, cancel=cancel, on_warning=note,
                             features=None if stream.warnings else stream.features)
        if _resets(shots) != stream.resets:
            log.debug("%s: shots found as the frames came differ from the whole file's; "
                      "finding the subjects again", path)
            signals = None
    else:
        shots = detect_shots(path, cache=cache, progress=_progress_span(progress, 0, 250),
                             cancel=cancel, on_warning=note)
    resets = _resets(shots)
    key = None if cache is None else cache.key(
        path, "reframe-signals", VERSION, {"width": ANALYSIS_WIDTH, "resets": sorted(resets)})
    fresh = signals is not None
    if signals is None and key is not None:
        arrays = cache.get_arrays(key)
        signals = Signals.from_arrays(arrays) if arrays is not None else None
    if signals is None:
        signals, fresh = extract_signals(
            path, width=width, height=height, frame_count=video.frame_count, fps=fps,
            resets=resets, progress=_progress_span(progress, 250, found), cancel=cancel,
            on_warning=note), True
    if fresh and key is not None:
        cache.put_arrays(key, signals.to_arrays())
    frame_count = max(signals.frame_count, shots.frame_count)
    signals.frame_count = frame_count
    ranges = [(s.start, s.end) for s in shots.shots] or [(0, frame_count - 1)]
    crop = crop_size(width, height, ratio, zoom)
    for click in subjects:  # again: the probe may not have known the frame count
        _check_subject(click, width, height, frame_count)
    groups = _clicks_by_shot(subjects, ranges)
    ranks = sorted({rank for _, rank, _ in groups})
    user_boxes: list[dict[int, tuple]] = [{} for _ in ranks]

    @functools.cache
    def segmenter():  # one model for every clicked shot, loaded when first needed
        from editor.analysis.matting import make_segmenter

        return make_segmenter(subject_backend, checkpoint=checkpoint, gpu_only=True,
                              on_warning=note)

    for n, (shot, rank, clicks) in enumerate(groups):
        lo = found + (970 - found) * n // len(groups)
        hi = found + (970 - found) * (n + 1) // len(groups)
        user_boxes[ranks.index(rank)].update(track_subject(
            path, clicks=clicks, shot=shot, backend=subject_backend, checkpoint=checkpoint,
            segmenter=segmenter, cache=cache, progress=_progress_span(progress, lo, hi),
            cancel=cancel, on_warning=note))
    progress(970, 1000, "planning the camera")
    xs, ys, padded, plans = plan(signals, ranges, crop, fps=fps, smoothness=smoothness,
                                 keyframes=keyframes, user_boxes=user_boxes, mode=mode)
    for shot_plan in plans:  # kept with the plan (and the project): the clicks of each shot
        shot_plan.subjects = [click_entry(round(x, 1), round(y, 1), f, rank)
                              for (first, last), rank, clicks in groups
                              if first <= shot_plan.end and shot_plan.start <= last
                              for x, y, f in clicks]
    progress(1000, 1000, "planned")
    warnings = tuple(dict.fromkeys((*shots.warnings, *notes)))
    if padded.any():
        warnings += (f"{sum(p.padded for p in plans)} shot(s) use a padded layout: their "
                     "subject is wider than the crop.",)
    return ReframeResult(path=str(path), aspect=_aspect_text(ratio), source=(width, height),
                         crop=crop, output=output_size(ratio, output_long_side), fps=fps,
                         xs=xs, ys=ys, padded=padded, shots=plans, warnings=warnings)


def _resets(shots) -> set[int]:
    """The frames where the camera starts afresh: each shot's and transition's first
    frame, and the frame after a transition."""
    return set(shots.cut_frames) | {t.start for t in shots.transitions} | \
        {t.end + 1 for t in shots.transitions}


def click_entry(x: float, y: float, frame: int, rank: int = 1) -> list:
    """A subject click as it is saved: ``[x, y, frame]``, with its rank after the main
    subject's (``[x, y, frame, rank]``)."""
    return [x, y, frame] + ([rank] if rank > 1 else [])


def subject_click(click: Sequence) -> tuple[float, float, int, int]:
    """``(x, y, frame)`` or ``(x, y, frame, rank)`` (as given, or as saved by
    :func:`click_entry`) as ``(x, y, frame, rank)``."""
    try:
        x, y, frame, rank = (*click, 1) if len(click) == 3 else click
        out = float(x), float(y), int(frame), int(rank)
    except (TypeError, ValueError):
        out = None
    if out is None or out[3] < 1:
        raise CutwiseError(f"a subject click is (x, y, frame) or (x, y, frame, rank from 1), "
                           f"not {click!r}.")
    return out


def _clicks_by_shot(clicks: Sequence[tuple[float, float, int, int]], ranges: list[tuple[int, int]]
                    ) -> list[tuple[tuple[int, int], int, list[tuple[float, float, int]]]]:
    """The clicks grouped by the shot around each (a click in a transition goes with the
    nearer shot, which then starts or ends at the click) and by subject rank, as ``(shot,
    rank, [(x, y, frame), ...])`` in shot and rank order."""
    groups: dict[tuple[tuple[int, int], int], list[tuple[float, float, int]]] = {}
    for x, y, frame, rank in clicks:
        shot = min(ranges, key=lambda r: max(r[0] - frame, frame - r[1], 0))
        groups.setdefault((shot, rank), []).append((x, y, frame))
    return [((min(first, *(c[2] for c in group)), max(last, *(c[2] for c in group))), rank, group)
            for ((first, last), rank), group in sorted(groups.items())]


def _check_subject(subject: tuple[float, float, int, int], width: int, height: int,
                   frame_count: int) -> None:
    """A clear error for a subject point off the picture or its frames (``frame_count``
    0: not known yet, any frame from 0 passes)."""
    x, y, frame, _ = subject
    if not (0 <= x < width and 0 <= y < height and 0 <= frame < (frame_count or frame + 1)):
        raise CutwiseError(f"the subject point {x:g},{y:g}@{frame} is outside the "
                           f"{width}x{height} picture or its {frame_count} frames.")


def _aspect_text(ratio: Fraction) -> str:
    return f"{ratio.numerator}:{ratio.denominator}"


def to_suggestions(result: ReframeResult, asset_id: str) -> list[Suggestion]:
    """One ``crop`` suggestion per shot for the timeline's reframe lane (keyframe diamonds)."""
    out = []
    for shot in result.shots:
        label = f"{shot.mode} {result.aspect}" + (" (padded)" if shot.padded else "") + \
            FOLLOWS_LABEL.get(shot.follows, "")
        out.append(Suggestion(
            lane=LANE_REFRAME, asset_id=asset_id, start=shot.start, end=shot.end, kind="crop",
            confidence=0.5 if shot.padded else 1.0, label=label,
            data={"aspect": result.aspect, "crop": list(result.crop),
                  "source": list(result.source), "output": list(result.output),
                  "keyframes": shot.keyframes, "user_keyframes": shot.user_keyframes,
                  "subjects": shot.subjects,
                  "mode": shot.mode, "padded": shot.padded, "follows": shot.follows,
                  "notes": list(result.warnings)}))
    return out


def path_from_suggestions(suggestions: list[Suggestion], frame_count: int
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]] | None:
    """Per-frame (xs, ys, padded) and the crop size back from a reframe lane, or None."""
    crops = [s for s in suggestions if s.kind == "crop" and s.data.get("keyframes")]
    if not crops or frame_count <= 0:
        return None
    xs, ys = np.full(frame_count, np.nan), np.full(frame_count, np.nan)
    padded = np.zeros(frame_count, bool)
    crop = tuple(int(v) for v in crops[0].data.get("crop", (0, 0)))
    for s in sorted(crops, key=lambda s: s.start):
        end = min(s.end, frame_count - 1)
        frames = np.arange(s.start, end + 1)
        if not len(frames):
            continue
        xs[frames], ys[frames] = _interpolate(s.data["keyframes"], frames)
        padded[frames] = bool(s.data.get("padded"))
    known = np.flatnonzero(~np.isnan(xs))
    if not len(known):
        return None
    every = np.arange(frame_count)
    xs = np.round(np.interp(every, known, xs[known])).astype(int)
    ys = np.round(np.interp(every, known, ys[known])).astype(int)
    return xs, ys, padded, crop
