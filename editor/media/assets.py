"""Turning media files into project assets."""

from __future__ import annotations

import os
from pathlib import Path

from editor.core.cache import AnalysisCache, fingerprint
from editor.core.errors import CutwiseError
from editor.core.model import MediaAsset
from editor.core.progress import CancelToken, ProgressCallback, no_progress
from editor.core.timecode import FrameRate
from editor.media.probe import MediaInfo, probe

AUDIO_ONLY_RATE = FrameRate(25)  # audio-only assets are counted in 25 fps frames


def asset_from_info(info: MediaInfo) -> MediaAsset:
    """A MediaAsset with the facts the timeline needs (display size, exact rate...)."""
    path = Path(info.path).resolve()
    video = info.video
    if video is not None:
        return MediaAsset(path=str(path), frame_rate=video.frame_rate, frame_count=video.frame_count,
                          width=video.display_width, height=video.display_height,
                          has_audio=bool(info.audio), variable_frame_rate=video.variable_frame_rate,
                          name=path.name, fingerprint=fingerprint(path))
    frames = max(1, AUDIO_ONLY_RATE.frame_at(info.duration_s))
    return MediaAsset(path=str(path), frame_rate=AUDIO_ONLY_RATE, frame_count=frames, width=0,
                      height=0, has_audio=True, name=path.name, fingerprint=fingerprint(path))


def import_files(paths: list[str | os.PathLike], *, cache: AnalysisCache | None = None,
                 progress: ProgressCallback = no_progress, cancel: CancelToken | None = None
                 ) -> tuple[list[MediaAsset], list[str]]:
    """Probe each file; returns the assets and one message per file that could not be read."""
    assets, problems = [], []
    for i, path in enumerate(paths):
        if cancel is not None:
            cancel.raise_if_cancelled()
        progress(i, len(paths), Path(path).name)
        try:
            assets.append(asset_from_info(probe(path, cache=cache, cancel=cancel)))
        except CutwiseError as exc:
            problems.append(exc.message)
    progress(len(paths), len(paths), "")
    return assets, problems
