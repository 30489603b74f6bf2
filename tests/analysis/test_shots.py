"""The shot boundary engine on generated clips with known transitions and distractors.

Clips are textured (smooth random patterns that drift like a slow camera pan, plus grain),
written as H.264 by PyAV, so the engine sees real decoded, compressed video.
"""

from __future__ import annotations

import json
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

import editor.media.decode as media_decode
from editor.media.decode import iter_frames
from editor.analysis.shots import (ShotResult, detect_shots, extract_features, score_features,
                                   to_suggestions)
from editor.analysis.shots import extract as shots_extract
from editor.analysis.shots.features import DETAIL_WIDTH
from editor.analysis.shots.stream import ShotStream
from editor.core.cache import AnalysisCache
from editor.core.errors import Cancelled, CutwiseError
from editor.core.model import LANE_SHOTS
from editor.core.progress import CancelToken
from editor.media.errors import MediaError, NoVideoStreamError
from tests.clips import corrupt, make_audio_only, vfr_pattern

W, H, FPS = 192, 108, 25


def texture(seed: int, contrast: float = 1.0, mean: float = 128.0) -> np.ndarray:
    """A smooth random pattern, larger than the frame so the camera can pan over it."""
    rng = np.random.default_rng(seed)
    base = rng.normal(0, 1, (H + 60, W + 160)).astype(np.float32)
    img = cv2.GaussianBlur(base, (0, 0), 10 + 2 * (seed % 3))
    img = img / (img.std() + 1e-6) * 45 * contrast + mean
    return img


class Shot:
    """A drifting view over a texture: ``frame(i)`` for the i-th frame of the shot."""

    def __init__(self, seed: int, contrast: float = 1.0, mean: float = 128.0,
                 offset: tuple[int, int] = (0, 0), speed: float = 0.3, tex=None):
        self.tex = texture(seed, contrast, mean) if tex is None else tex
        self.offset, self.speed = offset, speed

    def frame(self, i: int, shift: float = 0.0) -> np.ndarray:
        x = int(self.offset[0] + i * self.speed + shift) % 150
        y = self.offset[1] % 50
        return self.tex[y:y + H, x:x + W]


def tinted(gray: np.ndarray, u: float, v: float) -> np.ndarray:
    """RGB with luma ``gray`` and constant chroma (BT.601 U/V offsets from 128)."""
    return np.dstack([gray + 1.402 * v, gray - 0.344 * u - 0.714 * v, gray + 1.772 * u])


def write(path, frames, pts=None, fps=FPS, grain: float = 3.0, seed: int = 0,
          options: dict | None = None):
    """Encode float gray (HxW) or RGB (HxWx3) frames as H.264 yuv420p with film grain
    (``options``: more for the encoder)."""
    rng = np.random.default_rng(seed)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.codec_context.time_base = Fraction(1, fps)
        stream.options = {"g": "25", "crf": "20", **(options or {})}
        for i, img in enumerate(frames):
            if img.ndim == 2:
                img = np.repeat(img[:, :, None], 3, axis=2)
            noisy = img + rng.normal(0, grain, img.shape[:2])[:, :, None] if grain else img
            rgb = np.ascontiguousarray(np.clip(noisy, 0, 255).astype(np.uint8))
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i if pts is None else pts[i]
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def sequence(parts):
    """Concatenate ``(shot, length)`` and transitions; return frames and boundaries.

    ``parts`` items: ``("shot", Shot, n)``, ``("cut",)``, ``("dissolve", n)``, ``("fade", n)``,
    ``("wipe", n)``. A transition blends the previous and next shot.
    """
    frames, truth = [], {"cuts": [], "transitions": []}
    i = 0
    pending = None
    prev_shot, prev_pos = None, 0
    for part in parts:
        kind = part[0]
        if kind == "shot":
            shot, n = part[1], part[2]
            if pending is not None:
                tkind, length = pending
                start = len(frames)
                for j in range(length):
                    a = (j + 1) / (length + 1)
                    out_img = prev_shot.frame(prev_pos + j)
                    in_img = shot.frame(j)
                    if tkind == "dissolve":
                        img = (1 - a) * out_img + a * in_img
                    elif tkind == "fade":
                        half = length / 2
                        img = out_img * max(0.0, 1 - (j + 1) / half) if j < half else \
                            in_img * min(1.0, (j + 1 - half) / half)
                    else:  # wipe, left to right
                        img = out_img.copy()
                        edge = int(round(a * W))
                        img[:, :edge] = in_img[:, :edge]
                    frames.append(img)
                truth["transitions"].append({"type": tkind, "start": start,
                                             "end": len(frames) - 1})
                offset = length
                pending = None
            else:
                offset = 0
                if frames:
                    truth["cuts"].append(len(frames))
            for j in range(n):
                frames.append(shot.frame(offset + j))
            prev_shot, prev_pos = shot, offset + n
        elif kind == "cut":
            pass
        else:
            pending = (kind, part[1])
        i += 1
    return frames, truth


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("shots")
    made = {}

    def make(name, parts, **kw):
        frames, truth = sequence(parts)
        made[name] = (write(d / f"{name}.mp4", frames, **kw), truth)

    a, b, c = Shot(1), Shot(2), Shot(3)
    make("cuts", [("shot", a, 30), ("shot", b, 30), ("shot", c, 30)])
    make("dissolve", [("shot", a, 30), ("dissolve", 14), ("shot", b, 30)])
    make("fade", [("shot", a, 30), ("fade", 16), ("shot", b, 30)])
    make("wipe", [("shot", a, 30), ("wipe", 14), ("shot", b, 30)])
    make("still", [("shot", a, 60)])
    tex = texture(7)
    make("similar", [("shot", Shot(0, tex=tex, offset=(0, 0)), 30),
                     ("shot", Shot(0, tex=tex, offset=(45, 30)), 30)])
    make("dark", [("shot", Shot(4, contrast=0.15, mean=22), 30),
                  ("shot", Shot(5, contrast=0.15, mean=22), 30)], grain=2.0)
    make("low_contrast", [("shot", Shot(8, contrast=0.2, mean=128), 30),
                          ("shot", Shot(9, contrast=0.2, mean=128), 30)], grain=2.0)
    # distractors, each in a single 60-frame shot
    base = [Shot(11).frame(i) for i in range(60)]
    flash = [f * (2.2 if 28 <= i <= 29 else 1.0) + (60 if 28 <= i <= 29 else 0)
             for i, f in enumerate(base)]
    made["flash"] = (write(d / "flash.mp4", flash), {"cuts": [], "transitions": []})
    exposure = [f * (0.5 if i >= 30 else 1.0) for i, f in enumerate(base)]
    made["exposure"] = (write(d / "exposure.mp4", exposure), {"cuts": [], "transitions": []})
    s = Shot(12, speed=0.5)
    whip = []
    for i in range(60):
        if 25 <= i < 33:  # swing away and back, heavily motion-blurred
            shift = 70 * np.sin(np.pi * (i - 24) / 9)
            img = cv2.blur(s.frame(i, shift), (31, 1))
        else:
            img = s.frame(i)
        whip.append(img)
    made["whip"] = (write(d / "whip.mp4", whip), {"cuts": [], "transitions": []})
    crossing = []
    for i, f in enumerate(base):
        img = f.copy()
        if 20 <= i < 40:  # a large dark, defocused object crossing left to right
            mask = np.zeros((H, W), np.float32)
            cx = int(-60 + (i - 20) * (W + 120) / 20)
            cv2.circle(mask, (cx, H // 2), 60, 1.0, -1)
            mask = cv2.GaussianBlur(mask, (0, 0), 6)
            img = img * (1 - mask) + 20 * mask
        crossing.append(img)
    made["crossing"] = (write(d / "crossing.mp4", crossing), {"cuts": [], "transitions": []})
    # the same view going on, only its colour changes at frame 30 (a cut between two
    # cameras of one scene with different white balance, or a graded insert)
    s = Shot(13, contrast=0.7)
    hue = [tinted(s.frame(i), -18, 22) if i < 30 else tinted(s.frame(i), 20, -16)
           for i in range(60)]
    made["hue"] = (write(d / "hue.mp4", hue), {"cuts": [30], "transitions": []})
    # a coloured shot with a gain step: the colour scales with the luma, no cut
    gain = [tinted(s.frame(i), -18, 22) * (0.55 if i >= 30 else 1.0) for i in range(60)]
    made["colour_exposure"] = (write(d / "colour_exposure.mp4", gain),
                               {"cuts": [], "transitions": []})
    return made


def boundaries(result: ShotResult):
    return result.cut_frames, [(t.type, t.start, t.end) for t in result.transitions]


def test_hard_cuts(clips):
    path, truth = clips["cuts"]
    result = detect_shots(path)
    assert result.cut_frames == truth["cuts"] == [30, 60]
    assert result.transitions == []
    assert [(s.start, s.end) for s in result.shots] == [(0, 29), (30, 59), (60, 89)]
    assert result.frame_count == 90 and result.fps == 25.0
    assert all(0 < c.confidence <= 1 for c in result.cuts)
    assert result.times == pytest.approx([1.2, 2.4])


@pytest.mark.parametrize("name", ["dissolve", "fade", "wipe"])
def test_gradual_transitions(clips, name):
    path, truth = clips[name]
    result = detect_shots(path)
    (gt,) = truth["transitions"]
    assert result.cut_frames == [], f"{name}: a gradual transition reported as cuts"
    found = [t for t in result.transitions if t.start <= gt["end"] and t.end >= gt["start"]]
    assert len(result.transitions) == 1 and len(found) == 1, boundaries(result)
    t = found[0]
    assert t.type == name
    # its span is close to the true one (the fast pass sees about every other frame, so
    # within 6 frames) and the shots exclude its frames
    assert abs(t.start - gt["start"]) <= 6 and abs(t.end - gt["end"]) <= 6
    assert len(result.shots) == 2
    assert result.shots[0].end == t.start - 1 and result.shots[1].start == t.end + 1


@pytest.mark.parametrize("name", ["flash", "exposure", "whip", "crossing",
                                  "colour_exposure"])
def test_distractors_are_not_boundaries(clips, name):
    path, _ = clips[name]
    result = detect_shots(path)
    assert boundaries(result) == ([], []), name
    assert len(result.shots) == 1


@pytest.mark.parametrize("name", ["similar", "dark", "low_contrast"])
def test_hard_to_see_cuts_still_split(clips, name):
    path, truth = clips[name]
    result = detect_shots(path)
    assert result.cut_frames == truth["cuts"] == [30]
    assert result.transitions == []


def test_colour_only_cut(clips):
    path, truth = clips["hue"]
    features = extract_features(path)
    # the luma alone does not show it: its structural change at the cut is no larger
    # than between ordinary frames of the shot
    d1 = features.column("d1")
    at = np.searchsorted(features.index, 30)
    assert d1[at] < 2 * np.nanmedian(d1)
    result = detect_shots(path)
    assert result.cut_frames == truth["cuts"] == [30]
    assert result.transitions == []


def test_no_cut_clip_is_one_shot(clips):
    path, _ = clips["still"]
    result = detect_shots(path)
    assert result.cut_frames == [] and result.transitions == []
    assert [(s.start, s.end) for s in result.shots] == [(0, 59)]
    data = result.to_dict()
    assert data["shots"][0]["start"] == 0 and data["shots"][0]["end"] == 59


def test_vfr_indices_are_decode_order(tmp_path):
    # every third frame lasts two frame times (tests.clips.vfr_pattern): frame 12 is
    # shown at 16/25 s, so a time x nominal-rate answer would say frame 16
    frames, truth = sequence([("shot", Shot(1), 12), ("shot", Shot(2), 18)])
    ticks = vfr_pattern(30)
    path = write(tmp_path / "vfr.mp4", frames, pts=ticks)
    result = detect_shots(path)
    assert result.variable_frame_rate
    assert result.frame_count == 30
    assert result.cut_frames == truth["cuts"] == [12]
    assert result.cuts[0].pts == Fraction(ticks[12], FPS) == Fraction(16, 25)
    assert [(s.start, s.end) for s in result.shots] == [(0, 11), (12, 29)]


def test_sensitivity_rescore_from_cache_without_decoding(clips, tmp_path, monkeypatch):
    path, truth = clips["cuts"]
    cache = AnalysisCache(tmp_path / "cache")
    first = detect_shots(path, cache=cache)
    assert first.cut_frames == truth["cuts"]

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded again")

    monkeypatch.setattr(shots_extract, "iter_frames", no_decoding)
    monkeypatch.setattr(shots_extract, "open_input", no_decoding)
    monkeypatch.setattr(media_decode, "decode_video", no_decoding)
    t0 = time.perf_counter()
    for sensitivity in (0.2, 0.5, 0.9):
        again = detect_shots(path, cache=cache, sensitivity=sensitivity)
        assert again.cut_frames == truth["cuts"]
        assert again.sensitivity == sensitivity
    assert time.perf_counter() - t0 < 1.5  # three re-scores, probe cached too
    # without the cache it has to decode, and the patched decoder says so
    with pytest.raises(AssertionError, match="decoded again"):
        detect_shots(path, sensitivity=0.3)


def test_sensitivity_moves_thresholds(clips):
    path, _ = clips["similar"]
    features = extract_features(path)
    strict = score_features(features, sensitivity=0.0)
    loose = score_features(features, sensitivity=1.0)
    assert len(strict.cuts) <= len(loose.cuts)
    assert loose.cut_frames == [30]


def test_cancel_stops_within_a_second(tmp_path, monkeypatch):
    # every frame reported: a fast machine decodes these 400 frames before the usual
    # 0.1 s between reports, and the cancel must land mid-decode
    monkeypatch.setattr(shots_extract, "_PROGRESS_EVERY_S", 0.0)
    frames = [Shot(1).frame(i) for i in range(400)]
    path = write(tmp_path / "long.mp4", frames)
    token = CancelToken()
    reports = []

    def progress(done, total, message):
        reports.append((done, total))
        if done >= 20 and not token.cancelled:
            token.cancel()
            reports.append(("cancelled at", time.perf_counter()))

    t0 = time.perf_counter()
    with pytest.raises(Cancelled):
        detect_shots(path, progress=progress, cancel=token)
    stopped = time.perf_counter()
    cancelled_at = next(r[1] for r in reports if r[0] == "cancelled at")
    assert stopped - cancelled_at < 1.0
    assert reports[0][1] == 400  # total known up front (from the probe)
    assert stopped - t0 < 10


def test_progress_reports_reach_total(clips):
    path, _ = clips["cuts"]
    reports = []
    detect_shots(path, progress=lambda d, t, m: reports.append((d, t)))
    assert reports[-1] == (90, 90)
    assert all(d <= t for d, t in reports)


def test_corrupt_frames_are_skipped_with_a_warning(clips, tmp_path):
    path, truth = clips["cuts"]
    damaged = corrupt(path, tmp_path / "damaged.mp4", packets=2)
    warnings = []
    result = detect_shots(damaged, on_warning=warnings.append)
    assert result.frame_count == 90
    assert warnings and result.warnings
    assert 30 in result.cut_frames or 60 in result.cut_frames


@pytest.mark.parametrize("kind", ["missing", "empty", "text", "audio"])
def test_bad_input_raises_one_typed_error(tmp_path, kind):
    path = tmp_path / f"bad.{'m4a' if kind == 'audio' else 'mp4'}"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("not a video\n" * 50)
    elif kind == "audio":
        make_audio_only(path)
    with pytest.raises(CutwiseError) as info:
        detect_shots(path)
    assert isinstance(info.value, MediaError)
    assert "\n" not in info.value.message and str(path.name) in info.value.message
    if kind == "audio":
        assert isinstance(info.value, NoVideoStreamError)


def test_suggestions_for_the_shots_lane(clips):
    path, _ = clips["dissolve"]
    cut_path, _ = clips["cuts"]
    result = detect_shots(cut_path)
    (tr,) = detect_shots(path).transitions
    suggestions = to_suggestions(result, "asset1")
    assert [(s.kind, s.start, s.end) for s in suggestions] == [("cut", 30, 30), ("cut", 60, 60)]
    assert all(s.lane == LANE_SHOTS and s.asset_id == "asset1" for s in suggestions)
    (s,) = to_suggestions(detect_shots(path), "a2")
    assert (s.kind, s.start, s.end) == ("dissolve", tr.start, tr.end)


def test_features_are_bounded_per_frame(clips):
    path, _ = clips["cuts"]
    features = extract_features(path)
    n = features.values.shape[0]
    assert n == len(features.index) and 45 <= n <= 90
    assert features.values.nbytes / n < 256  # a fixed, small vector per decoded frame
    # the fast pass skips unreferenced frames; the others keep their true indices
    assert list(features.index) == sorted(set(features.index)) and features.index[-1] <= 89
    assert np.array_equal(np.diff(features.index), features.column("gap")[1:])


def test_cut_after_skipped_frames_is_exact(tmp_path):
    # cuts at every position relative to the encoder's B-frame pattern: where the fast
    # pass skipped the frames before the cut, the span is decoded again to find it
    shots = [Shot(s) for s in range(20, 26)]
    parts = []
    for k, shot in enumerate(shots):
        parts.append(("shot", shot, 13 + k))
    frames, truth = sequence(parts)
    path = write(tmp_path / "cuts.mp4", frames)
    features = extract_features(path)
    assert (features.column("gap") > 1).any()
    result = detect_shots(path)
    assert result.cut_frames == truth["cuts"]
    assert [float(c.pts) for c in result.cuts] == [c / FPS for c in truth["cuts"]]


def captioned(frames: list[np.ndarray]) -> list[np.ndarray]:
    """The same small caption burnt into every frame (as a broadcaster's credit line)."""
    caption = np.zeros((H, W), np.uint8)
    cv2.putText(caption, "(c) Cutwise", (6, H - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.35, 255, 1)
    return [np.where(caption > 0, 200.0, img) for img in frames]


def test_fade_under_a_caption_is_a_fade(tmp_path):
    # black frames carrying a caption are not flat, yet the picture fades through black
    frames, truth = sequence([("shot", Shot(1), 30), ("fade", 24), ("shot", Shot(2), 30)])
    result = detect_shots(write(tmp_path / "caption.mp4", captioned(frames)))
    (gt,) = truth["transitions"]
    assert [(t.type, abs(t.start - gt["start"]) <= 6, abs(t.end - gt["end"]) <= 6)
            for t in result.transitions] == [("fade", True, True)]
    assert result.cut_frames == []


def test_cut_to_black_then_fade_in(tmp_path):
    # one step into black is a cut; the fade in that follows is a fade of its own
    a, b = Shot(1), Shot(2)
    frames = [a.frame(i) for i in range(30)] + [np.zeros((H, W), np.float32)] * 10
    frames += [b.frame(i) * min(1.0, (i + 1) / 12) for i in range(40)]
    result = detect_shots(write(tmp_path / "cut_black.mp4", captioned(frames)))
    assert result.cut_frames == [30]
    (t,) = result.transitions
    assert t.type == "fade" and 36 <= t.start <= 41 and abs(t.end - 51) <= 3


def test_bikes_walker_is_no_wipe():
    # real footage, labelled by eye (benchmarks/labels/bikes.json): five hard cuts, and a
    # walker's legs crossing close to the camera, which mixes the frames before and after
    # like a wipe would, but at one window scale only
    root = Path(__file__).resolve().parents[2]
    labels = json.loads((root / "benchmarks" / "labels" / "bikes.json").read_text())
    result = detect_shots(root / labels["video"])
    assert boundaries(result) == (labels["cuts"], [])


def test_stream_gives_the_shot_pass_s_features_and_boundaries(tmp_path):
    # another engine's pass decodes every frame and feeds the stream: long enough for
    # boundaries to be found on windows while frames come, with cuts on every position
    # of the B-frame pattern (refined from the frames seen), a dissolve and a fade
    parts = [("shot", Shot(20 + k), 13 + k) for k in range(6)]
    parts += [("dissolve", 14), ("shot", Shot(30), 40), ("fade", 16), ("shot", Shot(31), 60)]
    parts += [("shot", Shot(32 + k), 9 + 2 * k) for k in range(5)]
    frames, truth = sequence(parts)
    # no keyframe forced at a cut: cuts fall on frames the shot pass skips
    path = write(tmp_path / "long.mp4", frames, options={"sc_threshold": "0"})
    stream = ShotStream()
    seen = []  # each frame as handed on, with the resets then known
    for frame in stream.follow(iter_frames(path, fmt="gray", width=64, fast=True,
                                           every_frame=True, thumb_width=DETAIL_WIDTH,
                                           references=True)):
        seen.append((frame.index, set(stream.resets)))
    assert [i for i, _ in seen] == list(range(len(frames)))
    expected = extract_features(path)
    for name in ("index", "pts_num", "pts_den", "values", "cut_at", "cut_num", "cut_den"):
        assert np.array_equal(getattr(stream.features, name), getattr(expected, name),
                              equal_nan=True), name
    assert (expected.column("gap") > 1).any() and \
        (expected.cut_at != expected.index).any()  # some cuts were refined
    result = detect_shots(path)
    resets = set(result.cut_frames) | {t.start for t in result.transitions} | \
        {t.end + 1 for t in result.transitions}
    assert stream.resets == resets and len(resets) >= len(truth["cuts"]) + 2
    # a frame was handed on only once every boundary up to it was known
    assert all({r for r in resets if r <= i} <= known for i, known in seen)
    assert any(not resets <= known for _, known in seen)  # ... and not only at the end
