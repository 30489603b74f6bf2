"""Write ``resources/demo-reel.mp4``: about 4.5 minutes of procedural demo footage.

The reel is made for showing off the highlights engine (and the shot engine): ten
sections that alternate

* **calm**: slow pans over generated mountain landscapes, slow zooms over stills of
  *Big Buck Bunny*, a twinkling night sky; long takes, a few dissolves, a soft pad chord
  bed with sparse bell notes;
* **speech**: a drawn presenter (wide, close-up and a picture cutaway) over a faint bed,
  with speech-like audio: harmonic voice with moving formants at syllable rate, short
  gaps between words and real pauses between phrases (the cuts sit in those pauses);
* **energetic**: shots of 2..6 beats at 125 bpm (particles, spinning shapes, a tunnel,
  and the bicycle footage of ``bikes.mp4``), loud drums and bass, flashes on the kicks.

Everything comes from a seeded plan (:func:`make_plan`), so the same command writes
the same reel. Only numpy, OpenCV and PyAV are used::

    python resources/make_demo_reel.py                      # resources/demo-reel.mp4
    python resources/make_demo_reel.py -o /tmp/short.mp4 --scale 0.2 --size 320x180
"""

from __future__ import annotations

import argparse
import colorsys
import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
FPS = 25
RATE = 48000
SPF = RATE // FPS  # audio samples per video frame
BEAT = 12  # frames per beat: 125 bpm at 25 fps
BAR = 4 * BEAT
CHORD = 2 * BAR  # frames per chord of the bed
# (mood, seconds) of each section; energetic ones are rounded to whole bars
LAYOUT = (("calm", 32), ("speech", 26), ("energetic", 23), ("calm", 34), ("speech", 24),
          ("energetic", 27), ("calm", 30), ("speech", 22), ("energetic", 27), ("calm", 26))
CALM_KINDS = ("landscape", "kenburns", "stars")
ENERGETIC_KINDS = ("particles", "shapes", "tunnel", "bikes")
# A minor: Am F C G, as MIDI notes
CHORDS = ((57, 60, 64), (53, 57, 60), (48, 55, 64), (55, 59, 62))
VOWELS = {"a": (800, 1200, 2600), "e": (500, 1800, 2500), "i": (320, 2300, 3000),
          "o": (500, 900, 2400), "u": (350, 800, 2300)}


@dataclass(frozen=True)
class Section:
    mood: str  # calm, speech or energetic
    start: int  # first frame
    end: int  # exclusive


@dataclass(frozen=True)
class Shot:
    kind: str
    start: int
    end: int  # exclusive
    seed: int
    dissolve: int = 0  # frames blended with the previous shot's continuation


@dataclass(frozen=True)
class Syllable:
    start: float  # seconds
    length: float
    vowel: str
    f0: float
    fricative: bool


@dataclass(frozen=True)
class Plan:
    frames: int
    sections: tuple[Section, ...]
    shots: tuple[Shot, ...]
    syllables: tuple[Syllable, ...]


def make_plan(seed: int = 2026, scale: float = 1.0) -> Plan:
    """Sections, shots and the speech script of the reel (``scale`` shortens it)."""
    rng = np.random.default_rng(seed)
    sections, shots, syllables = [], [], []
    pos = 0
    for index, (mood, seconds) in enumerate(LAYOUT):
        length = max(4 * FPS, round(seconds * scale * FPS))
        if mood == "energetic":
            length = max(2, round(length / BAR)) * BAR
        section = Section(mood, pos, pos + length)
        sections.append(section)
        if mood == "calm":
            shots += _calm_shots(rng, section, first=index == 0)
        elif mood == "energetic":
            shots += _energetic_shots(rng, section)
        else:
            script = _speech_script(rng, section)
            syllables += script
            shots += _speech_shots(rng, section, script)
        pos += length
    return Plan(pos, tuple(sections), tuple(shots), tuple(syllables))


def _calm_shots(rng, section: Section, first: bool) -> list[Shot]:
    out, pos = [], section.start
    if first:
        out.append(Shot("title", pos, pos + 5 * FPS, int(rng.integers(1 << 30))))
        pos += 5 * FPS
    last = None
    while pos < section.end:
        length = int(rng.integers(7 * FPS, 12 * FPS))
        if section.end - (pos + length) < 5 * FPS:
            length = section.end - pos
        kind = str(rng.choice([k for k in CALM_KINDS if k != last]))
        dissolve = FPS if out and rng.random() < 0.5 else 0
        out.append(Shot(kind, pos, pos + length, int(rng.integers(1 << 30)), dissolve))
        pos, last = pos + length, kind
    return out


def _energetic_shots(rng, section: Section) -> list[Shot]:
    out, pos, last = [], section.start, None
    while pos < section.end:
        length = min(int(rng.choice((2, 2, 3, 4, 4, 6))) * BEAT, section.end - pos)
        kind = str(rng.choice([k for k in ENERGETIC_KINDS if k != last]))
        out.append(Shot(kind, pos, pos + length, int(rng.integers(1 << 30))))
        pos, last = pos + length, kind
    return out


def _speech_script(rng, section: Section) -> list[Syllable]:
    """Phrases of words of syllables: 4-5 syllables/s, pauses of 0.6-1.1 s between phrases."""
    out = []
    t, end = section.start / FPS + 0.6, section.end / FPS - 0.8
    while True:
        words = int(rng.integers(4, 9))
        f0 = float(rng.uniform(150, 190))
        phrase = []
        for w in range(words):
            for _ in range(int(rng.integers(1, 4))):
                length = float(rng.uniform(0.13, 0.26))
                phrase.append(Syllable(t, length, str(rng.choice(list(VOWELS))),
                                       f0 * (1 - 0.2 * w / words), bool(rng.random() < 0.4)))
                t += length + float(rng.uniform(0.01, 0.04))
            t += float(rng.uniform(0.08, 0.16))
        if t > end:
            break
        out += phrase
        t += float(rng.uniform(0.6, 1.1))
    return out


def _speech_shots(rng, section: Section, script: list[Syllable]) -> list[Shot]:
    """Presenter framings and picture cutaways, cut in the middle of phrase pauses."""
    pauses = [round((a.start + a.length + b.start) / 2 * FPS)
              for a, b in zip(script, script[1:]) if b.start - a.start - a.length > 0.5]
    cuts = [section.start] + pauses[1::2] + [section.end]
    cuts = [c for k, c in enumerate(cuts) if k == 0 or c - cuts[k - 1] >= 2 * FPS]
    cuts[-1] = section.end
    kinds = ("presenter-wide", "presenter-close", "kenburns")
    return [Shot(kinds[k % 3] if k < 3 else str(rng.choice(kinds)), a, b,
                 int(rng.integers(1 << 30)))
            for k, (a, b) in enumerate(zip(cuts, cuts[1:]))]


# ----------------------------------------------------------------------------- audio

def _midi(note: float) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


def _ramp(frames: int, sections, levels: dict[str, float], fade_s: float = 0.4):
    """A gain curve per sample following the sections' moods, with smooth steps."""
    step = np.repeat([levels[s.mood] for s in sections],
                     [(s.end - s.start) * SPF for s in sections]).astype(np.float64)
    k = max(1, int(fade_s * RATE))
    c = np.concatenate([[0.0], np.cumsum(np.pad(step, (k // 2, k - k // 2), mode="edge"))])
    return ((c[k:] - c[:-k]) / k)[:frames * SPF].astype(np.float32)


def _pad(n: int, rng) -> np.ndarray:
    """Slow chords (A minor, 3.84 s each), detuned sines with a soft crossfade."""
    out = np.zeros(n, np.float32)
    length = CHORD * SPF
    fade = int(0.5 * RATE)
    for k, start in enumerate(range(0, n, length)):
        a, b = max(0, start - fade), min(n, start + length + fade)
        t = np.arange(b - a, dtype=np.float64) / RATE
        env = np.minimum(1.0, np.minimum(t / (2 * fade / RATE), (b - a) / RATE - t)
                         / (2 * fade / RATE)).clip(0, 1)
        tone = np.zeros(b - a)
        for note in CHORDS[k % len(CHORDS)]:
            f = _midi(note)
            phase = rng.uniform(0, 2 * np.pi)
            for detune, amp in ((1.0, 1.0), (1.004, 0.7), (2.0, 0.25)):
                tone += amp * np.sin(2 * np.pi * f * detune * t + phase)
        tremolo = 1 + 0.15 * np.sin(2 * np.pi * 0.2 * t)
        out[a:b] += (tone * env * tremolo / 6).astype(np.float32)
    return out


def _hit(samples: np.ndarray, out: np.ndarray, at: int, gain: float) -> None:
    end = min(len(out), at + len(samples))
    if end > at >= 0:
        out[at:end] += gain * samples[:end - at]


def _band_noise(rng, n: int, low: float, high: float) -> np.ndarray:
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / RATE)
    spec[(f < low) | (f > high)] = 0
    noise = np.fft.irfft(spec, n)
    return noise / (np.abs(noise).max() + 1e-9)


def _drum_kit(rng) -> dict[str, np.ndarray]:
    t = np.arange(int(0.5 * RATE)) / RATE
    kick = np.sin(2 * np.pi * (50 * t + 100 * 0.03 * (1 - np.exp(-t / 0.03)))) * np.exp(-t / 0.18)
    ts = t[:int(0.25 * RATE)]
    snare = (0.7 * _band_noise(rng, len(ts), 1500, 9000) + 0.5 * np.sin(2 * np.pi * 185 * ts)) \
        * np.exp(-ts / 0.07)
    th = t[:int(0.06 * RATE)]
    hat = _band_noise(rng, len(th), 7000, 16000) * np.exp(-th / 0.015)
    attack = np.minimum(1.0, np.arange(len(t)) / 48.0)  # 1 ms: no click at the onset
    return {name: (s * attack[:len(s)]).astype(np.float32)
            for name, s in (("kick", kick), ("snare", snare), ("hat", hat))}


def _drums(plan: Plan, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Drums and bass in the energetic sections, and a per-frame kick pulse for pictures."""
    kit = _drum_kit(rng)
    out = np.zeros(n, np.float32)
    pulse = np.zeros(plan.frames, np.float32)
    tb = np.arange(int(0.24 * RATE)) / RATE
    for section in plan.sections:
        if section.mood != "energetic":
            continue
        for beat, frame in enumerate(range(section.start, section.end, BEAT)):
            at = frame * SPF
            last_bar = frame >= section.end - BAR
            _hit(kit["kick"], out, at, 0.9)
            pulse[frame:frame + BEAT] = np.maximum(
                pulse[frame:frame + BEAT], np.exp(-np.arange(min(BEAT, plan.frames - frame)) / 3))
            if beat % 4 in (1, 3) or (last_bar and beat % 4 == 3):
                _hit(kit["snare"], out, at, 0.6)
            for eighth in range(2):
                _hit(kit["hat"], out, at + eighth * BEAT * SPF // 2, 0.25 + 0.1 * eighth)
            if last_bar and beat % 4 >= 2:  # a snare fill into the next section
                for q in (1, 2, 3):
                    _hit(kit["snare"], out, at + q * BEAT * SPF // 4, 0.35 + 0.1 * q)
            root = _midi(CHORDS[(frame // CHORD) % len(CHORDS)][0] - 24)
            for eighth in range(2):
                bass = sum(np.sin(2 * np.pi * root * h * tb) / h for h in (1, 2, 3, 4))
                env = np.exp(-tb / 0.12) * np.minimum(1, np.arange(len(tb)) / 96)
                _hit((bass * env).astype(np.float32), out, at + eighth * BEAT * SPF // 2, 0.35)
    return out, pulse


def _voice(plan: Plan, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Speech-like audio (harmonic source shaped by vowel formants) and a per-frame level."""
    out = np.zeros(n, np.float32)
    for syl in plan.syllables:
        m = int(syl.length * RATE)
        t = np.arange(m) / RATE
        f0 = syl.f0 * (1 + 0.06 * np.sin(np.pi * t / syl.length))  # a rise and fall
        phase = 2 * np.pi * np.cumsum(f0) / RATE
        formants = VOWELS[syl.vowel]
        tone = np.zeros(m)
        for h in range(1, int(4000 / syl.f0)):
            f = h * syl.f0
            gain = sum(a / (1 + ((f - fo) / 90) ** 2) for fo, a in zip(formants, (1, 0.6, 0.3)))
            tone += gain / h ** 0.5 * np.sin(h * phase)
        env = np.sin(np.pi * np.minimum(1, t / syl.length)) ** 0.7
        tone *= env
        if syl.fricative:  # a short hiss before the vowel
            k = int(0.05 * RATE)
            hiss = _band_noise(rng, k, 3000, 7000) * np.hanning(k) * 0.25
            tone[:k] = tone[:k] * np.linspace(0, 1, k) + hiss
        at = int(syl.start * RATE)
        out[at:at + m] += (tone / (np.abs(tone).max() + 1e-9) * 0.5).astype(np.float32)[:n - at]
    level = np.sqrt(np.mean(out[:plan.frames * SPF].reshape(plan.frames, SPF) ** 2, axis=1))
    return out, level / (level.max() + 1e-9)


def _bells(plan: Plan, n: int, rng) -> np.ndarray:
    """Sparse soft bell notes (chord tones, an octave up) every two beats."""
    out = np.zeros(n, np.float32)
    t = np.arange(int(1.6 * RATE)) / RATE
    for frame in range(0, plan.frames, 2 * BEAT):
        if rng.random() < 0.35:
            continue
        note = _midi(int(rng.choice(CHORDS[(frame // CHORD) % len(CHORDS)])) + 12)
        bell = (np.sin(2 * np.pi * note * t) + 0.3 * np.sin(2 * np.pi * 2.76 * note * t)
                * np.exp(-t / 0.2)) * np.exp(-t / 0.5) * np.minimum(1, np.arange(len(t)) / 240)
        _hit(bell.astype(np.float32), out, frame * SPF, float(rng.uniform(0.15, 0.3)))
    return out


def make_audio(plan: Plan, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mono audio of the whole reel, the voice level and the kick pulse per frame."""
    rng = np.random.default_rng(seed + 1)
    n = plan.frames * SPF
    pad, bells = _pad(n, rng), _bells(plan, n, rng)
    drums, pulse = _drums(plan, n, rng)
    voice, level = _voice(plan, n, rng)
    mix = (pad * _ramp(plan.frames, plan.sections, {"calm": 0.22, "speech": 0.03,
                                                    "energetic": 0.2})
           + bells * _ramp(plan.frames, plan.sections, {"calm": 0.35, "speech": 0.0,
                                                        "energetic": 0.0})
           + drums + 0.55 * voice)
    mix = np.tanh(mix * 1.1) * 0.9
    tail = min(n, 2 * RATE)
    mix[-tail:] *= np.linspace(1, 0, tail)
    mix[:int(0.01 * RATE)] *= np.linspace(0, 1, int(0.01 * RATE))
    return mix.astype(np.float32), level, pulse


# ---------------------------------------------------------------------------- pictures

def _hsv(h: float, s: float, v: float) -> np.ndarray:
    return np.array(colorsys.hsv_to_rgb(h % 1.0, s, v), np.float32) * 255


def _noise1d(rng, n: int, octaves: int = 5, base: int = 6) -> np.ndarray:
    """Fractal value noise on n points, about -1..1."""
    x = np.arange(n)
    out = np.zeros(n)
    for o in range(octaves):
        points = base * 2 ** o + 2
        out += np.interp(x, np.linspace(0, n, points), rng.uniform(-1, 1, points)) / 2 ** o
    return out / 1.9


def _gradient(h: int, w: int, top, bottom) -> np.ndarray:
    a = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    return np.ascontiguousarray(np.broadcast_to((1 - a) * top + a * bottom, (h, w, 3)),
                                np.float32)


def _shift(image: np.ndarray, dx: float, dy: float, w: int, h: int, scale: float = 1.0,
           border=cv2.BORDER_REFLECT) -> np.ndarray:
    """``image`` moved by (-dx, -dy) (and scaled), cropped to w x h, subpixel."""
    m = np.float32([[scale, 0, -dx], [0, scale, -dy]])
    return cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=border)


class Sources:
    """Frames reused from the bundled clips (decoded once)."""

    def __init__(self, w: int, h: int):
        self.w, self.h = w, h
        self._bunny = self._bikes = None

    @staticmethod
    def _frames(path: Path) -> list[np.ndarray]:
        with av.open(str(path)) as c:
            return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]

    def bunny(self) -> list[np.ndarray]:
        if self._bunny is None:
            frames = self._frames(HERE / "bigbuckbunny.mp4")
            size = (round(self.w * 1.25), round(self.h * 1.25))
            self._bunny = [cv2.resize(frames[i], size, interpolation=cv2.INTER_AREA)
                           for i in (0, 45, 90, 131)]
        return self._bunny

    def bikes(self) -> list[np.ndarray]:
        if self._bikes is None:
            out = []
            for f in self._frames(HERE / "bikes.mp4"):
                scale = max(self.w / f.shape[1], self.h / f.shape[0])
                f = cv2.resize(f, (math.ceil(f.shape[1] * scale), math.ceil(f.shape[0] * scale)),
                               interpolation=cv2.INTER_AREA)
                y, x = (f.shape[0] - self.h) // 2, (f.shape[1] - self.w) // 2
                out.append(np.ascontiguousarray(f[y:y + self.h, x:x + self.w]))
            self._bikes = out
        return self._bikes


def _title(rng, w, h, ctx):
    bg = _gradient(h, w, _hsv(0.62, 0.6, 0.12), _hsv(0.75, 0.5, 0.25))
    blobs = [(rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.1, 0.25) * w,
              _hsv(rng.uniform(0.5, 0.9), 0.6, 0.5)) for _ in range(5)]
    s = w / 640
    i = 0
    while True:
        t = i / FPS
        img = bg.copy()
        glow = np.zeros((h // 4, w // 4, 3), np.float32)
        for k, (x, y, r, c) in enumerate(blobs):
            cv2.circle(glow, (int((x + 20 * s * math.sin(0.3 * t + k)) / 4), int(y / 4)),
                       int(r / 4), c.tolist(), -1)
        img += cv2.resize(cv2.GaussianBlur(glow, (0, 0), 12 * s), (w, h)) * 0.5
        out = np.clip(img, 0, 255).astype(np.uint8)
        for text, y, size, thick in (("CUTWISE", 0.45, 2.2, 3), ("demo reel", 0.6, 0.9, 1)):
            (tw, _), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_DUPLEX, size * s, thick)
            cv2.putText(out, text, ((w - tw) // 2, int(y * h)), cv2.FONT_HERSHEY_DUPLEX,
                        size * s, (235, 235, 245), max(1, round(thick * s)), cv2.LINE_AA)
        yield out
        i += 1


def _landscape(rng, w, h, ctx):
    """Layered mountain ridges panning with parallax under a sky with sun and clouds."""
    hue = rng.uniform(0, 1)
    palettes = ((0.58, 0.08), (0.07, 0.95), (0.75, 0.02))  # (sky hue, horizon hue)
    sky_h, hor_h = palettes[int(rng.integers(len(palettes)))]
    speed = rng.uniform(10, 22) * w / 640 * rng.choice((-1, 1))
    margin = int(abs(speed) * 14) + 4
    sky = _gradient(h, w, _hsv(sky_h, 0.55, 0.55), _hsv(hor_h, 0.45, 0.95))
    sun = (int(rng.uniform(0.2, 0.8) * w), int(rng.uniform(0.25, 0.45) * h))
    glow = np.zeros((h, w), np.float32)
    cv2.circle(glow, sun, int(0.05 * h), 1.0, -1, cv2.LINE_AA)
    sky += (cv2.GaussianBlur(glow, (0, 0), 0.12 * h) * 300 + glow * 120)[..., None] \
        * np.array([1, 0.9, 0.7], np.float32)
    cloud = np.zeros((h, w + margin * 2), np.float32)
    for _ in range(7):
        cv2.ellipse(cloud, (int(rng.uniform(0, w + 2 * margin)), int(rng.uniform(0.08, 0.35) * h)),
                    (int(rng.uniform(0.08, 0.2) * w), int(rng.uniform(0.015, 0.04) * h)),
                    0, 0, 360, float(rng.uniform(0.3, 0.6)), -1)
    cloud = cv2.GaussianBlur(cloud, (0, 0), 0.02 * h)
    haze = _hsv(hor_h, 0.35, 0.85)
    dark = _hsv(hue * 0.2 + 0.55, 0.5, 0.12)
    layers = []
    for k, (base, rough, factor) in enumerate(((0.5, 0.08, 0.2), (0.6, 0.07, 0.45),
                                               (0.72, 0.06, 0.75), (0.85, 0.05, 1.0))):
        width = w + 2 * int(margin * factor) + 4
        ridge = (base + rough * _noise1d(rng, width, base=3 + k)) * h
        y = np.arange(h, dtype=np.float32)[:, None]
        alpha = np.clip(y - ridge[None, :] + 0.5, 0, 1).astype(np.float32)
        colour = haze + (dark - haze) * (0.3 + 0.23 * k)
        shade = (1 - 0.25 * np.clip((y - ridge[None, :]) / (0.3 * h), 0, 1))[..., None]
        top = int(ridge.min())  # rows above the ridge are transparent
        layers.append((np.dstack([colour * shade, alpha])[top:].astype(np.float32), factor,
                       int(margin * factor), top))
    i = 0
    while True:
        t = i / FPS
        img = sky + _shift(cloud, margin + speed * 0.1 * t + 4 * t * w / 640, 0, w, h)[..., None] \
            * np.float32(90)
        for layer, factor, m, top in layers:
            moved = _shift(layer, m + speed * factor * t, 0, w, h - top)
            a = moved[..., 3:4]
            img[top:] = img[top:] * (1 - a) + moved[..., :3] * a
        yield np.clip(img, 0, 255).astype(np.uint8)
        i += 1


def _kenburns(rng, w, h, ctx):
    """A slow zoom and drift over a still of Big Buck Bunny."""
    frames = ctx.bunny()
    image = frames[int(rng.integers(len(frames)))]
    ih, iw = image.shape[:2]
    z0, z1 = sorted(rng.uniform(1.0, 1.25, 2))
    if rng.random() < 0.5:
        z0, z1 = z1, z0
    cx0, cy0, cx1, cy1 = rng.uniform(0.4, 0.6, 4)
    i = 0
    while True:
        a = min(1.0, i / (10 * FPS))
        z = z0 + (z1 - z0) * a
        scale = w / iw * z
        cx, cy = (cx0 + (cx1 - cx0) * a) * iw, (cy0 + (cy1 - cy0) * a) * ih
        m = np.float32([[scale, 0, w / 2 - cx * scale], [0, scale, h / 2 - cy * scale]])
        yield cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REFLECT)
        i += 1


def _stars(rng, w, h, ctx):
    """Night sky: twinkling stars drifting slowly, the moon, a hill, a shooting star."""
    bg = _gradient(h, w, _hsv(0.64, 0.8, 0.06), _hsv(0.72, 0.5, 0.3))
    big = (h + 60, w + 120)
    layers = []
    for _ in range(2):
        field = np.zeros(big, np.float32)
        n = int(250 * w * h / (640 * 360))
        ys, xs = rng.integers(0, big[0], n), rng.integers(0, big[1], n)
        field[ys, xs] = rng.uniform(0.3, 1.0, n) ** 2 * 255
        layers.append(cv2.GaussianBlur(field, (0, 0), 0.6) * 3)
    moon = (int(rng.uniform(0.6, 0.85) * w), int(rng.uniform(0.15, 0.3) * h))
    glow = np.zeros((h, w), np.float32)
    cv2.circle(glow, moon, int(0.06 * h), 1.0, -1, cv2.LINE_AA)
    bg = bg + (glow * 200 + cv2.GaussianBlur(glow, (0, 0), 0.08 * h) * 120)[..., None] \
        * np.array([0.9, 0.95, 1.0], np.float32)
    ridge = (0.82 + 0.05 * _noise1d(rng, w, base=3)) * h
    hill = (np.arange(h)[:, None] > ridge[None, :]).astype(np.float32)[..., None]
    shoot = rng.uniform(2, 6) * FPS
    start = rng.uniform(0.1, 0.6, 2) * (w, h)
    phases = rng.uniform(0, 2 * np.pi, 2)
    i = 0
    while True:
        t = i / FPS
        img = bg.copy()
        for k, field in enumerate(layers):
            moved = _shift(field, 60 + 6 * t * w / 640, 30 + 1.5 * t, w, h)
            img += moved[..., None] * (0.65 + 0.35 * math.sin(3 * t + phases[k]))
        if 0 <= i - shoot < 12:
            a = (i - shoot) / 12
            p0 = start + a * np.array((0.35 * w, 0.12 * h))
            p1 = p0 - np.array((0.05 * w, 0.017 * h))
            cv2.line(img, tuple(int(v) for v in p0), tuple(int(v) for v in p1),
                     (255, 255, 240), max(1, w // 480), cv2.LINE_AA)
        img = img * (1 - hill) + hill * np.float32(6)
        yield np.clip(img, 0, 255).astype(np.uint8)
        i += 1


def _presenter(rng, w, h, ctx, close: bool):
    """A drawn presenter whose mouth follows the voice, before a blurred bokeh wall."""
    wall = _gradient(h, w, _hsv(0.52, 0.35, 0.35), _hsv(0.58, 0.45, 0.18))
    bokeh = np.zeros((h, w, 3), np.float32)
    for _ in range(30):
        cv2.circle(bokeh, (int(rng.uniform(0, w)), int(rng.uniform(0, h * 0.7))),
                   int(rng.uniform(0.02, 0.06) * w), _hsv(rng.uniform(0.05, 0.15), 0.5, 0.6).tolist(),
                   -1, cv2.LINE_AA)
    wall += cv2.GaussianBlur(bokeh, (0, 0), (0.02 if close else 0.008) * w) * 0.6
    scale = h / 360 * (1.9 if close else 1.0)
    cx = w * (0.5 if close else 0.36)
    top = h * (0.32 if close else 0.42)
    skin = _hsv(0.07, 0.45, 0.85).tolist()
    shirt = _hsv(rng.uniform(0, 1), 0.55, 0.55).tolist()
    hair = _hsv(0.08, 0.6, 0.25).tolist()
    blink = set(int(b) for b in np.cumsum(rng.uniform(2.5, 5, 20) * FPS))

    def p(x, y):
        return int(cx + x * scale), int(top + y * scale)

    i = 0
    while True:
        level = float(ctx.voice[min(ctx.frame, len(ctx.voice) - 1)])
        sway = 3 * math.sin(i / FPS * 0.8)
        img = np.clip(wall, 0, 255).astype(np.uint8)
        cv2.ellipse(img, p(sway * 0.3, 150), (int(95 * scale), int(90 * scale)), 0, 180, 360,
                    shirt, -1, cv2.LINE_AA)
        cv2.rectangle(img, p(-14 + sway * 0.5, 40), p(14 + sway * 0.5, 75), skin, -1)
        cv2.ellipse(img, p(sway, 0), (int(42 * scale), int(54 * scale)), 0, 0, 360, skin, -1,
                    cv2.LINE_AA)
        cv2.ellipse(img, p(sway, -22), (int(46 * scale), int(36 * scale)), 0, 180, 360, hair, -1,
                    cv2.LINE_AA)
        eye = 1 if any(0 <= i - b < 3 for b in blink) else int(5 * scale)
        for side in (-1, 1):
            cv2.ellipse(img, p(sway + side * 16, -2), (int(5 * scale), eye), 0, 0, 360,
                        (40, 30, 30), -1, cv2.LINE_AA)
        cv2.ellipse(img, p(sway, 28), (int(13 * scale), max(1, int((2 + 12 * level) * scale))),
                    0, 0, 360, (90, 30, 40), -1, cv2.LINE_AA)
        if not close:
            bar = img[int(0.8 * h):int(0.9 * h), int(0.05 * w):int(0.5 * w)]
            bar[:] = (bar * 0.35).astype(np.uint8)
            cv2.putText(img, "NARRATOR  |  speech-like audio", (int(0.07 * w), int(0.865 * h)),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.5 * h / 360, (235, 235, 235), 1, cv2.LINE_AA)
        yield img
        i += 1


def _particles(rng, w, h, ctx):
    """Bright particles with trails, thrown outwards on every kick."""
    n = 70
    hue = rng.uniform(0, 1)
    colours = [_hsv(hue + rng.uniform(-0.12, 0.12), 0.8, 1.0).tolist() for _ in range(n)]
    pos = rng.uniform(0, 1, (n, 2)) * (w, h)
    vel = rng.normal(0, 4, (n, 2)) * w / 640
    centre = np.array((w / 2, h / 2))
    canvas = _gradient(h, w, _hsv(hue + 0.5, 0.7, 0.15), _hsv(hue + 0.4, 0.8, 0.05)).copy()
    base = canvas.copy()
    r = max(1, round(5 * w / 640))
    i = 0
    while True:
        kick = float(ctx.pulse[min(ctx.frame, len(ctx.pulse) - 1)])
        if kick > 0.99:
            d = pos - centre
            vel += d / (np.linalg.norm(d, axis=1, keepdims=True) + 1) * 14 * w / 640
        vel *= 0.95
        pos = (pos + vel) % (w, h)
        canvas = base * 0.8 + canvas * 0.2
        for (x, y), c in zip(pos.astype(int), colours):
            cv2.circle(canvas, (int(x), int(y)), r, c, -1, cv2.LINE_AA)
        cv2.circle(canvas, (w // 2, h // 2), int((1 - kick) * 0.6 * w + 5), colours[0],
                   max(1, int(6 * kick * w / 640)), cv2.LINE_AA)
        yield np.clip(canvas + kick * 25, 0, 255).astype(np.uint8)
        i += 1


def _shapes(rng, w, h, ctx):
    """Spinning polygons pulsing on the beat, with camera shake and flashes."""
    hue = rng.uniform(0, 1)
    items = [(int(rng.integers(3, 7)), rng.uniform(0.1, 0.45) * h, rng.uniform(-4, 4),
              _hsv(hue + 0.15 * k, 0.85, 1.0).tolist(), rng.uniform(0.2, 0.8, 2) * (w, h))
             for k in range(4)]
    bg = _gradient(h, w, _hsv(hue + 0.6, 0.8, 0.25), _hsv(hue + 0.5, 0.9, 0.08))
    i = 0
    while True:
        t = i / FPS
        kick = float(ctx.pulse[min(ctx.frame, len(ctx.pulse) - 1)])
        img = np.clip(bg + kick * 35, 0, 255).astype(np.uint8)
        shake = rng.normal(0, 4 * kick * w / 640, 2)
        for sides, radius, spin, colour, (x, y) in items:
            ang = spin * t + np.arange(sides) * 2 * np.pi / sides
            rad = radius * (1 + 0.35 * kick)
            pts = np.stack([x + shake[0] + rad * np.cos(ang), y + shake[1] + rad * np.sin(ang)], 1)
            cv2.polylines(img, [pts.astype(np.int32)], True, colour, max(2, int(5 * w / 640)),
                          cv2.LINE_AA)
        yield img
        i += 1


def _tunnel(rng, w, h, ctx):
    """Flying through a striped tunnel whose centre wanders."""
    hue = rng.uniform(0, 1)
    c1, c2 = _hsv(hue, 0.9, 1.0), _hsv(hue + 0.45, 0.9, 0.6)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    speed = rng.uniform(1.2, 2) * rng.choice((-1, 1))
    i = 0
    while True:
        t = i / FPS
        kick = float(ctx.pulse[min(ctx.frame, len(ctx.pulse) - 1)])
        cx, cy = w / 2 + 0.15 * w * math.sin(1.3 * t), h / 2 + 0.12 * h * math.cos(0.9 * t)
        dx, dy = xs - cx, ys - cy
        r = np.sqrt(dx * dx + dy * dy) / h + 1e-3
        stripes = 0.5 + 0.5 * np.sin(2 * np.pi * (1.0 / r + speed * t))
        sectors = 0.5 + 0.5 * np.sin(6 * np.arctan2(dy, dx) + 2 * t)
        fog = np.clip(r / 0.35, 0, 1) ** 1.5
        mix = (stripes * (0.6 + 0.4 * sectors) * fog)[..., None]
        img = c2 * fog[..., None] * 0.4 + (c1 - c2 * 0.4) * mix
        yield np.clip(img * (0.85 + 0.4 * kick), 0, 255).astype(np.uint8)
        i += 1


def _bikes(rng, w, h, ctx):
    frames = ctx.bikes()
    i = int(rng.integers(0, len(frames) - 6 * BEAT))
    while True:
        yield frames[i % len(frames)]
        i += 1


MAKERS = {"title": _title, "landscape": _landscape, "kenburns": _kenburns, "stars": _stars,
          "presenter-wide": lambda *a: _presenter(*a, close=False),
          "presenter-close": lambda *a: _presenter(*a, close=True),
          "particles": _particles, "shapes": _shapes, "tunnel": _tunnel, "bikes": _bikes}


class _Context(Sources):
    """What the shot makers may read: reused frames, voice level and kick pulse per frame."""

    def __init__(self, w, h, voice, pulse):
        super().__init__(w, h)
        self.voice, self.pulse, self.frame = voice, pulse, 0


def iter_frames(plan: Plan, w: int, h: int, voice: np.ndarray, pulse: np.ndarray):
    """RGB frames of the reel in order (dissolves blend the previous shot's continuation)."""
    ctx = _Context(w, h, voice, pulse)
    previous = None
    for shot in plan.shots:
        maker = MAKERS[shot.kind](np.random.default_rng(shot.seed), w, h, ctx)
        for k in range(shot.end - shot.start):
            ctx.frame = shot.start + k
            frame = next(maker)
            if k < shot.dissolve and previous is not None:
                a = (k + 1) / (shot.dissolve + 1)
                frame = cv2.addWeighted(frame, a, next(previous), 1 - a, 0)
            fade = min(1.0, ctx.frame / FPS, (plan.frames - 1 - ctx.frame) / (2 * FPS))
            yield frame if fade >= 1 else (frame * fade).astype(np.uint8)
        previous = maker


def write_reel(out: Path, plan: Plan, seed: int, size=(640, 360), crf: int = 31,
               audio_kbps: int = 48, progress=None) -> Path:
    """Encode the reel (H.264 + mono AAC) to ``out`` through a temporary file."""
    w, h = size
    audio, voice, pulse = make_audio(plan, seed)
    tmp = out.with_name(f".{out.name}.tmp.mp4")
    with av.open(str(tmp), "w", format="mp4") as c:
        vs = c.add_stream("libx264", rate=FPS)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        vs.options = {"crf": str(crf), "preset": "slow", "x264-params": "keyint=125"}
        vs.metadata["title"] = "Cutwise demo reel"
        aus = c.add_stream("aac", rate=RATE, layout="mono")
        aus.bit_rate = audio_kbps * 1000
        apos = 0
        for index, frame in enumerate(iter_frames(plan, w, h, voice, pulse)):
            vf = av.VideoFrame.from_ndarray(frame, format="rgb24")
            vf.pts, vf.time_base = index, Fraction(1, FPS)
            c.mux(vs.encode(vf))
            while apos < (index + 1) * SPF:  # keep the audio interleaved with the video
                chunk = audio[apos:apos + 1024]
                if len(chunk) < 1024:  # the encoder takes whole AAC frames only
                    chunk = np.pad(chunk, (0, 1024 - len(chunk)))
                af = av.AudioFrame.from_ndarray(chunk[None, :], format="fltp", layout="mono")
                af.sample_rate, af.pts, af.time_base = RATE, apos, Fraction(1, RATE)
                c.mux(aus.encode(af))
                apos += len(chunk)
            if progress and index % 250 == 0:
                progress(index, plan.frames)
        c.mux(vs.encode(None))
        c.mux(aus.encode(None))
    tmp.replace(out)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", default=str(HERE / "demo-reel.mp4"))
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--scale", type=float, default=1.0, help="shorten the reel (0.2: 1/5)")
    parser.add_argument("--size", default="640x360", help="WxH (default 640x360)")
    parser.add_argument("--crf", type=int, default=31, help="x264 quality (default 31)")
    args = parser.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    plan = make_plan(args.seed, args.scale)
    print(f"{plan.frames / FPS:.1f} s, {len(plan.shots)} shots, "
          f"{len(plan.syllables)} syllables -> {args.output}")
    write_reel(Path(args.output), plan, args.seed, (w, h), args.crf,
               progress=lambda d, n: print(f"\r{100 * d // n:3d} %", end="", flush=True))
    print("\rdone")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
