"""The shot engine fed by another engine's decoding pass, for a pass that decodes every
frame for its own use and needs each shot's first frame before it works on that frame
(the reframe engine's camera starts afresh there).

:meth:`ShotStream.follow` takes the frames of ``iter_frames(..., every_frame=True,
thumb_width=DETAIL_WIDTH, references=True)`` and computes the rows
:func:`~.extract.extract_features` computes: on the frames its own decode gives (those
other frames refer to), with a span of skipped frames where a cut is plausible refined
from the thumbnails seen here instead of being decoded again. The features are the same,
so the boundaries are those of ``detect_shots`` and the features are cached as its own.

Boundaries are found on windows of rows as the rows come; those more than
:data:`LOOKAHEAD` rows behind the newest are final, and a frame is handed on once every
boundary before it is. The detector's reach is local but not bounded (a long fade's
ramp), so a caller compares :attr:`ShotStream.resets` with the whole file's detection at
the end. The frames held meanwhile: those of about ``LOOKAHEAD + STEP + MAX_SPAN`` rows
(~175 frames of a file with B-frames, ~45 MB of the reframe engine's 320-px frames).
"""

from __future__ import annotations

import math
from collections import deque
from fractions import Fraction
from typing import Iterable, Iterator

import numpy as np

from editor.media.decode import Frame

from editor.analysis.shots.extract import (Features, Growable, cut_in_span, refine_row,
                                           set_cut)
from editor.analysis.shots.features import COLUMN, COLUMNS, FeatureExtractor, _Thumb
from editor.analysis.shots.scoring import cut_candidates, detect

LOOKAHEAD = 64  # rows: boundaries further back than this are final (at 50, one of the
# corpora's 27 files had a dissolve placed a frame apart from the whole file's detection)
CONTEXT = 64  # rows before the first undecided one that a window also holds
STEP = 16  # rows added between two windows


class ShotStream:
    """Shot features and boundaries of one file, from its frames as they are decoded."""

    def __init__(self, sensitivity: float = 0.5):
        self.sensitivity = sensitivity
        # the first frame of each shot and transition, and the frame after a transition
        # (as the reframe engine starts its camera afresh), of the boundaries final so far
        self.resets: set[int] = set()
        self.final_frame: float = 0  # frames before this one have their resets final
        self.features: Features | None = None  # once every frame was seen
        self.warnings: list[str] = []  # the decoding pass's (the caller adds them)
        self._extractor = FeatureExtractor()
        self._index, self._num, self._den = (Growable(None, np.int64) for _ in range(3))
        self._raw = Growable(len(COLUMNS), np.float32)  # rows as computed
        self._cuts: dict[int, tuple[int, Fraction, np.ndarray]] = {}  # row: a refined cut
        self._span: deque[tuple[int, Fraction, np.ndarray]] = deque()  # frames since a row
        self._checked = 0  # rows whose cut (if any) is refined
        self._accepted = 0  # rows before which the boundaries are final

    def follow(self, frames: Iterable[Frame]) -> Iterator[Frame]:
        """Each of ``frames`` (with ``thumb`` and ``referenced``), once every boundary
        before it is final; :attr:`features` is set after the last."""
        held: deque[Frame] = deque()
        for frame in frames:
            self._push(frame)
            held.append(frame)
            while held and held[0].index < self.final_frame:
                yield held.popleft()
        for row in self._extractor.finish():
            self._raw.append(row)
        self._advance(final=True)
        self.features = self._assemble()
        yield from held

    def _push(self, frame: Frame) -> None:
        self._span.append((frame.index, frame.pts, frame.thumb))
        if frame.referenced is False:  # a decode skipping unreferenced frames skips it
            return
        self._index.append(frame.index)
        self._num.append(frame.pts.numerator)
        self._den.append(frame.pts.denominator)
        for row in self._extractor.push(frame.thumb, frame.index):
            self._raw.append(row)
        self._advance(final=False)

    def _pts(self, row: int) -> Fraction:
        return Fraction(int(self._num[row]), int(self._den[row]))

    def _advance(self, final: bool) -> None:
        n = self._raw.n
        while self._checked < (n if final else n - 1):  # a row's cut needs the row after
            self._refine(self._checked, n)
            self._checked += 1
        n = self._checked
        if final or n - self._accepted >= LOOKAHEAD + STEP:
            self._find(n if final else n - LOOKAHEAD, n)
            self.final_frame = math.inf if final else int(self._index[self._accepted - 1]) + 1

    def _refine(self, r: int, n: int) -> None:
        """Place a plausible cut between rows ``r - 1`` and ``r`` on its exact frame, as
        :func:`~.extract.extract_features` does by decoding the span again."""
        if r > 0 and self._raw[r, COLUMN["gap"]] > 1:
            lo = max(0, r - 2)  # a row's candidacy depends on its neighbours alone
            if r - lo in cut_candidates(self._raw[lo:min(n, r + 2)]):
                start, end = self._pts(r - 1), self._pts(r)
                first = int(self._index[r - 1])
                thumbs = [(first + k, _Thumb(image, first + k), pts) for k, (_, pts, image)
                          in enumerate(f for f in self._span if start <= f[1] <= end)]
                found = cut_in_span(int(self._index[r]), end, thumbs)
                if found is not None:
                    self._cuts[r] = found
        # the next span starts at row r
        while self._span and self._span[0][0] < self._index[r]:
            self._span.popleft()

    def _find(self, end: int, n: int) -> None:
        """Add the boundaries starting in rows ``[accepted, end)``, found on a window
        of the refined rows up to ``n``."""
        lo = max(0, self._accepted - CONTEXT)
        values = self._raw[lo:n].copy()
        for r, (_, _, pair) in self._cuts.items():
            if r >= lo:
                refine_row(values[r - lo], pair)
        for b in detect(values, self.sensitivity):
            start, last = b.start + lo, b.end + lo
            if not self._accepted <= start < end:
                continue
            if b.kind == "cut":
                self.resets.add(self._cuts[start][0] if start in self._cuts
                                else int(self._index[start]))
            else:
                self.resets.update((int(self._index[start]), int(self._index[last]) + 1))
        self._accepted = end

    def _assemble(self) -> Features:
        features = Features(self._index.array(), self._num.array(), self._den.array(),
                            self._raw.array(), tuple(self.warnings))
        for r, found in self._cuts.items():
            set_cut(features, r, found)
        return features
