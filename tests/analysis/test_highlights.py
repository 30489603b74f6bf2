"""The highlights engine on generated clips with a known energetic span (4-8 s of 12 s)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from editor.analysis import highlights as hl
from editor.analysis.highlights import loudness
from editor.analysis.highlights.select import _fit, _Picker
from editor.analysis.highlights.signals import normalise, quiet_points
from editor.core.cache import AnalysisCache
from editor.core.errors import Cancelled, CutwiseError
from editor.core.model import LANE_HIGHLIGHTS
from editor.core.progress import CancelToken
from editor.core.timecode import FrameRate
from editor.media.errors import NoVideoStreamError
from tests.analysis.test_highlights_media import ENERGETIC, SECONDS, make_clip
from tests.clips import make_audio_only, make_video

LOUDNESS_ONLY = {n: 0.0 for n in hl.SIGNALS if n != "loudness"} | {"loudness": 1.0}


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hl")
    return {"plain": make_clip(folder / "plain.mp4"),
            "equal": make_clip(folder / "equal.mp4", equal_loudness=True), "dir": folder}


@pytest.fixture(scope="module")
def cache(clips):
    return AnalysisCache(clips["dir"] / "cache")


def energetic_share(edit) -> float:
    inside = sum(max(0.0, min(s.end_s, ENERGETIC[1]) - max(s.start_s, ENERGETIC[0]))
                 for s in edit.segments)
    return inside / edit.duration_s


# --- loudness ---------------------------------------------------------------------------

def sine(freq: float, amplitude: float, seconds: float, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * loudness.RATE)) / loudness.RATE
    return np.repeat((amplitude * np.sin(2 * np.pi * freq * t))[:, None], channels, axis=1)


def energies(x: np.ndarray) -> np.ndarray:
    n = len(x) // loudness.BLOCK
    blocks = x[:n * loudness.BLOCK].reshape(n, loudness.BLOCK, x.shape[1])
    return loudness.block_energy(blocks, loudness.k_weights(), loudness.channel_gains(x.shape[1]))


def test_loudness_of_reference_sines():
    # BS.1770: a 0 dBFS 997 Hz sine in one channel reads -3.01 LKFS
    assert loudness.integrated(energies(sine(997, 1.0, 3))) == pytest.approx(-3.01, abs=0.05)
    assert loudness.integrated(energies(sine(1000, 0.1, 3))) == pytest.approx(-23.0, abs=0.05)
    # two identical channels add their energy: +3 dB
    assert loudness.integrated(energies(sine(1000, 0.1, 3, 2))) == pytest.approx(-20.0, abs=0.05)
    # K-weighting: the high shelf lifts 10 kHz, the high-pass cuts 20 Hz
    assert loudness.integrated(energies(sine(10000, 0.1, 3))) > -20.0
    assert loudness.integrated(energies(sine(20, 0.1, 3))) < -35.0


def test_gating_ignores_silence_and_quiet_passages():
    loud = sine(1000, 0.1, 10)  # -23 LUFS
    with_silence = np.concatenate([loud, np.zeros_like(loud)])
    assert loudness.integrated(energies(with_silence)) == pytest.approx(-23.0, abs=0.1)
    quiet = sine(1000, 0.01, 10)  # -43 LUFS: under the relative gate (-33)
    assert loudness.integrated(energies(np.concatenate([loud, quiet]))) == \
        pytest.approx(-23.0, abs=0.1)
    short = loudness.short_term(energies(with_silence))
    assert short[50] == pytest.approx(-23.0, abs=0.1) and short[-1] == loudness.SILENCE
    assert loudness.momentary(energies(loud))[-1] == pytest.approx(-23.0, abs=0.1)


def test_normalise_keeps_flat_signals_neutral():
    rng = np.random.default_rng(0)
    flat = -23 + rng.normal(0, 0.2, 1000)  # a constant bed with a little noise
    assert np.all(np.abs(normalise(flat, 3.0) - 0.5) < 0.08)
    varied = np.concatenate([np.full(500, -40.0), np.full(500, -20.0)])
    out = normalise(varied, 3.0)
    assert out[0] < 0.35 and out[-1] > 0.65  # a real difference spreads out


def test_quiet_points_find_pauses():
    frame = loudness.RATE // 40
    level = np.full(200, 0.1)
    level[80:84] = 1e-5  # a 100 ms pause at 2.0-2.1 s
    points = quiet_points(level)
    assert len(points) == 1 and 2.0 <= points[0] <= 2.1
    assert frame == 1200


# --- the engine -------------------------------------------------------------------------

def test_energetic_finds_the_energetic_span_with_reasons(clips, cache):
    signals = hl.analyse(clips["plain"], cache=cache)
    assert set(signals.available) >= {"loudness", "onsets", "motion", "cuts", "brightness"}
    edit = hl.select(signals, 3.0, "energetic")
    assert energetic_share(edit) == 1.0
    reasons = " ".join(r for s in edit.segments for r in s.reasons)
    assert "fast motion" in reasons and "cuts in" in reasons
    calm = hl.select(signals, 3.0, "calm")
    assert energetic_share(calm) == 0.0


def test_loudness_never_decides_alone(clips, cache):
    """Where the energetic span is not louder, loudness alone misses it; the moods don't."""
    signals = hl.analyse(clips["equal"], cache=cache)
    grid = signals.times
    inside = (grid >= ENERGETIC[0]) & (grid < ENERGETIC[1])
    assert np.nanmean(signals.raw["loudness"][inside]) <= \
        np.nanmean(signals.raw["loudness"][~inside])
    assert energetic_share(hl.select(signals, 3.0, "energetic", LOUDNESS_ONLY)) < 0.3
    assert energetic_share(hl.select(signals, 3.0, "energetic")) == 1.0


@pytest.mark.parametrize("seconds", [1.0, 2.5, 3.96, 5.0, 7.04, 9.0])
@pytest.mark.parametrize("mood", ["energetic", "calm", "story"])
def test_duration_is_exact_to_the_frame(clips, cache, mood, seconds):
    signals = hl.analyse(clips["plain"], cache=cache)
    edit = hl.select(signals, seconds, mood)
    assert edit.frames == round(seconds * 25)
    starts = [s.start for s in edit.segments]
    assert starts == sorted(starts)  # chronological
    for a, b in zip(edit.segments, edit.segments[1:]):
        assert a.end <= b.start  # no overlap
    assert all(0 <= s.start < s.end <= signals.frame_count for s in edit.segments)


def test_story_covers_the_whole_arc_in_order(clips, cache):
    signals = hl.analyse(clips["plain"], cache=cache)
    edit = hl.select(signals, 6.0, "story")
    assert len(edit.segments) >= 2
    assert edit.segments[0].start_s < SECONDS / len(edit.segments)
    assert edit.segments[-1].end_s > SECONDS * (1 - 1 / len(edit.segments))
    assert edit.segments[0].reasons[0].startswith("part 1/")


def test_segments_respect_lengths_and_snap_to_cuts(clips, cache):
    signals = hl.analyse(clips["plain"], cache=cache)
    edit = hl.select(signals, 3.0, "energetic", min_len_s=1.0, max_len_s=1.5)
    assert len(edit.segments) >= 2
    assert all(s.frames <= round(1.5 * 25) + signals.fps for s in edit.segments)
    cut_frames = {int(round((ENERGETIC[0] + 0.5 * k) * 25)) for k in range(9)}
    on_cut = [s for s in edit.segments if s.start in cut_frames or s.end in cut_frames]
    assert on_cut, "no segment end on a shot boundary"
    assert any(kind == "shot" for s in edit.segments for kind in (s.start_at, s.end_at))


def test_the_exact_length_is_found_on_cuts_and_pauses_when_two_ends_move_together():
    """3 frames too long, with no boundary or pause 1-3 frames inside either end: the
    start moves in to a cut 6 frames on and the end out to a pause 3 frames on, rather
    than an end 3 frames into a sound (a word)."""
    n, fps = 250, 25
    grid = np.full(n // 10, 0.5)
    signals = hl.Signals(path="synthetic", frame_rate=FrameRate(fps), frame_count=n,
                         duration_s=n / fps, raw={"motion": grid}, norm={"motion": grid},
                         boundaries=np.array([100, 106, 153]), transitions=[],
                         quiet=(np.array([97, 156]) - 0.3) / fps, tempo=np.full(n // 10, np.nan),
                         frame_times=np.arange(n) / fps)
    picker = _Picker(signals, np.full(n // 10, 0.5), 25, 75)
    picks = [[100, 153]]
    _fit(picker, picks, 50)
    assert picks == [[106, 156]]
    assert [picker.kind(v) for v in picks[0]] == ["shot", "pause"]


def test_order_by_score_and_weights_change_the_choice(clips, cache):
    signals = hl.analyse(clips["plain"], cache=cache)
    by_score = hl.select(signals, 4.0, "energetic", order="score")
    assert [s.score for s in by_score.segments] == sorted((s.score for s in by_score.segments),
                                                          reverse=True)
    inverted = hl.select(signals, 3.0, "energetic", {n: -1.0 for n in hl.SIGNALS})
    assert energetic_share(inverted) == 0.0


def test_whole_source_when_asked_for_more(clips, cache):
    signals = hl.analyse(clips["plain"], cache=cache)
    edit = hl.select(signals, 60.0, "energetic")
    assert [(s.start, s.end) for s in edit.segments] == [(0, signals.frame_count)]
    assert any("whole source" in n for n in edit.notes)


def test_bad_input_is_one_readable_error(clips, cache, tmp_path):
    signals = hl.analyse(clips["plain"], cache=cache)
    for bad in (lambda: hl.select(signals, 0, "energetic"),
                lambda: hl.select(signals, 3, "sleepy"),
                lambda: hl.select(signals, 3, "energetic", {"smell": 1.0}),
                lambda: hl.parse_weights("motion"),
                lambda: hl.analyse(tmp_path / "missing.mp4")):
        with pytest.raises(CutwiseError):
            bad()
    with pytest.raises(NoVideoStreamError):
        hl.analyse(make_audio_only(tmp_path / "tone.m4a"))


def test_cached_analysis_decodes_nothing_and_cancel_stops(clips, tmp_path, monkeypatch):
    cache = AnalysisCache(tmp_path / "cache")
    first = hl.analyse(clips["plain"], cache=cache)
    import editor.analysis.highlights.signals as signals_module

    def no_decoding(*_a, **_k):
        raise AssertionError("decoded although cached")

    monkeypatch.setattr(signals_module, "extract_signals", no_decoding)
    monkeypatch.setattr(signals_module.shots_engine, "extract_features", no_decoding)
    again = hl.analyse(clips["plain"], cache=cache)
    assert np.allclose(first.norm["motion"], again.norm["motion"])
    monkeypatch.undo()
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        hl.analyse(clips["equal"], cache=None, cancel=token)


def test_clip_without_audio_uses_the_picture(tmp_path):
    clip = make_video(tmp_path / "silent.mp4", frames=100, cuts=(30, 60, 70, 80))
    signals = hl.analyse(clip.path)
    assert "loudness" not in signals.available and "cuts" in signals.available
    edit = hl.select(signals, 1.0, "energetic")
    assert edit.frames == 25


def test_suggestions_and_presets(clips, cache, tmp_path, monkeypatch):
    edit = hl.find_highlights(clips["plain"], 3.0, "energetic", cache=cache)
    suggestions = hl.to_suggestions(edit, "asset1")
    assert [s.lane for s in suggestions] == [LANE_HIGHLIGHTS] * len(edit.segments)
    first = suggestions[0]
    assert first.kind == "highlight" and first.data["mood"] == "energetic"
    assert first.data["reasons"] == edit.segments[0].reasons
    assert first.end == edit.segments[0].end - 1  # inclusive
    json.dumps([s.to_dict() for s in suggestions])  # plain JSON data

    monkeypatch.setenv("CUTWISE_DATA_DIR", str(tmp_path))
    path = hl.save_preset("punchy", "energetic", {"motion": 2.0})
    assert path == tmp_path / "highlight-presets.json"
    mood, weights = hl.preset("punchy")
    assert mood == "energetic" and weights["motion"] == 2.0 and weights["cuts"] == 1.0
    with pytest.raises(CutwiseError):
        hl.preset("missing")
    path.write_text("{not json")
    with pytest.raises(CutwiseError):
        hl.load_presets()
