"""Frame-exact rational time.

Timeline positions and clip ranges are integer frame counts at a :class:`FrameRate`;
seconds are :class:`fractions.Fraction` so nothing drifts at 29.97 or 23.976 fps.
Variable-frame-rate sources keep their real presentation times in the media layer and
are addressed by decode-order frame index here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from editor.core.errors import CutwiseError

# Rates that editors write as decimals; a float close to one of these snaps to it.
_KNOWN_RATES = [Fraction(24000, 1001), Fraction(30000, 1001), Fraction(60000, 1001),
                Fraction(48000, 1001), Fraction(120000, 1001)]
_TIMECODE = re.compile(r"^(\d+):(\d{2}):(\d{2})([:;.])(\d+)$")


@dataclass(frozen=True)
class FrameRate:
    """A frame rate as an exact fraction, e.g. ``FrameRate(30000, 1001)`` for 29.97."""

    num: int
    den: int = 1

    def __post_init__(self):
        if self.den <= 0 or self.num <= 0:
            raise CutwiseError(f"Frame rate must be positive, not {self.num}/{self.den}.")
        g = math.gcd(self.num, self.den)
        if g != 1:
            object.__setattr__(self, "num", self.num // g)
            object.__setattr__(self, "den", self.den // g)

    @classmethod
    def of(cls, value: "FrameRate | Fraction | float | int | str") -> "FrameRate":
        """Parse ``30000/1001``, ``29.97``, ``25`` or a Fraction; decimals snap to NTSC rates."""
        if isinstance(value, FrameRate):
            return value
        if isinstance(value, str):
            text = value.strip()
            try:
                value = Fraction(text) if "/" in text else float(text)
            except (ValueError, ZeroDivisionError):
                raise CutwiseError(f"Not a frame rate: {text!r}.") from None
        if isinstance(value, float):
            if not math.isfinite(value) or value <= 0:
                raise CutwiseError(f"Frame rate must be positive, not {value}.")
            for known in _KNOWN_RATES:
                if abs(float(known) - value) < 0.0015:
                    return cls(known.numerator, known.denominator)
            value = Fraction(value).limit_denominator(1001)
        frac = Fraction(value)
        return cls(frac.numerator, frac.denominator)

    @property
    def fraction(self) -> Fraction:
        return Fraction(self.num, self.den)

    @property
    def frame_duration(self) -> Fraction:
        return Fraction(self.den, self.num)

    @property
    def nominal(self) -> int:
        """The integer rate timecode counts in (30 for 29.97)."""
        return round(self.num / self.den)

    @property
    def is_drop_frame_rate(self) -> bool:
        """29.97 and 59.94 use drop-frame timecode by convention."""
        return self.den == 1001 and self.nominal in (30, 60)

    def __float__(self) -> float:
        return self.num / self.den

    def __str__(self) -> str:
        return f"{self.num}/{self.den}" if self.den != 1 else str(self.num)

    def seconds(self, frame: int) -> Fraction:
        """Start time of ``frame`` in exact seconds."""
        return Fraction(frame * self.den, self.num)

    def frame_at(self, seconds: Fraction | float) -> int:
        """Index of the frame displayed at ``seconds`` (the one whose interval contains it)."""
        t = Fraction(seconds) if not isinstance(seconds, Fraction) else seconds
        exact = t * self.fraction
        nearest = round(exact)
        # Floats like 1/30*30 land a hair below an integer: treat within 1e-6 frame as on it.
        if abs(exact - nearest) < Fraction(1, 1_000_000):
            return int(nearest)
        return math.floor(exact)

    def rescale(self, frame: int, other: "FrameRate") -> int:
        """The frame at ``other`` rate that shows the same instant as ``frame`` here."""
        return other.frame_at(self.seconds(frame))

    def timecode(self, frame: int, drop_frame: bool | None = None) -> str:
        """SMPTE timecode ``HH:MM:SS:FF`` (``;`` before frames when drop-frame)."""
        if frame < 0:
            return "-" + self.timecode(-frame, drop_frame)
        drop = self.is_drop_frame_rate if drop_frame is None else drop_frame
        fps = self.nominal
        if drop:
            dropped = 2 * fps // 30
            per_10min = fps * 600 - dropped * 9
            per_min = fps * 60 - dropped
            tens, rest = divmod(frame, per_10min)
            frame += dropped * 9 * tens
            if rest > dropped:
                frame += dropped * ((rest - dropped) // per_min)
        ff = frame % fps
        total_s = frame // fps
        sep = ";" if drop else ":"
        return f"{total_s // 3600:02d}:{total_s // 60 % 60:02d}:{total_s % 60:02d}{sep}{ff:02d}"

    def parse_timecode(self, text: str) -> int:
        """Inverse of :meth:`timecode`; ``;`` or ``.`` before the frames means drop-frame."""
        match = _TIMECODE.match(text.strip())
        if not match:
            raise CutwiseError(f"Not a timecode: {text!r} (expected HH:MM:SS:FF).")
        hh, mm, ss, sep, ff = match.groups()
        hh, mm, ss, ff = int(hh), int(mm), int(ss), int(ff)
        fps = self.nominal
        if mm > 59 or ss > 59 or ff >= fps:
            raise CutwiseError(f"Timecode {text!r} is out of range at {self} fps.")
        frame = (hh * 3600 + mm * 60 + ss) * fps + ff
        if sep in ";.":
            dropped = 2 * fps // 30
            minutes = hh * 60 + mm
            if ff < dropped and ss == 0 and mm % 10 != 0:
                raise CutwiseError(f"Timecode {text!r} does not exist in drop-frame.")
            frame -= dropped * (minutes - minutes // 10)
        return frame
