"""The reframe engine as the plugin API runs it: a media asset in, one suggestion per shot out."""

from __future__ import annotations

from editor.core.cache import AnalysisCache
from editor.core.model import MediaAsset, Suggestion

from editor.analysis.reframe import parse_aspect, reframe, to_suggestions


def run_engine(asset: MediaAsset, params: dict, *, progress, cancel,
               on_warning=None) -> list[Suggestion]:
    """``params``: aspect ("9:16" or "custom" with ``custom_aspect``), smoothness, zoom,
    subject_backend (how clicks are tracked: auto, grabcut or sam); optionally
    ``subjects`` ([[x, y, frame], ...]: clicks on the subject; [x, y, frame, rank] for
    subject 2, 3... kept beside the main one where they fit) and ``keyframes`` ({frame:
    [x, y]}) from the panel. ``on_warning`` hears the notes as they come (e.g. how a
    picked subject is tracked); they are also in the suggestions' ``notes``."""
    aspect = params.get("aspect", "9:16")
    if aspect == "custom":
        aspect = params.get("custom_aspect") or "9:16"
    subjects = [tuple(c) for c in params.get("subjects") or []]
    keyframes = {int(f): (float(v[0]), float(v[1]))
                 for f, v in (params.get("keyframes") or {}).items()}
    result = reframe(asset.path, aspect=parse_aspect(aspect), zoom=params.get("zoom", 1.0),
                     smoothness=params.get("smoothness", 0.5), keyframes=keyframes,
                     subjects=subjects, subject_backend=params.get("subject_backend", "auto"),
                     cache=AnalysisCache(),
                     progress=progress, cancel=cancel, on_warning=on_warning)
    return to_suggestions(result, asset.id)
