"""``cutwise probe FILE``: what a media file holds, in plain words or JSON."""

from __future__ import annotations

from editor.cli import EXIT_OK, print_json


def register(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "probe", parents=[common], help="show a media file's streams, frame rate, size...",
        description="Read a media file's facts: duration, exact frame rate and whether it "
                    "varies, frame count, size, pixel aspect, rotation, codecs, audio.")
    parser.add_argument("file", help="a video or audio file")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from editor.media.probe import probe

    info = probe(args.file).to_dict()
    if args.json:
        print_json(info)
    else:
        print(describe(info))
    return EXIT_OK


def describe(info: dict) -> str:
    """A few readable lines about a probed file."""
    lines = [f"{info['path']}", f"  container  {info['container']}, {info['duration_s']:.3f} s, "
                                f"{info['size_bytes'] / 1e6:.1f} MB"]
    video = info.get("video")
    if video:
        size = f"{video['width']}x{video['height']}"
        if (video["display_width"], video["display_height"]) != (video["width"], video["height"]):
            size += f" (shown as {video['display_width']}x{video['display_height']})"
        rate = f"{video['frame_rate']} fps ({video['frame_rate_float']:.3f})"
        if video["variable_frame_rate"]:
            rate += ", variable"
        lines.append(f"  video      {video['codec']} {size}, {rate}, {video['frame_count']} frames, "
                     f"{video['pix_fmt']}, rotation {video['rotation']}°, "
                     f"pixel aspect {video['pixel_aspect']}")
    else:
        lines.append("  video      none")
    for audio in info.get("audio", []):
        lines.append(f"  audio      {audio['codec']} {audio['sample_rate']} Hz, "
                     f"{audio['channels']} ch")
    lines += [f"  warning    {warning}" for warning in info.get("warnings", [])]
    return "\n".join(lines)
