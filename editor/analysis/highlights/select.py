"""Choosing the segments: array work on the signal curves, no decoding (milliseconds).

* ``energetic``/``calm``: best-first. The best window of the minimum length (by the
  mood's score, minus a spread penalty near earlier picks) grows while its neighbours
  score above the level of the best ``duration`` of the source, up to the maximum length;
  its ends snap to a shot boundary, else an audio quiet point, within ``SNAP_S``. Picks
  keep ``GAP_S`` apart; each pick lowers the score around it (a decay of ``SPREAD_S`` or a
  fraction of the source), so the edit spreads over the source unless one part is clearly
  better.
* ``story``: the source is cut into equal chapters, one segment each, of equal share of
  the duration; in each chapter the best window that starts (and if possible ends) at a
  shot boundary or a pause.

Finally the lengths are fitted so the edit lasts exactly ``round(duration * fps)``
frames: ends move to further boundaries/pauses where that fits, or two at once (one
segment longer, another shorter) where their moves add up to what is left, and only
then does one free end take the remaining frames (a cut inside a word, a frame into a
shot). Segments are then put in source order (or by score).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from editor.core.errors import CutwiseError

from editor.analysis.highlights.moods import weights_for
from editor.analysis.highlights.signals import Signals

SNAP_S = 0.6  # how far an end may move to reach a boundary or pause
GAP_S = 0.5  # least source time skipped between two segments
SPREAD_S = 20.0  # decay of the spread penalty, seconds (or 1/8 of the source if shorter)
SPREAD = 0.06  # spread penalty at a pick (scores are 0..1)
SHOT, PAUSE, EDGE, FREE = "shot", "pause", "edge", "free"


@dataclass
class Segment:
    """Source frames ``start`` .. ``end - 1`` (``end`` exclusive) and why they were chosen."""

    start: int
    end: int
    start_s: float
    end_s: float
    score: float
    reasons: list[str]
    start_at: str = FREE  # what the in point sits on: shot, pause, edge or free
    end_at: str = FREE

    @property
    def frames(self) -> int:
        return self.end - self.start

    def to_dict(self) -> dict:
        return {"start_s": round(self.start_s, 4), "end_s": round(self.end_s, 4),
                "score": round(self.score, 4), "reasons": list(self.reasons),
                "start_frame": self.start, "end_frame": self.end - 1,
                "frames": self.frames, "start_at": self.start_at, "end_at": self.end_at}


@dataclass
class Highlights:
    """An edit: segments in play order, and how it was made."""

    path: str
    mood: str
    fps: float
    frame_rate: str
    target_s: float
    segments: list[Segment]
    weights: dict[str, float]
    signals: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def frames(self) -> int:
        return sum(s.frames for s in self.segments)

    @property
    def duration_s(self) -> float:
        return self.frames / self.fps

    def to_dict(self) -> dict:
        return {"duration_s": round(self.duration_s, 4), "target_s": self.target_s,
                "frames": self.frames, "mood": self.mood, "path": self.path,
                "fps": round(self.fps, 6), "frame_rate": self.frame_rate,
                "segments": [s.to_dict() for s in self.segments],
                "weights": self.weights, "signals": self.signals, "notes": self.notes}


def default_lengths(duration_s: float, mood: str) -> tuple[float, float]:
    """(minimum, maximum) segment length in seconds for an edit of ``duration_s``."""
    low = min(max(duration_s / 15.0, 1.0), 3.0)
    high = min(max(duration_s / 4.0, 3.0), 12.0)
    if mood == "story":
        low, high = low * 1.5, high * 1.25
    return low, max(high, low)


def score_curve(signals: Signals, weights: dict[str, float]) -> np.ndarray:
    """The mood's score (0..1) on the signal grid; unmeasured signals are left out."""
    n = len(signals.times)
    num, den = np.zeros(n), 0.0
    for name, w in weights.items():
        if w and name in signals.norm:
            num += w * (signals.norm[name] - 0.5)
            den += abs(w)
    return 0.5 + num / den if den else np.full(n, 0.5)


class _Picker:
    """Frame-level state shared by the two strategies and the final fitting."""

    def __init__(self, signals: Signals, score: np.ndarray, min_f: int, max_f: int):
        self.s = signals
        self.F = signals.frame_count
        self.fps = signals.fps
        t = signals.frame_times[:self.F]
        self.t = t if len(t) == self.F else np.arange(self.F) / self.fps
        self.score = np.interp(self.t, signals.times, score)
        self.min_f, self.max_f = min_f, max_f
        self.gap = max(1, round(GAP_S * self.fps))
        self.snap = max(1, round(SNAP_S * self.fps))
        bad = np.zeros(self.F + 1, bool)  # cut points inside gradual transitions
        for a, b in signals.transitions:
            bad[a + 1:b + 1] = True
        self.shot_points = np.array(sorted({0, self.F} | set(signals.boundaries.tolist())))
        quiet = np.searchsorted(self.t, signals.quiet) if len(signals.quiet) else []
        self.pause_points = np.array(sorted({int(q) for q in quiet if 0 < q < self.F
                                             and not bad[int(q)]}), int)

    def kind(self, pos: int) -> str:
        if pos in (0, self.F):
            return EDGE
        if _has(self.shot_points, pos):
            return SHOT
        if _has(self.pause_points, pos):
            return PAUSE
        return FREE

    def candidates(self, lo: int, hi: int) -> list[int]:
        """Boundaries, then pauses, in ``[lo, hi]``."""
        out = []
        for points in (self.shot_points, self.pause_points):
            i, j = np.searchsorted(points, [lo, hi + 1])
            out.extend(int(p) for p in points[i:j])
        return out

    def snap_to(self, pos: int, lo: int, hi: int) -> int:
        """The nearest shot boundary within reach, else the nearest pause, else ``pos``."""
        lo, hi = max(lo, pos - self.snap), min(hi, pos + self.snap)
        if lo > hi:
            return pos
        for points in (self.shot_points, self.pause_points):
            i, j = np.searchsorted(points, [lo, hi + 1])
            if j > i:
                near = points[i:j]
                return int(near[np.argmin(np.abs(near - pos))])
        return pos

    def mean(self, a: int, b: int) -> float:
        a, b = max(0, a), min(self.F, b)
        return float(self.score[a:b].mean()) if b > a else 0.0


def _has(points: np.ndarray, pos: int) -> bool:
    i = np.searchsorted(points, pos)
    return i < len(points) and points[i] == pos


def _windows(values: np.ndarray, ok: np.ndarray, length: int) -> np.ndarray:
    """Mean of every window of ``length`` (``-inf`` where a frame is not ``ok``)."""
    if length > len(values):
        return np.zeros(0)
    c = np.concatenate([[0.0], np.cumsum(np.where(ok, values, 0.0))])
    bad = np.concatenate([[0], np.cumsum(~ok)])
    means = (c[length:] - c[:-length]) / length
    means[(bad[length:] - bad[:-length]) > 0] = -np.inf
    return means


def _best_first(p: _Picker, target: int) -> list[list[int]]:
    free = np.ones(p.F, bool)
    penalty = np.zeros(p.F)
    threshold = float(np.quantile(p.score, max(0.0, 1.0 - target / p.F)))
    expected = max(1.0, target / ((p.min_f + p.max_f) / 2))
    decay = max(2.0, min(SPREAD_S, p.t[-1] / max(8.0, 2 * expected)))
    step = max(1, round(0.5 * p.fps))
    picks: list[list[int]] = []
    total = 0
    while target - total >= min(p.min_f, target) or not picks:
        length = min(p.min_f, target - total)
        means = _windows(p.score - penalty, free, length)
        if not len(means) or not np.isfinite(means).any():
            break
        a = int(np.argmax(means))
        b = a + length
        budget = min(p.max_f, target - total)
        while b - a < budget:
            grow = min(step, budget - (b - a))
            left = p.mean(a - grow, a) if a - grow >= 0 and free[a - grow:a].all() else -1.0
            right = p.mean(b, b + grow) if b + grow <= p.F and free[b:b + grow].all() else -1.0
            if max(left, right) < threshold:
                break
            if left > right:
                a -= grow
            else:
                b += grow
        lo = a - p.snap
        while lo < a and not free[max(lo, 0)]:
            lo += 1
        hi = b + p.snap
        while hi > b and not free[min(hi, p.F) - 1]:
            hi -= 1
        a2 = p.snap_to(a, max(lo, 0), b - 1)
        b2 = p.snap_to(b, a2 + 1, min(hi, p.F))
        if p.min_f // 2 <= b2 - a2 <= p.max_f + p.snap:
            a, b = a2, b2
        picks.append([a, b])
        total += b - a
        free[max(0, a - p.gap):min(p.F, b + p.gap)] = False
        centre = p.t[(a + b - 1) // 2]
        penalty += SPREAD * np.exp(-np.abs(p.t - centre) / decay)
    return picks


def _story(p: _Picker, target: int) -> list[list[int]]:
    length = (p.min_f + p.max_f) / 2
    chapters = max(1, min(round(target / length), target // max(1, p.min_f // 2)))
    edges = [round(k * p.F / chapters) for k in range(chapters + 1)]
    shares = [target // chapters + (1 if k < target % chapters else 0) for k in range(chapters)]
    c = np.concatenate([[0.0], np.cumsum(p.score)])
    picks = []
    for k in range(chapters):
        lo, hi, share = edges[k], edges[k + 1], min(shares[k], edges[k + 1] - edges[k])
        starts = np.array(p.candidates(lo, hi - share) or [lo])
        ends = np.array(p.candidates(lo + 1, hi))
        # every (start, end) pair of boundaries 0.8..1.2 shares apart, and each start with
        # a free end exactly one share later; the best mean score wins (snapped ends +0.02)
        a = np.concatenate([np.repeat(starts, len(ends)), starts])
        b = np.concatenate([np.tile(ends, len(starts)), starts + share])
        ok = (b - a >= min(share, round(0.8 * share))) & (b - a <= max(share, round(1.2 * share)))
        ok &= b <= hi
        ok[len(ok) - len(starts):] = True
        a, b = a[ok], b[ok]
        value = (c[b] - c[a]) / (b - a)
        value[:len(value) - len(starts)] += 0.02
        best = int(np.argmax(value))
        picks.append([int(a[best]), int(b[best])])
    return picks


def _fit(p: _Picker, picks: list[list[int]], target: int) -> None:
    """Move segment ends until the frames add up to ``target`` exactly."""
    picks.sort()

    def room(k: int, side: int, gap: int) -> tuple[int, int]:
        """How far end ``side`` (0 start, 1 end) of pick k may move: (outward, inward)."""
        a, b = picks[k]
        if side == 0:
            limit = picks[k - 1][1] + gap if k else 0
            return max(0, a - limit), max(0, b - a - 1)
        limit = picks[k + 1][0] - gap if k + 1 < len(picks) else p.F
        return max(0, limit - b), max(0, b - a - 1)

    def gain(k: int, side: int, move: int) -> float:
        a, b = picks[k]
        if side == 0:
            return p.mean(a - move, a) if move > 0 else -p.mean(a, a - move)
        return p.mean(b, b + move) if move > 0 else -p.mean(b + move, b)

    def apply(k: int, side: int, move: int) -> None:
        picks[k][side] += -move if side == 0 else move

    def landings(k: int, side: int, gap: int, limit: int) -> list[int]:
        """The moves (positive: longer) of one end onto a boundary or pause, either
        way, within its room and :data:`SNAP_S`."""
        a, b = picks[k]
        pos = picks[k][side]
        out, inward = room(k, side, gap)
        grow = min(out, limit - (b - a), p.snap)
        shrink = min(inward, (b - a) - p.min_f // 2, p.snap)
        lo, hi = (pos - grow, pos + shrink) if side == 0 else (pos - shrink, pos + grow)
        return [pos - q if side == 0 else q - pos for q in p.candidates(lo, hi) if q != pos]

    def fits(moved: set[int], gap: int, limit: int) -> bool:
        """Whether the ``moved`` segments keep to their lengths, their neighbours and
        the source."""
        for k in moved:
            a, b = picks[k]
            if not p.min_f // 2 <= b - a <= limit or a < 0 or b > p.F or \
                    (k and picks[k - 1][1] + gap > a) or \
                    (k + 1 < len(picks) and b + gap > picks[k + 1][0]):
                return False
        return True

    def pair(d: int, gap: int, limit: int) -> bool:
        """Move two ends onto boundaries or pauses whose moves add up to ``d`` (one
        may shorten while the other lengthens), the best score gained; whether any did."""
        moves: dict[int, list[tuple[int, int]]] = {}
        for k in range(len(picks)):
            for side in (0, 1):
                for move in landings(k, side, gap, limit):
                    moves.setdefault(move, []).append((k, side))
        best = None
        for m1, first in moves.items():
            for k1, s1 in first:
                for k2, s2 in moves.get(d - m1, ()):
                    if (k2, s2) <= (k1, s1):
                        continue  # each pair once, never one end twice
                    value = gain(k1, s1, m1) + gain(k2, s2, d - m1)
                    if best is not None and value <= best[0]:
                        continue
                    apply(k1, s1, m1)
                    apply(k2, s2, d - m1)
                    if fits({k1, k2}, gap, limit):
                        best = (value, k1, s1, m1, k2, s2)
                    apply(k2, s2, m1 - d)
                    apply(k1, s1, -m1)
        if best is None:
            return False
        _, k1, s1, m1, k2, s2 = best
        apply(k1, s1, m1)
        apply(k2, s2, d - m1)
        return True

    for gap, limit in ((p.gap, p.max_f), (1, p.max_f), (1, p.F)):
        # 1) moves that land on another boundary or pause
        for _ in range(4 * len(picks)):
            d = target - sum(b - a for a, b in picks)
            if d == 0:
                return
            options = []
            for k, (a, b) in enumerate(picks):
                for side, pos in ((0, a), (1, b)):
                    out, inward = room(k, side, gap)
                    if d > 0:
                        span = min(d, out, limit - (b - a))
                        lo, hi = (pos - span, pos - 1) if side == 0 else (pos + 1, pos + span)
                    else:
                        span = min(-d, inward, (b - a) - p.min_f // 2)
                        lo, hi = (pos + 1, pos + span) if side == 0 else (pos - span, pos - 1)
                    for q in p.candidates(lo, hi) if span > 0 else []:
                        move = abs(q - pos) * (1 if d > 0 else -1)
                        options.append((gain(k, side, move) + 0.001 * abs(move), k, side,
                                        move))
            if not options:
                break
            _, k, side, move = max(options)
            apply(k, side, move)
        # 2) two ends onto boundaries or pauses, one longer and one shorter if need be
        d = target - sum(b - a for a, b in picks)
        if d and pair(d, gap, limit):
            return
        # 3) the rest on free ends, best score first, never moving a snapped end if a
        #    free one can take it
        ends = [(p.kind(picks[k][side]) != FREE, -gain(k, side, 1 if d > 0 else -1), k, side)
                for k in range(len(picks)) for side in (0, 1)]
        for _, _, k, side in sorted(ends):
            d = target - sum(b - a for a, b in picks)
            if d == 0:
                return
            a, b = picks[k]
            out, inward = room(k, side, gap)
            move = min(d, out, max(0, limit - (b - a))) if d > 0 else \
                -min(-d, inward, max(0, b - a - 1))
            apply(k, side, move)
    if target != sum(b - a for a, b in picks):
        raise CutwiseError("Could not fit the highlights to the asked duration.")


def _reasons(signals: Signals, weights: dict[str, float], a_s: float, b_s: float,
             cuts_inside: int, take_s: float) -> tuple[float, list[str]]:
    grid = signals.times
    i, j = np.searchsorted(grid, [a_s, b_s])
    j = max(j, i + 1)
    raw = {k: v[i:j] for k, v in signals.raw.items()}
    norm = {k: float(np.mean(v[i:j])) for k, v in signals.norm.items()}
    length = b_s - a_s
    phrases = {  # built only for the signals that were measured
        "loudness": lambda: (f"loud ({np.nanmean(raw['loudness']):.0f} LUFS)",
                             f"quiet ({np.nanmean(raw['loudness']):.0f} LUFS)"),
        "onsets": lambda: (f"dense hits ({np.nanmean(raw['onsets']):.1f}/s)", "sparse sound"),
        "beat": lambda: ("strong beat" + (f" (~{np.nanmedian(signals.tempo[i:j]):.0f} bpm)"
                                          if np.isfinite(signals.tempo[i:j]).any() else ""),
                         "no steady beat"),
        "speech": lambda: ("speech", "no speech"),
        "motion": lambda: ("fast motion", "still camera"),
        "cuts": lambda: (f"{cuts_inside} cut{'s' if cuts_inside != 1 else ''} in {length:.0f} s"
                         if cuts_inside else "between quick cuts",
                         f"long take ({take_s:.0f} s)" if cuts_inside == 0 and take_s >= 4
                         else "no cut" if cuts_inside == 0 else "few cuts"),
        "brightness": lambda: ("bright", "dark"),
        "colour": lambda: ("colourful", "muted colours"),
        "faces": lambda: ("faces in view", "no faces"),
    }
    contributions = []
    for name, w in weights.items():
        if w and name in norm:
            part = w * (norm[name] - 0.5)
            if part > 0.03:
                contributions.append((part, phrases[name]()[0 if norm[name] > 0.5 else 1]))
    den = sum(abs(w) for n, w in weights.items() if n in norm) or 1.0
    score = 0.5 + sum(w * (norm[n] - 0.5) for n, w in weights.items() if n in norm) / den
    reasons = [text for _, text in sorted(contributions, reverse=True)[:3]]
    return float(score), reasons or ["typical for this video"]


def select(signals: Signals, duration_s: float, mood: str = "energetic",
           weights: dict[str, float] | None = None, *, min_len_s: float | None = None,
           max_len_s: float | None = None, order: str = "time") -> Highlights:
    """Choose segments lasting ``duration_s`` (to the frame) for ``mood``.

    ``weights`` override the mood's signal weights; ``order`` is ``"time"`` (source
    order, the default) or ``"score"`` (best first). Story edits are always in order.
    """
    if not duration_s > 0:
        raise CutwiseError(f"The duration must be positive, not {duration_s}.")
    if order not in ("time", "score"):
        raise CutwiseError(f"Unknown order '{order}' (use time or score).")
    w = weights_for(mood, weights)
    low, high = default_lengths(duration_s, mood)
    low, high = min_len_s or low, max_len_s or high
    if high < low:
        raise CutwiseError(f"The maximum segment length ({high} s) is below the minimum "
                           f"({low} s).")
    fps = signals.fps
    target = max(1, round(duration_s * fps))
    notes = list(signals.notes)
    p = _Picker(signals, score_curve(signals, w),
                max(1, round(low * fps)), max(1, round(high * fps)))
    if target >= signals.frame_count:
        picks = [[0, signals.frame_count]]
        notes.append(f"the source ({signals.frame_count / fps:.2f} s) is not longer than "
                     f"{duration_s} s: the edit is the whole source")
    else:
        picks = _story(p, target) if mood == "story" else _best_first(p, target)
        _fit(p, picks, target)
    cuts = np.array(sorted(signals.boundaries.tolist()))
    segments = []
    for a, b in sorted(picks):
        a_s, b_s = signals.time_of(a), signals.time_of(b)
        first, last = np.searchsorted(cuts, a + 1), np.searchsorted(cuts, b)
        take = (signals.time_of(int(cuts[last]) if last < len(cuts) else signals.frame_count)
                - signals.time_of(int(cuts[first - 1]) if first else 0))
        score, reasons = _reasons(signals, w, a_s, b_s, int(last - first), take)
        segments.append(Segment(a, b, a_s, b_s, score, reasons, p.kind(a), p.kind(b)))
    if mood == "story":
        for k, seg in enumerate(segments, 1):
            seg.reasons.insert(0, f"part {k}/{len(segments)} of the story")
    elif order == "score":
        segments.sort(key=lambda seg: -seg.score)
    return Highlights(path=signals.path, mood=mood, fps=fps,
                      frame_rate=str(signals.frame_rate), target_s=float(duration_s),
                      segments=segments, weights=w, signals=signals.available, notes=notes)
