"""``cutwise matte FILE``: click a subject once, get its alpha matte for the whole shot."""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

from editor.cli import EXIT_OK, ProgressBar, UsageError, print_json

FORMATS = ("png", "prores", "webm", "matte")
_NUMBER = r"-?\d+(?:\.\d+)?"


def register(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "matte", parents=[common], help="alpha matte of a subject through its shot",
        description="Matte a subject: prompt it with a click (or a box) on one frame; the mask "
                    "is propagated forward and backward through the shot, refined to a soft "
                    "alpha and written as a PNG sequence (RGBA), ProRes 4444 with alpha, WebM "
                    "VP9 with alpha or a grayscale matte video. Uses Segment Anything when a "
                    "checkpoint is installed ('cutwise models'), else the GrabCut fallback "
                    "(lower quality). Coordinates are pixels of the upright picture.")
    parser.add_argument("file", help="a video file")
    parser.add_argument("--frame", type=int, default=0, metavar="N",
                        help="the 0-based frame the prompts are on (default 0; a prompt can "
                             "name its own with @FRAME)")
    parser.add_argument("--point", action="append", default=[], metavar="X,Y[@FRAME]",
                        help="a point on the subject (repeatable)")
    parser.add_argument("--negative", action="append", default=[], metavar="X,Y[@FRAME]",
                        help="a point that is not the subject (repeatable)")
    parser.add_argument("--box", action="append", default=[], metavar="X0,Y0,X1,Y1[@FRAME]",
                        help="a box around the subject (corners)")
    span = parser.add_mutually_exclusive_group()
    span.add_argument("--frames", metavar="START-END",
                      help="matte these frames (inclusive) instead of the detected shot")
    span.add_argument("--shot", type=int, metavar="N",
                      help="matte the N-th detected shot (0-based; see 'cutwise shots')")
    parser.add_argument("--backend", choices=("auto", "sam", "grabcut"), default="auto",
                        help="auto (default): SAM if a checkpoint is installed, else GrabCut")
    parser.add_argument("--model", choices=("vit_b", "vit_l", "vit_h", "grabcut"), default=None,
                        help="which installed SAM to use (default: the first installed); "
                             "'grabcut' is the same as --backend grabcut")
    parser.add_argument("--checkpoint", metavar="PATH",
                        help="a SAM checkpoint file to use instead of an installed one")
    parser.add_argument("--device", choices=("cuda", "mps", "cpu"), default=None,
                        help="where SAM runs (default: CUDA, then MPS, then CPU)")
    parser.add_argument("--batch", type=int, default=None, metavar="N",
                        help="frames per image-encoder batch (default 8 on CUDA, else 1)")
    parser.add_argument("--compile", action="store_true",
                        help="torch.compile the image encoder (CUDA; slow start, faster run)")
    parser.add_argument("--smooth", type=float, default=0.6, metavar="S",
                        help="temporal smoothing 0 (off) .. 0.9 (default 0.6)")
    parser.add_argument("--format", choices=FORMATS, default="png",
                        help="png (folder of frame_NNNNNN.png RGBA), prores (.mov 4444 with "
                             "alpha), webm (VP9 with alpha), matte (grayscale video: .mp4 "
                             "H.264, .mov ProRes 422 HQ, .mkv lossless FFV1)")
    parser.add_argument("-o", "--output", metavar="OUT", required=True,
                        help="the folder (png) or file to write")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing OUT")
    parser.add_argument("--keep", metavar="DIR",
                        help="keep the session (masks, alpha, state.json) in DIR")
    parser.add_argument("--session", metavar="DIR",
                        help="correct a session kept with --keep: the prompts given are "
                             "corrections (only what they change is recomputed), and the "
                             "session is updated in place")
    parser.set_defaults(handler=run)


def _parse_at(text: str, count: int, what: str, default_frame: int):
    match = re.fullmatch(rf"\s*({_NUMBER}(?:\s*,\s*{_NUMBER}){{{count - 1}}})\s*(?:@\s*(\d+))?\s*",
                         text)
    if not match:
        raise UsageError(f"{what} '{text}' should be {count} numbers separated by commas, "
                         "optionally followed by @FRAME")
    values = [float(v) for v in match.group(1).split(",")]
    return values, int(match.group(2)) if match.group(2) else default_frame


def parse_prompts(args) -> list:
    from editor.analysis.matting import Prompt

    by_frame: dict[int, dict] = {}
    for kind, texts in (("point", args.point), ("negative", args.negative)):
        for text in texts:
            (x, y), frame = _parse_at(text, 2, f"--{kind}", args.frame)
            entry = by_frame.setdefault(frame, {"points": [], "box": None})
            entry["points"].append((x, y, 1 if kind == "point" else 0))
    for text in args.box:
        (x0, y0, x1, y1), frame = _parse_at(text, 4, "--box", args.frame)
        if x1 <= x0 or y1 <= y0:
            raise UsageError(f"--box '{text}': the second corner must be right of and below "
                             "the first")
        entry = by_frame.setdefault(frame, {"points": [], "box": None})
        if entry["box"] is not None:
            raise UsageError(f"two boxes on frame {frame}")
        entry["box"] = (x0, y0, x1, y1)
    if not by_frame:
        raise UsageError("give the subject with --point X,Y or --box X0,Y0,X1,Y1")
    prompts = []
    for frame, entry in sorted(by_frame.items()):
        if not any(lab == 1 for *_, lab in entry["points"]) and entry["box"] is None:
            raise UsageError(f"frame {frame} has only negative points; add --point or --box")
        prompts.append(Prompt(frame, entry["points"], entry["box"]))
    return prompts


def _open_session(folder: str, file: str):
    """A session kept with ``--keep`` for this same file."""
    from editor.analysis.matting import MatteSession

    if not (Path(folder) / "state.json").is_file():
        raise UsageError(f"{folder} holds no matte session (make one with --keep DIR)")
    session = MatteSession.load(folder)
    if Path(session.path).resolve() != Path(file).resolve():
        raise UsageError(f"the session in {folder} is of {session.path}, not {file}")
    return session


def _check_output(out: Path, fmt: str, overwrite: bool) -> None:
    if out.exists() and not overwrite:
        raise UsageError(f"{out} already exists; pass --overwrite to replace it")
    if fmt == "png" and out.exists() and not out.is_dir():
        raise UsageError(f"{out} is a file; --format png writes a folder")
    if fmt != "png" and out.is_dir():
        raise UsageError(f"{out} is a folder, not a file")


def run(args) -> int:
    from editor.analysis.matting import (apply_corrections, check_prompts, make_segmenter,
                                         matte_and_render, render)
    from editor.analysis.matting.render import make_writer
    from editor.core.cache import AnalysisCache
    from editor.media.probe import probe

    prompts = parse_prompts(args)
    out = Path(args.output)
    _check_output(out, args.format, args.overwrite)
    if not 0.0 <= args.smooth <= 0.9:
        raise UsageError(f"--smooth must be between 0 and 0.9, not {args.smooth}")
    if args.batch is not None and args.batch < 1:
        raise UsageError("--batch must be at least 1")
    backend = "grabcut" if args.model == "grabcut" else args.backend
    if args.checkpoint and backend == "grabcut":
        raise UsageError("--checkpoint is for SAM; it cannot be used with the GrabCut backend")
    if args.checkpoint and backend == "auto":
        backend = "sam"
    warn = (lambda m: None) if args.quiet else (lambda m: print(f"cutwise: note: {m}",
                                                                 file=sys.stderr))
    cache = AnalysisCache()
    info = probe(args.file, cache=cache)
    if info.video is None:
        raise UsageError(f"{args.file} has no video stream")
    check_prompts(prompts, (info.video.display_width, info.video.display_height),
                  info.video.frame_count)
    if args.session and (args.frames or args.shot is not None or args.keep):
        raise UsageError("--session continues a kept session: --frames, --shot and --keep "
                         "do not apply")
    shot = None
    if args.frames:
        match = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", args.frames)
        if not match or int(match.group(1)) > int(match.group(2)):
            raise UsageError(f"--frames '{args.frames}' should be START-END with START <= END")
        shot = (int(match.group(1)), int(match.group(2)))
    elif args.shot is not None:
        from editor.analysis.shots import detect_shots

        shots = detect_shots(args.file, cache=cache).shots
        if not 0 <= args.shot < len(shots):
            raise UsageError(f"--shot {args.shot}: the video has {len(shots)} shots (0-{len(shots) - 1})")
        shot = (shots[args.shot].start, shots[args.shot].end)
    if shot is not None:
        outside = [p.frame for p in prompts if not shot[0] <= p.frame <= shot[1]]
        if outside:
            raise UsageError(f"prompt frame {outside[0]} is outside frames {shot[0]}-{shot[1]}")
    session = _open_session(args.session, args.file) if args.session else None
    if session is not None and backend == "auto" and session.backend == "grabcut":
        backend = "grabcut"  # correct a session with the backend that made it
    segmenter = make_segmenter(backend, model=None if args.model == "grabcut" else args.model,
                               checkpoint=args.checkpoint, device=args.device,
                               batch_size=args.batch, compile=args.compile, on_warning=warn)
    started = time.perf_counter()
    corrected = None
    with tempfile.TemporaryDirectory(prefix="cutwise-matte-") as tmp:
        folder = Path(args.session or args.keep or tmp)
        size = (info.video.display_width, info.video.display_height)
        if session is not None:
            with ProgressBar(args, "matte") as progress:
                corrected = apply_corrections(session, prompts, segmenter, progress=progress)
            writer = make_writer(args.format, out, info.video.frame_rate, size)
            with ProgressBar(args, "export") as progress:
                render(session, [writer], smooth=args.smooth, progress=progress)
        else:  # the export follows the propagation
            writer = make_writer(args.format, out, info.video.frame_rate, size)
            with ProgressBar(args, "matte") as progress:
                session = matte_and_render(args.file, prompts, [writer], segmenter=segmenter,
                                           smooth=args.smooth, shot=shot, folder=folder,
                                           cache=cache, progress=progress, on_warning=warn)
    result = {"input": args.file, "output": str(out), "format": args.format,
              "frames": list(session.shot), "backend": session.backend,
              "lower_quality": session.lower_quality,
              "prompts": [p.to_dict() for p in sorted(session.prompts.values(), key=lambda p: p.frame)],
              "flagged": [{"frame": f, "reason": why} for f, why in session.flagged],
              "frames_with_subject": sum(1 for i in session.frames.values() if i.area > 0),
              "seconds": round(time.perf_counter() - started, 2)}
    if args.keep or args.session:
        result["session"] = str(folder)
    if corrected is not None:
        result["corrected"] = corrected
    if args.json:
        print_json(result)
    elif not args.quiet:
        quality = " (GrabCut fallback, lower quality)" if session.lower_quality else ""
        print(f"wrote {out}: frames {session.shot[0]}-{session.shot[1]} with {session.backend}"
              f"{quality}; {len(session.flagged)} frame(s) flagged to check"
              + (": " + ", ".join(str(f) for f, _ in session.flagged[:12]) if session.flagged else ""),
              file=sys.stderr)
    return EXIT_OK
