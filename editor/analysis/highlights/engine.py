"""The highlights engine as the app runs it: an asset and parameters in, suggestions out."""

from __future__ import annotations

from editor.core.cache import AnalysisCache
from editor.core.model import MediaAsset, Suggestion
from editor.core.progress import CancelToken, ProgressCallback

from editor.analysis.highlights import find_highlights, to_suggestions


def run_engine(asset: MediaAsset, params: dict, *, progress: ProgressCallback,
               cancel: CancelToken) -> list[Suggestion]:
    """``params``: ``duration`` (s), ``mood``, ``order`` and optionally ``weights``
    (``{signal: weight}`` over the mood's)."""
    edit = find_highlights(asset.path, float(params.get("duration", 30.0)),
                           params.get("mood", "energetic"), params.get("weights") or None,
                           cache=AnalysisCache(), order=params.get("order", "time"),
                           progress=progress, cancel=cancel)
    return to_suggestions(edit, asset.id)
