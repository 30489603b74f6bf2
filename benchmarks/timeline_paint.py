"""Timeline repaint cost with a large project (issue 3: ≤ 16 ms with 2,000 clips and
5,000 markers).

Builds a project of 2,000 clips (two video and two audio tracks, 500 each, with small
gaps), 5,000 markers and a few hundred shot / highlight suggestions, shows it in a
1600x500 :class:`~editor.ui.timeline_view.TimelineView` offscreen and renders the whole
widget into a QImage many times at three zoom levels: the default (about 30 s visible),
close-up (a few seconds visible) and zoom-to-fit (everything visible, the worst case).
It also times a scroll sweep (one render after each of 100 wheel-sized scroll steps) and
playback (100 one-frame playhead steps, repainting only the playhead strips and corner).
Each case runs plain and with an in-memory media provider (filmstrips and waveforms).

Run:  QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/timeline_paint.py
Writes benchmarks/results/timeline_paint.json and prints mean / p95 / max in ms, wall
clock and this process's CPU time (on a busy machine the wall figures include waiting
for a core; the CPU figures are what the paint itself costs).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PySide6.QtCore import QPoint  # noqa: E402
from PySide6.QtGui import QColor, QImage, QPainter, QRegion  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from editor.core.model import (  # noqa: E402
    AUDIO, LANE_HIGHLIGHTS, LANE_SHOTS, VIDEO, Clip, Marker, MediaAsset, Project, Suggestion,
    Timeline, Track,
)
from editor.core import project_file  # noqa: E402
from editor.core.timecode import FrameRate  # noqa: E402

CLIPS, MARKERS = 2000, 5000
SIZE = (1600, 500)
REPEATS = 60


def build_project(clips: int = CLIPS, markers: int = MARKERS) -> Project:
    """A project with ``clips`` clips over four tracks and ``markers`` markers."""
    rate = FrameRate(25)
    assets = [MediaAsset(path=f"/media/clip{i}.mp4", frame_rate=rate, frame_count=25 * 600,
                         width=1920, height=1080, has_audio=True, name=f"clip{i}.mp4")
              for i in range(8)]
    rng = np.random.default_rng(7)
    tracks = [Track(kind=VIDEO, name="V1"), Track(kind=VIDEO, name="V2"),
              Track(kind=AUDIO, name="A1"), Track(kind=AUDIO, name="A2")]
    per_track = clips // len(tracks)
    for ti, track in enumerate(tracks):
        frame = int(rng.integers(0, 50))
        for i in range(per_track):
            duration = int(rng.integers(40, 400))
            asset = assets[(i + ti) % len(assets)]
            track.clips.append(Clip(asset_id=asset.id, start=frame, duration=duration,
                                    source_in=int(rng.integers(0, 25 * 600 - duration)),
                                    name=f"{asset.name} #{i}"))
            frame += duration + int(rng.integers(0, 30))
    end = max(t.end for t in tracks)
    marker_frames = np.sort(rng.integers(0, end, markers))
    timeline = Timeline(name="Big", frame_rate=rate, tracks=tracks,
                        markers=[Marker(frame=int(f), name=f"M{i}") for i, f in enumerate(marker_frames)])
    suggestions = []
    for asset in assets:
        for s in range(0, 25 * 600, 137):
            suggestions.append(Suggestion(LANE_SHOTS, asset.id, s, s, kind="cut"))
        for s in range(0, 25 * 600, 900):
            suggestions.append(Suggestion(LANE_HIGHLIGHTS, asset.id, s, s + 200, kind="highlight",
                                          label="highlight"))
    return Project(name="Big", assets=assets, timelines=[timeline], suggestions=suggestions)


class MemoryProvider:
    """Pre-made thumbnails and waveforms: measures the view's drawing, not decoding."""

    def __init__(self):
        self._images: dict[tuple, QImage] = {}
        n = 600 * 100
        env = (np.abs(np.sin(np.arange(n) / 37.0)) * 0.7 + 0.2).astype(np.float32)
        self._peaks = np.stack([-env, env], 1)

    def thumbnail(self, asset_id: str, source_frame: int, height: int,
                  exact: bool = False) -> QImage:
        key = (asset_id, source_frame // 25, height)
        image = self._images.get(key)
        if image is None:
            image = QImage(round(height * 16 / 9), height, QImage.Format.Format_RGB32)
            image.fill(QColor.fromHsv(hash(key) % 360, 110, 160))
            painter = QPainter(image)
            painter.fillRect(0, height * 2 // 3, image.width(), height, QColor(30, 30, 30, 90))
            painter.end()
            self._images[key] = image
        return image

    def waveform(self, asset_id: str) -> np.ndarray:
        return self._peaks


def _stats(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"mean_ms": round(statistics.fmean(samples), 2),
            "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 2),
            "max_ms": round(ordered[-1], 2), "runs": len(samples)}


def _render_once(view, image: QImage) -> tuple[float, float]:
    """(wall ms, CPU ms of this process) for one full render of the widget."""
    w0, c0 = time.perf_counter(), time.process_time()
    view.render(image, QPoint(0, 0))
    return (time.perf_counter() - w0) * 1000, (time.process_time() - c0) * 1000


def _time_renders(view, image: QImage, repeats: int) -> tuple[list[float], list[float]]:
    wall, cpu = [], []
    for _ in range(repeats):
        w, c = _render_once(view, image)
        wall.append(w)
        cpu.append(c)
    return wall, cpu


def _case(wall: list[float], cpu: list[float]) -> dict:
    case = _stats(wall)
    cpu_stats = _stats(cpu)
    case.update({"cpu_mean_ms": cpu_stats["mean_ms"], "cpu_p95_ms": cpu_stats["p95_ms"]})
    return case


def run() -> dict:
    from editor.ui.document import Document
    from editor.ui.timeline_view import TimelineView

    app = QApplication.instance() or QApplication([])
    document = Document()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.cutwise"
        project_file.save(build_project(), path)
        document.open(path)
    project = document.project

    view = TimelineView(document)
    view.resize(*SIZE)
    view.show()
    app.processEvents()
    image = QImage(view.size(), QImage.Format.Format_ARGB32_Premultiplied)
    timeline = project.timeline
    results: dict = {"clips": sum(len(t.clips) for t in timeline.tracks),
                     "markers": len(timeline.markers), "suggestions": len(project.suggestions),
                     "widget_size": list(SIZE), "cases": {}}
    middle = timeline.duration // 2
    for provider_name, provider in (("plain", None), ("media", MemoryProvider())):
        view.set_media_provider(provider)
        for zoom_name, setup in (
                ("default", lambda: (view.set_pixels_per_frame(1.6), view.scroll_to_frame(middle))),
                ("close_up", lambda: (view.set_pixels_per_frame(12.0), view.scroll_to_frame(middle))),
                ("fit_all", view.zoom_to_fit)):
            setup()
            view.set_playhead(middle + 40)
            app.processEvents()
            _time_renders(view, image, 5)  # warm caches
            case = _case(*_time_renders(view, image, REPEATS))
            case["drawn"] = dict(view.paint_stats)
            results["cases"][f"{zoom_name}/{provider_name}"] = case
        # Scroll sweep at the default zoom: 100 wheel-sized steps, one render each.
        view.set_pixels_per_frame(1.6)
        view.scroll_to_frame(middle)
        step = (view.viewport().width() - 168) / 8
        wall, cpu = [], []
        for i in range(100):
            view.horizontalScrollBar().setValue(view.horizontalScrollBar().value() + round(step))
            w, c = _render_once(view, image)
            wall.append(w)
            cpu.append(c)
        results["cases"][f"scroll/{provider_name}"] = _case(wall, cpu)
        # Playback: the player moves the playhead one frame at a time; only the old and
        # new playhead strips and the timecode corner are repainted.
        view.set_playhead(middle)
        wall, cpu = [], []
        for i in range(100):
            old_x = round(view.frame_to_x(view.playhead))
            view.set_playhead(view.playhead + 1)
            new_x = round(view.frame_to_x(view.playhead))
            region = (QRegion(old_x - 8, 0, 17, view.height()) + QRegion(new_x - 8, 0, 17, view.height())
                      + QRegion(0, 0, 168, 32))
            w0, c0 = time.perf_counter(), time.process_time()
            view.render(image, QPoint(0, 0), region)
            wall.append((time.perf_counter() - w0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        results["cases"][f"playback/{provider_name}"] = _case(wall, cpu)
    results["worst_p95_ms"] = max(c["p95_ms"] for c in results["cases"].values())
    results["worst_cpu_p95_ms"] = max(c["cpu_p95_ms"] for c in results["cases"].values())
    results["target_ms"] = 16
    results["meets_target"] = results["worst_p95_ms"] <= 16
    results["load_average"] = [round(x, 2) for x in os.getloadavg()]
    import PySide6

    results["machine"] = {"python": platform.python_version(), "pyside6": PySide6.__version__,
                          "cpu_count": os.cpu_count(),
                          "platform": platform.platform(),
                          "qpa": os.environ.get("QT_QPA_PLATFORM", "")}
    view.close()
    return results


def main() -> None:
    results = run()
    for name, case in results["cases"].items():
        print(f"{name:18s} mean {case['mean_ms']:6.2f} ms  p95 {case['p95_ms']:6.2f} ms  "
              f"max {case['max_ms']:6.2f} ms   CPU mean {case['cpu_mean_ms']:6.2f} ms  "
              f"p95 {case['cpu_p95_ms']:6.2f} ms")
    print(f"worst p95 {results['worst_p95_ms']} ms wall, {results['worst_cpu_p95_ms']} ms CPU "
          f"(target ≤ {results['target_ms']} ms; load average {results['load_average']})")
    out = ROOT / "benchmarks" / "results" / "timeline_paint.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
