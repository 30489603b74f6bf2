"""The engines that ship with Cutwise, registered through the public plugin API."""

from __future__ import annotations

from editor.core.cache import AnalysisCache
from editor.core.model import LANE_SHOTS, MediaAsset
from editor.plugins.api import Engine, Parameter, Registry


def _run_shots(asset: MediaAsset, params: dict, *, progress, cancel):
    from editor.analysis.shots import detect_shots, to_suggestions

    result = detect_shots(asset.path, sensitivity=params["sensitivity"], cache=AnalysisCache(),
                          progress=progress, cancel=cancel)
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


def builtin_registry() -> Registry:
    registry = Registry()
    registry.register_engine(SHOTS)
    return registry
