"""``cutwise export PROJECT -o OUT`` and ``cutwise import FILE -o PROJECT.cutwise``.

The format comes from OUT's extension: ``.otio`` (Resolve), ``.xml`` (FCP 7 XML,
Premiere), ``.fcpxml`` (Final Cut Pro), ``.edl`` (CMX 3600), ``.csv`` (PySceneDetect
scene list), ``.txt`` (YouTube chapters), or one a plugin adds (e.g. ``.srt``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from editor.cli import EXIT_OK, UsageError, output_path, print_json


def register(subparsers, common) -> None:
    export = subparsers.add_parser(
        "export", parents=[common], help="export a project's timeline to another editor",
        description="Write a project's timeline (or one media's accepted suggestions) as OTIO, "
                    "FCP 7 XML, FCPXML, EDL, PySceneDetect CSV or YouTube chapters; the format "
                    "comes from OUT's extension.")
    export.add_argument("project", help="a .cutwise project")
    export.add_argument("-o", "--output", metavar="OUT",
                        help="OUT.otio, .xml, .fcpxml, .edl, .csv, .txt (chapters) or a plugin's extension")
    export.add_argument("--chapters", action="store_true",
                        help="YouTube chapters from the timeline's markers (to stdout without -o)")
    export.add_argument("--timeline", metavar="NAME", help="which timeline (default: the first)")
    export.add_argument("--lane", metavar="LANE",
                        help="export the accepted suggestions of this lane (e.g. shots, highlights) "
                             "for --media instead of a timeline")
    export.add_argument("--media", metavar="NAME", help="the media file name for --lane")
    export.add_argument("--overwrite", action="store_true", help="replace an existing OUT")
    export.set_defaults(handler=run_export)

    imp = subparsers.add_parser(
        "import", parents=[common], help="import another editor's timeline as a project",
        description="Read an OTIO, FCP 7 XML, FCPXML or EDL timeline and save it as a Cutwise "
                    "project; the media it uses is probed (missing files stay offline).")
    imp.add_argument("file", help="FILE.otio, .xml, .fcpxml or .edl")
    imp.add_argument("-o", "--output", metavar="PROJECT", required=True, help="the .cutwise project to write")
    imp.add_argument("--rate", metavar="FPS", help="frame rate of an EDL (EDLs do not say; default: "
                                                   "from its media)")
    imp.add_argument("--overwrite", action="store_true", help="replace an existing PROJECT")
    imp.set_defaults(handler=run_import)


def _pick_timeline(project, name: str | None):
    if not name:
        return project.timeline
    for timeline in project.timelines:
        if timeline.name == name:
            return timeline
    names = ", ".join(repr(t.name) for t in project.timelines)
    raise UsageError(f"no timeline named {name!r} (the project has {names})")


def run_export(args) -> int:
    from editor.core import project_file
    from editor.core.files import atomic_write_bytes
    from editor.interchange import timeline_io
    from editor.plugins.discovery import load_registry

    if not args.output and not args.chapters:
        raise UsageError("say where to write with -o OUT (or --chapters for chapters on stdout)")
    out = output_path(args.output, args.overwrite) if args.output else None
    if args.chapters and out and out.suffix.lower() != ".txt":
        raise UsageError("--chapters writes text: name OUT with .txt")
    if args.lane and not args.media:
        raise UsageError("--lane needs --media NAME (which media's suggestions)")
    registry = load_registry()
    plugin = registry.exporter_for(str(out)) if out else None
    fmt = "chapters" if args.chapters else None
    if plugin is None and out is not None:
        try:
            fmt = timeline_io.format_for(out, fmt)
        except timeline_io.InterchangeError:
            known = [e for e, f in timeline_io.EXTENSIONS.items() if f in timeline_io.EXPORT_FORMATS]
            known += [x.extension for x in registry.exporters.values() if x.id not in registry.disabled]
            raise UsageError(f"cannot export to '{out.name}': use one of {', '.join(known)}") from None
    project = project_file.load(args.project)
    if args.lane:
        asset = next((a for a in project.assets if args.media in (a.name, a.path, a.id)), None)
        if asset is None:
            raise UsageError(f"no media named {args.media!r} in {Path(args.project).name}")
        timeline = timeline_io.suggestions_timeline(project, args.lane, asset.id)
    else:
        timeline = _pick_timeline(project, args.timeline)
    if plugin is not None:
        text, warnings = plugin.run(project, timeline), []
    else:
        text, warnings = timeline_io.export_string(project, fmt, timeline)
    for warning in warnings:
        print(f"cutwise: warning: {warning}", file=sys.stderr)
    if out is None:
        sys.stdout.write(text)
    else:
        atomic_write_bytes(out, text.encode("utf-8"))
    if args.json:
        print_json({"output": str(out) if out else None, "format": plugin.id if plugin else fmt,
                    "timeline": timeline.name, "warnings": warnings})
    elif out and not args.quiet:
        what = plugin.name if plugin else timeline_io.DESCRIPTIONS[fmt]
        print(f"wrote {out} ({what})", file=sys.stderr)
    return EXIT_OK


def run_import(args) -> int:
    from editor.core import project_file
    from editor.core.timecode import FrameRate
    from editor.interchange import timeline_io
    from editor.interchange.otio_bridge import project_from

    out = output_path(args.output, args.overwrite)
    if out.suffix != project_file.EXTENSION:
        raise UsageError(f"the project must end in {project_file.EXTENSION}: {out}")
    rate = FrameRate.of(args.rate) if args.rate else None
    imported = timeline_io.read_file(args.file, rate=rate)
    project = project_from(imported, Path(args.file).stem)
    for warning in imported.warnings:
        print(f"cutwise: warning: {warning}", file=sys.stderr)
    project_file.save(project, out)
    timeline = imported.timeline
    clips = sum(len(t.clips) for t in timeline.tracks)
    if args.json:
        print_json({"project": str(out), "timeline": timeline.name, "frame_rate": str(timeline.frame_rate),
                    "tracks": len(timeline.tracks), "clips": clips, "markers": len(timeline.markers),
                    "media": [a.path for a in project.assets], "warnings": imported.warnings})
    elif not args.quiet:
        print(f"wrote {out}: {len(timeline.tracks)} tracks, {clips} clips, {len(timeline.markers)} "
              f"markers at {timeline.frame_rate} fps, {len(project.assets)} media file(s)", file=sys.stderr)
    return EXIT_OK
