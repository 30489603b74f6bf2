"""``cutwise highlights FILE --duration S``: a quick-look edit of any length and mood."""

from __future__ import annotations

import sys
from pathlib import Path

from editor.cli import EXIT_OK, ProgressBar, UsageError, output_path, print_json

RENDER_SUFFIXES = (".mp4", ".mov", ".m4v")
FORMATS = ("mp4", "otio", "edl", "json")


def register(subparsers, common) -> None:
    from editor.analysis.highlights.moods import MOOD_HELP

    moods = "; ".join(f"{name}: {text}" for name, text in MOOD_HELP.items())
    parser = subparsers.add_parser(
        "highlights", parents=[common], help="a highlight edit of any length and mood",
        description="Choose the best moments of a video for a mood and a duration (to the "
                    "frame), cut at shot boundaries and pauses, each with its reasons. "
                    "Print them, render them (-o OUT.mp4) or export the sequence "
                    "(--format otio|edl -o OUT).")
    parser.add_argument("file", help="a video file")
    parser.add_argument("--duration", type=float, required=True, metavar="SECONDS",
                        help="length of the edit, e.g. 15, 30, 60, 180, 300 or any value")
    parser.add_argument("--mood", default=None, choices=("energetic", "calm", "story"),
                        help=f"default energetic. {moods}")
    parser.add_argument("--weights", default="", metavar="NAME=W,...",
                        help="override signal weights (loudness, onsets, beat, speech, motion, "
                             "cuts, brightness, colour), e.g. motion=2,loudness=0")
    parser.add_argument("--preset", metavar="NAME", help="use a saved preset (mood + weights)")
    parser.add_argument("--save-preset", metavar="NAME",
                        help="save this mood and these weights as a preset")
    parser.add_argument("--order", choices=("time", "score"), default="time",
                        help="segment order: source order (default) or best first")
    parser.add_argument("--min-len", type=float, metavar="S", help="shortest segment, s")
    parser.add_argument("--max-len", type=float, metavar="S", help="longest segment, s")
    parser.add_argument("--format", choices=FORMATS, default=None,
                        help="mp4 (render, with audio), otio or edl (the sequence), json")
    parser.add_argument("-o", "--output", metavar="OUT",
                        help="render to OUT.mp4, or write the sequence/JSON to OUT")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing OUT")
    parser.add_argument("--no-cache", action="store_true",
                        help="do not read or write the analysis cache")
    parser.set_defaults(handler=run)


def _format(args) -> str | None:
    if args.format:
        return args.format
    if args.output and Path(args.output).suffix.lower() in RENDER_SUFFIXES:
        return "mp4"
    if args.output and Path(args.output).suffix.lower() in (".otio", ".edl"):
        return Path(args.output).suffix.lower()[1:]
    return "json" if args.output and Path(args.output).suffix.lower() == ".json" else None


def run(args) -> int:
    from editor.analysis.highlights import (analyse, parse_weights, preset, save_preset,
                                            select, weights_for)
    from editor.core.cache import AnalysisCache

    if not args.duration > 0:
        raise UsageError(f"--duration must be a positive number of seconds, not {args.duration}")
    for name in ("min_len", "max_len"):
        value = getattr(args, name)
        if value is not None and not value > 0:
            raise UsageError(f"--{name.replace('_', '-')} must be positive, not {value}")
    mood, weights = "energetic", {}
    if args.preset:
        mood, weights = preset(args.preset)
    mood = args.mood or mood
    weights = {**weights, **parse_weights(args.weights)}
    weights_for(mood, weights)
    fmt = _format(args)
    if args.output and fmt is None:
        raise UsageError(f"cannot tell the format of {args.output}: name it .mp4, .otio, "
                         ".edl or .json, or pass --format")
    if fmt in ("mp4", "otio", "edl") and not args.output:
        raise UsageError(f"--format {fmt} needs -o OUT")
    out = output_path(args.output, args.overwrite) if args.output else None
    if args.save_preset:
        path = save_preset(args.save_preset, mood, weights)
        if not args.quiet:
            print(f"saved preset '{args.save_preset}' in {path}", file=sys.stderr)
    cache = None if args.no_cache else AnalysisCache()
    with ProgressBar(args, "highlights") as progress:
        signals = analyse(args.file, cache=cache, progress=progress,
                          on_warning=lambda m: print(f"cutwise: warning: {m}", file=sys.stderr))
    edit = select(signals, args.duration, mood, weights, min_len_s=args.min_len,
                  max_len_s=args.max_len, order=args.order)
    data = edit.to_dict()
    if args.json:
        print_json(data)
    if fmt == "mp4":
        from editor.media.render import render_segments

        with ProgressBar(args, "render") as progress:
            render_segments(args.file, edit.segments, out, progress=progress)
    elif fmt in ("otio", "edl"):
        from editor.core.model import Project, sequence_from_pieces
        from editor.interchange.timeline_io import export_file
        from editor.media.assets import asset_from_info
        from editor.media.probe import probe

        asset = asset_from_info(probe(args.file))
        sequence = sequence_from_pieces(asset, [(s.start, s.end) for s in edit.segments],
                                        f"{Path(args.file).stem} {mood} {args.duration:g} s")
        for warning in export_file(Project(assets=[asset], timelines=[sequence]), out, fmt):
            print(f"cutwise: warning: {warning}", file=sys.stderr)
    elif fmt == "json":
        import json

        from editor.core.files import atomic_write_bytes

        atomic_write_bytes(out, (json.dumps(data, indent=2) + "\n").encode("utf-8"))
    if not args.json and fmt is None:
        print(describe(edit))
    if out and not args.quiet:
        print(f"wrote {out}", file=sys.stderr)
    return EXIT_OK


def _tc(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes):02d}:{rest:06.3f}"


def describe(edit) -> str:
    lines = [f"{edit.path}: {edit.mood} edit of {edit.duration_s:.3f} s "
             f"({edit.frames} frames at {edit.fps:.3f} fps), {len(edit.segments)} segments"]
    for number, seg in enumerate(edit.segments, 1):
        lines.append(f"  {number:2d}  {_tc(seg.start_s)} - {_tc(seg.end_s)}  "
                     f"({seg.end_s - seg.start_s:5.2f} s)  score {seg.score:.2f}  "
                     f"{', '.join(seg.reasons)}")
    lines += [f"  note: {note}" for note in edit.notes]
    return "\n".join(lines)
