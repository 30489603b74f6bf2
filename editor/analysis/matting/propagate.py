"""Propagation through a shot, forward and backward from the prompted frames.

Each frame of the shot belongs to its nearest prompted frame (a *keyframe*): the mask is
carried forward from a keyframe up to the midpoint to the next one, and backward down to
the midpoint to the previous one (the keyframe first, then backward, then forward: the
masks come in frame order but for the run before each keyframe, so an export can follow
the propagation). From frame to frame the last mask is moved by the
subject's own motion (its pixels matched in the new frame, :class:`FlowWarp`) and handed
to the backend as the prior (SAM also gets the low-res logits). A frame whose mask jumps
(area or IoU against the moved prior) or vanishes is first searched again: the subject as
last seen well is matched over the whole frame (or, failing that, its colours are
looked for), and if it matches about as well as tracking did and what tracking makes of
it there has about its height, tracking resumes from there (after an occlusion, a whip
pan). Otherwise the frame is flagged and the moved prior is kept instead, so one bad
frame does not poison the rest.

A correction (a new prompt on any frame) re-propagates only that keyframe's frames and
stops early, in each direction, once the new masks agree with the stored ones again.

Memory is bounded whatever the shot length: masks go to disk as they are made (PNG per
frame in the session folder); only a handful of frames (SAM: one encoder batch of
embeddings) are held at a time. Backward passes decode the shot in chunks.
"""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from editor.analysis.matting.background import BackgroundModel
from editor.analysis.matting.colours import SubjectColours
from editor.analysis.matting.types import Prompt, Segment, Segmenter, bbox, iou
from editor.core.errors import CutwiseError
from editor.core.files import atomic_write_bytes, describe_os_error
from editor.core.pipeline import WriteBehind, prefetch
from editor.core.progress import CancelToken, ProgressCallback, no_progress

STATE_VERSION = 1
CHUNK = 24  # frames decoded at once when walking backward
FLAG_LOST, FLAG_JUMP, FLAG_DRIFT = "lost", "jump", "drift"
NEIGHBOUR_REACH, NEIGHBOUR_COUNT = 24, 8  # frames a prompted frame's motion cue picks among
CUE_GAP = 4  # ... the nearest at least this far from it
REDETECT = 5.0  # a re-found subject may match this many times worse than tracking did


def _judge(seg: Segment, moved: Segment, good_area: int, key_area: int,
           min_area: int) -> str | None:
    """The flag for a tracked mask ``seg`` given the moved prior, or None when it looks right."""
    if seg.area < min_area:
        return FLAG_LOST if moved.area < min_area else FLAG_JUMP
    if good_area and (not 0.5 <= seg.area / max(1, good_area) <= 2.0
                      or iou(seg.mask, moved.mask) < 0.5):
        return FLAG_JUMP
    if key_area and not 0.5 <= seg.area / key_area <= 1.6:
        return FLAG_DRIFT  # slow creep away from the prompted frame's size
    return None


# --- frames ------------------------------------------------------------------------------

class FrameSource:
    """Decoded frames of one file at the analysis size, forward or backward, by index
    (decoded a few frames ahead, in a thread of their own)."""

    def __init__(self, path: str | os.PathLike, size: tuple[int, int],
                 cancel: CancelToken | None = None):
        from editor.media.decode import frame_times

        self.path, self.size, self.cancel = Path(path), size, cancel
        self.times = frame_times(self.path, cancel=cancel)

    def forward(self, first: int, last: int) -> Iterator[tuple[int, np.ndarray]]:
        from editor.media.decode import iter_frames

        if first > last or first >= len(self.times):
            return
        start = self.times[first] if first > 0 else None
        frames = prefetch(iter_frames(self.path, width=self.size[0], height=self.size[1],
                                      start_s=start, cancel=self.cancel))
        with closing(frames):
            for frame in frames:
                if frame.index < first:
                    continue
                if frame.index > last:
                    break
                yield frame.index, frame.image

    def backward(self, first: int, last: int) -> Iterator[tuple[int, np.ndarray]]:
        end = last
        while end >= first:
            begin = max(first, end - CHUNK + 1)
            chunk = list(self.forward(begin, end))
            yield from reversed(chunk)
            end = begin - 1

    def frame(self, index: int) -> np.ndarray | None:
        return next((img for i, img in self.forward(index, index)), None)

    def neighbours(self, index: int, first: int, last: int, reach: int = NEIGHBOUR_REACH,
                   count: int = NEIGHBOUR_COUNT) -> list[tuple[int, np.ndarray]]:
        """``[(offset, frame)]`` of the frames of ``first..last`` that a motion cue at
        ``index`` compares with (``[]`` when there is none): of up to ``count`` frames
        within ``reach`` of it (two or more away, spread evenly), the nearest at least
        :data:`CUE_GAP` away, after rather than before; then a second one, on the other
        side where there is one, else farther on the same side. Only those are decoded."""
        offsets = [i - index for i in range(max(first, index - reach), min(last, index + reach) + 1)
                   if abs(i - index) >= 2]
        if len(offsets) > count:
            pick = np.linspace(0, len(offsets) - 1, count).round().astype(int)
            offsets = [offsets[i] for i in dict.fromkeys(pick.tolist())]
        if not offsets:
            return []
        offset = min(offsets, key=lambda o: (abs(o) < CUE_GAP, abs(o), o < 0))
        others = [o for o in offsets if o * offset < 0] or \
            [o for o in offsets if o * offset > 0 and abs(o) >= 2 * abs(offset)]
        picked = [offset]
        if others:
            picked.append(min(others, key=lambda o: (abs(o) < CUE_GAP, abs(o))))
        out = []
        for o in picked:
            image = self.frame(index + o)
            if image is not None:
                out.append((o, image))
        return out


class FlowWarp:
    """Moves a mask from the previous frame to the current one by the subject's own motion.

    The subject's pixels (colour, masked) are matched in the current frame within a window
    around them. Dense optical flow follows the dominant background and leaves a thin
    subject behind, and adding it on top of the match made things worse (it bleeds the
    background's motion into the subject); limbs and turns are left to the backend, which
    re-segments around the moved mask.
    """

    def __init__(self, width: int = 320):
        self.width = width
        self.last_error = float("inf")  # the last call's matching error (see subject_shift)
        self._recent: list[tuple[np.ndarray, np.ndarray]] = []  # (image, its small copy)

    def _small(self, image: np.ndarray) -> np.ndarray:
        """``image`` at :attr:`width`; the last two are kept, since each frame is matched
        as the current one and then as the previous one."""
        for seen, small in self._recent:
            if seen is image:
                return small
        h, w = image.shape[:2]
        s = min(1.0, self.width / w)
        small = cv2.resize(image, (max(8, round(w * s)), max(8, round(h * s))),
                           interpolation=cv2.INTER_AREA)
        self._recent = [(image, small)] + self._recent[:1]
        return small

    @staticmethod
    def subject_shift(prev: np.ndarray, cur: np.ndarray, mask: np.ndarray,
                      reach: int | None = None) -> tuple[int, int, float]:
        """(dx, dy, error): the shift that best moves ``prev``'s pixels under ``mask`` onto
        ``cur``, searched ``reach`` px each way (default: half the subject's size), and the
        mean squared colour difference per pixel there. A shift may take part of the
        subject past the frame's edge (it walks out of the picture): only the pixels
        that stay inside are compared, at least half of them."""
        box = bbox(mask)
        if box is None:
            return 0, 0, float("inf")
        h, w = mask.shape
        x0, y0, x1, y1 = box
        count = int(mask[y0:y1, x0:x1].sum())
        if x1 - x0 < 3 or y1 - y0 < 3 or count < 9:
            return 0, 0, float("inf")
        reach = reach if reach is not None else max(6, int(0.5 * max(x1 - x0, y1 - y0)))
        # the search region, padded past the frame's edges (by at most the subject's
        # size: further out, less than half of it would be inside) with zeros marked
        # not inside
        bw, bh = x1 - x0, y1 - y0
        sx0, sy0 = max(x0 - reach, -bw), max(y0 - reach, -bh)
        sx1, sy1 = min(x1 + reach, w + bw), min(y1 + reach, h + bh)
        region = np.zeros((sy1 - sy0, sx1 - sx0, 3), np.float32)
        inside = np.zeros(region.shape[:2], np.float32)
        ry0, rx0, ry1, rx1 = max(0, sy0), max(0, sx0), min(h, sy1), min(w, sx1)
        region[ry0 - sy0:ry1 - sy0, rx0 - sx0:rx1 - sx0] = cur[ry0:ry1, rx0:rx1]
        inside[ry0 - sy0:ry1 - sy0, rx0 - sx0:rx1 - sx0] = 1.0
        template = prev[y0:y1, x0:x1].astype(np.float32)
        weight = mask[y0:y1, x0:x1].astype(np.float32)
        weighted = template * weight[:, :, None]

        def correlate(image, kernel):
            return cv2.matchTemplate(image, kernel, cv2.TM_CCORR)

        # sum over the template's pixels inside the frame of (cur - prev)^2, expanded
        # (the channels' squares summed before correlating)
        compared = correlate(inside, weight)
        squared = (correlate((region * region).sum(axis=2), weight)
                   - 2.0 * correlate(region, weighted)
                   + correlate(inside, (weighted * template).sum(axis=2)))
        scores = np.where(compared >= 0.5 * count, np.maximum(squared, 0.0)
                          / np.maximum(compared, 1.0), np.inf)
        by, bx = np.unravel_index(int(np.argmin(scores)), scores.shape)
        return sx0 + int(bx) - x0, sy0 + int(by) - y0, float(scores[by, bx]) / 3

    def locate(self, ref_image: np.ndarray, ref_mask: np.ndarray, image: np.ndarray,
               whole: bool = False) -> tuple[np.ndarray, float]:
        """(moved mask, error): ``ref_mask`` moved to where ``ref_image``'s subject matches
        ``image`` best, near its place or (``whole``) anywhere in the frame."""
        h, w = ref_mask.shape
        cur, ref = self._small(image), self._small(ref_image)
        sh, sw = cur.shape[:2]
        small_mask = cv2.resize(ref_mask.astype(np.uint8), (sw, sh), interpolation=cv2.INTER_NEAREST)
        dx, dy, error = self.subject_shift(ref, cur, small_mask > 0, max(sw, sh) if whole else None)
        shift = np.float32([[1, 0, dx * w / sw], [0, 1, dy * h / sh]])
        moved = cv2.warpAffine(ref_mask.astype(np.uint8), shift, (w, h), flags=cv2.INTER_NEAREST,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0) > 0
        return moved, error

    def __call__(self, prev_image: np.ndarray, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        moved, self.last_error = self.locate(prev_image, mask, image)
        return moved


def _shaped_like(mask: np.ndarray, seen: np.ndarray) -> bool:
    """Whether ``mask``'s box has about the height (within 1.5×) of the subject as last
    ``seen`` well, and a width within 3× (arms and legs spread or not): what is re-found
    after a loss (a blurred patch of a whip pan, a similar colour) must look like it."""
    a, b = bbox(mask), bbox(seen)
    if a is None or b is None:
        return False
    height = (a[3] - a[1]) / max(1, b[3] - b[1])
    width = (a[2] - a[0]) / max(1, b[2] - b[0])
    return 1 / 1.5 <= height <= 1.5 and 1 / 3 <= width <= 3.0


def _find_again(warp: FlowWarp, seen: list[tuple[np.ndarray, Segment]],
                image: np.ndarray) -> tuple[np.ndarray, float, Segment]:
    """(mask, error, reference): the subject anywhere in ``image``, matched from whichever
    of the ``seen`` (image, segment) pairs matches best."""
    return min(((*warp.locate(ref_image, ref.mask, image, whole=True), ref)
                for ref_image, ref in seen), key=lambda match: match[1])


def _level(image: np.ndarray) -> float:
    """The frame's exposure: its median brightness (mostly the background's)."""
    return float(np.median(image[::4, ::4])) + 1.0


def _exposed_like(image: np.ndarray, level: float) -> np.ndarray:
    """``image`` scaled to the exposure ``level`` (an exposure change mid-shot would
    otherwise break colour models and matching), unchanged when within 10 %."""
    gain = level / _level(image)
    if abs(np.log(gain)) < np.log(1.1):
        return image
    return np.clip(image.astype(np.float32) * gain, 0, 255).astype(np.uint8)


def _with_evidence(frames, wanted: bool) -> Iterator[tuple[int, np.ndarray, np.ndarray | None]]:
    """``(index, image, evidence)`` for ``frames``: how surely each pixel moves on its own,
    from a background model that looks :attr:`BackgroundModel.reach` frames ahead (None
    when not ``wanted``, or where the model knows too few frames)."""
    if not wanted:
        for index, image in frames:
            yield index, image, None
        return
    model, pending = BackgroundModel(), deque()

    def ready():
        position, index, image = pending.popleft()
        return index, image, model.foreground(position, (image.shape[1], image.shape[0]))

    for index, image in frames:
        pending.append((model.push(image), index, image))
        if len(pending) > model.reach:
            yield ready()
    while pending:
        yield ready()


# --- the session -------------------------------------------------------------------------

@dataclass
class FrameInfo:
    area: int
    keyframe: int
    flag: str | None = None
    score: float = 1.0


@dataclass
class MatteSession:
    """One subject in one shot of one file: prompts, per-frame masks on disk, flags.

    ``folder`` holds ``state.json``, ``masks/NNNNNN.png`` (analysis size) and, after
    :func:`~editor.analysis.matting.render.render`, ``alpha/NNNNNN.png`` (full size).
    """

    folder: Path
    path: Path
    shot: tuple[int, int]
    size: tuple[int, int]  # analysis (width, height)
    display: tuple[int, int]  # the media's (width, height); prompts are in these pixels
    backend: str = ""
    prompts: dict[int, Prompt] = field(default_factory=dict)
    frames: dict[int, FrameInfo] = field(default_factory=dict)
    lower_quality: bool = False

    # --- persistence -----------------------------------------------------------------------
    @property
    def mask_dir(self) -> Path:
        return self.folder / "masks"

    @property
    def alpha_dir(self) -> Path:
        return self.folder / "alpha"

    def mask_path(self, frame: int) -> Path:
        return self.mask_dir / f"{frame:06d}.png"

    def save(self) -> None:
        data = {"version": STATE_VERSION, "path": str(self.path), "shot": list(self.shot),
                "size": list(self.size), "display": list(self.display), "backend": self.backend,
                "lower_quality": self.lower_quality,
                "prompts": [p.to_dict() for p in sorted(self.prompts.values(), key=lambda p: p.frame)],
                "frames": {str(f): [i.area, i.keyframe, i.flag, round(i.score, 4)]
                           for f, i in sorted(self.frames.items())}}
        atomic_write_bytes(self.folder / "state.json", json.dumps(data).encode())

    @classmethod
    def load(cls, folder: str | os.PathLike) -> MatteSession:
        folder = Path(folder)
        try:
            data = json.loads((folder / "state.json").read_text())
            if data.get("version") != STATE_VERSION:
                raise ValueError("version")
        except (OSError, ValueError, KeyError) as exc:
            raise CutwiseError(f"{folder} is not a Cutwise matte folder ({exc}).") from None
        session = cls(folder, Path(data["path"]), tuple(data["shot"]), tuple(data["size"]),
                      tuple(data["display"]), data["backend"],
                      lower_quality=bool(data.get("lower_quality")))
        session.prompts = {p["frame"]: Prompt.from_dict(p) for p in data["prompts"]}
        session.frames = {int(f): FrameInfo(v[0], v[1], v[2], v[3]) for f, v in data["frames"].items()}
        return session

    def read_mask(self, frame: int) -> np.ndarray | None:
        img = cv2.imread(str(self.mask_path(frame)), cv2.IMREAD_GRAYSCALE)
        return None if img is None else img > 127

    def _write_mask(self, frame: int, mask: np.ndarray, on_written=None) -> None:
        _, data = cv2.imencode(".png", mask.astype(np.uint8) * 255)
        try:
            atomic_write_bytes(self.mask_path(frame), data.tobytes())
        except OSError as exc:
            raise describe_os_error(exc, "write the masks in", self.mask_dir) from exc
        if on_written is not None:
            on_written(frame)

    def _walk(self, *args) -> Iterator[int]:
        """:meth:`_track_frames`, with the masks written in threads while it goes on; all
        are on disk when the walk ends."""
        output = WriteBehind()
        try:
            yield from self._track_frames(output, *args)
        except BaseException:
            output.abort()
            raise
        output.close()

    @property
    def flagged(self) -> list[tuple[int, str]]:
        return [(f, i.flag) for f, i in sorted(self.frames.items()) if i.flag]

    # --- propagation -----------------------------------------------------------------------
    def regions(self) -> dict[int, tuple[int, int]]:
        """For each keyframe, the frames (first, last) that take their mask from it."""
        keys = sorted(self.prompts)
        s, e = self.shot
        out = {}
        for i, k in enumerate(keys):
            lo = s if i == 0 else (keys[i - 1] + k) // 2 + 1
            hi = e if i == len(keys) - 1 else (k + keys[i + 1]) // 2
            out[k] = (lo, hi)
        return out

    def add_prompt(self, prompt: Prompt) -> None:
        s, e = self.shot
        if not s <= prompt.frame <= e:
            raise CutwiseError(f"Frame {prompt.frame} is outside the shot ({s}-{e}).")
        self.prompts[prompt.frame] = prompt

    def propagate(self, segmenter: Segmenter, source: FrameSource, *,
                  keyframes: list[int] | None = None, converge: bool = False,
                  progress: ProgressCallback = no_progress, cancel: CancelToken | None = None,
                  on_warning=None, on_mask: Callable[[int], None] | None = None) -> None:
        """Compute the masks of ``keyframes``' regions (all by default).

        Each region goes keyframe first, then backward to its first frame, then forward
        to its last: the shot's frames are done in order but for the runs before each
        keyframe, so an export can follow (``on_mask(frame)``: that frame's mask is on
        disk; called from a writer thread). With ``converge``, each direction stops once
        three frames in a row agree with the masks already stored (IoU ≥ 0.97, none
        flagged): the rest of the shot is kept.
        """
        if not self.prompts:
            raise CutwiseError("No prompt: click the subject at least once.")
        self.mask_dir.mkdir(parents=True, exist_ok=True)
        regions = self.regions()
        keys = sorted(regions) if keyframes is None else sorted(keyframes)
        total = sum(regions[k][1] - regions[k][0] + 1 for k in keys)
        done = 0
        sx, sy = self.size[0] / self.display[0], self.size[1] / self.display[1]
        for k in keys:
            lo, hi = regions[k]
            prompt = self.prompts[k].scaled(sx, sy)
            neighbours = source.neighbours(k, *self.shot) if segmenter.uses_motion else []
            walks = (("keyframe", source.forward(k, k), prompt),
                     ("backward", source.backward(lo, k - 1), None),
                     ("forward", source.forward(k, hi) if hi > k else iter(()), None))
            for direction, frames, walk_prompt in walks:
                steps = self._walk(segmenter, frames, k, walk_prompt, neighbours, converge,
                                   cancel, on_warning, on_mask)
                for _ in steps:
                    done += 1
                    if done % 2 == 0 or done == total:
                        progress(done, total, f"{direction} from frame {k}")
            self.save()
        progress(total, total, "propagated")

    def _track_frames(self, output: WriteBehind, segmenter: Segmenter, frames, key: int,
                      prompt: Prompt | None, neighbours, converge: bool, cancel,
                      on_warning, on_mask) -> Iterator[int]:
        """Segment ``frames`` in order: the keyframe from its ``prompt``, or (``prompt``
        None) the frames before or after it, starting from its stored mask."""
        warp = FlowWarp()
        prev_img, prev_seg, good_area, key_area, agree, bad_run = None, None, 0, 0, 0, 0
        good = None  # (image, segment) of the last frame tracked without a flag
        key_seen = None  # (image, segment) of the keyframe
        errors: deque = deque(maxlen=12)  # the subject's matching error on those frames
        if prompt is None:  # start from the keyframe's own mask
            prev_img = self._key_image
            mask = self.read_mask(key)
            prev_seg = Segment(mask if mask is not None else np.zeros(self.size[::-1], bool),
                               logits=self._key_logits)
            good_area = key_area = prev_seg.area
            if prev_img is not None and prev_seg.area:
                good = key_seen = (prev_img, prev_seg)
        h, w = self.size[1], self.size[0]
        min_area = max(16, int(0.0004 * h * w))
        batch: deque = deque()
        if prompt is not None:
            self._key_level = None
        iterator = _with_evidence(frames, segmenter.uses_motion)
        size, exhausted = max(1, segmenter.batch_size), False
        while True:
            # one batch ahead: its features are asked for (SAM: encoded on the GPU) while
            # the frames before it are tracked
            while not exhausted and len(batch) <= size:
                chunk = []
                for _ in range(size):
                    item = next(iterator, None)
                    if item is None:
                        exhausted = True
                        break
                    if prompt is None and item[0] == key:
                        continue  # done already: it only starts this walk's motion model
                    if self._key_level is None:  # the keyframe itself
                        self._key_level = _level(item[1])
                    chunk.append((item[0], _exposed_like(item[1], self._key_level), item[2]))
                if chunk:
                    batch.extend(zip(chunk, segmenter.prepare([img for _, img, _ in chunk])))
            if not batch:
                return
            (index, image, evidence), feature = batch.popleft()
            if cancel is not None:
                cancel.raise_if_cancelled()
            flag = None
            if prompt is not None and index == key:
                seg = segmenter.from_prompt(feature, image, prompt, neighbours)
                self._key_image, self._key_logits = image, seg.logits
                self._colours = SubjectColours(image, seg.mask) if seg.area >= min_area else None
                if seg.area < min_area:
                    flag = FLAG_LOST
                else:
                    key_seen = (image, seg)
                good_area = key_area = seg.area
            else:
                moved = Segment(warp(prev_img, image, prev_seg.mask), prev_seg.score,
                                prev_seg.logits)
                if bad_run and good is not None and errors:
                    # the last frame was flagged: only the subject as last seen well (below)
                    # may restart tracking, not whatever the moved prior now covers
                    seg, flag = moved, FLAG_JUMP
                else:
                    seg = segmenter.track(feature, image, moved, evidence) if moved.area else moved
                    flag = _judge(seg, moved, good_area, key_area, min_area)
                    if flag is None and errors and \
                            warp.last_error > REDETECT * float(np.median(errors)) + 1.0:
                        flag = FLAG_JUMP  # its pixels no longer match: occluded, gone, changed
                if flag is None:
                    errors.append(warp.last_error)
                elif good is not None and errors:
                    # lost or jumped (occlusion, whip pan): look for the subject anywhere in
                    # the frame, as last seen well or as on the keyframe, whichever matches
                    # better (the last good frame may show it half hidden or half lost), and
                    # track from there if it matches as well as frame-to-frame tracking
                    # did; or by its colours (and motion)
                    seen = [good] if key_seen is None or key_seen is good else [good, key_seen]
                    found, error, ref = _find_again(warp, seen, image)
                    if error > REDETECT * float(np.median(errors)) + 1.0:
                        found = self._colours.find(image, evidence) if self._colours else None
                    if found is not None:
                        prior = Segment(found, ref.score)
                        again = segmenter.track(feature, image, prior, evidence)
                        if _judge(again, prior, good_area, key_area, min_area) is None and \
                                _shaped_like(again.mask, ref.mask):
                            seg, flag = again, None
                if flag in (FLAG_JUMP, FLAG_DRIFT) and bad_run < 12:
                    seg = moved  # trust the moved mask over a sudden jump, for a while
                    bad_run += 1
                else:
                    bad_run = 0
                    if seg.area >= min_area:
                        good_area = seg.area
            if flag is None and seg.area >= min_area:
                good = (image, seg)
            if converge and index != key:
                old, info = self.read_mask(index), self.frames.get(index)
                same = old is not None and info is not None and not info.flag and \
                    iou(old, seg.mask) >= 0.97
                agree = agree + 1 if same else 0
            output.submit(self._write_mask, index, seg.mask, on_mask)
            self.frames[index] = FrameInfo(seg.area, key, flag, float(seg.score))
            prev_img, prev_seg = image, seg
            yield index
            if converge and agree >= 3:
                return

    _key_image = None
    _key_logits = None
    _key_level = None
    _colours = None  # the prompted subject's colours, to find it again after it was lost
