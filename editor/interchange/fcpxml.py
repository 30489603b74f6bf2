"""FCPXML (Final Cut Pro) to and from an OpenTimelineIO timeline, with exact rational times.

``otio-fcpx-xml-adapter`` 1.0 cannot write 23.976 or 29.97 fps (it finds no frame
duration for them and writes an empty one) and reads times at whole-number rates, so a
round trip through it is not frame-exact; this module replaces it for Cutwise.

Layout (FCPXML 1.8, which Final Cut Pro 10.4 and later import): the first video track
is the primary storyline (``spine``, gaps in between); other tracks are connected clips
on lanes (video 1, 2, ... above; audio -1, -2, ... below) attached to the spine element
they start over. Timeline markers are written on the spine element they fall in; clip
markers in the clip's source time. Times are seconds as exact fractions (``1001/30000s``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction

from editor.interchange.otio_bridge import InterchangeError, path_from_url

VERSION = "1.8"


def _seconds(value: Fraction) -> str:
    value = Fraction(value)
    return f"{value.numerator}s" if value.denominator == 1 else f"{value.numerator}/{value.denominator}s"


def _parse_seconds(text: str | None) -> Fraction:
    if not text:
        return Fraction(0)
    text = text.strip().rstrip("s")
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise InterchangeError(f"Not an FCPXML time: {text!r}.") from None


def _exact_rate(rate: float) -> Fraction:
    from editor.core.timecode import FrameRate

    return FrameRate.of(float(rate)).fraction


def _time_s(rt) -> Fraction:
    """An OTIO RationalTime as exact seconds (rates snap to NTSC fractions)."""
    return Fraction(round(rt.value)) / _exact_rate(rt.rate) if rt.rate else Fraction(0)


# --- writing --------------------------------------------------------------------------

def write_string(otl) -> str:
    """FCPXML text for an OTIO timeline (one sequence in one project in one event)."""
    import opentimelineio as otio

    rate = _exact_rate(otl.global_start_time.rate if otl.global_start_time else 25)
    meta = otl.metadata.get("cutwise") or {}
    root = ET.Element("fcpxml", version=VERSION)
    resources = ET.SubElement(root, "resources")
    ids = iter(f"r{n}" for n in range(1, 1_000_000))
    formats: dict[Fraction, str] = {}

    def format_id(fps: Fraction, width: int = 0, height: int = 0) -> str:
        if fps not in formats:
            attrs = {"id": next(ids), "frameDuration": _seconds(1 / fps)}
            if width and height:
                attrs.update(width=str(width), height=str(height))
            formats[fps] = attrs["id"]
            ET.SubElement(resources, "format", attrs)
        return formats[fps]

    seq_format = format_id(rate, int(meta.get("width", 0)), int(meta.get("height", 0)))
    assets: dict[str, str] = {}

    def asset_id(clip) -> str:
        ref = clip.media_reference
        url = getattr(ref, "target_url", "") or f"file:///missing/{clip.name}"
        if url not in assets:
            available = getattr(ref, "available_range", None)
            duration = _time_s(available.duration) if available else _time_s(clip.source_range.end_time_exclusive())
            fps = _exact_rate(available.duration.rate if available else clip.source_range.duration.rate)
            assets[url] = next(ids)
            ET.SubElement(resources, "asset", {
                "id": assets[url], "name": getattr(ref, "name", "") or path_from_url(url).rsplit("/", 1)[-1],
                "src": url, "start": "0s", "duration": _seconds(duration), "hasVideo": "1",
                "hasAudio": "1", "format": format_id(fps)})
        return assets[url]

    library = ET.SubElement(root, "library")
    event = ET.SubElement(library, "event", name="Cutwise")
    project = ET.SubElement(event, "project", name=otl.name or "Timeline")
    duration = _time_s(otl.duration()) if len(otl.tracks) else Fraction(0)
    sequence = ET.SubElement(project, "sequence", {
        "format": seq_format, "duration": _seconds(duration), "tcStart": "0s", "tcFormat": "NDF"})
    spine = ET.SubElement(sequence, "spine")

    tracks = [t for t in otl.tracks if isinstance(t, otio.schema.Track)]
    videos = [t for t in tracks if t.kind == otio.schema.TrackKind.Video]
    primary = videos[0] if videos else None
    # spine elements: (timeline start, end, element, its local start) for connecting clips
    placed: list[tuple[Fraction, Fraction, ET.Element, Fraction]] = []
    position = Fraction(0)
    if primary is not None:
        for index, item in enumerate(primary):
            span = primary.range_of_child_at_index(index)
            start, length = _time_s(span.start_time), _time_s(span.duration)
            if isinstance(item, otio.schema.Clip):
                element = _clip_element(spine, item, asset_id(item), start)
                local = _time_s(item.trimmed_range().start_time)
            else:
                element = ET.SubElement(spine, "gap", {"name": "Gap", "offset": _seconds(start),
                                                       "start": "0s", "duration": _seconds(length)})
                local = Fraction(0)
            placed.append((start, start + length, element, local))
            position = start + length
    if duration > position:  # room for clips on other tracks past the storyline's end
        element = ET.SubElement(spine, "gap", {"name": "Gap", "offset": _seconds(position),
                                               "start": "0s", "duration": _seconds(duration - position)})
        placed.append((position, duration, element, Fraction(0)))

    def host(at: Fraction):
        for start, end, element, local in placed:
            if start <= at < end:
                return element, local + at - start
        return None, None

    lanes = {id(t): n for n, t in enumerate(videos[1:], 1)}
    lanes.update({id(t): -n for n, t in enumerate((t for t in tracks if t.kind != otio.schema.TrackKind.Video), 1)})
    for track in tracks:
        if track is primary:
            continue
        for index, item in enumerate(track):
            if not isinstance(item, otio.schema.Clip):
                continue
            start = _time_s(track.range_of_child_at_index(index).start_time)
            parent, local = host(start)
            if parent is None:
                raise InterchangeError(f"Clip '{item.name}' on {track.name} lies past the end of the timeline.")
            element = _clip_element(parent, item, asset_id(item), local, lane=lanes[id(track)],
                                    audio=track.kind != otio.schema.TrackKind.Video)
            element.set("name", item.name or "")
    for marker in otl.tracks.markers:
        at = _time_s(marker.marked_range.start_time)
        parent, local = host(at)
        if parent is None:
            raise InterchangeError(f"Marker '{marker.name}' lies past the end of the timeline.")
        _marker_element(parent, marker, local)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n\n{body}\n'


def _clip_element(parent, item, ref: str, offset: Fraction, *, lane: int | None = None,
                  audio: bool = False):
    source = item.trimmed_range()
    attrs = {"name": item.name or "", "ref": ref, "offset": _seconds(offset),
             "start": _seconds(_time_s(source.start_time)), "duration": _seconds(_time_s(source.duration))}
    if lane is not None:
        attrs["lane"] = str(lane)
    if audio:
        attrs["srcEnable"] = "audio"
    element = ET.SubElement(parent, "asset-clip", attrs)
    for marker in item.markers:
        _marker_element(element, marker, _time_s(marker.marked_range.start_time))
    return element


def _marker_element(parent, marker, start: Fraction) -> None:
    duration = _time_s(marker.marked_range.duration)
    frame = 1 / _exact_rate(marker.marked_range.start_time.rate)
    attrs = {"start": _seconds(start), "duration": _seconds(duration or frame), "value": marker.name or ""}
    note = (marker.metadata.get("cutwise") or {}).get("note")
    if note:
        attrs["note"] = note
    # markers go before nested clips, as Final Cut writes them
    index = next((i for i, child in enumerate(parent) if child.tag != "marker"), len(parent))
    parent.insert(index, ET.Element("marker", attrs))


# --- reading --------------------------------------------------------------------------

_CLIP_TAGS = ("asset-clip", "clip", "video", "audio", "mc-clip", "sync-clip")


def read_string(text: str):
    """An OTIO timeline from FCPXML: the first project's sequence, storyline and lanes."""
    import opentimelineio as otio

    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise InterchangeError(f"Not an FCPXML file ({exc}).") from None
    if root.tag != "fcpxml":
        raise InterchangeError("Not an FCPXML file (no <fcpxml> root).")
    formats = {f.get("id"): _parse_seconds(f.get("frameDuration")) for f in root.iter("format")}
    assets = {a.get("id"): a for a in root.iter("asset")}
    project = root.find(".//project")
    sequence = project.find("sequence") if project is not None else None
    if sequence is None:
        raise InterchangeError("This FCPXML has no project with a sequence to import.")
    frame = formats.get(sequence.get("format")) or Fraction(1, 25)
    rate = 1 / frame
    fps = float(rate)

    def rt(seconds: Fraction):
        return otio.opentime.RationalTime(round(seconds * rate), fps)

    def asset_rate(asset) -> Fraction:
        duration = formats.get(asset.get("format")) if asset is not None else None
        return 1 / duration if duration else rate

    lanes: dict[tuple[str, int], list[tuple[Fraction, object]]] = {}
    timeline_markers = []

    def ref_of(element):
        if element.get("ref") in assets:
            return element.get("ref")
        inner = next((c for c in element if c.tag in ("video", "audio", "asset-clip") and c.get("ref") in assets), None)
        return inner.get("ref") if inner is not None else None

    def make_clip(element, ref: str):
        asset = assets[ref]
        src_rate = asset_rate(asset)
        url = asset.get("src") or ""
        media = asset.find("media-rep")
        if not url and media is not None:
            url = media.get("src", "")
        available = otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, float(src_rate)),
            otio.opentime.RationalTime(round(_parse_seconds(asset.get("duration")) * src_rate), float(src_rate)))
        reference = otio.schema.ExternalReference(target_url=url, available_range=available)
        reference.name = asset.get("name", "")
        start = _parse_seconds(element.get("start"))
        clip = otio.schema.Clip(name=element.get("name", ""), media_reference=reference, source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(round(start * src_rate), float(src_rate)),
            rt(_parse_seconds(element.get("duration")))))
        for m in element.findall("marker"):
            clip.markers.append(_otio_marker(m, _parse_seconds(m.get("start")), src_rate))
        return clip

    def walk(container, base: Fraction, local0: Fraction, lane: int, storyline: bool) -> None:
        """``base`` is the timeline time of ``container``'s local time ``local0``."""
        for element in container:
            if element.tag not in _CLIP_TAGS + ("gap", "title", "ref-clip"):
                continue
            if not storyline and element.get("lane") is None:
                continue  # a clip's own media (<video ref=...>), not a connected clip
            own_lane = int(element.get("lane", lane))
            at = base + _parse_seconds(element.get("offset")) - local0
            start = _parse_seconds(element.get("start"))
            ref = ref_of(element)
            if element.tag == "gap" or ref is None:
                for m in element.findall("marker"):
                    timeline_markers.append(_otio_marker(m, at + _parse_seconds(m.get("start")) - start, rate))
            else:
                audio = own_lane < 0 or element.tag == "audio" or element.get("srcEnable") == "audio"
                key = ("audio", -own_lane if own_lane < 0 else own_lane) if audio else ("video", own_lane)
                lanes.setdefault(key, []).append((at, make_clip(element, ref)))
            walk(element, at, start, own_lane, False)  # connected clips hang off this element
            for nested in element.findall("spine"):
                walk(nested, at + _parse_seconds(nested.get("offset")) - start, Fraction(0),
                     int(nested.get("lane", own_lane)), True)

    spine = sequence.find("spine")
    if spine is not None:
        walk(spine, -_parse_seconds(sequence.get("tcStart")), Fraction(0), 0, True)
    otl = otio.schema.Timeline(name=project.get("name", ""))
    otl.global_start_time = rt(Fraction(0))
    counts = {"video": 0, "audio": 0}
    for key in sorted(lanes, key=lambda k: (k[0] != "video", k[1])):
        video = key[0] == "video"
        counts[key[0]] += 1
        track = otio.schema.Track(name=f"{'V' if video else 'A'}{counts[key[0]]}",
                                  kind=otio.schema.TrackKind.Video if video else otio.schema.TrackKind.Audio)
        position = 0
        for at, clip in sorted(lanes[key], key=lambda p: p[0]):
            start = round(at * rate)
            if start > position:
                track.append(otio.schema.Gap(source_range=otio.opentime.TimeRange(
                    otio.opentime.RationalTime(0, fps), otio.opentime.RationalTime(start - position, fps))))
            track.append(clip)
            position = start + round(clip.source_range.duration.value)
        otl.tracks.append(track)
    for marker in timeline_markers:
        otl.tracks.markers.append(marker)
    return otl


def _otio_marker(element, start: Fraction, rate: Fraction):
    import opentimelineio as otio

    duration = _parse_seconds(element.get("duration"))
    frames = round(duration * rate)
    marker = otio.schema.Marker(
        name=element.get("value", ""),
        marked_range=otio.opentime.TimeRange(otio.opentime.RationalTime(round(start * rate), float(rate)),
                                             otio.opentime.RationalTime(frames if frames > 1 else 0, float(rate))))
    if element.get("note"):
        marker.metadata["cutwise"] = {"note": element.get("note")}
    return marker
