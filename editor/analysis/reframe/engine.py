"""The reframe engine as the plugin API runs it: a media asset in, one suggestion per shot out."""

from __future__ import annotations

from editor.core.cache import AnalysisCache
from editor.core.model import MediaAsset, Suggestion

from editor.analysis.reframe import parse_aspect, reframe, to_suggestions


def run_engine(asset: MediaAsset, params: dict, *, progress, cancel) -> list[Suggestion]:
    """``params``: aspect ("9:16" or "custom" with ``custom_aspect``), smoothness, zoom;
    optionally ``subject`` ([x, y, frame]) and ``keyframes`` ({frame: [x, y]}) from the panel."""
    aspect = params.get("aspect", "9:16")
    if aspect == "custom":
        aspect = params.get("custom_aspect") or "9:16"
    subject = params.get("subject")
    keyframes = {int(f): (float(v[0]), float(v[1]))
                 for f, v in (params.get("keyframes") or {}).items()}
    result = reframe(asset.path, aspect=parse_aspect(aspect), zoom=params.get("zoom", 1.0),
                     smoothness=params.get("smoothness", 0.5), keyframes=keyframes,
                     subject=tuple(subject) if subject else None, cache=AnalysisCache(),
                     progress=progress, cancel=cancel)
    return to_suggestions(result, asset.id)
