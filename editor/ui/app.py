"""``cutwise-gui``: start the editor window.

With no display (no ``$DISPLAY``/``$WAYLAND_DISPLAY`` on Linux) it says so, renders the
main window offscreen with the same project to a PNG, and exits 0, so ``make run``
does something useful on a server.
"""

from __future__ import annotations

import argparse
import locale
import os
import sys
from pathlib import Path

from editor import __version__

DEFAULT_SNAPSHOT = "out/cutwise-window.png"


def has_display() -> bool:
    if sys.platform != "linux" or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="cutwise-gui", description="The Cutwise editor window.")
    parser.add_argument("paths", nargs="*", help="a project file to open, or media files to import")
    parser.add_argument("--demo", action="store_true", help="open a project built from the bundled demo media")
    parser.add_argument("--snapshot", metavar="PNG",
                        help="render the window to PNG and exit (what happens anyway with no display)")
    parser.add_argument("--version", action="version", version=f"cutwise {__version__}")
    return parser.parse_args(argv)


def build_demo_project():
    """The demo timeline: the bundled clips back to back (same as ``cutwise demo``). The
    probes are cached: scanning the 4.5-minute demo reel's packets takes ~0.5 s."""
    from editor.cli.demo import build_project, bundled_media_dir, probe_media
    from editor.core.cache import AnalysisCache

    return build_project(probe_media(bundled_media_dir(), AnalysisCache()))


def create_window(args: argparse.Namespace, settings=None, player_options: dict | None = None):
    """The main window with the engines registered and the requested project open."""
    from PySide6.QtCore import QSettings

    from editor.plugins.discovery import load_registry
    from editor.ui.main_window import MainWindow

    window = MainWindow(load_registry(), settings or QSettings("cutwise", "cutwise"),
                        player_options=player_options)
    projects = [p for p in args.paths if p.endswith(".cutwise")]
    media = [p for p in args.paths if not p.endswith(".cutwise")]
    if args.demo:
        window.document.load_project(build_demo_project())
    elif projects:
        window.open_project(projects[0])
    if media:
        window.import_files(media)
    return window


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    snapshot = args.snapshot
    if not has_display():
        snapshot = snapshot or DEFAULT_SNAPSHOT
        print(f"No display found: rendering the main window offscreen to {snapshot}.", file=sys.stderr)
        os.environ["QT_QPA_PLATFORM"] = "offscreen"

    from PySide6.QtWidgets import QApplication

    from editor.ui.theme import apply_dark_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Cutwise")
    app.setOrganizationName("cutwise")
    app.setApplicationVersion(__version__)
    locale.setlocale(locale.LC_NUMERIC, "C")  # libmpv needs C numerics; Qt just changed them
    apply_dark_theme(app)
    settings = None
    if snapshot:  # the default layout, not this user's remembered one
        from PySide6.QtCore import QSettings

        settings = QSettings(str(Path(snapshot).with_suffix(".ini")), QSettings.IniFormat)
        settings.clear()
    window = create_window(args, settings)
    window.show()
    if snapshot:
        return save_snapshot(app, window, Path(snapshot))
    window.offer_recovery()
    return app.exec()


def save_snapshot(app, window, path: Path) -> int:
    """Let the window settle (thumbnails arrive from jobs), save it to PNG, close."""
    from PySide6.QtCore import QDeadlineTimer, QThread

    deadline = QDeadlineTimer(3000)
    while not deadline.hasExpired():
        app.processEvents()
        QThread.msleep(20)
    path.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(path))
    window.document.undo_stack.setClean()  # a snapshot is not an edit: close without asking
    window.close()
    print(f"Saved {path}")
    return 0
