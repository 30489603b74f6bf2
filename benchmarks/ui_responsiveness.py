"""Editor window responsiveness: startup time and GUI-thread stalls under load.

1. Startup: wall time from launching a fresh Python process to the main window being
   shown with the demo project and the event loop turning (median of N runs after one
   warm-up launch that writes the bytecode caches, as any second launch has), next to
   the same measurement for a bare QMainWindow (the floor any PySide6 app pays here).
2. Stalls: while a shot-detection job runs on a long clip and the timeline's filmstrip
   thumbnails are generated, a QTimer fires every 5 ms on the GUI thread and records how
   late each tick is; max and p99 lateness are the GUI thread's longest stalls.

Run: ``.venv/bin/python benchmarks/ui_responsiveness.py`` (offscreen Qt). Results go to
``benchmarks/results/ui_responsiveness.json``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "ui_responsiveness.json"

STARTUP_CUTWISE = """
import time, sys
t0 = float(sys.argv[1])
from PySide6.QtWidgets import QApplication
from PySide6.QtCore import QSettings, QTimer
app = QApplication([])
from editor.ui.theme import apply_dark_theme
from editor.ui.app import create_window, parse_args
apply_dark_theme(app)
w = create_window(parse_args(["--demo"]), QSettings(sys.argv[2], QSettings.IniFormat))
w.show()
def ready():
    print(time.time() - t0, "torch" in sys.modules, flush=True)
    w.document.undo_stack.setClean(); w.close(); app.quit()
QTimer.singleShot(0, ready)
app.exec()
"""

STARTUP_BARE = """
import time, sys
t0 = float(sys.argv[1])
from PySide6.QtWidgets import QApplication, QMainWindow
from PySide6.QtCore import QTimer
app = QApplication([])
w = QMainWindow(); w.resize(1440, 900); w.show()
QTimer.singleShot(0, lambda: (print(time.time() - t0, False, flush=True), app.quit()))
app.exec()
"""


def startup(script: str, runs: int) -> tuple[float, bool]:
    times, torch_loaded = [], False
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a user's second launch has its .pyc files
    with tempfile.TemporaryDirectory() as tmp:
        env["CUTWISE_CACHE_DIR"] = str(Path(tmp) / "cache")
        env["CUTWISE_DATA_DIR"] = str(Path(tmp) / "data")
        for run in range(runs + 1):  # the first run writes the bytecode caches: not counted
            out = subprocess.run([sys.executable, "-c", script, repr(time.time()), str(Path(tmp) / "s.ini")],
                                 capture_output=True, text=True, env=env, cwd=ROOT, check=True).stdout
            seconds, torch = out.split()[-2:]
            if run:
                times.append(float(seconds))
            torch_loaded |= torch == "True"
    return statistics.median(times), torch_loaded


def stalls(long_clip: Path) -> dict:
    """GUI-thread lateness while an analysis job and thumbnail jobs run."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QElapsedTimer, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from editor.ui.app import create_window, parse_args

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CUTWISE_CACHE_DIR"] = str(Path(tmp) / "cache")
        os.environ["CUTWISE_DATA_DIR"] = str(Path(tmp) / "data")
        window = create_window(parse_args([]), QSettings(str(Path(tmp) / "s.ini"), QSettings.IniFormat))
        window.resize(1440, 900)
        window.show()
        window.import_files([str(long_clip)])
        deadline = time.monotonic() + 60
        while not window.document.project.assets and time.monotonic() < deadline:
            app.processEvents()
        asset = window.document.project.assets[0]
        window.timeline.insert_asset(asset.id, 0)
        window.timeline.zoom_to_fit()  # every filmstrip thumbnail is requested
        panel = window.panels["shots"]
        panel.select_asset(asset.id)

        late: list[float] = []
        clock = QElapsedTimer()
        interval = 5

        def tick():
            elapsed = clock.restart()
            late.append(max(0, elapsed - interval))

        timer = QTimer(interval=interval, timeout=tick)
        clock.start()
        timer.start()
        started = time.monotonic()
        panel.run()
        while panel.job is not None:
            app.processEvents()
            time.sleep(0.001)
        analysis_s = time.monotonic() - started
        # let remaining thumbnail jobs finish while still probing
        end = time.monotonic() + 2
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.001)
        timer.stop()
        window.document.undo_stack.setClean()
        window.close()
    late.sort()
    return {"ticks": len(late), "analysis_s": round(analysis_s, 2),
            "max_stall_ms": late[-1], "p99_stall_ms": late[int(0.99 * (len(late) - 1))],
            "median_stall_ms": late[len(late) // 2]}


def make_long_clip(path: Path, seconds: int = 60) -> Path:
    """A 640x360 25 fps clip with a cut every 2 s (textured shots)."""
    import av
    import numpy as np

    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for shot in range(seconds // 2):
            base = rng.integers(0, 255, (45, 80, 3), dtype=np.uint8)
            picture = np.kron(base, np.ones((8, 8, 1), dtype=np.uint8))
            for i in range(50):
                frame = av.VideoFrame.from_ndarray(np.roll(picture, i * 2, axis=1), format="rgb24")
                out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def main() -> None:
    runs = 5
    cutwise_s, torch_loaded = startup(STARTUP_CUTWISE, runs)
    bare_s, _ = startup(STARTUP_BARE, runs)
    with tempfile.TemporaryDirectory() as tmp:
        result_stalls = stalls(make_long_clip(Path(tmp) / "long.mp4"))
    result = {
        "startup_s_median": round(cutwise_s, 3),
        "bare_qmainwindow_startup_s_median": round(bare_s, 3),
        "startup_ratio_vs_bare": round(cutwise_s / bare_s, 2),
        "torch_imported_at_startup": torch_loaded,
        "stalls_during_analysis": result_stalls,
    }
    print(f"startup to interactive window (median of {runs}): {cutwise_s:.2f} s "
          f"(bare QMainWindow {bare_s:.2f} s, ratio {cutwise_s / bare_s:.2f}x); "
          f"torch imported: {torch_loaded}")
    print(f"GUI thread during a {result_stalls['analysis_s']} s shot analysis + thumbnails: "
          f"max stall {result_stalls['max_stall_ms']} ms, p99 {result_stalls['p99_stall_ms']} ms "
          f"over {result_stalls['ticks']} ticks")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
