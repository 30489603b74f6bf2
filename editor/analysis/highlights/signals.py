"""Per-video signal curves on a 0.1 s grid, each in physical units and normalised.

Signals (:data:`SIGNALS`), what they measure and where they come from:

* ``loudness``: EBU R128 short-term loudness (3 s window, centred), LUFS. Own audio pass.
* ``onsets``: note/hit onsets per second (peaks of spectral flux), over 2 s. Own audio pass.
* ``beat``: strength of a steady pulse (autocorrelation of the onset envelope at
  60-200 bpm over 4 s), 0..1, with its tempo. Own audio pass.
* ``speech``: speech presence, 0..1: the share of 25 ms frames whose power sits mostly in
  300-3400 Hz with a harmonic (not noise-like) spectrum, times the syllable-rate level
  modulation over 1 s. **Limits**: a plain spectral/energy measure, no model. Singing and
  solo tonal instruments read as speech; speech over loud music or crowd noise is missed.
* ``motion``: picture change between consecutive frames (mean absolute luma difference
  at 128 px, % of range per frame), frames at shot boundaries left out. Shot features.
* ``cuts``: shot boundaries (cuts and transitions) in a centred 4 s window. Shot engine.
* ``brightness``: mean luma, 0..1. Shot features.
* ``colour``: colourfulness of the keyframes (Hasler and Suesstrunk). Own pass.
* ``faces``: the largest frontal face on the keyframes, as a share of the picture's
  shorter side (a close-up is more than a crowd far off). Own pass, the reframe's face
  detector (OpenCV's frontal Haar cascade). **Limits**: faces in profile, from behind or
  under a ninth of the shorter side are not found, nor people without a visible face (no
  person detector works offline here); a face on a poster counts; between keyframes (a
  few seconds apart in many files) the curve is interpolated.

**Normalisation per video**: ``(x - median) / max(robust spread, floor)`` through a
logistic, so 0.5 is this video's typical level and 0.12/0.88 are two spreads below/above.
The per-signal floor (:data:`FLOORS`, in the signal's units) keeps a signal that barely
varies (a constant music bed's loudness) near 0.5 everywhere instead of stretching its
noise over 0..1: a flat signal cannot decide anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from editor.core.cache import AnalysisCache, load_or_compute
from editor.core.progress import CancelToken, ProgressCallback, no_progress
from editor.core.timecode import FrameRate
from editor.media._av import WarningCallback
from editor.media.errors import NoVideoStreamError
from editor.media.probe import probe

from editor.analysis import shots as shots_engine
from editor.analysis.highlights import loudness
from editor.analysis.highlights.extract import FRAME, RawSignals, extract_signals

VERSION = 2  # of the raw pass; bump when extract.py changes
STEP = 0.1  # seconds per grid point
SIGNALS = ("loudness", "onsets", "beat", "speech", "motion", "cuts", "brightness", "colour",
           "faces")
FLOORS = {"loudness": 3.0, "onsets": 0.5, "beat": 0.08, "speech": 0.12, "motion": 0.4,
          "cuts": 0.6, "brightness": 0.06, "colour": 8.0, "faces": 0.05}
NOTES = ("faces: frontal faces on the keyframes only; people without a visible face are "
         "not measured (no offline person detector in this environment)",)
_FRAME_S = FRAME / loudness.RATE
_CUT_WINDOW_S = 4.0


@dataclass
class Signals:
    """Everything selection needs about one video; no decoding after this."""

    path: str
    frame_rate: FrameRate
    frame_count: int
    duration_s: float
    raw: dict[str, np.ndarray]  # physical units on the grid (NaN: not measured)
    norm: dict[str, np.ndarray]  # normalised 0..1 on the grid; only the measured signals
    boundaries: np.ndarray  # frames where a shot may start (cuts, after transitions)
    transitions: list[tuple[int, int]]  # inclusive frame spans of gradual transitions
    quiet: np.ndarray  # seconds of audio quiet points (pauses between words or sounds)
    tempo: np.ndarray  # bpm on the grid (NaN without a pulse)
    frame_times: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def fps(self) -> float:
        return float(self.frame_rate)

    @property
    def times(self) -> np.ndarray:
        return np.arange(len(next(iter(self.raw.values())))) * STEP

    @property
    def available(self) -> list[str]:
        return [name for name in SIGNALS if name in self.norm]

    def time_of(self, frame: int) -> float:
        """Presentation time of ``frame`` (the nominal rate past the last one)."""
        if 0 <= frame < len(self.frame_times):
            return float(self.frame_times[frame])
        if len(self.frame_times):
            return float(self.frame_times[-1]) + (frame - len(self.frame_times) + 1) / self.fps
        return frame / self.fps


def normalise(values: np.ndarray, floor: float) -> np.ndarray:
    """Robust per-video normalisation to 0..1 (0.5 = median); see the module notes."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return np.full(len(values), 0.5)
    q25, q50, q75 = np.percentile(finite, (25, 50, 75))
    spread = max((q75 - q25) / 1.349, floor)
    z = np.clip((np.nan_to_num(values, nan=q50) - q50) / spread, -20, 20)
    return 1.0 / (1.0 + np.exp(-z))


def _window_mean(values: np.ndarray, half: int) -> np.ndarray:
    """Centred moving mean over ``2 * half + 1`` points (NaN-aware, shorter at the ends)."""
    ok = np.isfinite(values)
    c = np.concatenate([[0.0], np.cumsum(np.where(ok, values, 0.0))])
    k = np.concatenate([[0], np.cumsum(ok)])
    i = np.arange(len(values))
    lo, hi = np.maximum(0, i - half), np.minimum(len(values), i + half + 1)
    with np.errstate(invalid="ignore"):
        return (c[hi] - c[lo]) / (k[hi] - k[lo])


def _to_grid(times: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    if not len(times):
        return np.full(n, np.nan)
    return np.interp(np.arange(n) * STEP, times, values)


def _frames_to_grid(values: np.ndarray, hop_s: float, n: int, half_s: float) -> np.ndarray:
    """Per-audio-frame values averaged over ``±half_s`` and sampled on the grid."""
    if not len(values):
        return np.full(n, np.nan)
    smooth = _window_mean(values, max(0, round(half_s / hop_s)))
    return _to_grid((np.arange(len(values)) + 0.5) * hop_s, smooth, n)


def _onsets(flux: np.ndarray) -> np.ndarray:
    """Indices of onsets: local maxima of the flux well above its local median."""
    if len(flux) < 3:
        return np.zeros(0, int)
    half = 20  # 0.5 s of 25 ms frames
    pad = np.pad(flux, half, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(pad, 2 * half + 1)
    local = np.median(windows, axis=1)
    mad = np.median(np.abs(windows - local[:, None]), axis=1)
    floor = 0.1 * np.percentile(flux, 95)
    peak = (flux >= np.roll(flux, 1)) & (flux > np.roll(flux, -1))
    return np.flatnonzero(peak & (flux > np.maximum(local + 4 * mad, local + floor)))


def _beat(flux: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Pulse strength (0..1) and tempo (bpm) over 4 s windows every 0.5 s, on the grid."""
    win, hop = 160, 20  # 4 s and 0.5 s of 25 ms frames
    lags = np.arange(round(0.3 / _FRAME_S), round(1.0 / _FRAME_S) + 1)  # 200..60 bpm
    if len(flux) < win:
        return np.full(n, np.nan), np.full(n, np.nan)
    starts = np.arange(0, len(flux) - win + 1, hop)
    frames = np.lib.stride_tricks.sliding_window_view(flux, win)[starts]
    frames = frames - frames.mean(axis=1, keepdims=True)
    spec = np.fft.rfft(frames, 2 * win, axis=1)
    ac = np.fft.irfft(spec * spec.conj(), axis=1)[:, :win]
    ac0 = np.maximum(ac[:, :1], 1e-12)
    strength_by_lag = ac[:, lags] / ac0
    best = np.argmax(strength_by_lag, axis=1)
    strength = np.clip(strength_by_lag[np.arange(len(best)), best], 0, 1)
    tempo = 60.0 / (lags[best] * _FRAME_S)
    centres = (starts + win / 2) * _FRAME_S
    return _to_grid(centres, strength, n), _to_grid(centres, tempo, n)


def _speech(raw: RawSignals, n: int) -> np.ndarray:
    """Speech presence on the grid (see the module notes for what it can and cannot do)."""
    energy = raw.frame_energy
    if not len(energy):
        return np.full(n, np.nan)
    level = 10 * np.log10(energy + 1e-12)
    audible = level > max(np.percentile(level, 10) + 10.0, -70.0)
    voiced = audible & (raw.speech_ratio > 0.55) & (raw.flatness < 0.3)
    share = _window_mean(voiced.astype(float), 20)
    spread = np.sqrt(np.maximum(_window_mean(level ** 2, 20) - _window_mean(level, 20) ** 2, 0))
    modulation = np.clip((spread - 2.0) / 6.0, 0.0, 1.0)  # syllables: 3+ dB swings
    return _to_grid((np.arange(len(energy)) + 0.5) * _FRAME_S, share * modulation, n)


def quiet_points(frame_energy: np.ndarray) -> np.ndarray:
    """Seconds (centres of 25 ms frames) where the sound dips: local minima at least 6 dB
    under the median of the surrounding second, or digital silence."""
    if len(frame_energy) < 3:
        return np.zeros(0)
    level = 10 * np.log10(frame_energy + 1e-12)
    half = 20
    pad = np.pad(level, half, mode="edge")
    local = np.median(np.lib.stride_tricks.sliding_window_view(pad, 2 * half + 1), axis=1)
    minimum = (level <= np.roll(level, 1)) & (level <= np.roll(level, -1))
    quiet = minimum & ((level < local - 6.0) | (level < -70.0))
    # of a run of quiet frames keep the quietest (one point per pause)
    idx = np.flatnonzero(quiet)
    keep = [i for j, i in enumerate(idx) if j == 0 or i - idx[j - 1] > 4
            or level[i] < level[idx[j - 1]]]
    return (np.asarray(keep, float) + 0.5) * _FRAME_S


def _raw_signals(path: Path, duration_s: float, cache: AnalysisCache | None,
                 progress: ProgressCallback, cancel: CancelToken | None,
                 on_warning: WarningCallback | None) -> RawSignals:
    key = cache.key(path, "highlights-signals", VERSION) if cache is not None else None
    raw, _ = load_or_compute(
        cache, key, lambda: extract_signals(path, duration_s=duration_s, progress=progress,
                                            cancel=cancel, on_warning=on_warning),
        RawSignals.from_arrays, media=path)
    return raw


def _stage(progress: ProgressCallback, first: int, span: int, total: int) -> ProgressCallback:
    """A progress callback mapping a stage's own 0..its_total onto first..first+span."""
    def report(done: int, its_total: int, message: str = "") -> None:
        share = done / its_total if its_total else 0.0
        progress(first + int(span * min(1.0, share)), total, message)
    return report


def analyse(path: str | Path, *, cache: AnalysisCache | None = None,
            progress: ProgressCallback = no_progress, cancel: CancelToken | None = None,
            on_warning: WarningCallback | None = None) -> Signals:
    """Measure every signal of ``path`` (video required; audio optional).

    The picture is decoded once, by the shot engine's pass (shared through ``cache``);
    this engine's own pass demuxes the file once for the audio and the keyframes. With
    ``cache`` a second call decodes nothing.
    """
    path = Path(path)
    info = probe(path, cache=cache, cancel=cancel)
    if info.video is None:
        raise NoVideoStreamError(f"{path} has no video stream (audio only?).", path=str(path))
    video = info.video
    duration = float(video.duration_s or info.duration_s or 0)
    total = 1000
    features = shots_engine.features_for(path, video.frame_count, cache=cache,
                                         progress=_stage(progress, 0, 700, total),
                                         cancel=cancel, on_warning=on_warning)
    shot_result = shots_engine.score_features(
        features, frame_count=video.frame_count, frame_rate=video.frame_rate, path=str(path),
        variable_frame_rate=video.variable_frame_rate)
    raw = _raw_signals(path, duration, cache, _stage(progress, 700, 300, total), cancel,
                       on_warning)
    progress(total, total, "signals ready")
    return derive(path, video.frame_rate, shot_result, features, raw, duration)


def derive(path, frame_rate: FrameRate, shot_result, features, raw: RawSignals,
           duration_s: float) -> Signals:
    """Grid curves from the two passes' measurements (array work only)."""
    frame_count = shot_result.frame_count
    times = shot_result.frame_times.copy()
    missing = ~np.isfinite(times)
    times[missing] = np.flatnonzero(missing) / float(frame_rate)
    duration_s = max(duration_s, float(times[-1]) + 1 / float(frame_rate) if len(times) else 0)
    n = max(1, int(np.ceil(duration_s / STEP)))
    grid = np.arange(n) * STEP
    out: dict[str, np.ndarray] = {}

    # --- audio
    if raw.has_audio:
        energy = raw.block_energy
        block_t = (np.arange(len(energy)) + 0.5) * 0.1
        centred = _window_mean(energy, 15)  # 3 s, centred on each block
        out["loudness"] = _to_grid(block_t, loudness.lufs(centred), n)
        onset_flags = np.zeros(len(raw.flux))
        onset_flags[_onsets(raw.flux)] = 1.0
        out["onsets"] = _frames_to_grid(onset_flags, _FRAME_S, n, 1.0) / _FRAME_S
        out["beat"], tempo = _beat(raw.flux, n)
        out["speech"] = _speech(raw, n)
        quiet = quiet_points(raw.frame_energy)
    else:
        tempo, quiet = np.full(n, np.nan), np.zeros(0)

    # --- picture, from the shot features
    index = features.index
    seconds = features.seconds()
    near_boundary = np.zeros(frame_count + 2, bool)
    for c in shot_result.cuts:
        near_boundary[max(0, c.frame - 1):c.frame + 2] = True
    for t in shot_result.transitions:
        near_boundary[max(0, t.start - 1):t.end + 2] = True
    gap = np.maximum(np.nan_to_num(features.column("gap"), nan=1.0), 1.0)
    motion = 100.0 * features.column("m1") / gap
    keep = np.isfinite(motion) & ~near_boundary[np.minimum(index, frame_count + 1)]
    if keep.any():
        per_grid = _window_mean(_to_grid(seconds[keep], motion[keep], n), 2)
        out["motion"] = per_grid
    out["brightness"] = _window_mean(_to_grid(seconds, features.column("mean"), n), 2)
    boundary_times = np.array(shot_result.times)
    half = _CUT_WINDOW_S / 2
    out["cuts"] = (np.searchsorted(boundary_times, grid + half)
                   - np.searchsorted(boundary_times, grid - half)).astype(float)
    if len(raw.key_times):
        out["colour"] = _to_grid(raw.key_times, raw.colourfulness, n)
        out["faces"] = _to_grid(raw.key_times, raw.faces, n)

    raw_grid = {name: out.get(name, np.full(n, np.nan)) for name in SIGNALS}
    norm = {name: normalise(values, FLOORS[name]) for name, values in out.items()
            if np.isfinite(values).any()}
    boundaries = sorted({c.frame for c in shot_result.cuts}
                        | {t.end + 1 for t in shot_result.transitions}
                        | {t.start for t in shot_result.transitions})
    return Signals(path=str(path), frame_rate=frame_rate, frame_count=frame_count,
                   duration_s=duration_s, raw=raw_grid, norm=norm,
                   boundaries=np.array([b for b in boundaries if 0 < b < frame_count], int),
                   transitions=[(t.start, t.end) for t in shot_result.transitions],
                   quiet=quiet, tempo=tempo, frame_times=times, notes=NOTES,
                   warnings=tuple(features.warnings) + tuple(raw.warnings))
