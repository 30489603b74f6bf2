"""The matting engine's ``run`` for the plugin API: prompts in, one ``mask`` suggestion out.

``params`` carries the form's values (``backend``, ``model``, ``smoothing``) plus what the
panel adds: ``prompts`` (a list of :meth:`Prompt.to_dict`), optionally ``shot``
(``[first, last]``) and ``session`` (a matte folder to correct instead of starting over).
"""

from __future__ import annotations

from pathlib import Path

from editor.analysis.matting import (
    MatteSession,
    Prompt,
    apply_corrections,
    make_segmenter,
    matte,
    render,
    to_suggestion,
)
from editor.core.cache import AnalysisCache
from editor.core.errors import CutwiseError
from editor.core.model import MediaAsset


def run_engine(asset: MediaAsset, params: dict, *, progress, cancel, on_warning=None):
    prompts = [Prompt.from_dict(p) for p in params.get("prompts") or ()]
    if not prompts:
        raise CutwiseError("Click the subject in the player first (left: subject, right: not "
                           "the subject), then run.")
    notes: list[str] = []

    def warn(message: str) -> None:  # kept with the result, and heard as it comes
        notes.append(message)
        if on_warning is not None:
            on_warning(message)

    segmenter = make_segmenter(params.get("backend", "auto"), model=params.get("model"),
                               on_warning=warn)
    folder = params.get("session")
    session = None
    if folder and (Path(folder) / "state.json").is_file():
        session = MatteSession.load(folder)
        if Path(session.path) != Path(asset.path):
            session = None
    if session is not None:
        apply_corrections(session, prompts, segmenter, progress=progress, cancel=cancel)
    else:
        shot = tuple(params["shot"]) if params.get("shot") else None
        session = matte(asset.path, prompts, segmenter=segmenter, shot=shot, folder=folder,
                        cache=AnalysisCache(), progress=progress, cancel=cancel)
    render(session, smooth=float(params.get("smoothing", 0.6)), progress=progress, cancel=cancel)
    suggestion = to_suggestion(session, asset.id)
    if notes:
        suggestion.data["notes"] = notes
    return [suggestion]
