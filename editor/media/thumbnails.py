"""Still frames at a time: seek to the keyframe before, decode forward to the frame shown."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from editor.core.cache import AnalysisCache, atomic_write_bytes
from editor.media._av import exact_seconds, open_input, video_stream, warner
from editor.media.decode import FrameView, decode_video

VERSION = 1


def thumbnail(path: str | os.PathLike, time_s: float | Fraction, *, width: int = 320,
              cache: AnalysisCache | None = None) -> np.ndarray:
    """The upright RGB picture shown at ``time_s`` (clamped to the clip), ``width`` wide.

    Its height keeps the display aspect (pixel aspect and rotation applied).
    """
    path = Path(path)
    key = None
    if cache is not None:
        open_input(path)[0].close()  # typed errors before fingerprinting
        key = cache.key(path, "thumbnail", VERSION, {"t": round(float(time_s), 6), "w": width})
        hit = cache.get_arrays(key)
        if hit is not None and "image" in hit:
            return hit["image"]
    image = _decode_at(path, max(Fraction(0), exact_seconds(time_s)), width)
    if key is not None:
        cache.put_arrays(key, {"image": image})
    return image


def _decode_at(path: Path, time_s: Fraction, width: int) -> np.ndarray:
    container, watch = open_input(path)
    with container:
        stream = video_stream(container, path)
        stream.thread_type = "AUTO"
        target = (stream.start_time or 0) + time_s / stream.time_base
        container.seek(int(target), stream=stream, backward=True, any_frame=False)
        sar = Fraction(stream.sample_aspect_ratio or stream.codec_context.sample_aspect_ratio or 1)
        shown = None
        frames = decode_video(container, stream, path, watch, None, warner(None),
                              ticks=[])  # after a seek; frame indices are not needed
        for _, frame in frames:
            if shown is not None and frame.pts is not None and frame.pts > target:
                break
            shown = frame
        return FrameView(shown, "rgb", width, None, sar, True).image(shown)


def save_png(image: np.ndarray, path: str | os.PathLike) -> None:
    """Write an RGB (or gray) uint8 image as PNG, atomically."""
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    ok, data = cv2.imencode(".png", image)
    if not ok:
        raise ValueError("PNG encoding failed")
    atomic_write_bytes(Path(path), data.tobytes())
