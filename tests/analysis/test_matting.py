"""The matting engine with the GrabCut backend on generated clips with an exact subject mask.

Clips show a coloured figure (body, head, two legs) dancing over a drifting texture,
encoded as H.264 by PyAV, so the engine sees real decoded video; the figure's mask is
known for every frame.
"""

from __future__ import annotations

from fractions import Fraction

import av
import cv2
import numpy as np
import pytest

from editor.analysis.matting import (
    GrabCutSegmenter,
    MatteSession,
    Prompt,
    Segment,
    correct,
    find_shot,
    matte,
    matte_and_render,
    render,
    to_suggestion,
)
from editor.analysis.matting.background import BackgroundModel
from editor.analysis.matting.colours import SubjectColours
from editor.analysis.matting.grabcut import STAY_ODDS
from editor.analysis.matting.propagate import FrameSource
from editor.analysis.matting.render import make_writer, read_alpha
from editor.core.errors import Cancelled, CutwiseError
from editor.core.model import LANE_MATTING
from editor.core.progress import CancelToken
from editor.media.decode import iter_frames

W, H, FPS = 192, 108, 25


def _texture(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = cv2.GaussianBlur(rng.normal(0, 1, (H + 40, W + 80, 3)).astype(np.float32), (0, 0), 4)
    return np.clip(base / base.std() * 30 + (90, 120, 80), 0, 255)


def figure_mask(i: int, x0: float = 70, speed: float = 1.0) -> np.ndarray:
    """The subject at frame ``i``: body, head and two swinging legs."""
    mask = np.zeros((H, W), np.uint8)
    cx, cy = int(x0 + i * speed), 50
    cv2.ellipse(mask, (cx, cy), (11, 18), 0, 0, 360, 1, -1)
    cv2.circle(mask, (cx, cy - 25), 7, 1, -1)
    swing = int(6 * np.sin(i / 3))
    cv2.line(mask, (cx - 5, cy + 14), (cx - 8 + swing, cy + 40), 1, 5)
    cv2.line(mask, (cx + 5, cy + 14), (cx + 8 - swing, cy + 40), 1, 5)
    return mask.astype(bool)


def make_subject_clip(path, frames: int = 30, *, cut: int | None = None,
                      absent: range = range(0), dim_from: int | None = None,
                      twin: tuple[int, int, int, int] | None = None,
                      speed: float = 1.0, flat: tuple[int, int, int] | None = None
                      ) -> list[np.ndarray]:
    """Write the clip; return the true mask of every frame (empty where absent or after
    ``cut``); from frame ``dim_from`` on, the exposure drops to 30 %. ``twin`` (x0, y0,
    x1, y1 of the first frame) is a still patch of the subject's colour in the scenery;
    the figure walks ``speed`` px a frame. ``flat``: a plain backdrop of that colour
    (with a gentle gradient) instead of textured scenery."""
    textures = [_texture(1), _texture(2)]
    if flat is not None:
        ramp = np.linspace(0, 12, W + 80, dtype=np.float32)[None, :, None]
        textures = [np.zeros((H + 40, W + 80, 3), np.float32) + flat + ramp] * 2
    if twin is not None:
        x0, y0, x1, y1 = twin
        textures[0][10 + y0:10 + y1, x0:x1] = (200, 40, 150)
    truth = []
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.codec_context.time_base = Fraction(1, FPS)
        stream.options = {"crf": "16", "g": "12"}
        for i in range(frames):
            shot = 1 if cut is not None and i >= cut else 0
            off = int(i * 0.7) % 60
            img = textures[shot][10:10 + H, off:off + W].copy()
            mask = figure_mask(i, speed=speed) if shot == 0 and i not in absent else np.zeros((H, W), bool)
            img[mask] = (200, 40, 150)
            img[mask & (np.arange(H)[:, None] < 35)] = (240, 200, 60)  # a yellow head
            truth.append(mask)
            if dim_from is not None and i >= dim_from:
                img = img * 0.3
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img.astype(np.uint8)),
                                               format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return truth


def mask_iou(a, b) -> float:
    return np.count_nonzero(a & b) / max(1, np.count_nonzero(a | b))


@pytest.fixture(scope="module")
def dancer(tmp_path_factory):
    path = tmp_path_factory.mktemp("matting") / "dancer.mp4"
    return path, make_subject_clip(path, frames=30)


def click(i: int = 0) -> Prompt:
    return Prompt(i, [(70 + i, 50, 1)])


def test_one_click_mattes_the_whole_shot_forward_and_backward(dancer, tmp_path):
    path, truth = dancer
    session = matte(path, [click(12)], segmenter=GrabCutSegmenter(), shot=(0, 29),
                    folder=tmp_path / "s")
    assert sorted(session.frames) == list(range(30))  # both directions from frame 12
    ious = [mask_iou(session.read_mask(i), truth[i]) for i in range(30)]
    # One click on the body: GrabCut's colour model misses the differently coloured head.
    assert min(ious) > 0.65 and np.mean(ious) > 0.7, ious
    # A second click on the head brings it in, on every frame of the shot.
    both = Prompt(12, [(82, 50, 1), (82, 25, 1)])
    session = matte(path, [both], segmenter=GrabCutSegmenter(), shot=(0, 29), folder=tmp_path / "t")
    ious = [mask_iou(session.read_mask(i), truth[i]) for i in range(30)]
    assert min(ious) > 0.8 and np.mean(ious) > 0.85, ious
    render(session)
    alpha = read_alpha(session, 20)
    assert alpha.shape == (H, W) and alpha.dtype == np.uint8
    assert mask_iou(alpha >= 128, truth[20]) > 0.8
    soft = (alpha > 0) & (alpha < 255)
    assert soft.any() and not soft[truth[20] ^ True].all()  # soft edges, clean background
    far = ~cv2.dilate(truth[20].astype(np.uint8), np.ones((9, 9))).astype(bool)
    assert np.mean(alpha[far] > 0) < 0.01


def test_tracking_on_a_plain_backdrop_draws_in_no_halo(tmp_path):
    """A flat backdrop: the background's colour model is sharp, and the compression
    ringing beside the subject's edges must not be taken for the subject."""
    path = tmp_path / "plain.mp4"
    truth = make_subject_clip(path, frames=30, flat=(120, 135, 150))
    session = matte(path, [Prompt(12, [(82, 50, 1), (82, 25, 1)])], segmenter=GrabCutSegmenter(),
                    shot=(0, 29), folder=tmp_path / "s")
    masks = [session.read_mask(i) for i in range(30)]
    ious = [mask_iou(mask, truth[i]) for i, mask in enumerate(masks)]
    growth = [mask.sum() / truth[i].sum() for i, mask in enumerate(masks)]
    assert min(ious) > 0.75 and np.mean(ious) > 0.8, ious
    assert max(growth) < 1.35, growth


def test_session_is_saved_and_reloaded(dancer, tmp_path):
    path, _ = dancer
    session = matte(path, [click(0)], segmenter=GrabCutSegmenter(), shot=(0, 9),
                    folder=tmp_path / "s")
    again = MatteSession.load(tmp_path / "s")
    assert again.shot == (0, 9) and again.prompts[0].points == [(70.0, 50.0, 1)]
    assert {f: i.area for f, i in again.frames.items()} == {f: i.area for f, i in session.frames.items()}
    with pytest.raises(CutwiseError, match="not a Cutwise matte folder"):
        MatteSession.load(tmp_path)


def test_lost_subject_is_flagged_and_a_correction_carries_forward(tmp_path):
    path = tmp_path / "gone.mp4"
    truth = make_subject_clip(path, frames=30, absent=range(12, 18))
    segmenter = GrabCutSegmenter()
    session = matte(path, [click(0)], segmenter=segmenter, shot=(0, 29), folder=tmp_path / "s")
    flagged = dict(session.flagged)
    assert set(range(12, 18)) & set(flagged), flagged
    after = [mask_iou(session.read_mask(i), truth[i]) for i in range(20, 30)]
    # The user clicks the subject again on frame 20: frames 20.. are re-propagated from it.
    correct(session, click(20), segmenter)
    fixed = [mask_iou(session.read_mask(i), truth[i]) for i in range(20, 30)]
    # (tracking already finds the subject again after the gap, so the correction can only
    # keep or improve those frames)
    assert min(fixed) > 0.7 and np.mean(fixed) >= np.mean(after) - 0.01
    # frames 20.. now come from the new keyframe, until they agree with the stored masks
    assert session.frames[20].keyframe == 20 and session.frames[5].keyframe == 0
    assert {f for f, _ in session.flagged} <= set(range(11, 19)), session.flagged


def test_an_exposure_step_mid_shot_does_not_lose_the_subject(tmp_path):
    path = tmp_path / "dim.mp4"
    truth = make_subject_clip(path, frames=30, dim_from=15)
    session = matte(path, [click(5)], segmenter=GrabCutSegmenter(), shot=(0, 29),
                    folder=tmp_path / "s")
    after = [mask_iou(session.read_mask(i), truth[i]) for i in range(15, 30)]
    assert min(after) > 0.6 and np.mean(after) > 0.7, after


def test_background_model_finds_what_moves_on_its_own(tmp_path):
    """The camera drifts over a texture; the figure moves on its own: the model finds all
    of it (its flat-coloured inside too), and nothing of the background."""
    path = tmp_path / "pan.mp4"
    truth = make_subject_clip(path, frames=40)
    model = BackgroundModel()
    for _, image in FrameSource(path, (W, H)).forward(0, 39):
        model.push(image)
    for position in (20, 30):
        evidence = model.foreground(position, (W, H))
        mask = truth[position]
        away = cv2.dilate(mask.astype(np.uint8), np.ones((9, 9), np.uint8)) == 0
        assert mask_iou(evidence > 0.5, mask) > 0.7
        assert evidence[mask].mean() > 0.8 and (evidence[away] > 0.5).mean() < 0.01
    short = BackgroundModel(reach=4)
    for _, image in FrameSource(path, (W, H)).forward(0, 19):
        short.push(image)
    assert short.foreground(0, (W, H)) is None  # no longer held: memory stays bounded
    assert len(short.frames) == 9


def test_a_lost_subject_is_found_again_by_its_colours():
    """Seen well on one frame, the figure is found elsewhere on another by its colours,
    not a same-sized blob of another colour; and not at all when it is gone."""
    first = _texture(1)[10:10 + H, :W].astype(np.uint8)
    seen = figure_mask(0, x0=40)
    first[seen] = (200, 40, 150)
    colours = SubjectColours(first, seen)
    later = _texture(1)[10:10 + H, 30:30 + W].astype(np.uint8)
    there, other = figure_mask(0, x0=150), figure_mask(0, x0=90)
    later[there] = (200, 40, 150)
    later[other] = (40, 60, 220)
    found = colours.find(later)
    assert found is not None and mask_iou(found, there) > 0.7
    later[there] = _texture(2)[10:10 + H, :W][there]
    assert colours.find(later) is None


def test_propagation_stops_at_the_shot_boundary(tmp_path):
    path = tmp_path / "cut.mp4"
    make_subject_clip(path, frames=40, cut=25)
    assert find_shot(path, 5) == (0, 24)
    session = matte(path, [click(5)], segmenter=GrabCutSegmenter(), folder=tmp_path / "s")
    assert session.shot == (0, 24) and max(session.frames) == 24
    with pytest.raises(CutwiseError, match="outside the video"):
        find_shot(path, 400)


def test_bad_prompts_are_refused(dancer, tmp_path):
    path, _ = dancer
    with pytest.raises(CutwiseError, match="outside the 192x108 picture"):
        matte(path, [Prompt(0, [(500, 50, 1)])], segmenter=GrabCutSegmenter(), shot=(0, 5),
              folder=tmp_path / "a")
    with pytest.raises(CutwiseError, match="outside the video"):
        matte(path, [Prompt(99, [(50, 50, 1)])], segmenter=GrabCutSegmenter(), shot=(0, 5),
              folder=tmp_path / "b")
    with pytest.raises(CutwiseError, match="positive point or a box"):
        Prompt(0, [(50, 50, 0)])


def test_box_prompt(dancer, tmp_path):
    path, truth = dancer
    segmenter = GrabCutSegmenter()
    matte(path, [click(3)], segmenter=segmenter, shot=(3, 8), folder=tmp_path / "c")
    assert segmenter.stay_odds == STAY_ODDS  # a click's cut, bounded by what moved
    session = matte(path, [Prompt(3, box=(55, 15, 95, 100))], segmenter=segmenter,
                    shot=(3, 8), folder=tmp_path / "s")
    assert mask_iou(session.read_mask(3), truth[3]) > 0.75
    assert segmenter.stay_odds == 0.0  # a cut by colours alone: no prior for its pixels


def test_colour_models_kept_for_tracking_tell_subject_from_background(dancer):
    from editor.analysis.matting.grabcut import _log_likelihood

    path, truth = dancer
    image = FrameSource(path, (W, H)).frame(3)
    segmenter = GrabCutSegmenter()
    segmenter.from_prompt(None, image, Prompt(3, box=(55, 15, 95, 100)), [])
    background, subject = segmenter.models
    pixels = image[:, :, ::-1].astype(np.float64)  # GrabCut's models are in BGR
    inside = pixels[cv2.erode(truth[3].astype(np.uint8), np.ones((3, 3), np.uint8)) > 0]
    around = np.zeros((H, W), bool)
    around[5:110, 40:110] = True
    around &= ~(cv2.dilate(truth[3].astype(np.uint8), np.ones((7, 7), np.uint8)) > 0)
    outside = pixels[around]
    assert np.mean(_log_likelihood(subject, inside) > _log_likelihood(background, inside)) > 0.95
    assert np.mean(_log_likelihood(background, outside) > _log_likelihood(subject, outside)) > 0.95


def test_colour_likelihood_survives_a_degenerate_model():
    from editor.analysis.matting.grabcut import _log_likelihood

    model = np.zeros((1, 65))
    model[0, 0] = 1.0  # one component, all weight, zero covariance (a flat region)
    model[0, 5:8] = (40, 120, 200)
    values = _log_likelihood(model, np.array([[40.0, 120, 200], [200, 10, 10]]))
    assert np.all(np.isfinite(values)) and values[0] > values[1]


def test_suggestion_for_the_matting_lane(dancer, tmp_path):
    path, _ = dancer
    session = matte(path, [click(0)], segmenter=GrabCutSegmenter(), shot=(0, 5),
                    folder=tmp_path / "s")
    render(session)
    s = to_suggestion(session, "asset1")
    assert (s.lane, s.kind, s.start, s.end) == (LANE_MATTING, "mask", 0, 5)
    assert s.data["matte"].endswith("alpha") and s.data["prompts"][0]["frame"] == 0
    assert "GrabCut fallback" in s.label and s.data["lower_quality"] is True
    import json
    json.dumps(s.to_dict())  # plain JSON values only


@pytest.fixture(scope="module")
def short_session(dancer, tmp_path_factory):
    path, truth = dancer
    folder = tmp_path_factory.mktemp("short")
    return matte(path, [click(0)], segmenter=GrabCutSegmenter(), shot=(0, 7), folder=folder), truth


def _decode(path, codec_name=None):
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if codec_name:  # FFmpeg's native VP9 decoder drops alpha: libvpx keeps it
            ctx = av.CodecContext.create(codec_name, "r")
            ctx.extradata = stream.codec_context.extradata
            frames = [f for p in container.demux(stream) for f in ctx.decode(p)]
            return stream, frames
        return stream, list(container.decode(stream))


def test_png_sequence_is_rgba_named_by_frame_index(short_session, tmp_path):
    session, truth = short_session
    out = tmp_path / "pngs"
    render(session, [make_writer("png", out, Fraction(25), (W, H))])
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"frame_{i:06d}.png" for i in range(8)]
    bgra = cv2.imread(str(out / "frame_000004.png"), cv2.IMREAD_UNCHANGED)
    assert bgra.shape == (H, W, 4)
    assert mask_iou(bgra[:, :, 3] >= 128, truth[4]) > 0.8
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp left
    plain = tmp_path / "plain"
    plain.mkdir()
    assert out.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777  # not tempfile's 0700


def test_prores_4444_carries_alpha(short_session, tmp_path):
    session, truth = short_session
    out = tmp_path / "matte.mov"
    render(session, [make_writer("prores", out, Fraction(25), (W, H))])
    stream, frames = _decode(out)
    assert stream.codec_context.name == "prores" and len(frames) == 8
    assert frames[0].format.name.startswith("yuva444p")  # 4444 with an alpha plane
    rgba = frames[4].to_ndarray(format="rgba")
    assert mask_iou(rgba[:, :, 3] >= 128, truth[4]) > 0.8
    # visually lossless colour, and the alpha as rendered (ProRes codes alpha losslessly)
    source = next(f.image for f in iter_frames(session.path) if f.index == 4)
    error = rgba[:, :, :3].astype(float) - source
    assert 10 * np.log10(255 ** 2 / max(np.mean(error ** 2), 1e-9)) > 45
    assert np.abs(rgba[:, :, 3].astype(int) - read_alpha(session, 4)).max() <= 1
    (tmp_path / "plain").write_bytes(b"")
    assert out.stat().st_mode & 0o777 == (tmp_path / "plain").stat().st_mode & 0o777


def test_webm_vp9_carries_alpha(short_session, tmp_path):
    session, truth = short_session
    out = tmp_path / "matte.webm"
    render(session, [make_writer("webm", out, Fraction(25), (W, H))])
    _, frames = _decode(out, "libvpx-vp9")
    assert len(frames) == 8 and frames[0].format.name == "yuva420p"
    alpha = frames[4].to_ndarray(format="rgba")[:, :, 3]
    assert mask_iou(alpha >= 128, truth[4]) > 0.75


@pytest.mark.parametrize("suffix, tolerance", [(".mp4", 4), (".mov", 2), (".mkv", 0)])
def test_grayscale_matte_video(short_session, tmp_path, suffix, tolerance):
    # H.264, ProRes 422 HQ and lossless FFV1: the alpha as rendered, within the codec's error
    session, truth = short_session
    out = tmp_path / f"matte{suffix}"
    render(session, [make_writer("matte", out, Fraction(25), (W, H))])
    _, frames = _decode(out)
    gray = frames[4].to_ndarray(format="gray")
    assert len(frames) == 8 and mask_iou(gray >= 128, truth[4]) > 0.8
    error = np.abs(gray.astype(int) - read_alpha(session, 4))
    assert np.percentile(error, 99) <= tolerance


def test_cancelled_export_leaves_nothing(short_session, tmp_path):
    session, _ = short_session
    token = CancelToken()
    out = tmp_path / "never.mov"
    calls = []

    def progress(done, total, message=""):
        calls.append(done)
        if done == 3:
            token.cancel()

    with pytest.raises(Cancelled):
        render(session, [make_writer("prores", out, Fraction(25), (W, H)),
                         make_writer("png", tmp_path / "never", Fraction(25), (W, H))],
               progress=progress, cancel=token)
    assert list(tmp_path.iterdir()) == []
    assert read_alpha(session, 0) is not None or not session.alpha_dir.exists()



def test_an_export_that_follows_the_propagation_gives_the_same_matte(dancer, tmp_path):
    path, truth = dancer
    both = Prompt(12, [(82, 50, 1), (82, 25, 1)])  # mid-shot: 0-11 wait for the backward walk
    reports = []
    streamed = matte_and_render(path, [both], [make_writer("png", tmp_path / "a", FPS, (W, H))],
                                segmenter=GrabCutSegmenter(), shot=(0, 29), folder=tmp_path / "s",
                                progress=lambda done, total, message="": reports.append((done, total)))
    apart = matte(path, [both], segmenter=GrabCutSegmenter(), shot=(0, 29), folder=tmp_path / "t")
    render(apart, [make_writer("png", tmp_path / "b", FPS, (W, H))])
    assert sorted(streamed.frames) == list(range(30))
    for i in range(30):
        a = cv2.imread(str(tmp_path / "a" / f"frame_{i:06d}.png"), cv2.IMREAD_UNCHANGED)
        b = cv2.imread(str(tmp_path / "b" / f"frame_{i:06d}.png"), cv2.IMREAD_UNCHANGED)
        assert mask_iou(a[:, :, 3] >= 128, b[:, :, 3] >= 128) > 0.97, i
        assert mask_iou(a[:, :, 3] >= 128, truth[i]) > 0.75, i
    done = [d for d, _ in reports]
    assert done == sorted(done) and reports[-1][0] == reports[-1][1] == 60  # both halves


def test_a_cancelled_streamed_export_leaves_nothing_and_stops_the_propagation(dancer, tmp_path):
    import threading

    path, _ = dancer
    token = CancelToken()
    out = tmp_path / "out"
    out.mkdir()

    def progress(done, total, message=""):
        if done >= 10:
            token.cancel()

    with pytest.raises(Cancelled):
        matte_and_render(path, [click(0)], [make_writer("prores", out / "m.mov", FPS, (W, H))],
                         segmenter=GrabCutSegmenter(), shot=(0, 29), folder=tmp_path / "s",
                         progress=progress, cancel=token)
    assert list(out.iterdir()) == []
    assert not [t for t in threading.enumerate() if t.name == "propagate"]


def test_a_bad_prompt_for_a_streamed_export_leaves_no_temp_file(dancer, tmp_path):
    path, _ = dancer
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(CutwiseError, match="outside the video"):
        matte_and_render(path, [click(40)], [make_writer("prores", out / "m.mov", FPS, (W, H))],
                         segmenter=GrabCutSegmenter(), shot=(0, 29), folder=tmp_path / "s")
    assert list(out.iterdir()) == []


def _scene(shift_bg: int, shift_fig: int) -> tuple[np.ndarray, np.ndarray]:
    """A textured background moved by ``shift_bg`` px and the figure by ``shift_fig`` px."""
    tex = _texture(3)
    img = tex[10:10 + H, 30 - shift_bg:30 - shift_bg + W].astype(np.uint8).copy()
    mask = figure_mask(0, x0=80 + shift_fig)
    img[mask] = (200, 40, 150)
    return img, mask


def test_warp_follows_a_subject_moving_against_the_background():
    from editor.analysis.matting.propagate import FlowWarp

    (a, mask_a), (b, mask_b) = _scene(0, 0), _scene(-8, 8)  # camera pans left, figure walks right
    moved = FlowWarp()(a, b, mask_a)
    assert mask_iou(moved, mask_b) > 0.9 > mask_iou(mask_a, mask_b)


def test_the_warp_follows_a_subject_walking_out_past_the_frames_edge():
    """Only the part of the subject still in the picture can be matched: a shift that
    takes the rest past the edge is found, on either side, as one well inside is."""
    from editor.analysis.matting.propagate import FlowWarp

    rng = np.random.default_rng(0)
    scenery = cv2.GaussianBlur(rng.uniform(0, 255, (H, W, 3)).astype(np.float32), (0, 0), 3)
    for x, step in ((90, 7), (16, -12), (W - 16, 12)):
        before = np.zeros((H, W), np.uint8)
        cv2.circle(before, (x, 50), 14, 1, -1)
        after = np.zeros((H, W), np.uint8)
        cv2.circle(after, (x + step, 50), 14, 1, -1)
        prev, cur = scenery.copy(), scenery.copy()
        prev[before > 0], cur[after > 0] = (200, 40, 150), (200, 40, 150)
        dx, dy, error = FlowWarp.subject_shift(prev.astype(np.uint8), cur.astype(np.uint8),
                                               before > 0)
        assert (dx, dy) == (step, 0) and error < 1.0, (x, step, dx, dy, error)


def test_a_lost_subject_is_found_again_after_an_occlusion(tmp_path):
    path = tmp_path / "gone.mp4"
    truth = make_subject_clip(path, frames=30, absent=range(12, 16))
    session = matte(path, [click(0)], segmenter=GrabCutSegmenter(), shot=(0, 29),
                    folder=tmp_path / "s")
    after = [mask_iou(session.read_mask(i), truth[i]) for i in range(18, 30)]
    assert min(after) > 0.6, after  # tracked again without a new prompt


def test_a_click_on_a_flat_subject_against_scenery_of_its_colour_finds_the_subject(tmp_path):
    """The figure is flat-coloured (its motion shows only along its edges) and touches a
    still patch of its own colour: the click still gives the figure, not just the click."""
    path = tmp_path / "twin.mp4"
    truth = make_subject_clip(path, frames=12, twin=(81, 20, 101, 90))
    source = FrameSource(path, (W, H))
    image, neighbours = source.frame(0), source.neighbours(0, 0, 11)
    mask = GrabCutSegmenter().from_prompt(None, image, click(0), neighbours).mask
    assert mask_iou(mask, truth[0]) > 0.6, mask_iou(mask, truth[0])


def test_a_clicks_motion_cue_leaves_out_where_the_compared_frame_had_the_subject(tmp_path):
    """A figure walking fast: the difference to a later frame also shows the figure where
    it is then (a ghost). The cue compares with a second, farther frame and keeps as
    likely subject only what differs from both, which the ghost does not."""
    path = tmp_path / "walk.mp4"
    truth = make_subject_clip(path, frames=14, speed=4.0)
    source = FrameSource(path, (W, H))
    image, neighbours = source.frame(0), source.neighbours(0, 0, 13)
    assert [offset for offset, _ in neighbours] == [4, 8]  # after the click, then farther
    segmenter = GrabCutSegmenter()
    _, own_first = segmenter._motion_cue(image, neighbours[:1], 70, 50, 2)
    _, own_both = segmenter._motion_cue(image, neighbours, 70, 50, 2)
    ghost = lambda own: np.count_nonzero(own & ~truth[0]) / max(1, np.count_nonzero(own))
    assert ghost(own_first) > 0.3  # the first difference alone takes in the ghost
    assert ghost(own_both) < 0.05 and np.count_nonzero(own_both & truth[0]) > 0.4 * truth[0].sum()


def test_a_frame_that_cannot_be_written_names_the_export_not_a_temp_file(short_session, tmp_path):
    session, _ = short_session
    out = tmp_path / "pngs"
    writer = make_writer("png", out, FPS, (W, H))
    (writer.tmp / "frame_000003.png").mkdir()  # a real OSError when the frame is written
    with pytest.raises(CutwiseError) as caught:
        render(session, [writer])
    assert caught.value.message == f"Could not write {out}: it is a folder."
    assert list(tmp_path.iterdir()) == []  # the half-written folder is gone


def test_what_is_found_again_after_a_loss_must_have_the_subjects_height():
    """A re-found region as tall as the figure is accepted, arms spread or not; a low
    wide patch (a blurred smear of a whip pan) is not."""
    from editor.analysis.matting.propagate import _shaped_like

    seen = figure_mask(0, x0=60)
    assert _shaped_like(figure_mask(5, x0=120), seen)
    spread = figure_mask(5, x0=120).astype(np.uint8)
    cv2.line(spread, (100, 40), (160, 40), 1, 3)  # arms out: twice as wide
    assert _shaped_like(spread > 0, seen)
    smear = np.zeros((H, W), bool)
    smear[70:100, 20:120] = True
    assert not _shaped_like(smear, seen)


def test_a_click_on_a_still_subject_bigger_than_the_frames_middle_takes_all_of_it():
    """No motion to go by and a subject taller than any rectangle tried around the click
    (a close-up standing on the bottom edge): the whole frame is cut, with its top and
    sides as background, instead of leaving only the clicked dot."""
    image = _texture(3)[:H, :W].astype(np.uint8)
    subject = np.zeros((H, W), np.uint8)
    cv2.ellipse(subject, (W // 2, H), (55, 100), 0, 0, 360, 1, -1)  # 100 px of the 108 tall
    subject = subject > 0
    image[subject] = (215, 185, 150)
    mask = GrabCutSegmenter().from_prompt(None, image, Prompt(0, [(W // 2, 70, 1)]), []).mask
    assert mask_iou(mask, subject) > 0.8, mask_iou(mask, subject)


def test_a_lost_subject_is_searched_for_as_on_the_keyframe_when_that_matches_better():
    """The last frame tracked well may carry scenery in its mask (a halo that crept in);
    the keyframe's clean mask then matches the subject better where it reappears."""
    from editor.analysis.matting.propagate import FlowWarp, _find_again

    scenery = _texture(1).astype(np.uint8)

    def shot(x0: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
        image = np.ascontiguousarray(scenery[10:10 + H, offset:offset + W])
        mask = figure_mask(0, x0=x0)
        image[mask] = (200, 40, 150)
        return image, mask

    key_image, key_mask = shot(50, 0)
    good_image, good_mask = shot(60, 10)
    halo = good_mask.copy()
    halo[30:80, 72:95] = True  # scenery beside the subject, taken in while tracking
    image, truth = shot(130, 40)
    good, key = (good_image, Segment(halo, 1.0)), (key_image, Segment(key_mask, 1.0))
    _, halo_error, _ = _find_again(FlowWarp(), [good], image)
    found, error, ref = _find_again(FlowWarp(), [good, key], image)
    assert ref is key[1] and error < halo_error
    assert mask_iou(found, truth) > 0.8, mask_iou(found, truth)


def test_tracking_keeps_a_limb_whose_colours_come_close_to_the_scenerys():
    """Legs of about the scenery's colours, learnt with the subject on the prompted frame:
    the background's colour model explains them about as well as the subject's, and a
    pixel the moved mask covered stays subject unless the background's explains it
    clearly better (dropped at once, the legs were gone by the fifth frame)."""
    def frame(i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        off = int(i * 0.7) % 60
        image = _texture(1)[10:10 + H, off:off + W].copy()
        mask = np.roll(figure_mask(0), i, axis=1)  # walks 1 px a frame
        legs = mask & (np.arange(H)[:, None] >= 64)
        image[mask] = (200, 40, 150)
        image[mask & (np.arange(H)[:, None] < 35)] = (240, 200, 60)  # a yellow head
        image[legs] = (100, 128, 84)
        noise = np.random.default_rng(i).normal(0, 3, image.shape)
        return np.clip(image + noise, 0, 255).astype(np.uint8), mask, legs

    segmenter = GrabCutSegmenter()
    image, mask, _ = frame(0)
    init = np.full((H, W), cv2.GC_BGD, np.uint8)
    init[cv2.dilate(mask.astype(np.uint8), np.ones((7, 7))) > 0] = cv2.GC_PR_BGD
    init[mask] = cv2.GC_FGD
    segmenter._cut(image, init, (0, 0, W, H), 2)  # the colour models, as a prompt leaves them
    segmenter.stay_odds = STAY_ODDS  # as a click's cut that motion bounded leaves it
    recall, tracked = [], mask
    for i in range(1, 11):
        image, mask, legs = frame(i)
        moved = np.roll(tracked, 1, axis=1)
        tracked = segmenter.track(None, image, Segment(moved, 1.0)).mask
        recall.append(np.count_nonzero(tracked & legs) / np.count_nonzero(legs))
        assert tracked.sum() < 1.2 * mask.sum()
    assert np.mean(recall) > 0.7, recall
