"""The reframe engine on generated clips: a drawn figure moving over a panning texture.

The figure's true box is known on every frame, so the tests check that the crop keeps
it (coverage), that the camera resets at the cut, stays still on a still shot, honours
a user keyframe, and that the padded layout is chosen when the subject cannot fit.
"""

from __future__ import annotations

import json
import threading
import warnings
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

import editor.analysis.matting as matting
import editor.analysis.reframe.signals as reframe_signals
import editor.analysis.shots as shots_module
import editor.analysis.shots.stream as shots_stream
from editor.analysis.reframe import (HANDOVER_S, Signals, _narrow_to_present, _narrow_to_tall,
                                     _row_percentile, crop_size, output_size, parse_aspect,
                                     path_from_suggestions, plan, reframe, to_suggestions)
from editor.analysis.reframe.path import plan_axis
from editor.analysis.reframe.render import render
from editor.analysis.shots import detect_shots
from editor.core.cache import AnalysisCache
from editor.core.errors import Cancelled, CutwiseError
from editor.core.model import LANE_REFRAME
from editor.core.progress import CancelToken
from editor.media.decode import iter_frames
from editor.media.probe import probe
from tests.clips import checkers, corrupt, soft_shapes

W, H, FPS = 320, 180, 25


def _texture(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.normal(0, 1, (H + 40, W + 200, 3)).astype(np.float32)
    img = cv2.GaussianBlur(base, (0, 0), 6)
    return np.clip(img / (img.std() + 1e-6) * 30 + 110, 0, 255)


def _figure(img: np.ndarray, cx: float, feet: float, height: float, t: float,
            width_scale: float = 1.0, striped: bool = False) -> tuple[int, int, int, int]:
    """Draw a person-like figure (legs, body, head, waving arms), flat-coloured or
    ``striped`` (clothes with a pattern); return its box."""
    mask = np.zeros(img.shape[:2], np.uint8)
    h = height
    body = (int(cx), int(feet - 0.55 * h))
    cv2.ellipse(mask, body, (int(0.13 * h * width_scale), int(0.2 * h)), 0, 0, 360, 255, -1)
    cv2.circle(mask, (int(cx), int(feet - 0.85 * h)), int(0.09 * h), 255, -1)
    for sgn in (-1, 1):
        cv2.line(mask, (int(cx + sgn * 0.05 * h), int(feet - 0.38 * h)),
                 (int(cx + sgn * 0.1 * h), int(feet)), 255, max(2, int(0.06 * h)))
        angle = 0.6 + 0.5 * np.sin(2 * np.pi * 1.2 * t + (sgn > 0))
        hand = (int(cx + sgn * (0.12 * h * width_scale + 0.25 * h * np.sin(angle))),
                int(feet - 0.7 * h + 0.25 * h * np.cos(angle)))
        cv2.line(mask, (int(cx + sgn * 0.1 * h), int(feet - 0.7 * h)), hand, 255,
                 max(2, int(0.04 * h)))
    ys, xs = np.nonzero(mask > 127)
    colour = np.array([230, 60, 40], np.float32)
    a = (mask.astype(np.float32) / 255)[:, :, None]
    if striped:
        stripes = np.sin((np.arange(img.shape[1]) - cx) / 5.0) > 0
        colour = np.where(stripes[None, :, None], colour, colour * 0.7)
    img[:] = img * (1 - a) + colour * a
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def make_subject_clip(path, shots=("walk", "still", "empty"), frames_per_shot=50,
                      width_scale=1.0, audio=True, grain=3.0, gain=1.0):
    """Shots of a textured, slowly panning background; ``walk``: the figure crosses from
    left to right; ``still``: it stands near the left and waves; ``stop``: it walks a
    little way and stands there, quite still, while a ball rolls by on the right; ``whip``: it
    stands in the middle and waves while the camera whips away and back for six frames;
    ``wide``: a striped figure too wide for a 9:16 crop, swaying; ``empty``: no figure.
    ``gain`` < 1 darkens the picture (a night shot). Returns per-frame boxes (or None)."""
    rng = np.random.default_rng(1)
    boxes = []
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = W, H, "yuv420p"
        video.codec_context.time_base = Fraction(1, FPS)
        video.options = {"g": "25", "crf": "20"}
        astream = out.add_stream("aac", rate=48000) if audio else None
        if astream is not None:
            astream.layout = "mono"
        n = 0
        for s, kind in enumerate(shots):
            tex = _texture(10 + s)
            for j in range(frames_per_shot):
                pan = int(j * 0.6)
                whip = 0
                if kind == "whip" and 20 <= j < 25:  # 40 px a frame (1/8 of the width)
                    whip = 40 * min(j - 19, 25 - j)
                img = tex[10:10 + H, pan + whip:pan + whip + W].copy()
                t = j / FPS
                box = None
                if kind == "walk":
                    box = _figure(img, 50 + 220 * j / (frames_per_shot - 1), H - 15, 110, t)
                elif kind == "stop":
                    box = _figure(img, 50 + 60 * min(j, 20) / 20, H - 15, 110, min(t, 20 / FPS))
                    if j >= 35:  # a blue ball rolls by on the right
                        cv2.circle(img, (int(220 + 2 * (j - 35)), H - 40), 18, (40, 80, 220), -1)
                elif kind == "whip":
                    box = _figure(img, 160 - whip, H - 15, 110, t)
                elif kind == "still":
                    box = _figure(img, 80, H - 12, 120, t)
                elif kind == "wide":
                    box = _figure(img, W / 2 + 40 * np.sin(2 * np.pi * 0.8 * t), H - 10, 150, t,
                                  width_scale=3.0, striped=True)
                img = img * gain + rng.normal(0, grain * gain, img.shape)
                frame = av.VideoFrame.from_ndarray(np.clip(img, 0, 255).astype(np.uint8),
                                                   format="rgb24")
                frame.pts = n
                out.mux(video.encode(frame))
                boxes.append(box)
                n += 1
        out.mux(video.encode(None))
        if astream is not None:
            samples = int(48000 * n / FPS)
            tone = (0.2 * np.sin(2 * np.pi * 440 * np.arange(samples) / 48000)).astype(np.float32)
            for start in range(0, samples, 1024):
                chunk = tone[start:start + 1024][None, :]
                af = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
                af.sample_rate = 48000
                af.pts = start
                out.mux(astream.encode(af))
            out.mux(astream.encode(None))
    return path, boxes


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_subject_clip(tmp_path_factory.mktemp("reframe") / "figure.mp4")


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return AnalysisCache(tmp_path_factory.mktemp("reframe-cache"))


@pytest.fixture(scope="module")
def planned(clip, cache):
    return reframe(clip[0], aspect="9:16", cache=cache)


def inside(result, boxes, frames):
    cw, ch = result.crop
    ok = [result.xs[i] <= boxes[i][0] and boxes[i][2] <= result.xs[i] + cw for i in frames
          if boxes[i] is not None]
    return sum(ok) / len(ok)


def test_aspects_and_sizes():
    assert parse_aspect("9:16") == Fraction(9, 16) and parse_aspect("4/5") == Fraction(4, 5)
    assert crop_size(1280, 720, Fraction(9, 16)) == (404, 720)
    assert crop_size(1920, 1080, Fraction(1, 1)) == (1080, 1080)
    assert crop_size(1920, 1080, Fraction(9, 16), zoom=2) == (304, 540)
    assert output_size(Fraction(9, 16)) == (1080, 1920)
    assert output_size(Fraction(1)) == (1080, 1080) and output_size(Fraction(4, 5)) == (1080, 1350)
    for bad in ("9:0", "wide", "1:40"):
        with pytest.raises(CutwiseError):
            parse_aspect(bad)


def test_l1_path_picks_the_simplest_camera():
    n = 120
    still_lo, still_hi = np.full(n, 40.0), np.full(n, 90.0)
    plan = plan_axis(still_lo, still_hi, still_lo + 25, np.ones(n), 300, step=4)
    assert plan.mode == "stationary" and np.ptp(plan.positions) == 0
    assert 40 <= plan.positions[0] <= 90
    moving = np.linspace(0, 200, n)
    plan = plan_axis(moving - 20, moving + 20, moving, np.ones(n), 300, step=4)
    assert plan.mode == "pan"
    assert np.all(plan.positions >= moving - 20 - 1) and np.all(plan.positions <= moving + 20 + 1)
    pinned = plan_axis(still_lo, still_hi, still_lo + 25, np.ones(n), 300, step=4,
                       keyframes={70: 200.0})
    assert pinned.positions[70] == pytest.approx(200.0)
    assert abs(pinned.positions[0] - 65) <= 26  # far from the pin the subject rules again


def test_camera_follows_the_subject_and_resets_at_the_cut(clip, planned):
    _, boxes = clip
    assert planned.source == (W, H) and planned.crop == (102, 180)
    assert len(planned.xs) == 150 and set(planned.ys.tolist()) == {0}
    starts = [s.start for s in planned.shots]
    assert 50 in starts and 100 in starts  # a shot per generated shot, reset at each cut
    assert inside(planned, boxes, range(0, 50)) >= 0.9   # walking across the frame
    assert inside(planned, boxes, range(50, 100)) >= 0.9  # standing and waving
    assert planned.xs[49] - planned.xs[0] > 120            # the camera went along
    walk = planned.xs[5:45].astype(float)
    assert np.abs(np.diff(walk, 2)).mean() < 1.0             # smoothly, no jitter


def test_subject_in_a_dark_shot_is_followed(tmp_path):
    path, boxes = make_subject_clip(tmp_path / "night.mp4", shots=("walk",), audio=False,
                                    gain=0.2)
    result = reframe(path, aspect="9:16")
    assert inside(result, boxes, range(50)) >= 0.9
    assert result.xs[49] - result.xs[0] > 120


def test_a_subject_that_stops_moving_is_still_followed(tmp_path):
    # once the figure stands still only the ball moves: the figure's colours, learnt
    # while it walked, still find it (the motion alone follows the ball)
    path, boxes = make_subject_clip(tmp_path / "stop.mp4", shots=("stop",), audio=False,
                                    frames_per_shot=75)
    result = reframe(path, aspect="9:16")
    assert inside(result, boxes, range(30, 75)) >= 0.95


def test_the_crop_holds_while_the_camera_whips_past(tmp_path):
    path, boxes = make_subject_clip(tmp_path / "whip.mp4", shots=("whip",), audio=False)
    info = probe(path).video
    signals = reframe_signals.extract_signals(path, width=W, height=H, frame_count=50, fps=FPS)
    blobs = signals.per_frame()[:, 0, 4] > 0
    assert not blobs[20:26].any()            # the picture whips past: nothing looked for
    assert blobs[5:19].all() and blobs[30:].all()
    result = reframe(path, aspect="9:16")
    assert info.frame_count == len(result.xs) == 50
    assert np.ptp(result.xs[15:35]) <= 10    # the crop does not swing along
    assert inside(result, boxes, list(range(0, 20)) + list(range(27, 50))) >= 0.95


def test_sharp_edges_under_a_slow_zoom_do_not_read_as_motion():
    # a bright silhouette with crisp edges, zoomed into and panned over (50 fps: the
    # motion compares frames 10 steps apart), and a figure walking across it
    h, w = 144, 256
    scene = np.zeros((720, 1280), np.float32)
    cv2.ellipse(scene, (640, 360), (420, 200), 15, 0, 360, 1, -1)
    cv2.rectangle(scene, (200, 100), (500, 650), 1, -1)
    cv2.circle(scene, (1000, 200), 150, 0, -1)
    scene = cv2.GaussianBlur(scene, (0, 0), 1.5) * 200 + 30
    rng = np.random.default_rng(1)
    saliency = reframe_signals.MotionSaliency((h, w), 50.0)
    figure, reported = {}, []
    for f in range(60):
        scale = 0.32 * (1.0 + 0.004 * f)
        cx, cy = 640 + 1.5 * f, 360 + 0.5 * f
        view = np.float32([[scale, 0, w / 2 - scale * cx], [0, scale, h / 2 - scale * cy]])
        frame = cv2.warpAffine(scene, view, (w, h), flags=cv2.INTER_LINEAR)
        x = 40 + 3 * f
        frame[60:110, x:x + 12] = 120.0
        figure[f] = x
        frame = frame + rng.normal(0, 2, frame.shape).astype(np.float32)
        reported += saliency.push(f, np.clip(frame, 0, 255))
    reported += saliency.flush()
    edges, walker = [], []
    for f, motion, _, _ in reported:
        on_figure = np.zeros((h, w), bool)
        on_figure[55:115, figure[f] - 8:figure[f] + 20] = True
        edges.append((motion[~on_figure] > reframe_signals.MOVING).mean())
        walker.append(motion[60:110, figure[f]:figure[f] + 12].mean())
    assert np.mean(edges) < 0.002 and np.median(edges) == 0  # the code before: 1.6 %
    assert np.median(walker) > 0.5


def test_a_crisp_subject_before_a_plain_background_is_not_taken_for_the_camera():
    # a checkered figure (many strong corners) walking left before a plain, softly
    # shaded background (few, weak ones) while the camera tilts down: the camera is
    # the background's motion, so its soft edges do not read as moving (the code
    # before fitted the camera to the figure: 3-9 % of the background "moved" on every
    # frame)
    h, w = 180, 320
    canvas = soft_shapes(w + 80, h + 120).astype(np.float32)
    figure = checkers(9, 6)
    saliency = reframe_signals.MotionSaliency((h, w), 25.0)
    where, reported = {}, []
    for f in range(30):
        frame = cv2.warpAffine(canvas, np.float32([[1, 0, -40], [0, 1, -60 + f]]), (w, h))
        x, y = 170 - f, 50 + f // 4
        frame[y:y + 90, x:x + 60] = figure
        where[f] = (x, y)
        reported += saliency.push(f, frame)
    reported += saliency.flush()
    background, on_figure = [], []
    for f, motion, _, _ in reported:
        x, y = where[f]
        near = np.zeros((h, w), bool)
        near[max(0, y - 20):y + 110, max(0, x - 30):x + 90] = True
        background.append((motion[~near] > reframe_signals.MOVING).mean())
        on_figure.append(motion[y:y + 90, x:x + 60].mean())
    assert max(background) < 0.005
    assert np.median(on_figure) > 0.3


def _textured_patch_on_background(seed: int, patch: tuple[int, int], low: float):
    """A still, darker textured background (96 x 160, float gray) and a brighter textured
    patch to move over it."""
    rng = np.random.default_rng(seed)
    background = cv2.GaussianBlur(rng.uniform(0, 120, (96, 160)).astype(np.float32), (0, 0), 1.5)
    texture = cv2.GaussianBlur(rng.uniform(low, 255, patch).astype(np.float32), (0, 0), 1.0)
    return background, texture


def test_a_limb_swinging_to_and_fro_leaves_no_ghost_in_its_box():
    # a textured bar swinging about its place twice a lag (50 fps: lag 10 frames): a
    # lag before and after it is at the same place, where the frame shows background
    background, bar = _textured_patch_on_background(3, (40, 14), 150)
    saliency = reframe_signals.MotionSaliency(background.shape, 50.0)
    where, reported = {}, []
    for f in range(60):
        x = round(70 + 10 * np.sin(2 * np.pi * f / 20))
        frame = background.copy()
        frame[30:70, x:x + 14] = bar
        where[f] = x
        reported += saliency.push(f, frame)
    reported += saliency.flush()
    peaks = [(f, motion, present) for f, motion, present, _ in reported if f in (25, 45)]
    assert len(peaks) == 2
    for f, motion, present in peaks:
        x = where[f]  # 80; its ghost at 60
        assert motion[35:65, 61:67].mean() > 0.5           # three-frame differencing: a ghost
        assert present[35:65, 61:67].max() < reframe_signals.MOVING
        assert present[35:65, x + 2:x + 12].mean() > 0.5
        blob = reframe_signals.blobs(reframe_signals.W_MOTION * motion, 1.0,
                                     reframe_signals.W_MOTION * present)[0]
        assert blob[0] <= 62                              # the region holds the ghost
        assert blob[9] >= 68 and abs(blob[10] - (x + 14)) <= 3  # where the bar is now
        assert tuple(_narrow_to_present(blob[None])[0, [0, 2]]) == tuple(blob[[9, 10]])


def test_spectral_residual_is_hou_and_zhangs_to_the_same_bit_every_time():
    rng = np.random.default_rng(2)
    channel = cv2.GaussianBlur(rng.normal(100, 30, (36, 64)).astype(np.float32), (0, 0), 1.5)
    # the definition (Hou & Zhang 2007), in numpy's complex arithmetic
    spectrum = np.fft.fft2(channel)
    log_amp = np.log(np.abs(spectrum) + 1e-6)
    residual = log_amp - cv2.blur(log_amp, (3, 3), borderType=cv2.BORDER_REFLECT)
    sal = np.abs(np.fft.ifft2(np.exp(residual + 1j * np.angle(spectrum)))) ** 2
    sal = cv2.GaussianBlur(sal.astype(np.float32), (0, 0), 2.5)
    got = reframe_signals.spectral_residual(channel)
    assert np.abs(got - sal / sal.max()).max() < 1e-5
    # a cached analysis and a fresh one agree: no last bit depends on memory placement
    assert all(np.array_equal(reframe_signals.spectral_residual(channel.copy()), got)
               for _ in range(40))


def test_row_percentile_is_numpys_to_the_same_bits():
    rng = np.random.default_rng(4)
    for _ in range(60):
        rows = rng.normal(50, 20, (int(rng.integers(1, 200)), int(rng.integers(1, 30)) * 2 + 1))
        rows[rng.random(rows.shape) < rng.random()] = np.nan  # unseen frames, some rows all
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = np.nanpercentile(rows, 40, axis=1)
        assert np.array_equal(_row_percentile(rows, 40), expected, equal_nan=True)


def test_a_shots_first_frame_keeps_the_cameras_points_off_what_moved_there():
    # a large textured block moving fast over a still background, from a shot's first
    # frame (50 fps: lag 10 frames): that frame is compared with one frame only, where
    # the block was and where it is make up more of the picture than may move (a failed
    # alignment's test), so its motion is not kept; where it differed still keeps the
    # camera's corners off the block
    background, block = _textured_patch_on_background(5, (50, 50), 130)
    saliency = reframe_signals.MotionSaliency(background.shape, 50.0)
    first = None
    for f in range(12):
        frame = background.copy()
        frame[20:70, 10 + 4 * f:60 + 4 * f] = block
        for index, motion, _, _ in saliency.push(f, frame):
            if index == 0:
                first = motion
                assert (saliency.seen[20:70, 10:60] > reframe_signals.MOVING).mean() > 0.9
    assert first is not None and not first.any()  # more than MAX_MOVING_SHARE: dropped
    corners = saliency._tracked[11][:-8 * 5, 0]   # the regular grid comes last
    assert len(corners) > 20
    on_block = (corners[:, 0] > 10) & (corners[:, 0] < 100) & \
        (corners[:, 1] > 20) & (corners[:, 1] < 70)
    assert not on_block.any()


def _blob(x0, x1, score, y0=20.0, y1=170.0):
    return (x0, y0, x1, y1, score, (x0 + x1) / 2, (y0 + y1) / 2, x0, x1, x0, x1)


def test_a_distractor_that_outshines_the_subject_briefly_is_not_followed():
    n = 60
    boxes = np.zeros((n, reframe_signals.MAX_BLOBS, reframe_signals.BLOB_FIELDS), np.float32)
    boxes[:, 0] = _blob(30, 80, 0.02)  # the subject stands on the left all shot long
    boxes[25:35, 1] = boxes[25:35, 0]
    boxes[25:35, 0] = _blob(240, 300, 0.05)  # something brighter flashes on the right
    signals = Signals(W, H, n, np.arange(n), boxes)
    xs, _, _, plans = plan(signals, [(0, n - 1)], (102, 180), fps=FPS)
    assert np.all(xs <= 30) and np.all(xs + 102 >= 80)
    assert plans[0].mode == "stationary"


def test_a_subject_hidden_by_something_crossing_is_waited_for():
    n = 100
    boxes = np.zeros((n, reframe_signals.MAX_BLOBS, reframe_signals.BLOB_FIELDS), np.float32)
    boxes[:, 0] = _blob(30, 80, 0.02)
    # for 10 frames the subject is hidden; only pieces of a band crossing on the right move
    boxes[40:50, 0] = _blob(230, 260, 0.03)
    boxes[40:50, 1] = _blob(270, 300, 0.02)
    signals = Signals(W, H, n, np.arange(n), boxes)
    xs, _, _, plans = plan(signals, [(0, n - 1)], (102, 180), fps=FPS)
    assert np.all(xs <= 30) and np.all(xs + 102 >= 80)


def test_something_passing_through_an_empty_shot_does_not_move_the_camera():
    n = 100
    boxes = np.zeros((n, reframe_signals.MAX_BLOBS, reframe_signals.BLOB_FIELDS), np.float32)
    boxes[40:62, 0] = _blob(250, 310, 0.05)
    signals = Signals(W, H, n, np.arange(n), boxes)
    xs, _, _, plans = plan(signals, [(0, n - 1)], (102, 180), fps=FPS)
    assert np.ptp(xs) == 0 and plans[0].mode == "stationary"
    assert abs(xs[0] - (W - 102) / 2) <= 1  # centred, not parked where it passed


def test_a_blob_that_swallowed_a_neighbour_keeps_the_subject_side():
    n = 100
    boxes = np.zeros((n, reframe_signals.MAX_BLOBS, reframe_signals.BLOB_FIELDS), np.float32)
    boxes[:, 0] = _blob(150, 200, 0.02)
    # for a while the blob takes in a neighbour on the right; its weight stays on the subject
    boxes[40:55, 0] = (150, 20, 300, 170, 0.03, 180, 95, 150, 300, 150, 300)
    signals = Signals(W, H, n, np.arange(n), boxes)
    xs, _, padded, _ = plan(signals, [(0, n - 1)], (102, 180), fps=FPS)
    assert np.all(xs <= 150) and np.all(xs + 102 >= 200) and not padded.any()


def test_a_blob_holds_a_tall_figure_apart_from_a_shorter_one_joined_to_it():
    fused = np.zeros((180, 320), np.float32)
    fused[30:170, 100:140] = 1.0   # a dancer
    fused[100:170, 140:175] = 1.0  # a child beside, touching
    blob = reframe_signals.blobs(fused, 2.0)[0]
    assert tuple(blob[[0, 2]]) == (200, 350)       # one region, both figures
    assert tuple(blob[[7, 8]]) == (200, 280)       # its tall part: the dancer alone
    fused[:30, 100:140] = 1.0  # the dancer cut by the picture's top: heights unknown
    assert tuple(reframe_signals.blobs(fused, 2.0)[0, [7, 8]]) == (200, 350)


def test_a_blob_too_wide_for_the_crop_keeps_its_tall_figure():
    n = 60
    boxes = np.zeros((n, reframe_signals.MAX_BLOBS, reframe_signals.BLOB_FIELDS), np.float32)
    # all shot long the subject (150-220) and a shorter figure on its right (to 300) are
    # one blob, its weight on the shorter one, which moves more
    boxes[:, 0] = (150, 20, 300, 170, 0.03, 260, 120, 150, 220, 150, 300)
    signals = Signals(W, H, n, np.arange(n), boxes)
    xs, _, padded, _ = plan(signals, [(0, n - 1)], (102, 180), fps=FPS)
    assert np.all(xs <= 150) and np.all(xs + 102 >= 220) and not padded.any()


def test_only_a_shorter_figure_on_one_side_inside_the_picture_is_cut_off():
    beside = np.array([(150, 20, 300, 170, 0.03, 260, 120, 150, 220)], np.float32)
    assert tuple(_narrow_to_tall(beside, 102, W)[0, [0, 2]]) == (150, 220)
    both_sides = beside.copy()
    both_sides[0, [7, 8]] = (180, 250)  # lower parts on either side: one figure's limbs
    at_the_side = beside.copy()
    at_the_side[0, 2] = W  # something tall that came in from the picture's side (a van)
    fits = beside.copy()
    fits[0, 2] = 245  # a blob the crop can hold (with no room for its margin) is kept whole
    for whole in (both_sides, at_the_side, fits):
        assert np.array_equal(_narrow_to_tall(whole, 102, W), whole)


# for 15 frames a neighbour touching the subject on the left joins its blob: a whole
# neighbour (170 px), or an arm (115 px: too wide for the crop, only a little wider than
# the subject; centred, the crop would cut both of the subject's sides)
@pytest.mark.parametrize("joined, score", [(80, 0.03), (25, 0.02)])
def test_a_moving_subject_that_merges_with_a_neighbour_stays_in_a_tight_crop(joined, score):
    n = 100
    boxes = np.zeros((n, reframe_signals.MAX_BLOBS, reframe_signals.BLOB_FIELDS), np.float32)
    left = 60 + 1.2 * np.arange(n)  # a subject 90 px wide in a 102 px crop, walking right
    for i in range(n):
        boxes[i, 0] = _blob(left[i], left[i] + 90, 0.02)
    for i in range(40, 55):
        boxes[i, 0] = _blob(left[i] - joined, left[i] + 90, score)
    signals = Signals(W, H, n, np.arange(n), boxes)
    xs, _, _, _ = plan(signals, [(0, n - 1)], (102, 180), fps=FPS)
    assert np.all(xs <= left) and np.all(xs + 102 >= left + 90)


def test_the_camera_follows_its_subject_through_a_transition():
    n = 100
    boxes = np.zeros((n, reframe_signals.MAX_BLOBS, reframe_signals.BLOB_FIELDS), np.float32)
    # between the two shots the subject walks 150 px to the right and back: the shot
    # engine took that for a wipe (frames 40-59), but it is still the one subject
    left = 40 + 150 * np.sin(np.pi * np.clip(np.arange(n) - 40, 0, 19) / 19)
    for i in range(n):
        boxes[i, 0] = _blob(left[i], left[i] + 60, 0.02)
    signals = Signals(W, H, n, np.arange(n), boxes)
    xs, _, _, plans = plan(signals, [(0, 39), (60, n - 1)], (102, 180), fps=FPS)
    assert np.all(xs <= left) and np.all(xs + 102 >= left + 60)
    # the plans tile the clip: each owns its shot and the transition after it
    assert [(p.start, p.end) for p in plans] == [(0, 59), (60, n - 1)]


def test_across_a_real_dissolve_the_camera_glides_from_one_subject_to_the_next():
    n = 100
    boxes = np.zeros((n, reframe_signals.MAX_BLOBS, reframe_signals.BLOB_FIELDS), np.float32)
    boxes[:40, 0] = _blob(30, 80, 0.02)    # the outgoing shot's subject on the left,
    boxes[60:, 0] = _blob(240, 290, 0.02)  # the incoming one's on the right, none between
    signals = Signals(W, H, n, np.arange(n), boxes)
    xs, _, _, _ = plan(signals, [(0, 39), (60, n - 1)], (102, 180), fps=FPS)
    assert np.all(xs[:40] == xs[0]) and np.all(xs[60:] == xs[60])
    steps = np.diff(xs[39:61])
    assert np.all(steps >= 0) and np.ptp(steps) <= 1  # one even glide


def test_a_false_transition_keeps_the_camera_that_holds_its_subject():
    n = 100
    boxes = np.zeros((n, reframe_signals.MAX_BLOBS, reframe_signals.BLOB_FIELDS), np.float32)
    # the shot engine took frames 40-69 for a transition, but the first shot (its
    # subject on the left) goes on to a cut at frame 70, to a shot with nobody in it
    boxes[:70, 0] = _blob(30, 80, 0.02)
    signals = Signals(W, H, n, np.arange(n), boxes)
    xs, _, _, _ = plan(signals, [(0, 39), (70, n - 1)], (102, 180), fps=FPS)
    held = (xs <= 30) & (xs + 102 >= 80)
    # the hand-over is at the cut, its shortest ramp ending there (a glide over all 30
    # frames towards the empty shot's centred camera loses the subject)
    assert held[:70 - round(HANDOVER_S * FPS)].all() and abs(xs[70] - (W - 102) / 2) <= 1


@pytest.mark.parametrize("x0, x1, corner", [(18, 100, 0), (W - 100, W - 18, W - 102)])
def test_a_subject_at_the_pictures_edge_gets_the_crop_against_that_edge(x0, x1, corner):
    n = 60
    boxes = np.zeros((n, reframe_signals.MAX_BLOBS, reframe_signals.BLOB_FIELDS), np.float32)
    # only the part of it that moves is seen, a little inside the edge: it goes on to the edge
    boxes[:, 0] = _blob(x0, x1, 0.02)
    signals = Signals(W, H, n, np.arange(n), boxes)
    xs, _, _, _ = plan(signals, [(0, n - 1)], (102, 180), fps=FPS)
    assert np.all(xs == corner)


@pytest.mark.parametrize("width, share, padded", [
    (105, 1.0, False),  # about the crop's width all shot long: centred, not letterboxed
    (200, 0.3, False),  # wide blobs now and then (a merge, a whip pan): not the subject
    (160, 0.8, True),   # clearly wider than the crop on most frames
])
def test_padded_layout_only_for_a_subject_wider_than_the_crop_most_of_the_shot(
        width, share, padded):
    n = 100
    boxes = np.zeros((n, reframe_signals.MAX_BLOBS, reframe_signals.BLOB_FIELDS), np.float32)
    boxes[:, 0] = _blob(110, 170, 0.02)
    wide = np.arange(n) % 10 < share * 10
    boxes[wide, 0] = _blob(140 - width / 2, 140 + width / 2, 0.03)
    signals = Signals(W, H, n, np.arange(n), boxes)
    _, _, mask, plans = plan(signals, [(0, n - 1)], (102, 180), fps=FPS)
    assert plans[0].padded is padded and bool(mask.all()) is padded


def test_no_drift_on_a_static_shot(planned):
    by_start = {s.start: s for s in planned.shots}
    still, empty = by_start[50], by_start[100]
    assert still.mode == "stationary" and np.ptp(planned.xs[51:100]) == 0
    assert empty.mode == "stationary" and np.ptp(planned.xs[101:150]) == 0  # no subject: no drift


def test_suggestions_one_per_shot_with_keyframes(planned):
    suggestions = to_suggestions(planned, "asset-1")
    assert len(suggestions) == len(planned.shots)
    s = suggestions[0]
    assert s.lane == LANE_REFRAME and s.kind == "crop" and s.asset_id == "asset-1"
    assert s.data["aspect"] == "9:16" and s.data["crop"] == [102, 180]
    assert s.data["mode"] in ("stationary", "pan", "track") and s.data["padded"] is False
    assert all(len(k) == 3 for k in s.data["keyframes"])
    xs, ys, padded, crop = path_from_suggestions(suggestions, planned.frame_count)
    assert crop == (102, 180)
    assert np.abs(xs - planned.xs).max() <= 1 and not padded.any()


def test_user_keyframe_replans_from_the_cache(clip, cache, planned, monkeypatch):
    def no_decode(*args, **kwargs):
        raise AssertionError("re-planning decoded the video again")

    monkeypatch.setattr(reframe_signals, "iter_frames", no_decode)
    pinned = reframe(clip[0], aspect="9:16", cache=cache, keyframes={75: (150, 0)})
    assert pinned.xs[75] == 150
    shot = next(s for s in pinned.shots if s.start <= 75 <= s.end)
    assert [75, 150, 0] in shot.user_keyframes and [75, 150, 0] in shot.keyframes
    assert np.array_equal(pinned.xs[:50], planned.xs[:50])  # other shots untouched
    far = reframe(clip[0], aspect="9:16", cache=cache, keyframes={75: (5000, -40)})
    right = W - far.crop[0]
    shot = next(s for s in far.shots if s.start <= 75 <= s.end)
    assert far.xs[75] == right and far.ys[75] == 0
    assert shot.user_keyframes == [[75, right, 0]]  # saved as it is applied


def test_clicked_subject_is_tracked_both_ways_through_its_shot(clip, cache, monkeypatch):
    path, boxes = clip
    b = boxes[30]  # the walking figure's shot is frames 0-49; the click is mid-shot
    click = ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2, 30)
    tracked = reframe_signals.track_subject(path, clicks=[click], shot=(0, 49), cache=cache)
    assert set(tracked) <= set(range(50)) and len(tracked) >= 45  # before the click too
    close = [abs(tracked[i][0] - boxes[i][0]) <= 6 and abs(tracked[i][2] - boxes[i][2]) <= 6
             for i in tracked]
    assert np.mean(close) >= 0.8
    result = reframe(path, aspect="9:16", cache=cache, subjects=[click])
    assert inside(result, boxes, range(0, 50)) >= 0.9
    kept = [round(click[0], 1), round(click[1], 1), 30]  # the click goes with its shot's plan
    assert [s.subjects for s in result.shots] == [[kept], [], []]
    assert [s.follows for s in result.shots] == ["click", "motion", "nothing"]
    suggestion = to_suggestions(result, "a")[0]
    assert suggestion.data["subjects"] == [kept] and "your subject" in suggestion.label

    def no_tracking(*args, **kwargs):
        raise AssertionError("re-planning tracked the subject again")

    monkeypatch.setattr(matting, "matte", no_tracking)  # a dragged keyframe: cached boxes
    pinned = reframe(path, aspect="9:16", cache=cache, subjects=[click], keyframes={75: (90, 0)})
    assert pinned.xs[75] == 90 and np.array_equal(pinned.xs[:50], result.xs[:50])
    with pytest.raises(CutwiseError):
        reframe(path, cache=cache, subjects=[(W + 5, 10, 0)])


def test_a_subject_off_the_picture_fails_before_the_analysis(clip, monkeypatch):
    import editor.analysis.shots as shots

    def no_analysis(*args, **kwargs):
        raise AssertionError("analysed the video before checking the subject")

    monkeypatch.setattr(shots, "detect_shots", no_analysis)
    for bad in ((W + 5, 10, 0), (10, -1, 0), (10, 10, 10_000)):
        with pytest.raises(CutwiseError, match="outside"):
            reframe(clip[0], subjects=[bad])
    with pytest.raises(CutwiseError, match="missing.pth"):  # nor a checkpoint that is not there
        reframe(clip[0], subjects=[(10, 10, 0)], checkpoint="missing.pth")


def test_clicked_subject_outranks_a_stronger_blob_and_keeps_the_blobs_on_it():
    n = 60
    boxes = np.zeros((n, reframe_signals.MAX_BLOBS, reframe_signals.BLOB_FIELDS), np.float32)
    boxes[:, 0] = _blob(230, 300, 0.05)  # a strong blob on the right all shot long
    boxes[:, 1] = _blob(30, 62, 0.01)    # the clicked subject's arm, out of its box
    boxes[:, 2] = _blob(125, 160, 0.01)  # something else, clear of it
    signals = Signals(W, H, n, np.arange(n), boxes)
    user = {i: (60.0, 20.0, 110.0, 170.0) for i in range(n)}  # its mask lost the arm
    xs, _, _, _ = plan(signals, [(0, n - 1)], (102, 180), fps=FPS, user_boxes=[user])
    assert np.all(xs <= 30) and np.all(xs + 102 >= 110)  # the box and its arm
    auto, _, _, _ = plan(signals, [(0, n - 1)], (102, 180), fps=FPS)
    assert np.all(auto + 102 >= 300)  # without the click, the strong blob wins
    flagged = {i: box for i, box in user.items() if not 25 <= i < 40}  # tracking unsure
    xs, _, _, _ = plan(signals, [(0, n - 1)], (102, 180), fps=FPS, user_boxes=[flagged])
    assert np.all(xs <= 30) and np.all(xs + 102 >= 110)  # not the strong blob meanwhile


@pytest.mark.slow
def test_a_clicked_cyclist_the_tracking_lost_stays_in_the_crop(tmp_path):
    # real footage, heads labelled by eye (benchmarks/labels/bikes_heads.json): the
    # cyclist waits at the kerb; a van passing in front of him loses his GrabCut
    # tracking, and only his arm on a pole still gives a faint blob beside him
    root = Path(__file__).resolve().parents[2]
    labels = json.loads((root / "benchmarks" / "labels" / "bikes_heads.json").read_text())
    click = labels["clicks"][1]
    result = reframe(root / labels["video"], subjects=[tuple(click)],
                     subject_backend="grabcut", cache=AnalysisCache(tmp_path))
    crop = result.crop[0]
    heads = {int(f): x for f, x in labels["heads"].items() if int(f) >= click[2]}
    held = [f for f, (x0, x1) in heads.items() if result.xs[f] <= x0 and x1 <= result.xs[f] + crop]
    assert held == sorted(heads)  # where he was last seen, not the arm alone


def test_a_clicked_person_lost_by_the_tracking_is_followed_by_their_moving_face():
    n = 60
    signals = Signals(W, H, n, np.arange(n), np.zeros(
        (n, reframe_signals.MAX_BLOBS, reframe_signals.BLOB_FIELDS), np.float32),
        people=np.array([[i, 0, 20 + 3 * i, 20, 80 + 3 * i, 110, 1] for i in range(n)], float))
    # the click's mask held a patch of the person's jacket, then lost it (frame 15)
    patch = {i: (35.0 + 3 * i, 80.0, 55.0 + 3 * i, 100.0) for i in range(15)}
    xs, _, _, plans = plan(signals, [(0, n - 1)], (102, 180), fps=FPS, user_boxes=[patch])
    face = signals.people_boxes()[0]
    assert all(xs[i] <= face[i][0] and face[i][2] <= xs[i] + 102 for i in range(n))
    assert plans[0].follows == "click"
    elsewhere = {i: (250.0, 80.0, 270.0, 100.0) for i in range(15)}  # someone else clicked
    xs, _, _, _ = plan(signals, [(0, n - 1)], (102, 180), fps=FPS, user_boxes=[elsewhere])
    assert np.all(xs + 102 >= 270)  # their face is not this person's


def test_clicks_in_two_shots_are_each_joined_with_their_own_moving_face():
    n = 120
    walk = [[i, i // 60, 20 + 3 * (i % 60), 20, 80 + 3 * (i % 60), 110, 1] for i in range(n)]
    signals = Signals(W, H, n, np.arange(n), np.zeros(
        (n, reframe_signals.MAX_BLOBS, reframe_signals.BLOB_FIELDS), np.float32),
        people=np.array(walk, float))
    # one subject clicked in both shots; each time its mask is lost after 15 frames
    patch = {i: (35.0 + 3 * (i % 60), 80.0, 55.0 + 3 * (i % 60), 100.0)
             for i in [*range(15), *range(60, 75)]}
    xs, _, _, plans = plan(signals, [(0, 59), (60, n - 1)], (102, 180), fps=FPS,
                           user_boxes=[patch])
    faces = signals.people_boxes()
    for face in faces:
        assert all(xs[i] <= box[0] and box[2] <= xs[i] + 102 for i, box in face.items())
    assert [p.follows for p in plans] == ["click", "click"]


def test_a_still_face_is_framed_only_where_nothing_else_is_a_subject():
    n = 60
    blobs = np.zeros((n, reframe_signals.MAX_BLOBS, reframe_signals.BLOB_FIELDS), np.float32)
    still = [[i, 0, 210, 30, 280, 150, 0] for i in range(n)]  # a seated person, right
    signals = Signals(W, H, n, np.arange(n), blobs, people=np.array(still, float))
    xs, _, _, plans = plan(signals, [(0, n - 1)], (102, 180), fps=FPS)
    assert np.all(xs <= 210) and np.all(xs + 102 >= 280)  # not the empty middle
    assert plans[0].follows == "face"
    # someone walks on the left: they are the subject, the still face is not
    blobs[:, 0] = [_blob(40 + i, 80 + i, 0.02, 40, 170) for i in range(n)]
    xs, _, _, plans = plan(signals, [(0, n - 1)], (102, 180), fps=FPS)
    assert all(xs[i] <= 40 + i and 80 + i <= xs[i] + 102 for i in range(n))
    assert plans[0].follows == "motion"


def test_several_clicked_subjects_kept_together_where_they_fit_else_the_main_one():
    n = 60
    signals = Signals(W, H, n, np.arange(n), np.zeros(
        (n, reframe_signals.MAX_BLOBS, reframe_signals.BLOB_FIELDS), np.float32))
    dancer = {i: (40.0, 20.0, 80.0, 170.0) for i in range(n)}
    partner = {i: (100.0, 30.0, 130.0, 160.0) if i < 30 else (200.0, 30.0, 230.0, 160.0)
               for i in range(n)}  # beside the dancer, then too far away to fit
    xs, _, _, _ = plan(signals, [(0, n - 1)], (102, 180), fps=FPS, user_boxes=[dancer, partner])
    assert np.all(xs[:20] <= 40) and np.all(xs[:20] + 102 >= 130)  # both
    assert np.all(xs[40:] <= 40) and np.all(xs[40:] + 102 >= 80)   # the main one
    xs, _, _, _ = plan(signals, [(0, n - 1)], (102, 180), fps=FPS, user_boxes=[partner, dancer])
    assert np.all(xs[:20] <= 40) and np.all(xs[:20] + 102 >= 130)
    assert np.all(xs[40:] <= 200) and np.all(xs[40:] + 102 >= 230)  # now the partner


def test_one_click_per_shot_each_tracked_through_its_own_shot(tmp_path, monkeypatch):
    import editor.analysis.reframe as reframe_module

    path, boxes = make_subject_clip(tmp_path / "two.mp4", shots=("walk", "still"),
                                    frames_per_shot=30, audio=False)
    clicks = [((b[0] + b[2]) / 2, (b[1] + b[3]) / 2, f) for f, b in ((10, boxes[10]),
                                                                  (40, boxes[40]))]
    tracked = reframe_signals.track_subject(path, clicks=clicks[1:], shot=(30, 59))
    assert set(tracked) <= set(range(30, 60)) and len(tracked) >= 27
    shots = []

    def recording(path, *, clicks, shot, **kwargs):
        shots.append((shot, [c[2] for c in clicks]))
        return reframe_signals.track_subject(path, clicks=clicks, shot=shot, **kwargs)

    monkeypatch.setattr(reframe_module, "track_subject", recording)
    result = reframe(path, aspect="9:16", subjects=clicks)
    assert shots == [((0, 29), [10]), ((30, 59), [40])]
    assert inside(result, boxes, range(0, 60)) >= 0.9
    # a second-rank subject alone in its shot is followed there; its rank is kept
    shots.clear()
    ranked = reframe(path, aspect="9:16", subjects=[clicks[0], (*clicks[1], 2)])
    assert shots == [((0, 29), [10]), ((30, 59), [40])]
    assert np.array_equal(ranked.xs, result.xs)
    assert ranked.shots[-1].subjects == [[round(clicks[1][0], 1), round(clicks[1][1], 1), 40, 2]]
    with pytest.raises(CutwiseError, match="rank"):
        reframe(path, subjects=[(*clicks[0], 0)])


def test_subject_too_wide_gives_a_padded_layout(tmp_path):
    path, _ = make_subject_clip(tmp_path / "wide.mp4", shots=("wide",), audio=False)
    result = reframe(path, aspect="9:16")
    assert result.shots[0].padded and result.padded.all()
    assert any("padded" in w for w in result.warnings)
    out = render(path, tmp_path / "wide-9x16.mp4", result.xs, result.ys, result.crop, (180, 320),
                 padded=result.padded)
    info = probe(out)
    assert (info.video.display_width, info.video.display_height) == (180, 320)


def test_render_size_frames_audio_and_atomic(clip, planned, tmp_path):
    out = tmp_path / "vertical.mp4"
    seen = []
    render(clip[0], out, planned.xs, planned.ys, planned.crop, (270, 480),
           progress=lambda d, t, m="": seen.append((d, t)))
    info = probe(out)
    assert (info.video.display_width, info.video.display_height) == (270, 480)
    assert info.video.frame_count == 150 and len(info.audio) == 1
    assert seen[-1] == (150, 150)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        render(clip[0], tmp_path / "cancelled.mp4", planned.xs, planned.ys, planned.crop,
               (270, 480), cancel=token)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vertical.mp4"]


@pytest.mark.parametrize("one_pass", [False, True])
def test_cancelling_the_subject_pass_stops_it_and_its_worker(clip, monkeypatch, one_pass):
    monkeypatch.setattr(reframe_signals, "MAX_CHUNK", 10)  # many chunks for the worker
    token, seen, working = CancelToken(), [], []
    before = set(threading.enumerate())

    def progress(done, total, message=""):
        seen.append(done)
        working.append(len(set(threading.enumerate()) - before))  # decoding, blobs
        if done >= 40:
            token.cancel()

    with pytest.raises(Cancelled):
        reframe_signals.extract_signals(clip[0], width=W, height=H, frame_count=150, fps=FPS,
                                        shots=shots_stream.ShotStream() if one_pass else None,
                                        progress=progress, cancel=token)
    assert max(seen) < 150 and max(working) >= 2
    assert not set(threading.enumerate()) - before


def test_a_damaged_clip_is_reframed_and_each_warning_told_once(clip, tmp_path):
    damaged = corrupt(clip[0], tmp_path / "damaged.mp4", packets=3)
    # after the damage x264's decoder hands over two frames late, behind later ones:
    # they are skipped, and every later frame keeps its index (they shifted it by 2)
    decoded = [f.index for f in iter_frames(damaged, fmt="gray", width=32)]
    assert decoded[-1] == 149 and all(a < b for a, b in zip(decoded, decoded[1:]))
    told = []
    result = reframe(damaged, aspect="9:16", on_warning=told.append)
    assert result.frame_count == 150
    # the shot engine and the subject pass both meet the damaged frames: told once each
    assert any("damaged frame" in m for m in told) and len(told) == len(set(told))
    assert list(result.warnings) == list(dict.fromkeys(result.warnings))
    assert set(told) <= set(result.warnings)


def test_unreadable_input_is_one_typed_error(tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    with pytest.raises(CutwiseError):
        reframe(bad)


@pytest.fixture(scope="module")
def two_passes(clip, tmp_path_factory):
    """The clip reframed as when its shots were found before (by the shot engine's own
    decoding pass)."""
    cache = AnalysisCache(tmp_path_factory.mktemp("two-passes"))
    detect_shots(clip[0], cache=cache)
    return reframe(clip[0], aspect="9:16", cache=cache)


def counting(monkeypatch, module, name: str) -> list:
    """Count the calls of ``module.name`` (which still runs)."""
    calls, real = [], getattr(module, name)

    def count(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, count)
    return calls


def test_one_decoding_pass_gives_what_two_give_and_stores_the_shots(clip, two_passes,
                                                                    tmp_path, monkeypatch):
    decoded = counting(monkeypatch, shots_module, "extract_features")
    cache = AnalysisCache(tmp_path)
    result = reframe(clip[0], aspect="9:16", cache=cache)
    assert not decoded  # the shots were found on the subject pass's frames
    assert np.array_equal(result.xs, two_passes.xs) and np.array_equal(result.ys, two_passes.ys)
    assert [s.to_dict() for s in result.shots] == [s.to_dict() for s in two_passes.shots]
    # the shot engine reads what that pass found, and it is what its own pass finds
    stored = detect_shots(clip[0], cache=cache)
    assert not decoded
    assert stored.to_dict() == detect_shots(clip[0]).to_dict()
    assert len(decoded) == 1


def test_a_window_too_short_for_the_shot_detector_still_gives_the_file_s_shots(
        clip, two_passes, monkeypatch, caplog):
    # boundaries decided on one row at a time (so none is found) differ from the whole
    # file's: the subjects are found again with the file's, and the result is the same
    monkeypatch.setattr(shots_stream, "LOOKAHEAD", 0)
    monkeypatch.setattr(shots_stream, "CONTEXT", 0)
    monkeypatch.setattr(shots_stream, "STEP", 1)
    with caplog.at_level("DEBUG", logger="editor.analysis.reframe"):
        result = reframe(clip[0], aspect="9:16")
    assert any("finding the subjects again" in r.getMessage() for r in caplog.records)
    assert np.array_equal(result.xs, two_passes.xs) and np.array_equal(result.ys, two_passes.ys)
