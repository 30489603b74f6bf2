"""``cutwise reframe FILE``: crop 16:9 to 9:16 (or any ratio) with a smooth, shot-aware camera."""

from __future__ import annotations

import re
import sys

from editor.cli import EXIT_OK, ProgressBar, UsageError, output_path, print_json


def register(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "reframe", parents=[common], help="auto-reframe to 9:16, 1:1, 4:5 or any ratio",
        description="Plan a crop window for every frame that keeps the subject in view with "
                    "a steady camera (reset at every cut), print it, render it, or export "
                    "its keyframes. Frames are 0-based in decode order; x/y are the crop's "
                    "top-left corner in source pixels.")
    parser.add_argument("file", help="a video file")
    parser.add_argument("--aspect", default="9:16", metavar="W:H",
                        help="target aspect ratio: 9:16 (default), 1:1, 4:5 or any W:H")
    parser.add_argument("--zoom", type=float, default=1.0,
                        help="1 = full-height crop (default); 1.5 crops 1/1.5 of the height")
    parser.add_argument("--smoothness", type=float, default=0.5, metavar="S",
                        help="0 (follow closely) .. 1 (very steady camera); default 0.5")
    parser.add_argument("--subject", metavar="X,Y@FRAME[#N]", action="append", default=[],
                        help="follow the subject at this source pixel on this frame, tracked "
                             "through its shot by the matting engine (repeatable: one click "
                             "per shot, or more in a shot where the tracking lost it); #N "
                             "marks a click on subject N: 1 (the default) is the main one, "
                             "2, 3... are kept in the crop, in that order, where they fit "
                             "with it")
    parser.add_argument("--backend", choices=("auto", "sam", "grabcut"), default="auto",
                        help="how --subject is tracked: auto (default) uses SAM if a "
                             "checkpoint is installed and a GPU runs it, else GrabCut")
    parser.add_argument("--checkpoint", metavar="PATH",
                        help="a SAM checkpoint file for --subject instead of an installed one")
    parser.add_argument("--pin", action="append", default=[], metavar="FRAME:X,Y",
                        help="fix the crop's top-left corner on a frame (repeatable); the "
                             "camera re-plans around it")
    parser.add_argument("--mode", choices=("auto", "stationary", "pan", "track"), default="auto",
                        help="camera per shot; auto picks the simplest that keeps the subject")
    parser.add_argument("-o", "--output", metavar="OUT.mp4",
                        help="render H.264 with the original audio at the target size")
    parser.add_argument("--size", metavar="WxH",
                        help="rendered size (default 1080x1920 for 9:16, 1080x1080 for 1:1...)")
    parser.add_argument("--background", default="blur",
                        help="padded layout background: blur (default), black, white or #rrggbb")
    parser.add_argument("--keyframes", metavar="OUT.json",
                        help="export the editable keyframes (per shot) to this file")
    parser.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    parser.add_argument("--no-cache", action="store_true",
                        help="do not read or write the analysis cache")
    parser.set_defaults(handler=run)


def _subject(text: str) -> tuple[float, float, int, int]:
    m = re.fullmatch(r"\s*([\d.]+)\s*,\s*([\d.]+)\s*@\s*(\d+)\s*(?:#\s*([1-9]\d*)\s*)?", text)
    if not m:
        raise UsageError(f"--subject wants X,Y@FRAME or X,Y@FRAME#N for subject N (e.g. "
                         f"640,360@0 or 900,380@0#2), not '{text}'")
    return float(m.group(1)), float(m.group(2)), int(m.group(3)), int(m.group(4) or 1)


def _pin(text: str) -> tuple[int, tuple[float, float]]:
    m = re.fullmatch(r"\s*(\d+)\s*:\s*(-?[\d.]+)\s*(?:,\s*(-?[\d.]+))?\s*", text)
    if not m:
        raise UsageError(f"--pin wants FRAME:X,Y (e.g. 120:400,0), not '{text}'")
    return int(m.group(1)), (float(m.group(2)), float(m.group(3) or 0))


def _size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not m or not (16 <= int(m.group(1)) <= 8192 and 16 <= int(m.group(2)) <= 8192):
        raise UsageError(f"--size wants WxH between 16 and 8192 (e.g. 1080x1920), not '{text}'")
    w, h = int(m.group(1)), int(m.group(2))
    return w - w % 2, h - h % 2


def run(args) -> int:
    import json

    from editor.analysis.reframe import parse_aspect, reframe
    from editor.analysis.reframe.render import _colour, render
    from editor.core.cache import AnalysisCache
    from editor.core.errors import CutwiseError
    from editor.core.files import atomic_write_bytes

    try:
        ratio = parse_aspect(args.aspect)
        _colour(args.background)
    except CutwiseError as exc:
        raise UsageError(exc.message) from None
    if not 0.0 <= args.smoothness <= 1.0:
        raise UsageError(f"--smoothness must be between 0 and 1, not {args.smoothness}")
    if not 1.0 <= args.zoom <= 4.0:
        raise UsageError(f"--zoom must be between 1 and 4, not {args.zoom}")
    subjects = [_subject(text) for text in args.subject]
    if args.checkpoint and args.backend == "grabcut":
        raise UsageError("--checkpoint is for SAM; it cannot be used with --backend grabcut")
    pins = dict(_pin(p) for p in args.pin)
    size = _size(args.size) if args.size else None
    video_out = output_path(args.output, args.overwrite) if args.output else None
    keys_out = output_path(args.keyframes, args.overwrite) if args.keyframes else None
    if video_out is not None and keys_out is not None and video_out.resolve() == keys_out.resolve():
        raise UsageError("-o and --keyframes name the same file")
    warn = lambda m: print(f"cutwise: warning: {m}", file=sys.stderr)  # noqa: E731
    with ProgressBar(args, "reframe") as progress:
        result = reframe(args.file, aspect=ratio, zoom=args.zoom, smoothness=args.smoothness,
                         keyframes=pins, subjects=subjects, mode=args.mode,
                         subject_backend="sam" if args.checkpoint else args.backend,
                         checkpoint=args.checkpoint,
                         cache=None if args.no_cache else AnalysisCache(),
                         progress=progress, on_warning=warn)
    if size is not None:
        result.output = size
    if keys_out is not None:
        atomic_write_bytes(keys_out, (json.dumps(result.keyframes_dict(), indent=2) + "\n")
                           .encode("utf-8"))
        if not args.quiet:
            print(f"wrote {keys_out}", file=sys.stderr)
    if video_out is not None:
        with ProgressBar(args, "render") as progress:
            render(args.file, video_out, result.xs, result.ys, result.crop, result.output,
                   padded=result.padded, background=args.background, progress=progress)
        if not args.quiet:
            print(f"wrote {video_out}", file=sys.stderr)
    if args.json:
        print_json(result.to_dict())
    elif video_out is None and keys_out is None:
        print(describe(result))
    return EXIT_OK


def describe(result) -> str:
    """One line for the clip, one per shot."""
    lines = [f"{result.path}: {result.source[0]}x{result.source[1]} → crop "
             f"{result.crop[0]}x{result.crop[1]} ({result.aspect}), {len(result.shots)} shots, "
             f"{result.frame_count} frames"]
    for s in result.shots:
        pad = ", padded" if s.padded else ""
        lines.append(f"  frames {s.start:6d}-{s.end:<6d} {s.mode:10s} {len(s.keyframes)} keyframes{pad}")
    for w in result.warnings:
        lines.append(f"  warning: {w}")
    return "\n".join(lines)
