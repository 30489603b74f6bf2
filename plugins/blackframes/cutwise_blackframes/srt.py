"""The exporter: a timeline's markers as SRT subtitles."""

from __future__ import annotations

from fractions import Fraction

from editor.core.model import Project, Timeline

MIN_SECONDS = Fraction(2)  # the last marker's subtitle, or any marker with no length


def _stamp(seconds: Fraction) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def markers_to_srt(project: Project, timeline: Timeline) -> str:
    """One numbered cue per marker: its name (and note) from the marker to the next one."""
    rate = timeline.frame_rate
    markers = sorted(timeline.markers, key=lambda m: m.frame)
    cues = []
    for number, marker in enumerate(markers, 1):
        start = rate.seconds(marker.frame)
        if marker.duration:
            end = rate.seconds(marker.frame + marker.duration)
        elif number < len(markers):
            end = rate.seconds(markers[number].frame)
        else:
            end = start + MIN_SECONDS
        text = "\n".join(t for t in (marker.name, marker.note) if t) or f"Marker {number}"
        cues.append(f"{number}\n{_stamp(start)} --> {_stamp(max(end, start + Fraction(1, 1000)))}\n{text}\n")
    return "\n".join(cues)
