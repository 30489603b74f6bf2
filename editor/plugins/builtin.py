"""The engines that ship with Cutwise, registered through the public plugin API."""

from __future__ import annotations

from editor.core.cache import AnalysisCache
from editor.core.model import LANE_SHOTS, MediaAsset
from editor.plugins.api import Engine, Parameter, Registry


def _run_shots(asset: MediaAsset, params: dict, *, progress, cancel, on_warning=None):
    from editor.analysis.shots import detect_shots, to_suggestions

    result = detect_shots(asset.path, sensitivity=params["sensitivity"], cache=AnalysisCache(),
                          progress=progress, cancel=cancel, on_warning=on_warning)
    return to_suggestions(result, asset.id)


SHOTS = Engine(
    id="shots",
    name="Shot boundaries",
    lane=LANE_SHOTS,
    run=_run_shots,
    description="Finds every hard cut and gradual transition (dissolve, fade, wipe); "
                "flashes, whip pans and exposure changes are not cuts.",
    parameters=(
        Parameter("sensitivity", "Sensitivity", 0.5, minimum=0.0, maximum=1.0, step=0.05,
                  help="Higher finds subtler boundaries (and more false ones). Changing it "
                       "re-scores from the cache without decoding again."),
    ),
)


def _run_matting(asset: MediaAsset, params: dict, *, progress, cancel, on_warning=None):
    from editor.analysis.matting.engine import run_engine

    return run_engine(asset, params, progress=progress, cancel=cancel, on_warning=on_warning)


MATTING = Engine(
    id="matting", name="Subject matte", lane="matting", run=_run_matting, gpu=True,
    panel="editor.ui.matting_panel:MattingPanel",
    description="Click the subject in the player (right-click: not the subject), then run: an "
                "alpha matte for the whole shot, with Segment Anything or, without a "
                "checkpoint, the GrabCut fallback (lower quality).",
    parameters=(
        Parameter("backend", "Backend", "auto", kind="choice", choices=("auto", "sam", "grabcut"),
                  help="auto: SAM when a checkpoint is installed ('cutwise models'), else GrabCut."),
        Parameter("model", "SAM model", "vit_b", kind="choice", choices=("vit_b", "vit_l", "vit_h"),
                  help="vit_b is fastest; vit_h is the most accurate."),
        Parameter("smoothing", "Temporal smoothing", 0.6, minimum=0.0, maximum=0.9, step=0.1,
                  help="Removes flicker where the picture is still; 0 turns it off."),
    ),
)


def _run_reframe(asset: MediaAsset, params: dict, *, progress, cancel, on_warning=None):
    from editor.analysis.reframe.engine import run_engine

    return run_engine(asset, params, progress=progress, cancel=cancel, on_warning=on_warning)


REFRAME = Engine(
    id="reframe", name="Auto-reframe", lane="reframe", run=_run_reframe,
    panel="editor.ui.reframe_panel:ReframePanel",
    description="Crops to 9:16, 1:1, 4:5 or any ratio with a steady camera that keeps the "
                "subject in view, reset at every cut. Drag the crop in the player to fix a "
                "frame; the camera re-plans around it.",
    parameters=(
        Parameter("aspect", "Aspect", "9:16", kind="choice",
                  choices=("9:16", "1:1", "4:5", "4:3", "custom"),
                  help="Width:height of the result; 'custom' uses the ratio typed below."),
        Parameter("smoothness", "Smoothness", 0.5, minimum=0.0, maximum=1.0, step=0.1,
                  help="0 follows the subject closely; 1 keeps the camera as still as it can."),
        Parameter("zoom", "Zoom", 1.0, minimum=1.0, maximum=3.0, step=0.1,
                  help="1 crops the full height; higher values crop tighter."),
        Parameter("subject_backend", "Subject tracking", "auto", kind="choice",
                  choices=("auto", "sam", "grabcut"),
                  help="How a picked subject is followed: auto uses Segment Anything when a "
                       "checkpoint is installed and a GPU runs it, else GrabCut."),
    ),
)


def _run_highlights(asset: MediaAsset, params: dict, *, progress, cancel):
    from editor.analysis.highlights.engine import run_engine

    return run_engine(asset, params, progress=progress, cancel=cancel)


HIGHLIGHTS = Engine(
    id="highlights", name="Highlights", lane="highlights", run=_run_highlights,
    panel="editor.ui.highlights_panel:HighlightsPanel",
    description="A quick-look edit of any length: the most energetic or calmest moments, or "
                "the whole story in order, cut at shot boundaries and pauses, each segment "
                "with its reasons.",
    parameters=(
        Parameter("duration", "Duration (s)", 30.0, minimum=1.0, maximum=3600.0, step=5.0,
                  help="Length of the edit, to the frame: 15, 30, 60, 180, 300 or any value."),
        Parameter("mood", "Mood", "energetic", kind="choice",
                  choices=("energetic", "calm", "story"),
                  help="energetic: action; calm: still and quiet; story: the whole arc in "
                       "order."),
        Parameter("order", "Order", "time", kind="choice", choices=("time", "score"),
                  help="Segments in source order, or best first."),
    ),
)


def builtin_registry() -> Registry:
    registry = Registry()
    registry.register_engine(SHOTS)
    registry.register_engine(HIGHLIGHTS)
    registry.register_engine(MATTING)
    registry.register_engine(REFRAME)
    return registry
