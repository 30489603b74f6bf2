"""Shot boundary engine: hard cuts and gradual transitions (dissolve, fade, wipe).

::

    result = detect_shots("film.mp4", sensitivity=0.5, cache=AnalysisCache(),
                          progress=callback, cancel=token)
    result.cuts            # [frame, ...]: first frame of each new shot after a hard cut
    result.transitions     # [Transition(type, start, end, confidence, ...)]
    result.shots           # [Shot(start, end)]: inclusive, frames of transitions excluded
    result.to_dict()       # what ``cutwise shots FILE --json`` prints

Frame numbers are 0-based indices in decode (presentation) order, also on variable-frame-
rate media; every boundary also carries its exact presentation time.

One fast decoding pass (``iter_frames(fast=True)``: reduced size, threaded, deblocking
skipped, unreferenced B-frames not decoded) computes a fixed vector of floats per decoded
frame from its luma and a small brightness-relative U/V grid (:mod:`.features`); the
short spans of skipped frames where a cut is plausible are then decoded in full to place
it on the exact frame (:mod:`.extract`). Boundaries are found by array work on those
vectors alone (:mod:`.scoring`); :mod:`.stream` computes the same vectors and boundaries
from another engine's decoding pass. The vectors are cached, so another ``sensitivity``
re-scores a file in milliseconds without decoding it again. Memory is bounded: a ring
buffer of ~50 thumbnails plus the per-frame vectors (~200 bytes a decoded frame).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from editor.core.cache import AnalysisCache, load_or_compute
from editor.core.model import LANE_SHOTS, Suggestion
from editor.core.progress import CancelToken, ProgressCallback, no_progress
from editor.core.timecode import FrameRate
from editor.media._av import WarningCallback
from editor.media.probe import probe

from editor.analysis.shots.extract import Features, extract_features
from editor.analysis.shots.features import COLUMNS
from editor.analysis.shots.scoring import detect

__all__ = ["ENGINE", "VERSION", "Cut", "Transition", "Shot", "ShotResult", "detect_shots",
           "score_features", "extract_features", "features_for", "features_key", "Features",
           "to_suggestions"]

ENGINE = "shots"
VERSION = 4  # bump when the features change: old cache entries are then never read
TRANSITION_TYPES = ("dissolve", "fade", "wipe")


@dataclass(frozen=True)
class Cut:
    frame: int  # first frame of the new shot
    pts: Fraction  # its presentation time, seconds
    confidence: float

    def to_dict(self) -> dict:
        return {"frame": self.frame, "time": float(self.pts), "confidence": self.confidence}


@dataclass(frozen=True)
class Transition:
    type: str  # "dissolve", "fade" or "wipe"
    start: int  # first frame of the transition
    end: int  # last frame (inclusive)
    confidence: float
    start_pts: Fraction
    end_pts: Fraction

    def to_dict(self) -> dict:
        return {"type": self.type, "start": self.start, "end": self.end,
                "confidence": self.confidence, "start_time": float(self.start_pts),
                "end_time": float(self.end_pts)}


@dataclass(frozen=True)
class Shot:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end}


@dataclass
class ShotResult:
    """Boundaries of one file. ``frame_times`` holds each frame's pts (seconds) by index."""

    path: str
    frame_rate: FrameRate
    frame_count: int
    cuts: list[Cut]
    transitions: list[Transition]
    shots: list[Shot]
    sensitivity: float
    variable_frame_rate: bool = False
    width: int = 0
    height: int = 0
    warnings: tuple[str, ...] = ()
    frame_times: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)

    @property
    def fps(self) -> float:
        return float(self.frame_rate)

    @property
    def cut_frames(self) -> list[int]:
        return [c.frame for c in self.cuts]

    @property
    def times(self) -> list[float]:
        """Presentation time (s) of every boundary's first frame, in frame order."""
        events = [(c.frame, float(c.pts)) for c in self.cuts]
        events += [(t.start, float(t.start_pts)) for t in self.transitions]
        return [time for _, time in sorted(events)]

    def time_of(self, frame: int) -> float:
        """Presentation time of ``frame`` (nominal rate for frames that were not decoded)."""
        if 0 <= frame < len(self.frame_times) and not np.isnan(self.frame_times[frame]):
            return float(self.frame_times[frame])
        return frame / self.fps

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "fps": round(self.fps, 6),
            "frame_rate": str(self.frame_rate),
            "frame_count": self.frame_count,
            "variable_frame_rate": self.variable_frame_rate,
            "sensitivity": self.sensitivity,
            "cuts": self.cut_frames,
            "transitions": [t.to_dict() for t in self.transitions],
            "shots": [dict(s.to_dict(), start_time=self.time_of(s.start),
                           end_time=self.time_of(s.end)) for s in self.shots],
            "cut_details": [c.to_dict() for c in self.cuts],
            "warnings": list(self.warnings),
        }


def score_features(features: Features, *, sensitivity: float = 0.5, frame_count: int = 0,
                   frame_rate: FrameRate | None = None, path: str = "",
                   variable_frame_rate: bool = False, width: int = 0, height: int = 0
                   ) -> ShotResult:
    """Boundaries from already computed features (no decoding)."""
    index = features.index
    frame_count = max(frame_count, int(index[-1]) + 1 if len(index) else 0)
    rate = frame_rate or FrameRate(25)
    cuts, transitions = [], []
    for b in detect(features.values, sensitivity):
        if b.kind == "cut":
            cuts.append(Cut(int(features.cut_at[b.start]), features.cut_pts(b.start),
                            b.confidence))
        else:
            transitions.append(Transition(b.kind, int(index[b.start]), int(index[b.end]),
                                          b.confidence, features.pts(b.start),
                                          features.pts(b.end)))
    times = np.full(frame_count, np.nan)
    times[index] = features.seconds()
    return ShotResult(path=path, frame_rate=rate, frame_count=frame_count, cuts=cuts,
                      transitions=transitions, shots=_shots(frame_count, cuts, transitions),
                      sensitivity=float(sensitivity), variable_frame_rate=variable_frame_rate,
                      width=width, height=height, warnings=features.warnings, frame_times=times)


def _shots(frame_count: int, cuts: list[Cut], transitions: list[Transition]) -> list[Shot]:
    """Shots between boundaries; a transition's own frames belong to no shot."""
    gaps = [(c.frame, c.frame - 1) for c in cuts]  # (first frame not in the shot before, ...)
    gaps += [(t.start, t.end) for t in transitions]
    shots, start = [], 0
    for first, last in sorted(gaps):
        if first - 1 >= start:
            shots.append(Shot(start, first - 1))
        start = max(start, last + 1)
    if start <= frame_count - 1:
        shots.append(Shot(start, frame_count - 1))
    return shots


def detect_shots(path: str | Path, *, sensitivity: float = 0.5,
                 cache: AnalysisCache | None = None,
                 progress: ProgressCallback = no_progress,
                 cancel: CancelToken | None = None,
                 on_warning: WarningCallback | None = None,
                 features: Features | None = None) -> ShotResult:
    """Find every cut and gradual transition of ``path``'s video.

    Raises the media layer's typed errors (a :class:`~editor.core.errors.CutwiseError`)
    for missing, empty, audio-only or unreadable files, and
    :class:`~editor.core.errors.Cancelled` when ``cancel`` is set. With ``cache``, the
    decoded features are stored and reused: a second call with another sensitivity does
    not decode. ``features``: ``path``'s features computed by another pass (a
    :class:`~.stream.ShotStream`), used (and stored) instead of decoding.
    """
    path = Path(path)
    info = probe(path, cache=cache, cancel=cancel)
    if info.video is None:
        from editor.media.errors import NoVideoStreamError

        raise NoVideoStreamError(f"{path} has no video stream (audio only?).", path=str(path))
    video = info.video
    features = features_for(path, video.frame_count, cache=cache, progress=progress,
                            cancel=cancel, on_warning=on_warning, computed=features)
    return score_features(features, sensitivity=sensitivity, frame_count=video.frame_count,
                          frame_rate=video.frame_rate, path=str(path),
                          variable_frame_rate=video.variable_frame_rate,
                          width=video.display_width, height=video.display_height)


def features_for(path: str | Path, frame_count: int, *, cache: AnalysisCache | None = None,
                 progress: ProgressCallback = no_progress, cancel: CancelToken | None = None,
                 on_warning: WarningCallback | None = None,
                 computed: Features | None = None) -> Features:
    """The per-frame features of ``path``: from the cache when there, else ``computed``
    or decoded once, and stored (other engines use this to share the shot engine's
    decoding pass)."""
    features, from_cache = load_or_compute(
        cache, features_key(path, cache),
        (lambda: computed) if computed is not None else
        (lambda: extract_features(path, total=frame_count, progress=progress, cancel=cancel,
                                  on_warning=on_warning)),
        Features.from_arrays, media=path)
    if from_cache:
        progress(frame_count, frame_count, "features from cache")
    return features


def features_key(path: str | Path, cache: AnalysisCache | None) -> str | None:
    """The cache key of ``path``'s features (None without a cache)."""
    return cache.key(path, f"{ENGINE}-features", VERSION, {"columns": len(COLUMNS)}) \
        if cache is not None else None


def to_suggestions(result: ShotResult, asset_id: str) -> list[Suggestion]:
    """One pending suggestion per boundary for the timeline's shots lane.

    A cut is a one-frame suggestion at the first frame of the new shot (kind ``cut``);
    a transition spans its frames (kind ``dissolve``/``fade``/``wipe``).
    """
    out = []
    for c in result.cuts:
        out.append(Suggestion(lane=LANE_SHOTS, asset_id=asset_id, start=c.frame, end=c.frame,
                              kind="cut", confidence=c.confidence,
                              label=f"Cut at frame {c.frame}",
                              data={"time": float(c.pts)}))
    for t in result.transitions:
        out.append(Suggestion(lane=LANE_SHOTS, asset_id=asset_id, start=t.start, end=t.end,
                              kind=t.type, confidence=t.confidence,
                              label=f"{t.type.capitalize()} {t.start}-{t.end}",
                              data={"start_time": float(t.start_pts),
                                    "end_time": float(t.end_pts)}))
    out.sort(key=lambda s: s.start)
    return out
