"""``cutwise shots FILE``: every cut and gradual transition, as a list, JSON or a cut list."""

from __future__ import annotations

import sys

from editor.cli import EXIT_OK, ProgressBar, UsageError, output_path, print_json

FORMATS = ("json", "csv", "edl", "otio", "fcpxml")


def register(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "shots", parents=[common], help="find hard cuts, dissolves, fades and wipes",
        description="Detect shot boundaries: hard cuts and gradual transitions (dissolve, "
                    "fade through black or white, wipe). Frames are 0-based in decode order; "
                    "a cut is the first frame of the new shot.")
    parser.add_argument("file", help="a video file")
    parser.add_argument("--sensitivity", type=float, default=0.5, metavar="S",
                        help="0 (only the clearest boundaries) .. 1 (everything plausible); "
                             "default 0.5")
    parser.add_argument("--format", choices=FORMATS, default=None,
                        help="json (same as --json), csv (PySceneDetect scene list), edl "
                             "(CMX 3600), otio or fcpxml")
    parser.add_argument("-o", "--output", metavar="OUT",
                        help="write to this file instead of stdout (needed for edl/otio/fcpxml)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing OUT")
    parser.add_argument("--no-cache", action="store_true",
                        help="do not read or write the analysis cache")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from editor.analysis.shots import detect_shots
    from editor.core.cache import AnalysisCache
    from editor.interchange import cutlist

    if not 0.0 <= args.sensitivity <= 1.0:
        raise UsageError(f"--sensitivity must be between 0 and 1, not {args.sensitivity}")
    fmt = args.format or ("json" if args.json else None)
    if args.json and fmt not in (None, "json"):
        raise UsageError(f"--json and --format {fmt} ask for two different outputs")
    if fmt in ("edl", "otio", "fcpxml") and not args.output:
        raise UsageError(f"--format {fmt} needs -o OUT")
    out = output_path(args.output, args.overwrite) if args.output else None
    cache = None if args.no_cache else AnalysisCache()
    with ProgressBar(args, "shots") as progress:
        result = detect_shots(args.file, sensitivity=args.sensitivity, cache=cache,
                              progress=progress,
                              on_warning=lambda m: print(f"cutwise: warning: {m}", file=sys.stderr))
    data = result.to_dict()
    if fmt == "json":
        if out:
            import json

            from editor.core.files import atomic_write_bytes

            atomic_write_bytes(out, (json.dumps(data, indent=2) + "\n").encode("utf-8"))
        else:
            print_json(data)
    elif fmt is not None:
        if out:
            cutlist.write(data, fmt, out)
        else:  # only csv gets here
            sys.stdout.write(cutlist.to_string(data, fmt))
    else:
        text = describe(result)
        if out:
            from editor.core.files import atomic_write_bytes

            atomic_write_bytes(out, (text + "\n").encode("utf-8"))
        else:
            print(text)
    if out and not args.quiet:
        print(f"wrote {out}", file=sys.stderr)
    return EXIT_OK


def _tc(seconds: float) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def describe(result) -> str:
    """A readable list: one line per shot and per transition, with timecodes."""
    vfr = ", variable frame rate" if result.variable_frame_rate else ""
    lines = [f"{result.path}: {len(result.shots)} shots, {len(result.cuts)} cuts, "
             f"{len(result.transitions)} transitions ({result.frame_count} frames at "
             f"{result.fps:.3f} fps{vfr})"]
    events = [(s.start, "shot", s) for s in result.shots]
    events += [(t.start, "transition", t) for t in result.transitions]
    number = 0
    for _, kind, item in sorted(events, key=lambda e: (e[0], e[1])):
        if kind == "shot":
            number += 1
            lines.append(f"  shot {number:3d}  frames {item.start:6d}-{item.end:<6d} "
                         f"{_tc(result.time_of(item.start))} - {_tc(result.time_of(item.end))}"
                         f"  ({item.length} frames)")
        else:
            lines.append(f"    {item.type:8s}  frames {item.start:6d}-{item.end:<6d} "
                         f"{_tc(float(item.start_pts))} - {_tc(float(item.end_pts))}"
                         f"  (confidence {item.confidence:.2f})")
    for warning in result.warnings:
        lines.append(f"  warning: {warning}")
    return "\n".join(lines)
