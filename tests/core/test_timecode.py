from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from editor.core.errors import CutwiseError
from editor.core.timecode import FrameRate

RATES = [FrameRate(24000, 1001), FrameRate(24), FrameRate(25), FrameRate(30000, 1001),
         FrameRate(30), FrameRate(50), FrameRate(60000, 1001), FrameRate(60)]


@pytest.mark.parametrize("text,expected", [
    ("23.976", FrameRate(24000, 1001)), ("29.97", FrameRate(30000, 1001)),
    ("59.94", FrameRate(60000, 1001)), ("30000/1001", FrameRate(30000, 1001)),
    ("25", FrameRate(25)), (Fraction(50, 2), FrameRate(25)), (12.5, FrameRate(25, 2)),
])
def test_parse_rates(text, expected):
    assert FrameRate.of(text) == expected


@pytest.mark.parametrize("bad", ["abc", "0", "-25", "1/0", float("nan")])
def test_bad_rates_are_readable_errors(bad):
    with pytest.raises(CutwiseError):
        FrameRate.of(bad)


def test_drop_frame_timecode_known_values():
    ntsc = FrameRate(30000, 1001)
    # One minute of 29.97 skips labels ;00 and ;01; every tenth minute does not.
    assert ntsc.timecode(1799) == "00:00:59;29"
    assert ntsc.timecode(1800) == "00:01:00;02"
    assert ntsc.timecode(17982) == "00:10:00;00"
    assert ntsc.timecode(107892) == "01:00:00;00"  # an hour of 29.97 frames is 1:00:00 DF
    assert ntsc.timecode(1800, drop_frame=False) == "00:01:00:00"
    assert FrameRate(25).timecode(90000) == "01:00:00:00"


def test_nonexistent_drop_frame_label_is_refused():
    with pytest.raises(CutwiseError, match="does not exist"):
        FrameRate(30000, 1001).parse_timecode("00:01:00;00")


@given(st.sampled_from(RATES), st.integers(0, 24 * 3600 * 60))
def test_timecode_round_trips(rate, frame):
    assert rate.parse_timecode(rate.timecode(frame)) == frame


@given(st.sampled_from(RATES), st.integers(0, 10**7))
def test_seconds_and_frames_are_exact_inverses(rate, frame):
    assert rate.frame_at(rate.seconds(frame)) == frame
    # Any instant inside the frame maps back to it, including as a float.
    assert rate.frame_at(rate.seconds(frame) + rate.frame_duration / 2) == frame
    assert rate.frame_at(float(rate.seconds(frame))) == frame
