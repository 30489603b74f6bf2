from fractions import Fraction

import numpy as np
import pytest

from editor.core.errors import Cancelled
from editor.core.progress import CancelToken
from editor.media.audio import iter_audio
from editor.media.errors import NoAudioStreamError
from tests.clips import make_audio_only


def dominant_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * rate / len(samples))


def test_mono_blocks_of_the_tone(basic_clip):
    blocks = list(iter_audio(basic_clip.path))
    assert [b.start_s for b in blocks[:2]] == [0, 1]
    assert all(isinstance(b.start_s, Fraction) for b in blocks)
    assert all(b.samples.shape == (48000,) for b in blocks[:2])
    samples = np.concatenate([b.samples for b in blocks])
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert len(samples) == pytest.approx(2.0 * 48000, abs=2048)
    assert np.abs(samples).max() <= 1.0
    assert dominant_hz(samples, 48000) == pytest.approx(440, abs=2)
    middle = samples[4800:-4800]
    assert np.sqrt(np.mean(middle ** 2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.1)


def test_channels_kept_and_resampled(basic_clip):
    blocks = list(iter_audio(basic_clip.path, mono=False, sample_rate=16000, block_s=0.5))
    assert blocks[0].samples.shape == (8000, 2)
    assert blocks[1].start_s == Fraction(1, 2)
    samples = np.concatenate([b.samples for b in blocks])
    assert len(samples) == pytest.approx(32000, abs=1024)
    assert np.allclose(samples[:, 0], samples[:, 1], atol=1e-3)
    assert dominant_hz(samples[:, 0], 16000) == pytest.approx(440, abs=2)


def test_audio_only_file(audio_only_clip):
    samples = np.concatenate([b.samples for b in iter_audio(audio_only_clip, sample_rate=None)])
    assert len(samples) == pytest.approx(48000, abs=1024)
    assert dominant_hz(samples, 48000) == pytest.approx(1000, abs=3)


def test_wav(clip_dir):
    path = make_audio_only(clip_dir / "audio-test.wav", seconds=0.5, tone_hz=300,
                           sample_rate=22050, channels=2)
    blocks = list(iter_audio(path, sample_rate=None, mono=False))
    samples = np.concatenate([b.samples for b in blocks])
    assert samples.shape == (11025, 2)
    assert dominant_hz(samples[:, 1], 22050) == pytest.approx(300, abs=3)


def test_no_audio_stream(vfr_clip):
    with pytest.raises(NoAudioStreamError, match="vfr.mp4"):
        next(iter_audio(vfr_clip.path))


def test_cancel(basic_clip):
    token = CancelToken()
    blocks = iter_audio(basic_clip.path, block_s=0.1, cancel=token)
    next(blocks)
    token.cancel()
    with pytest.raises(Cancelled):
        list(blocks)
