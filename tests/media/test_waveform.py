import numpy as np
import pytest

from editor.core.cache import AnalysisCache
from editor.core.errors import Cancelled
from editor.core.progress import CancelToken
from editor.media import waveform
from editor.media.errors import NoAudioStreamError
from editor.media.waveform import waveform_peaks
from tests.clips import make_audio_only


def test_peaks_follow_the_tone(basic_clip):
    peaks = waveform_peaks(basic_clip.path)
    assert peaks.dtype == np.float32 and peaks.shape[1] == 2
    assert len(peaks) == pytest.approx(200, abs=2)
    assert np.all(peaks[:, 0] <= peaks[:, 1])
    middle = peaks[10:-10]
    assert np.allclose(middle[:, 0], -0.5, atol=0.05)  # mono mix of two 0.5 sines
    assert np.allclose(middle[:, 1], 0.5, atol=0.05)


def test_fractional_bucket_size(clip_dir):
    path = make_audio_only(clip_dir / "wave-44k.wav", seconds=1.0, sample_rate=44100)
    peaks = waveform_peaks(path, peaks_per_second=70)  # 630 samples per bucket
    assert len(peaks) == 70
    peaks = waveform_peaks(path, peaks_per_second=7 * 11)  # 572.7... samples per bucket
    assert len(peaks) == 77
    assert np.allclose(peaks[:, 1], 0.5, atol=0.01)


def test_progress_and_cancel(basic_clip):
    reports = []
    waveform_peaks(basic_clip.path, peaks_per_second=10, progress=lambda *r: reports.append(r))
    assert reports and all(done <= total for done, total, _ in reports)
    assert reports[-1][0] == reports[-1][1] == 20
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        waveform_peaks(basic_clip.path, cancel=token)


def test_cached_peaks_are_not_decoded_again(basic_clip, tmp_path, monkeypatch):
    cache = AnalysisCache(tmp_path)
    first = waveform_peaks(basic_clip.path, peaks_per_second=50, cache=cache)
    key = cache.key(basic_clip.path, "waveform", waveform.VERSION, {"pps": 50})
    assert np.array_equal(cache.get_arrays(key)["peaks"], first)

    def no_decode(*args, **kwargs):
        raise AssertionError("cached peaks must not be decoded")
    monkeypatch.setattr(waveform, "iter_audio", no_decode)
    assert np.array_equal(waveform_peaks(basic_clip.path, peaks_per_second=50, cache=cache),
                          first)


def test_no_audio(vfr_clip):
    with pytest.raises(NoAudioStreamError):
        waveform_peaks(vfr_clip.path)
