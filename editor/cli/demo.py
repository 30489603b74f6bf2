"""``cutwise demo``: a headless tour of what Cutwise does today, on the bundled media.

It probes each clip, builds a project (clips back to back on a timeline, a marker at
each), makes filmstrip thumbnails and waveforms as background jobs, and saves the
project and the pictures under ``--out``. The editor window replaces this as the run
command once it exists; the demo stays as the no-display fallback.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from editor.cli import EXIT_OK, ProgressBar, UsageError, print_json
from editor.core import commands as cmd
from editor.core import project_file
from editor.core.model import Clip, Marker, Project, default_timeline
from editor.core.timecode import FrameRate
from editor.media.assets import asset_from_info

MEDIA_SUFFIXES = {".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v", ".wav", ".m4a", ".mp3", ".flac"}
THUMBS_PER_CLIP = 6
WAVEFORM_MAX_WIDTH = 2400  # pixels; a long clip gets fewer peaks per second


def bundled_media_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "resources"


def probe_media(media_dir: Path, cache) -> list:
    """The media files of ``media_dir`` probed (through ``cache``), in name order."""
    from editor.media.probe import probe

    files = sorted(p for p in media_dir.glob("*") if p.suffix.lower() in MEDIA_SUFFIXES)
    return [probe(f, cache=cache) for f in files]


def register(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "demo", parents=[common], help="headless tour on the bundled demo media",
        description="Probe the demo media, build a project with them on a timeline, render "
                    "thumbnails and waveforms, and save it all under --out.")
    parser.add_argument("--media", default=str(bundled_media_dir()),
                        help="folder of media to use (default: the bundled demo media)")
    parser.add_argument("--out", default="out/demo", help="output folder (default: out/demo)")
    parser.add_argument("--overwrite", action="store_true", help="replace earlier demo output")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from editor.core.cache import AnalysisCache
    from editor.jobs.runner import JobRunner

    media_dir, out = Path(args.media), Path(args.out)
    cache = AnalysisCache()
    infos = probe_media(media_dir, cache)
    if not infos:
        raise UsageError(f"no media files in {media_dir}")
    project_path = out / "demo.cutwise"
    if project_path.exists() and not args.overwrite:
        raise UsageError(f"{out} already holds a demo; pass --overwrite to replace it")
    out.mkdir(parents=True, exist_ok=True)
    project = build_project(infos)
    runner = JobRunner()
    try:
        jobs = []
        for info in infos:
            if info.video is not None:
                jobs.append(runner.submit(_filmstrip_job, info, out, cache,
                                          title=f"Thumbnails of {Path(info.path).name}"))
            if info.audio:
                jobs.append(runner.submit(_waveform_job, info, out, cache,
                                          title=f"Waveform of {Path(info.path).name}"))
        pictures = []
        for job in jobs:
            with ProgressBar(args, job.title) as bar:
                while not job.wait(0.1):
                    bar(job.progress.done, job.progress.total, job.progress.message)
                pictures.append(str(job.result()))
    finally:
        runner.shutdown()
    project_file.save(project, project_path)

    summary = {
        "project": str(project_path),
        "media": [i.to_dict() for i in infos],
        "timeline": describe_timeline(project),
        "pictures": pictures,
    }
    if args.json:
        print_json(summary)
    else:
        _print_summary(summary, project)
    return EXIT_OK


def build_project(infos) -> Project:
    """Every video back to back on V1 (its audio on A1), a marker at each clip start."""
    videos = [i for i in infos if i.video is not None]
    first = videos[0].video if videos else None
    rate = first.frame_rate if first else FrameRate(25)
    project = Project(name="Cutwise demo")
    project.timelines[0] = default_timeline(rate, first.display_width if first else 1920,
                                            first.display_height if first else 1080, "Demo")
    stack = cmd.UndoStack(project)
    timeline = project.timeline
    v1, a1 = timeline.tracks
    position = 0
    for info in videos:
        video = info.video
        asset = asset_from_info(info)
        stack.push(cmd.add_asset(asset))
        duration = rate.frame_at(video.frame_rate.seconds(video.frame_count))
        stack.push(cmd.insert_clip(timeline.id, v1.id, Clip(asset.id, position, duration, name=asset.name)))
        if asset.has_audio:
            stack.push(cmd.insert_clip(timeline.id, a1.id, Clip(asset.id, position, duration, name=asset.name)))
        stack.push(cmd.add_marker(timeline.id, Marker(frame=position, name=asset.name)))
        position += duration
    return project


def describe_timeline(project: Project) -> list[dict]:
    timeline = project.timeline
    rate = timeline.frame_rate
    names = {a.id: a.name for a in project.assets}
    return [{"track": track.name, "clip": names[clip.asset_id],
             "start": rate.timecode(clip.start), "end": rate.timecode(clip.end),
             "frames": clip.duration}
            for track in timeline.tracks for clip in track.clips]


def _filmstrip_job(info, out: Path, cache, *, progress, cancel) -> Path:
    """A strip of thumbnails evenly spread over the clip, labelled with timecodes."""
    import cv2

    from editor.media.thumbnails import save_png, thumbnail

    video = info.video
    images = []
    for i in range(THUMBS_PER_CLIP):
        cancel.raise_if_cancelled()
        frame = (video.frame_count - 1) * i // (THUMBS_PER_CLIP - 1)
        image = np.ascontiguousarray(thumbnail(info.path, float(video.frame_rate.seconds(frame)),
                                               width=240, cache=cache))
        cv2.putText(image, video.frame_rate.timecode(frame), (6, image.shape[0] - 8),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
        images.append(image)
        progress(i + 1, THUMBS_PER_CLIP, f"frame {frame}")
    height = min(im.shape[0] for im in images)
    strip = np.concatenate([im[:height] for im in images], axis=1)
    target = out / f"{Path(info.path).stem}-filmstrip.png"
    save_png(strip, target)
    return target


def _waveform_job(info, out: Path, cache, *, progress, cancel) -> Path:
    """The clip's audio peaks drawn as a waveform picture (at most WAVEFORM_MAX_WIDTH px)."""
    from editor.media.thumbnails import save_png
    from editor.media.waveform import waveform_peaks

    seconds = float(info.duration_s or 0)
    per_second = max(1, min(100, int((WAVEFORM_MAX_WIDTH - 1) // max(seconds, 1e-3))))
    peaks = waveform_peaks(info.path, peaks_per_second=per_second, cache=cache, cancel=cancel,
                           progress=progress)
    width, height = max(len(peaks), 1), 120
    image = np.full((height, width, 3), 24, np.uint8)
    mid = height // 2
    peaks = peaks / max(float(np.abs(peaks).max(initial=0.0)), 1e-3)  # normalised view
    for x, (low, high) in enumerate(peaks):
        image[int(mid - high * mid):int(mid - low * mid) + 1, x] = (90, 200, 120)
    target = out / f"{Path(info.path).stem}-waveform.png"
    save_png(image, target)
    return target


def _print_summary(summary: dict, project: Project) -> None:
    from editor.cli.probe import describe

    print("Cutwise demo: no editor window yet, so here is what the engines below it did.\n")
    for info in summary["media"]:
        print(describe(info))
    print(f"\nTimeline '{project.timeline.name}' at {project.timeline.frame_rate} fps:")
    for row in summary["timeline"]:
        print(f"  {row['track']:<3} {row['start']} - {row['end']}  {row['clip']} ({row['frames']} frames)")
    print("\nWritten:")
    for path in [summary["project"], *summary["pictures"]]:
        print(f"  {path}")
