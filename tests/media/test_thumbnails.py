import cv2
import numpy as np
import pytest

from editor.core.cache import AnalysisCache
from editor.media import thumbnails
from editor.media.errors import NoVideoStreamError
from editor.media.thumbnails import save_png, thumbnail
from tests.clips import read_frame_number, shot_colour


@pytest.mark.parametrize("time_s,frame", [(0, 0), (0.5, 12), (0.79, 19), (0.8, 20),
                                          (1.41, 35), (1.99, 49), (30, 49), (-1, 0)])
def test_thumbnail_shows_the_frame_at_that_time(basic_clip, time_s, frame):
    image = thumbnail(basic_clip.path, time_s, width=80)
    assert image.shape == (45, 80, 3) and image.dtype == np.uint8
    assert read_frame_number(image) == frame
    colour = image[20:30, 30:50].reshape(-1, 3).mean(axis=0)
    assert np.abs(colour - shot_colour(basic_clip.shot_of(frame))).max() < 15


def test_thumbnail_of_rotated_clip_is_upright(rotated_clip):
    image = thumbnail(rotated_clip.path, 0.2, width=45)
    assert image.shape == (80, 45, 3)
    assert read_frame_number(image) == 5


def test_cached_thumbnail_is_not_decoded_again(basic_clip, tmp_path, monkeypatch):
    cache = AnalysisCache(tmp_path)
    first = thumbnail(basic_clip.path, 1.0, width=64, cache=cache)
    key = cache.key(basic_clip.path, "thumbnail", thumbnails.VERSION, {"t": 1.0, "w": 64})
    assert np.array_equal(cache.get_arrays(key)["image"], first)

    def no_decode(*args):
        raise AssertionError("a cached thumbnail must not be decoded")
    monkeypatch.setattr(thumbnails, "_decode_at", no_decode)
    assert np.array_equal(thumbnail(basic_clip.path, 1.0, width=64, cache=cache), first)


def test_save_png_round_trips(basic_clip, tmp_path):
    image = thumbnail(basic_clip.path, 0.0, width=80)
    save_png(image, tmp_path / "out" / "thumb.png")
    back = cv2.imread(str(tmp_path / "out" / "thumb.png"), cv2.IMREAD_COLOR)
    assert np.array_equal(cv2.cvtColor(back, cv2.COLOR_BGR2RGB), image)


def test_audio_only_has_no_thumbnail(audio_only_clip):
    with pytest.raises(NoVideoStreamError):
        thumbnail(audio_only_clip, 0.5)
