"""The two engines: runs of black frames, and stretches of silence.

Both follow the Cutwise engine convention: ``run(asset, params, *, progress, cancel)``
returns suggestions with inclusive source-frame ranges, reports ``progress(done, total,
message)`` and checks ``cancel`` for every frame or audio block.
"""

from __future__ import annotations

import bisect
import math
from fractions import Fraction

import numpy as np

from editor.core.model import MediaAsset, Suggestion
from editor.media.audio import iter_audio
from editor.media.decode import frame_times, iter_frames

ANALYSIS_WIDTH = 64    # black is black at any size: a thumbnail is plenty
AUDIO_RATE = 16000
AUDIO_BLOCK_S = 0.02


def _runs(flags: list[bool], minimum: int) -> list[tuple[int, int]]:
    """(first, last) index of every run of True at least ``minimum`` long."""
    runs, start = [], None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if i - start >= minimum:
                runs.append((start, i - 1))
            start = None
    return runs


def black_frames(asset: MediaAsset, params: dict, *, progress, cancel) -> list[Suggestion]:
    """One suggestion per run of at least ``min_frames`` black frames."""
    limit = params["threshold"] * 255.0
    flags: list[bool] = []
    darkness: list[float] = []
    total = asset.frame_count
    for frame in iter_frames(asset.path, fmt="gray", width=ANALYSIS_WIDTH, cancel=cancel):
        cancel.raise_if_cancelled()
        dark = float(np.mean(frame.image <= limit))
        flags.extend([False] * (frame.index - len(flags)))  # frames that failed to decode
        flags.append(dark >= params["coverage"])
        darkness.extend([0.0] * (frame.index - len(darkness)))
        darkness.append(dark)
        if frame.index % 25 == 0:
            progress(frame.index, total, f"frame {frame.index}")
    progress(total, total, "done")
    out = []
    for first, last in _runs(flags, int(params["min_frames"])):
        length = last - first + 1
        out.append(Suggestion(
            lane="black", asset_id=asset.id, start=first, end=last, kind="black",
            confidence=round(float(np.mean(darkness[first:last + 1])), 3),
            label=f"Black {first}-{last} ({length} frames)", data={"frames": length}))
    return out


def silence(asset: MediaAsset, params: dict, *, progress, cancel) -> list[Suggestion]:
    """One suggestion per stretch of at least ``min_seconds`` below ``level_db``."""
    if not asset.has_audio:
        return []
    level = 10 ** (params["level_db"] / 20)
    quiet: list[bool] = []
    starts: list[Fraction] = []
    duration = float(asset.duration) or 1.0
    for block in iter_audio(asset.path, sample_rate=AUDIO_RATE, mono=True, block_s=AUDIO_BLOCK_S,
                            cancel=cancel):
        cancel.raise_if_cancelled()
        rms = math.sqrt(float(np.mean(np.square(block.samples, dtype=np.float64)))) if len(block.samples) else 0.0
        quiet.append(rms < level)
        starts.append(block.start_s)
        if len(quiet) % 50 == 0:
            progress(min(int(block.start_s), int(duration)), int(duration) or 1, f"{float(block.start_s):.0f} s")
    if not starts:
        return []
    block_length = Fraction(AUDIO_BLOCK_S).limit_denominator(1000)
    ends = [*starts[1:], starts[-1] + block_length]
    minimum = max(1, math.ceil(params["min_seconds"] / AUDIO_BLOCK_S))
    times = frame_times(asset.path) if asset.variable_frame_rate and asset.width else None
    out = []
    for first, last in _runs(quiet, minimum):
        t0, t1 = starts[first], ends[last]
        start, end = _frame_span(asset, times, t0, t1)
        if end < start:
            continue
        out.append(Suggestion(
            lane="silence", asset_id=asset.id, start=start, end=end, kind="silence", confidence=1.0,
            label=f"Silence {float(t0):.2f}-{float(t1):.2f} s",
            data={"start_time": float(t0), "end_time": float(t1)}))
    progress(1, 1, "done")
    return out


def _frame_span(asset: MediaAsset, times: list[Fraction] | None, t0: Fraction, t1: Fraction) -> tuple[int, int]:
    """The frames that start within [t0, t1): by real frame times for a VFR source."""
    if times:
        return bisect.bisect_left(times, t0), min(bisect.bisect_left(times, t1), len(times)) - 1
    rate = asset.frame_rate.fraction
    last = asset.frame_count - 1
    return min(math.ceil(t0 * rate), last + 1), min(math.ceil(t1 * rate) - 1, last)
