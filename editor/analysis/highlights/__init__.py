"""Highlights engine: quick-look edits of any length and mood from a long video.

::

    signals = analyse("match.mp4", cache=AnalysisCache(), progress=cb, cancel=token)
    edit = select(signals, 30.0, mood="energetic")        # milliseconds, no decoding
    edit.segments      # [Segment(start, end (exclusive frames), start_s, end_s, score, reasons)]
    edit.to_dict()     # what ``cutwise highlights FILE --json`` prints

    find_highlights("match.mp4", 30.0, mood="calm", cache=...)   # both steps

:mod:`.signals` measures the curves (one shot-feature pass shared with the shot engine
through the cache, plus one demux for audio and keyframes), normalised per video;
:mod:`.moods` documents the moods' weights and keeps the user's presets; :mod:`.select`
chooses segments snapped to shot boundaries and audio pauses, fitted to the frame.
"""

from __future__ import annotations

from pathlib import Path

from editor.core.cache import AnalysisCache
from editor.core.model import LANE_HIGHLIGHTS, Suggestion
from editor.core.progress import CancelToken, ProgressCallback, no_progress

from editor.analysis.highlights.moods import (MOOD_HELP, MOODS, load_presets, parse_weights,
                                              preset, presets_path, save_preset, weights_for)
from editor.analysis.highlights.select import (Highlights, Segment, default_lengths,
                                               score_curve, select)
from editor.analysis.highlights.signals import SIGNALS, STEP, Signals, analyse

__all__ = ["ENGINE", "MOODS", "MOOD_HELP", "SIGNALS", "STEP", "Highlights", "Segment",
           "Signals", "analyse", "select", "find_highlights", "to_suggestions", "score_curve",
           "default_lengths", "weights_for", "parse_weights", "load_presets", "save_preset",
           "preset", "presets_path"]

ENGINE = "highlights"


def find_highlights(path: str | Path, duration_s: float, mood: str = "energetic",
                    weights: dict[str, float] | None = None, *,
                    cache: AnalysisCache | None = None, order: str = "time",
                    progress: ProgressCallback = no_progress,
                    cancel: CancelToken | None = None, on_warning=None) -> Highlights:
    """Analyse ``path`` (cached) and choose an edit of ``duration_s`` for ``mood``."""
    weights_for(mood, weights)  # bad input fails before any decoding
    signals = analyse(path, cache=cache, progress=progress, cancel=cancel,
                      on_warning=on_warning)
    return select(signals, duration_s, mood, weights, order=order)


def to_suggestions(edit: Highlights, asset_id: str) -> list[Suggestion]:
    """One pending suggestion per segment in the ``highlights`` lane (source frames,
    inclusive), with its score, reasons and mood in ``data``."""
    out = []
    for number, seg in enumerate(edit.segments, 1):
        out.append(Suggestion(
            lane=LANE_HIGHLIGHTS, asset_id=asset_id, start=seg.start, end=seg.end - 1,
            kind="highlight", confidence=round(seg.score, 4),
            label=f"#{number}: {', '.join(seg.reasons)}",
            data={"score": round(seg.score, 4), "reasons": list(seg.reasons), "mood": edit.mood,
                  "order": number, "start_s": round(seg.start_s, 4),
                  "end_s": round(seg.end_s, 4), "target_s": edit.target_s}))
    return out
