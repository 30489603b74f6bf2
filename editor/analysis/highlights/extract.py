"""The highlights engine's own decoding pass: audio, and the video's keyframes, in one demux.

Audio is resampled to 48 kHz (all channels) and cut into 100 ms blocks: each block gives
its K-weighted loudness energy (:mod:`.loudness`) and four 25 ms frames give the spectral
features (energy, spectral flux, speech-band ratio, spectral flatness). Of the video only
keyframes are decoded (at most two a second), for their colourfulness and the largest
frontal face on them (the reframe's face detector, on an upright copy
:data:`~editor.analysis.reframe.faces.DETECT_SIZE` pixels on its shorter side): motion,
brightness and cut rhythm come from the shot engine's cached per-frame features instead,
so the pictures are decoded once for both engines.

Everything kept is a few floats per 25 ms, so memory stays small whatever the length.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import av.error
import numpy as np

from editor.core.progress import CancelToken, ProgressCallback, no_progress
from editor.media._av import WarningCallback, open_input, read_packets, video_stream, warner
from editor.media.decode import FrameView
from editor.media.probe import rotation_of

from editor.analysis.highlights import loudness
from editor.analysis.reframe.faces import DETECT_SIZE, FaceDetector

FRAME = loudness.RATE // 40  # 25 ms spectral frames
FRAMES_PER_BLOCK = loudness.BLOCK // FRAME
KEYFRAME_EVERY_S = 0.5
_THUMB_WIDTH = 160
_SPEECH_BAND = (300.0, 3400.0)
_PROGRESS_EVERY_S = 0.1


@dataclass
class RawSignals:
    """What the pass measured, in physical units, on fixed time grids from t = 0."""

    block_energy: np.ndarray  # K-weighted mean square per 100 ms block
    frame_energy: np.ndarray  # plain mean square (mono) per 25 ms frame
    flux: np.ndarray  # spectral flux (log magnitude, half-wave rectified) per 25 ms frame
    speech_ratio: np.ndarray  # share of the power in 300-3400 Hz per 25 ms frame
    flatness: np.ndarray  # spectral flatness in 300-3400 Hz (0 tonal .. 1 noise)
    key_times: np.ndarray  # seconds of the decoded keyframes
    colourfulness: np.ndarray  # Hasler-Suesstrunk colourfulness of each keyframe
    faces: np.ndarray  # the largest face's height on each keyframe, of its shorter side
                       # (0: none; NaN: no face detector in this OpenCV)
    has_audio: bool = True
    warnings: tuple[str, ...] = field(default=())

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in _ARRAYS} | {
            "has_audio": np.array([self.has_audio])}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], warnings=()) -> "RawSignals | None":
        try:
            return cls(*(arrays[name].astype(np.float64) for name in _ARRAYS),
                       has_audio=bool(arrays["has_audio"][0]), warnings=tuple(warnings))
        except (KeyError, IndexError):
            return None


_ARRAYS = ("block_energy", "frame_energy", "flux", "speech_ratio", "flatness", "key_times",
           "colourfulness", "faces")


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler and Suesstrunk's colourfulness metric (0 grey; ~100 very colourful)."""
    r, g, b = (rgb[:, :, i].astype(np.float32) for i in range(3))
    rg, yb = r - g, 0.5 * (r + g) - b
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


class _FaceSizes:
    """The largest frontal face on a keyframe, as a share of the picture's shorter
    side (upright: a phone's rotated clip too); NaN without a face detector."""

    def __init__(self):
        self.detect = FaceDetector()
        self.view: FrameView | None = None

    def __call__(self, frame: av.VideoFrame) -> float:
        if not self.detect.available:
            return float("nan")
        if self.view is None or not self.view.fits(frame):
            w, h = frame.width, frame.height
            if rotation_of(frame) // 90 % 2:
                w, h = h, w
            side = min(DETECT_SIZE, w, h)
            self.view = FrameView(frame, "gray", side if w < h else None,
                                  side if w >= h else None, Fraction(1), rotate=True,
                                  fast=True)
        gray = self.view.image(frame)
        found = self.detect(gray)
        return float((found[:, 3] - found[:, 1]).max() / min(gray.shape)) if len(found) else 0.0


class _AudioAnalyser:
    """Consumes 48 kHz float samples [n, channels]; keeps per-block and per-frame values."""

    def __init__(self, channels: int):
        self.gains = loudness.channel_gains(channels)
        self.k = loudness.k_weights(loudness.BLOCK)
        self.window = np.hanning(FRAME).astype(np.float32)
        freqs = np.fft.rfftfreq(FRAME, 1.0 / loudness.RATE)
        self.band = (freqs >= _SPEECH_BAND[0]) & (freqs <= _SPEECH_BAND[1])
        self.audible = freqs >= 60.0
        self.pending: list[np.ndarray] = []
        self.held = 0
        self.prev_log: np.ndarray | None = None
        self.out: dict[str, list[np.ndarray]] = {n: [] for n in _ARRAYS[:5]}

    def push(self, samples: np.ndarray, final: bool = False) -> None:
        if len(samples):
            self.pending.append(samples)
            self.held += len(samples)
        if self.held < 10 * loudness.BLOCK and not final:
            return
        data = np.concatenate(self.pending) if len(self.pending) > 1 else self.pending[0]
        n_blocks = len(data) // loudness.BLOCK
        if final and len(data) % loudness.BLOCK:  # pad the last partial block with silence
            n_blocks += 1
            data = np.concatenate([data, np.zeros((n_blocks * loudness.BLOCK - len(data),
                                                   data.shape[1]), data.dtype)])
        used = n_blocks * loudness.BLOCK
        rest = data[used:]
        self.pending, self.held = ([rest] if len(rest) else []), len(rest)
        if n_blocks:
            self._analyse(data[:used].reshape(n_blocks, loudness.BLOCK, -1))

    def _analyse(self, blocks: np.ndarray) -> None:
        self.out["block_energy"].append(loudness.block_energy(blocks, self.k, self.gains))
        mono = (blocks * (self.gains / max(self.gains.sum(), 1.0))).sum(axis=2)
        frames = mono.reshape(-1, FRAME)
        self.out["frame_energy"].append(np.mean(frames * frames, axis=1))
        spectrum = np.abs(np.fft.rfft(frames * self.window, axis=1))
        power = spectrum * spectrum
        band = power[:, self.band]
        self.out["speech_ratio"].append(band.sum(axis=1) / np.maximum(
            power[:, self.audible].sum(axis=1), 1e-12))
        self.out["flatness"].append(np.exp(np.mean(np.log(band + 1e-12), axis=1)) /
                                    np.maximum(band.mean(axis=1), 1e-12))
        logmag = np.log1p(100.0 * spectrum)
        previous = logmag[:1] if self.prev_log is None else self.prev_log
        diff = np.diff(np.concatenate([previous, logmag]), axis=0)
        self.out["flux"].append(np.maximum(diff, 0.0).mean(axis=1))
        self.prev_log = logmag[-1:]

    def result(self) -> dict[str, np.ndarray]:
        self.push(np.zeros((0, len(self.gains)), np.float32), final=True)
        return {n: np.concatenate(v) if v else np.zeros(0) for n, v in self.out.items()}


def extract_signals(path: str | Path, *, duration_s: float = 0.0,
                    progress: ProgressCallback = no_progress,
                    cancel: CancelToken | None = None,
                    on_warning: WarningCallback | None = None) -> RawSignals:
    """Demux ``path`` once: analyse all of its audio and its keyframes' colours and faces."""
    path = Path(path)
    warnings: list[str] = []
    warn = warner(lambda m: (warnings.append(m), on_warning and on_warning(m)))
    container, watch = open_input(path)
    with container:
        video = video_stream(container, path)
        video.thread_type = "AUTO"
        audio = container.streams.audio[0] if container.streams.audio else None
        if audio is not None and audio.codec_context is None:
            warn(f"{path}: its audio codec cannot be decoded; audio signals are left out")
            audio = None
        streams = [video] + ([audio] if audio is not None else [])
        analyser = resampler = None
        if audio is not None:
            layout = audio.codec_context.layout
            resampler = av.AudioResampler(format="flt", layout=layout, rate=loudness.RATE)
            analyser = _AudioAnalyser(layout.nb_channels)
        v_origin, a_origin = video.start_time or 0, (audio.start_time or 0) if audio else 0
        key_times: list[float] = []
        colours: list[float] = []
        faces: list[float] = []
        face_size = _FaceSizes()
        last_key = -1e9
        audio_start = None
        decoded = 0
        total = max(1, int(duration_s * 10))
        last_report = time.monotonic()
        progress(0, total, "listening")

        def take_video(frames) -> None:
            for frame in frames:
                if frame.pts is None:
                    continue
                h = max(2, round(frame.height * _THUMB_WIDTH / max(frame.width, 1)))
                rgb = frame.to_ndarray(format="rgb24", width=_THUMB_WIDTH, height=h)
                key_times.append(float((frame.pts - v_origin) * video.time_base))
                colours.append(colourfulness(rgb))
                faces.append(face_size(frame))

        def take_audio(frames) -> None:
            nonlocal audio_start
            for frame in frames:
                if audio_start is None and frame.pts is not None:
                    audio_start = max(0.0, float((frame.pts - a_origin) * audio.time_base))
                    if audio_start > 0:  # audio begins late: silence until it does
                        lead = int(audio_start * loudness.RATE)
                        analyser.push(np.zeros((lead, len(analyser.gains)), np.float32))
                for out in resampler.resample(frame):
                    analyser.push(out.to_ndarray().reshape(out.samples, -1))

        for packet in read_packets(container, streams, path, watch, cancel, warn,
                                   lambda: decoded):
            if packet.stream is video:
                if not packet.is_keyframe or packet.pts is None or packet.size == 0:
                    continue
                t = float((packet.pts - v_origin) * video.time_base)
                if t - last_key < KEYFRAME_EVERY_S:
                    continue
                last_key = t
                try:
                    take_video(packet.decode())
                    decoded += 1
                except av.error.FFmpegError as exc:
                    warn(f"{path}: skipped a damaged keyframe near {t:.2f} s ({exc})")
            else:
                try:
                    take_audio(packet.decode())
                    decoded += 1
                except av.error.FFmpegError as exc:
                    at = float((packet.pts or 0) * audio.time_base)
                    warn(f"{path}: skipped damaged audio near {at:.2f} s ({exc})")
                if packet.pts is not None and time.monotonic() - last_report >= _PROGRESS_EVERY_S:
                    last_report = time.monotonic()
                    done = int(float((packet.pts - a_origin) * audio.time_base) * 10)
                    progress(min(done, total), total, "listening")
        try:
            take_video(video.decode(None))
            if audio is not None:
                take_audio(audio.decode(None))
                for out in resampler.resample(None):
                    analyser.push(out.to_ndarray().reshape(out.samples, -1))
        except av.error.FFmpegError:
            pass
    order = np.argsort(key_times)
    if analyser is not None:
        arrays = analyser.result()
    else:
        arrays = {n: np.zeros(0) for n in _ARRAYS[:5]}
    progress(total, total, "listened")
    return RawSignals(**arrays, key_times=np.asarray(key_times)[order],
                      colourfulness=np.asarray(colours)[order],
                      faces=np.asarray(faces, float)[order],
                      has_audio=analyser is not None and len(arrays["block_energy"]) > 0,
                      warnings=tuple(warnings))
