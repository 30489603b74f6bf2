"""Shared fixtures: small generated clips (made once per test session)."""

from __future__ import annotations

import pytest

from tests.clips import make_audio_only, make_video


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="session")
def basic_clip(clip_dir):
    """160x90, 25 fps, 50 frames, shots starting at 0, 20 and 35, stereo 440 Hz tone."""
    return make_video(clip_dir / "basic.mp4", frames=50, cuts=(20, 35), audio=True)


@pytest.fixture(scope="session")
def vfr_clip(clip_dir):
    """30 frames at nominal 25 fps where every third frame lasts two frame times."""
    return make_video(clip_dir / "vfr.mp4", frames=30, cuts=(12,), vfr=True)


@pytest.fixture(scope="session")
def rotated_clip(clip_dir):
    """Stored 160x90 with a 90 degree (clockwise) display rotation: upright it is 90x160."""
    return make_video(clip_dir / "rotated.mp4", frames=10, rotation=90)


@pytest.fixture(scope="session")
def audio_only_clip(clip_dir):
    """One second of a 1 kHz mono AAC tone at 48 kHz, no video."""
    return make_audio_only(clip_dir / "tone.m4a", seconds=1.0, tone_hz=1000.0)
