"""UI tests run without a display: Qt's offscreen platform unless another is chosen."""

import gc
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def collect_garbage_after_the_test():
    """Free each test's garbage (and what earlier tests left) right after it, when its
    players are closed and no event loop runs. A collection that fell inside a later
    test's event loop, with a player's mpv thread running, once ended the whole run with
    a segmentation fault (test_player, one full run in about eight; not reproduced)."""
    yield
    gc.collect()


@pytest.fixture
def make_window(qtbot, tmp_path, monkeypatch):
    """Build main windows like ``cutwise-gui`` does (private settings, cache and data dirs);
    close them afterwards and fail if any top-level widget leaked."""
    from PySide6.QtCore import QCoreApplication, QEvent, QSettings
    from PySide6.QtWidgets import QApplication

    from editor.ui.app import create_window, parse_args

    monkeypatch.setenv("CUTWISE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CUTWISE_DATA_DIR", str(tmp_path / "data"))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    before = set(QApplication.topLevelWidgets())
    windows = []

    def make(*argv):
        window = create_window(parse_args(list(argv)), settings=settings)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.document.undo_stack.setClean()
        window.close()
        window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    QApplication.processEvents()
    leaked = [w for w in QApplication.topLevelWidgets() if w not in before and not w.isHidden()]
    assert not leaked, f"widgets leaked: {leaked}"
