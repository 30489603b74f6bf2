"""Reading which frames are referenced from the packets: the frames a fast decode (which
skips the unreferenced ones) gives are exactly those marked, for H.264 and HEVC, in MP4
(length-prefixed NAL units) and MPEG-TS (start codes) alike."""

import pytest

from editor.media.decode import iter_frames
from editor.media.references import reads_references
from tests.clips import has_encoder, make_video


@pytest.mark.parametrize("codec, suffix", [("libx264", ".mp4"), ("libx264", ".ts"),
                                           ("libx265", ".mp4"), ("libx265", ".ts")])
def test_marked_frames_are_those_a_fast_decode_gives(tmp_path, codec, suffix):
    if not has_encoder(codec):
        pytest.skip(f"no {codec} encoder")
    clip = make_video(tmp_path / f"b-frames{suffix}", frames=60, cuts=(17, 41), gop=30,
                      codec=codec)
    marked = {f.index: f.referenced for f in iter_frames(clip.path, fmt="gray", width=32,
                                                          fast=True, every_frame=True,
                                                          references=True)}
    fast = [f.index for f in iter_frames(clip.path, fmt="gray", width=32, fast=True)]
    assert sorted(marked) == list(range(60))
    assert [i for i, referenced in marked.items() if referenced] == fast
    assert 10 <= len(fast) < 50  # B-frames nothing refers to were skipped, not all frames


def test_other_codecs_are_not_marked(tmp_path):
    if not has_encoder("mpeg4"):
        pytest.skip("no MPEG-4 encoder")
    clip = make_video(tmp_path / "mpeg4.mp4", frames=10, codec="mpeg4")
    assert not reads_references("mpeg4") and reads_references("h264") and \
        reads_references("hevc")
    assert {f.referenced for f in iter_frames(clip.path, fmt="gray", width=32,
                                              references=True)} == {None}


def test_thumbnails_are_the_frames_a_decode_at_that_width_gives(tmp_path):
    clip = make_video(tmp_path / "thumbs.mp4", width=320, height=180, frames=12)
    thumbs = [f.thumb for f in iter_frames(clip.path, fmt="gray", width=64, fast=True,
                                           every_frame=True, thumb_width=40)]
    direct = [f.image for f in iter_frames(clip.path, fmt="yuv", width=40, fast=True,
                                           every_frame=True)]
    assert len(thumbs) == 12 and all(t.shape == (22, 40, 3) for t in thumbs)
    assert all((t == d).all() for t, d in zip(thumbs, direct))
