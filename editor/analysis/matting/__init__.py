"""Subject matting: click a subject once, get a soft, stable alpha matte for its shot.

::

    segmenter = make_segmenter("auto")          # SAM if a checkpoint is installed, else GrabCut
    session = matte("clip.mp4", [Prompt(120, points=[(640, 360, 1)])], segmenter=segmenter)
    session.flagged                               # [(frame, "jump"|"lost"), ...] to look at
    correct(session, Prompt(180, points=[(600, 350, 1), (700, 200, 0)]), segmenter)
    render(session, [make_writer("prores", "out.mov", rate, size)])

Backends: Segment Anything (:mod:`.sam`, checkpoints from :mod:`.models`) and the
classical GrabCut fallback (:mod:`.grabcut`, lower quality, no weights needed).
Propagation is in :mod:`.propagate`, soft edges and de-flicker in :mod:`.refine`,
outputs in :mod:`.render`. torch and segment-anything are imported only by the SAM path.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

from editor.analysis.matting.grabcut import GrabCutSegmenter
from editor.analysis.matting.propagate import FrameSource, MatteSession
from editor.analysis.matting.render import FORMATS, MaskStream, make_writer, render
from editor.analysis.matting.types import Prompt, Segment, Segmenter
from editor.core.errors import CutwiseError
from editor.core.model import LANE_MATTING, Suggestion
from editor.core.progress import CancelToken, ProgressCallback, no_progress

__all__ = [
    "BACKENDS",
    "FORMATS",
    "VERSION",
    "GrabCutSegmenter",
    "MatteSession",
    "Prompt",
    "Segment",
    "Segmenter",
    "apply_corrections",
    "check_prompts",
    "correct",
    "default_matte_dir",
    "find_shot",
    "make_segmenter",
    "make_writer",
    "matte",
    "matte_and_render",
    "preview",
    "render",
    "to_suggestion",
]

VERSION = 1
BACKENDS = ("auto", "grabcut", "sam")
FALLBACK_NOTE = ("No SAM checkpoint is installed: using the GrabCut fallback (lower quality). "
                 "Run 'cutwise models download vit_b' for Segment Anything.")
NO_GPU_NOTE = ("Segment Anything is installed but no GPU was found: using GrabCut, much faster "
               "here (choose the 'sam' backend to run SAM on the CPU, seconds a frame).")


def make_segmenter(backend: str = "auto", *, model: str | None = None,
                   checkpoint: str | os.PathLike | None = None, manager=None,
                   device: str | None = None, batch_size: int | None = None,
                   compile: bool = False, gpu_only: bool = False, on_warning=None) -> Segmenter:
    """The backend to use: ``auto`` takes SAM when a checkpoint is given or installed,
    otherwise GrabCut (and says so through ``on_warning``); with ``gpu_only``, ``auto``
    takes an installed SAM only where a GPU runs it (on a CPU it costs seconds a frame)."""
    warn = on_warning or (lambda message: None)
    if backend not in BACKENDS:
        raise CutwiseError(f"Unknown matting backend '{backend}' (use {', '.join(BACKENDS)}).")
    if backend == "grabcut":
        return GrabCutSegmenter()
    from editor.analysis.matting.models import ModelManager, load_checkpoint

    manager = manager or ModelManager()
    if checkpoint is not None:
        sam = load_checkpoint(checkpoint, manager.spec(model) if model else None,
                              manager.specs.values())
    else:
        name = model if model and (backend == "sam" or manager.installed(model)) else None
        name = name or manager.first_installed()
        if name is None:
            if backend == "sam":
                raise CutwiseError("No SAM checkpoint is installed (run 'cutwise models download "
                                   "vit_b', or pass --checkpoint PATH).")
            warn(FALLBACK_NOTE)
            return GrabCutSegmenter()
        if backend == "auto" and gpu_only and device is None:
            from editor.analysis.matting.sam import select_device

            if select_device() == "cpu":
                warn(NO_GPU_NOTE)
                return GrabCutSegmenter()
        sam = manager.load(name)
    from editor.analysis.matting.sam import SamSegmenter

    return SamSegmenter(sam, device=device, batch_size=batch_size, compile=compile,
                        on_warning=warn)


def check_prompts(prompts: list[Prompt], display: tuple[int, int], frame_count: int) -> None:
    """Refuse prompts off the picture or past the last frame, with a readable message."""
    for p in prompts:
        if not 0 <= p.frame < frame_count:
            raise CutwiseError(f"Frame {p.frame} is outside the video (0-{frame_count - 1}).")
        for x, y, _ in p.points:
            if not (0 <= x < display[0] and 0 <= y < display[1]):
                raise CutwiseError(f"Point {x:g},{y:g} is outside the {display[0]}x{display[1]} "
                                   "picture.")


def find_shot(path: str | os.PathLike, frame: int, *, cache=None, cancel=None) -> tuple[int, int]:
    """The (first, last) frames of the shot that shows ``frame``."""
    from editor.analysis.shots import detect_shots

    result = detect_shots(path, cache=cache, cancel=cancel)
    for shot in result.shots:
        if shot.start <= frame <= shot.end:
            return shot.start, shot.end
    if not 0 <= frame < result.frame_count:
        raise CutwiseError(f"Frame {frame} is outside the video (0-{result.frame_count - 1}).")
    raise CutwiseError(f"Frame {frame} is inside a transition: prompt a frame of a whole shot.")


def default_matte_dir(path: str | os.PathLike, shot: tuple[int, int], prompts) -> Path:
    """Where a session for these inputs lives in the user data dir (stable across runs)."""
    from editor.analysis.matting.models import default_models_dir

    key = json.dumps([str(Path(path).resolve()), list(shot),
                      [p.to_dict() for p in sorted(prompts, key=lambda p: p.frame)]])
    digest = hashlib.sha1(key.encode()).hexdigest()[:12]
    return default_models_dir().parent / "mattes" / f"{Path(path).stem}-{shot[0]}-{digest}"


def _analysis_size(display: tuple[int, int], segmenter: Segmenter) -> tuple[int, int]:
    longest = 640 if isinstance(segmenter, GrabCutSegmenter) else 1024
    w, h = display
    scale = min(1.0, longest / max(w, h))
    return max(2, round(w * scale / 2) * 2), max(2, round(h * scale / 2) * 2)


def matte(path: str | os.PathLike, prompts: list[Prompt], *, segmenter: Segmenter,
          shot: tuple[int, int] | None = None, folder: str | os.PathLike | None = None,
          cache=None, progress: ProgressCallback = no_progress,
          cancel: CancelToken | None = None, on_warning=None) -> MatteSession:
    """Masks of the prompted subject for every frame of its shot (see :mod:`.propagate`).

    ``shot`` defaults to the detected shot around the first prompt. Masks and state go to
    ``folder`` (default: the user data dir); call :func:`render` for the soft alpha.
    """
    session, source = _new_session(path, prompts, segmenter, shot, folder, cache, cancel)
    session.propagate(segmenter, source, progress=progress, cancel=cancel, on_warning=on_warning)
    return session


def matte_and_render(path: str | os.PathLike, prompts: list[Prompt], writers: list, *,
                     segmenter: Segmenter, smooth: float = 0.6,
                     shot: tuple[int, int] | None = None,
                     folder: str | os.PathLike | None = None, cache=None,
                     progress: ProgressCallback = no_progress,
                     cancel: CancelToken | None = None, on_warning=None) -> MatteSession:
    """:func:`matte` and :func:`render` at once: the export follows the propagation frame
    by frame (propagation in a thread of its own), so the whole takes about as long as
    the slower of the two rather than their sum. Frames before a keyframe wait for its
    backward walk. Progress counts both halves."""
    try:
        session, source = _new_session(path, prompts, segmenter, shot, folder, cache, cancel)
    except BaseException:
        for writer in writers:
            writer.abort()  # nothing half-written
        raise
    stream, stop = MaskStream(), CancelToken()
    counts = {"propagated": 0, "exported": 0}
    lock = threading.Lock()

    def report(part):
        def callback(done, total, message=""):
            with lock:
                counts[part] = done
                progress(sum(counts.values()), 2 * total, message)
        return callback

    def propagate():
        try:
            session.propagate(segmenter, source, progress=report("propagated"), cancel=stop,
                              on_warning=on_warning, on_mask=stream.written)
        except BaseException as exc:  # the export raises it where it waits
            stream.finish(exc)
        else:
            stream.finish()

    worker = threading.Thread(target=propagate, name="propagate", daemon=True)
    worker.start()
    try:
        render(session, writers, smooth=smooth, progress=report("exported"), cancel=cancel,
               follow=stream)
    except BaseException:
        stop.cancel()  # the export failed: the propagation stops too
        raise
    finally:
        worker.join()
    if stream.error is not None:  # after the last mask (saving the session's state)
        raise stream.error
    return session


def _new_session(path, prompts, segmenter, shot, folder, cache, cancel):
    """A session for ``prompts`` (checked) and the source of its frames."""
    from editor.media.probe import probe

    if not prompts:
        raise CutwiseError("No prompt: give a point or a box on a frame of the subject.")
    path = Path(path)
    info = probe(path, cache=cache, cancel=cancel)
    if info.video is None:
        raise CutwiseError(f"{path} has no video stream.", path=str(path))
    display = (info.video.display_width, info.video.display_height)
    count = info.video.frame_count
    check_prompts(prompts, display, count)
    if shot is None:
        shot = find_shot(path, prompts[0].frame, cache=cache, cancel=cancel)
    shot = (max(0, shot[0]), min(count - 1, shot[1]))
    folder = Path(folder) if folder else default_matte_dir(path, shot, prompts)
    session = MatteSession(folder, path, shot, _analysis_size(display, segmenter), display,
                           backend=segmenter.name, lower_quality=segmenter.lower_quality)
    for p in prompts:
        session.add_prompt(p)
    folder.mkdir(parents=True, exist_ok=True)
    return session, FrameSource(path, session.size, cancel)


def correct(session: MatteSession, prompt: Prompt, segmenter: Segmenter, *,
            progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> None:
    """Add (or replace) the prompt on one frame and re-propagate what it changes."""
    session.add_prompt(prompt)
    source = FrameSource(session.path, session.size, cancel)
    session.propagate(segmenter, source, keyframes=[prompt.frame], converge=True,
                      progress=progress, cancel=cancel)


def apply_corrections(session: MatteSession, prompts: list[Prompt], segmenter: Segmenter, *,
                      progress: ProgressCallback = no_progress,
                      cancel: CancelToken | None = None) -> list[int]:
    """Correct a session with the prompts that are new or changed (same frame, other
    clicks); returns their frames. Unchanged prompts cost nothing."""
    known = {p.frame: p.to_dict() for p in session.prompts.values()}
    changed = [p for p in prompts if known.get(p.frame) != p.to_dict()]
    check_prompts(changed, session.display, max(session.shot[1] + 1, 1))
    for prompt in changed:
        if not session.shot[0] <= prompt.frame <= session.shot[1]:
            raise CutwiseError(f"Frame {prompt.frame} is outside the matted frames "
                               f"{session.shot[0]}-{session.shot[1]}.")
        correct(session, prompt, segmenter, progress=progress, cancel=cancel)
    return [p.frame for p in changed]


def preview(image, prompt: Prompt, segmenter: Segmenter, feature=None, neighbours=()):
    """The mask (bool, the image's size) one prompt gives on one frame, for a quick look."""
    if feature is None:
        feature = segmenter.prepare([image])[0]
    return segmenter.from_prompt(feature, image, prompt, list(neighbours)).mask


def to_suggestion(session: MatteSession, asset_id: str, matte_path: str | None = None) -> Suggestion:
    """The matting lane's suggestion: the shot's span, its matte and the frames to check."""
    start, end = session.shot
    flagged = session.flagged
    covered = sum(1 for i in session.frames.values() if i.area > 0)
    label = f"Matte of frames {start}-{end}"
    if session.lower_quality:
        label += " (GrabCut fallback, lower quality)"
    if flagged:
        label += f", {len(flagged)} frame(s) to check"
    return Suggestion(
        lane=LANE_MATTING, asset_id=asset_id, start=start, end=end, kind="mask",
        confidence=round(1.0 - len(flagged) / max(1, end - start + 1), 3), label=label,
        data={"matte": str(matte_path or session.alpha_dir), "folder": str(session.folder),
              "backend": session.backend, "lower_quality": session.lower_quality,
              "prompts": [p.to_dict() for p in sorted(session.prompts.values(),
                                                      key=lambda p: p.frame)],
              "flagged": [[f, why] for f, why in flagged], "frames_with_subject": covered})
