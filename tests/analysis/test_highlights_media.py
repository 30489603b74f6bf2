"""A small generated clip with a known energetic span, for the highlights tests (no tests here).

12 s at 25 fps, 192x108: a calm part (a slow drift over one texture, a soft steady tone),
an energetic span from 4 s to 8 s (a fast pan, a cut every 0.5 s, percussive noise hits
at 6 per second) and a calm part again. ``equal_loudness=True`` gives the same picture
with audio no louder inside the span than outside: the hits are scaled down and the calm
parts get a louder tone, so only the picture and the sound's texture tell them apart.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

W, H, FPS, SECONDS = 192, 108, 25, 12
ENERGETIC = (4.0, 8.0)
RATE = 48000


def _texture(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = cv2.GaussianBlur(rng.normal(0, 1, (H + 40, 4 * W)).astype(np.float32), (0, 0), 6)
    return img / (img.std() + 1e-6) * 45 + 128


def picture(i: int, textures: list[np.ndarray]) -> np.ndarray:
    t = i / FPS
    if ENERGETIC[0] <= t < ENERGETIC[1]:
        shot = 1 + int((t - ENERGETIC[0]) / 0.5) % (len(textures) - 1)
        x = int((t - ENERGETIC[0]) * 150) % (3 * W)
    else:
        shot, x = 0, int(t * 2)
    gray = textures[shot][10:10 + H, x:x + W]
    return np.clip(gray, 0, 255).astype(np.uint8)


def sound(equal_loudness: bool) -> np.ndarray:
    t = np.arange(SECONDS * RATE) / RATE
    tone = 0.05 * np.sin(2 * np.pi * 330 * t)
    rng = np.random.default_rng(3)
    hits = np.zeros_like(t)
    for start in np.arange(ENERGETIC[0], ENERGETIC[1], 1 / 6):
        a = int(start * RATE)
        n = int(0.08 * RATE)
        hits[a:a + n] += rng.normal(0, 0.5, n) * np.exp(-np.arange(n) / (0.015 * RATE))
    if equal_loudness:  # no louder inside the span (a little quieter)
        inside = (t >= ENERGETIC[0]) & (t < ENERGETIC[1])
        rms_hits = np.sqrt(np.mean(hits[inside] ** 2))
        hits *= 0.05 / rms_hits
        tone = np.where(inside, 0.01, 0.1) * np.sin(2 * np.pi * 330 * t)
    return (tone + hits).astype(np.float32)


def make_clip(path: str | Path, *, equal_loudness: bool = False) -> Path:
    path = Path(path)
    textures = [_texture(s) for s in range(6)]
    audio = sound(equal_loudness)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = W, H, "yuv420p"
        video.codec_context.time_base = Fraction(1, FPS)
        video.options = {"g": "25", "crf": "23", "preset": "ultrafast"}
        stream = out.add_stream("aac", rate=RATE)
        stream.layout = "mono"
        for i in range(SECONDS * FPS):
            gray = picture(i, textures)
            frame = av.VideoFrame.from_ndarray(np.repeat(gray[:, :, None], 3, axis=2),
                                               format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        for start in range(0, len(audio), 1024):
            frame = av.AudioFrame.from_ndarray(audio[None, start:start + 1024], format="flt",
                                               layout="mono")
            frame.sample_rate, frame.pts = RATE, start
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path
