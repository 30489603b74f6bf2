import inspect
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from editor.core.errors import Cancelled
from editor.core.progress import CancelToken
from editor.media.decode import frame_times, iter_frames
from editor.media.errors import MediaVanishedError, NoVideoStreamError
from tests.clips import copy, corrupt, make_video, read_frame_number, shot_colour

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "real-clips"
needs_real = pytest.mark.skipif(not REAL.is_dir(), reason="shared real clips not present")


def centre(image):
    h, w = image.shape[:2]
    return image[h // 3: h // 2, w // 3: 2 * w // 3].reshape(-1, *image.shape[2:]).mean(axis=0)


def luma(rgb):
    r, g, b = rgb
    return 0.299 * r + 0.587 * g + 0.114 * b


def test_rgb_frames_in_order_with_exact_pts(basic_clip):
    frames = iter_frames(basic_clip.path)
    assert inspect.isgenerator(frames)  # streamed, never the whole clip
    frames = list(frames)
    assert [f.index for f in frames] == list(range(50))
    assert tuple(f.pts for f in frames) == basic_clip.pts
    assert all(isinstance(f.pts, Fraction) for f in frames)
    for f in frames:
        assert f.image.shape == (90, 160, 3) and f.image.dtype == np.uint8
        assert read_frame_number(f.image) == f.index
        assert np.abs(centre(f.image) - shot_colour(basic_clip.shot_of(f.index))).max() < 12


def test_gray_is_full_range_luma(basic_clip):
    frame = next(iter_frames(basic_clip.path, fmt="gray"))
    assert frame.image.shape == (90, 160) and frame.image.dtype == np.uint8
    assert centre(frame.image) == pytest.approx(luma(shot_colour(0)), abs=6)
    assert frame.image[2, 2] > 245  # white marker: 235 in the file, stretched to ~255
    assert read_frame_number(frame.image) == 0


@pytest.mark.parametrize("fmt", ["rgb", "gray"])
@pytest.mark.parametrize("size,expected", [((80, None), (45, 80)), ((None, 30), (30, 53)),
                                           ((64, 64), (64, 64))])
def test_reduced_size_keeps_aspect_unless_both_given(basic_clip, fmt, size, expected):
    width, height = size
    frames = list(iter_frames(basic_clip.path, fmt=fmt, width=width, height=height))
    assert len(frames) == 50
    assert all(f.image.shape[:2] == expected for f in frames)
    assert [read_frame_number(f.image) for f in frames] == list(range(50))


def test_cut_frames_differ_and_shot_frames_do_not(basic_clip):
    images = {f.index: centre(f.image) for f in iter_frames(basic_clip.path, width=80)}
    for cut in basic_clip.cuts:
        assert np.abs(images[cut] - images[cut - 1]).max() > 60
        assert np.abs(images[cut + 1] - images[cut]).max() < 8


@pytest.mark.parametrize("start_s,first", [(1.0, 25), (0.99, 24), (0.0, 0), (1.96, 49)])
def test_start_time_keeps_file_indices(basic_clip, start_s, first):
    frames = list(iter_frames(basic_clip.path, fmt="gray", start_s=start_s))
    assert frames[0].index == first
    assert frames[0].pts == basic_clip.pts[first]
    assert [f.index for f in frames] == list(range(first, 50))
    assert all(read_frame_number(f.image) == f.index for f in frames)


def test_start_past_the_end_yields_nothing(basic_clip):
    assert list(iter_frames(basic_clip.path, start_s=60)) == []


def test_vfr_timestamps_come_from_the_file(vfr_clip):
    frames = list(iter_frames(vfr_clip.path, fmt="gray", width=32))
    assert tuple(f.pts for f in frames) == vfr_clip.pts
    assert [f.index for f in frames] == list(range(30))
    assert tuple(frame_times(vfr_clip.path)) == vfr_clip.pts
    later = list(iter_frames(vfr_clip.path, fmt="gray", width=32, start_s=vfr_clip.pts[20]))
    assert later[0].index == 20 and later[0].pts == vfr_clip.pts[20]


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotation_makes_frames_upright(clip_dir, rotated_clip, rotation):
    clip = rotated_clip if rotation == 90 else make_video(
        clip_dir / f"decode-rot{rotation}.mp4", frames=4, rotation=rotation)
    w, h = clip.display_size
    for fmt, shape in [("rgb", (h, w, 3)), ("gray", (h, w))]:
        frames = list(iter_frames(clip.path, fmt=fmt))
        assert all(f.image.shape == shape for f in frames)
        assert all(read_frame_number(f.image) == f.index for f in frames)
        assert frames[0].image[2, 2].min() > 240  # the marker sits top-left when upright
    stored = next(iter_frames(clip.path, rotate=False)).image
    assert stored.shape == (90, 160, 3)


def test_rotated_reduced_size_is_upright(rotated_clip):
    frame = next(iter_frames(rotated_clip.path, fmt="gray", width=45))
    assert frame.image.shape == (80, 45)
    assert read_frame_number(frame.image) == 0


def test_detail_is_the_same_frame_in_gray_at_another_size_every_nth_frame(rotated_clip):
    gray = {f.index: f.image for f in iter_frames(rotated_clip.path, fmt="gray", height=60)}
    frames = list(iter_frames(rotated_clip.path, fmt="yuv", width=20, detail=(None, 60),
                              detail_when=lambda index: index % 3 == 0))
    assert [f.index for f in frames if f.detail is not None] == list(range(0, len(frames), 3))
    for f in frames:
        assert f.image.shape[:2] == (36, 20)
        if f.detail is not None:  # upright, and the very picture of its own frame
            assert np.array_equal(f.detail, gray[f.index])
            assert read_frame_number(f.detail) == f.index


def test_a_detail_as_large_as_the_frame_is_its_own_luma(rotated_clip):
    gray = {f.index: f.image for f in iter_frames(rotated_clip.path, fmt="gray", height=60,
                                                  fast=True)}
    frames = list(iter_frames(rotated_clip.path, fmt="yuv", height=60, detail=(None, 60),
                              fast=True))
    for f in frames:  # the luma plane read once, the same picture as a gray decode's
        assert f.detail.shape == (60, f.image.shape[1]) and f.detail.flags.c_contiguous
        assert np.array_equal(f.detail, f.image[:, :, 0])
        assert np.array_equal(f.detail, gray[f.index])
        assert read_frame_number(f.detail) == f.index


def test_odd_size(clip_dir):
    clip = make_video(clip_dir / "decode-odd.mp4", width=641, height=361, pix_fmt="yuv444p",
                      frames=3)
    assert [f.image.shape for f in iter_frames(clip.path)] == [(361, 641, 3)] * 3
    assert next(iter_frames(clip.path, fmt="gray")).image.shape == (361, 641)
    assert next(iter_frames(clip.path, fmt="gray", width=320)).image.shape == (180, 320)


def test_ten_bit(clip_dir):
    clip = make_video(clip_dir / "decode-10bit.mp4", pix_fmt="yuv420p10le", frames=3)
    rgb = list(iter_frames(clip.path))
    assert [read_frame_number(f.image) for f in rgb] == [0, 1, 2]
    assert np.abs(centre(rgb[0].image) - shot_colour(0)).max() < 12
    gray = next(iter_frames(clip.path, fmt="gray", width=80)).image
    assert gray.dtype == np.uint8 and gray.shape == (45, 80)
    assert centre(gray) == pytest.approx(luma(shot_colour(0)), abs=6)


def test_corrupt_frame_is_skipped_with_warning(clip_dir, basic_clip):
    path = corrupt(basic_clip.path, clip_dir / "decode-corrupt.mp4")
    warnings = []
    frames = list(iter_frames(path, fmt="gray", on_warning=warnings.append))
    indices = [f.index for f in frames]
    missing = set(range(50)) - set(indices)
    assert warnings and all("\n" not in w and str(path) in w for w in warnings)
    assert 1 <= len(missing) <= 3
    assert indices == sorted(indices) and indices[-1] == 49
    first_bad = min(missing)
    assert all(read_frame_number(f.image) == f.index for f in frames if f.index < first_bad)
    assert all(read_frame_number(f.image) == f.index for f in frames if f.index >= 40)


def test_cancel_stops_decoding(basic_clip):
    token = CancelToken()
    frames = iter_frames(basic_clip.path, cancel=token)
    next(frames)
    token.cancel()
    with pytest.raises(Cancelled):
        list(frames)


def test_file_removed_during_iteration(tmp_path, basic_clip):
    path = copy(basic_clip.path, tmp_path / "going.mp4")
    frames = iter_frames(path)
    next(frames)
    path.unlink()
    with pytest.raises(MediaVanishedError, match="going.mp4"):
        list(frames)


def test_file_replaced_during_iteration(tmp_path, basic_clip, vfr_clip):
    path = copy(basic_clip.path, tmp_path / "swapped.mp4")
    frames = iter_frames(path)
    next(frames)
    copy(vfr_clip.path, tmp_path / "other.mp4").replace(path)
    with pytest.raises(MediaVanishedError):
        list(frames)


def test_audio_only_has_no_video(audio_only_clip):
    with pytest.raises(NoVideoStreamError, match="tone.m4a"):
        next(iter_frames(audio_only_clip))
    with pytest.raises(NoVideoStreamError):
        frame_times(audio_only_clip)


def test_bad_format_argument(basic_clip):
    with pytest.raises(ValueError):
        next(iter_frames(basic_clip.path, fmt="bgr"))


@needs_real
def test_real_vfr_clip_frames_match_packet_scan():
    path = REAL / "goldeneye-vfr-drop3.mp4"
    frames = list(iter_frames(path, fmt="gray", width=64))
    assert len(frames) == 160
    assert [f.pts for f in frames] == frame_times(path)
    assert frames[0].image.shape == (27, 64)


@needs_real
def test_real_rotated_clip_is_upright():
    frame = next(iter_frames(REAL / "issue-134-rotate.mp4", fmt="gray", width=68))
    assert frame.image.shape == (160, 68)


def test_yuv_is_gray_luma_plus_chroma_planes(basic_clip):
    gray = [f.image for f in iter_frames(basic_clip.path, fmt="gray", width=80)]
    yuv = list(iter_frames(basic_clip.path, fmt="yuv", width=80))
    assert [f.index for f in yuv] == list(range(50))
    for g, f in zip(gray, yuv):
        assert f.image.shape == (45, 80, 3) and f.image.dtype == np.uint8
        assert np.array_equal(f.image[:, :, 0], g)  # channel 0 is the gray output
    # shot 0 is red: V (Cr) well above 128 and U (Cb) below; shot 1 is green: both below
    red, green = centre(yuv[0].image), centre(yuv[25].image)
    assert red[2] > 170 and red[1] < 128
    assert green[1] < 128 and green[2] < 128


def test_fast_skips_unreferenced_frames_unless_every_frame_is_asked(clip_dir):
    # x264's defaults put non-reference B-frames between references
    clip = make_video(clip_dir / "bframes.mp4", frames=60, cuts=(30,), gop=60)
    full = {f.index: f for f in iter_frames(clip.path, fmt="gray", width=80)}
    fast = list(iter_frames(clip.path, fmt="gray", width=80, fast=True))
    assert len(full) == 60
    indices = [f.index for f in fast]
    assert indices == sorted(set(indices)) and set(indices) < set(full)
    assert len(fast) < 50  # frames were really skipped
    for f in fast:
        assert f.pts == full[f.index].pts == clip.pts[f.index]
        assert read_frame_number(f.image) == f.index  # the right picture for its index
        assert np.abs(f.image.astype(int) - full[f.index].image).mean() < 6
    every = list(iter_frames(clip.path, fmt="gray", width=80, fast=True, every_frame=True))
    assert [f.index for f in every] == list(range(60))  # fast, but no frame left out
    for f in every:
        assert read_frame_number(f.image) == f.index
        assert np.abs(f.image.astype(int) - full[f.index].image).mean() < 6


def test_fast_reduction_by_a_fraction_stays_close_to_the_area_average(clip_dir):
    # 1920 to 256 (7.5x) samples bilinearly first: the picture stays the same
    clip = make_video(clip_dir / "fhd.mp4", width=1920, height=1080, frames=3)
    slow = list(iter_frames(clip.path, fmt="yuv", width=256))
    fast = list(iter_frames(clip.path, fmt="yuv", width=256, fast=True, every_frame=True))
    assert [f.index for f in fast] == [0, 1, 2]
    for a, b in zip(slow, fast):
        assert a.image.shape == b.image.shape == (144, 256, 3)
        assert np.abs(a.image.astype(int) - b.image).mean() < 1
