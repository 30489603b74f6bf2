"""The jobs dock and the media bin, on the real runner and real media."""

import time

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from editor.core import commands as cmd
from editor.core.errors import CutwiseError
from editor.jobs import JobRunner, JobState
from editor.media.assets import import_files
from editor.ui.document import Document
from editor.ui.jobs import JobBridge, JobsWidget
from editor.ui.media_bin import MediaBin
from editor.ui.media_provider import MediaProvider


def counting(n, *, progress, cancel):
    for i in range(n):
        cancel.raise_if_cancelled()
        progress(i + 1, n, f"step {i + 1}")
        time.sleep(0.01)
    return n


def failing(*, progress, cancel):
    raise CutwiseError("The file went away.")


def test_jobs_dock_shows_progress_cancel_and_errors(qtbot):
    runner = JobRunner()
    bridge = JobBridge(runner)
    widget = JobsWidget(bridge)
    qtbot.addWidget(widget)
    try:
        done = runner.submit(counting, 5, title="Count")
        qtbot.waitUntil(lambda: done.state is JobState.FINISHED and widget.table.rowCount() == 1
                        and widget.table.cellWidget(0, 1).format() == "finished", timeout=5000)
        assert widget.table.item(0, 0).text() == "Count"
        bar = widget.table.cellWidget(0, 1)
        assert bar.value() == bar.maximum() and not widget.table.cellWidget(0, 3).isEnabled()

        slow = runner.submit(counting, 10_000, title="Slow")
        qtbot.waitUntil(lambda: widget.table.rowCount() == 2 and slow.progress.done > 0, timeout=5000)
        widget.table.cellWidget(1, 3).click()  # the row's Cancel button
        qtbot.waitUntil(lambda: slow.state is JobState.CANCELLED
                        and widget.table.cellWidget(1, 1).format() == "cancelled", timeout=5000)

        broken = runner.submit(failing, title="Broken")
        qtbot.waitUntil(lambda: broken.state is JobState.FAILED and widget.table.rowCount() == 3
                        and widget.table.item(2, 0).toolTip() != "", timeout=5000)
        assert widget.table.item(2, 0).toolTip() == "The file went away."
        widget.clear_finished()
        assert widget.table.rowCount() == 0
    finally:
        bridge.detach()
        runner.shutdown()


def test_media_bin_lists_assets_with_posters_and_takes_dropped_files(qtbot, basic_clip, tmp_path,
                                                                     monkeypatch):
    monkeypatch.setenv("CUTWISE_CACHE_DIR", str(tmp_path / "cache"))
    document = Document()
    provider = MediaProvider(document)
    media_bin = MediaBin(document, provider)
    qtbot.addWidget(media_bin)
    try:
        (asset,), _ = import_files([basic_clip.path])
        document.push(cmd.add_asset(asset))
        item = media_bin.topLevelItem(0)
        assert item.text(0) == "basic.mp4" and item.text(1) == "00:00:02:00"
        assert "160×90" in item.text(2) and "audio" in item.text(2)
        qtbot.waitUntil(lambda: not media_bin.topLevelItem(0).icon(0).isNull(), timeout=10000)

        activated = []
        media_bin.asset_activated.connect(activated.append)
        media_bin.itemDoubleClicked.emit(media_bin.topLevelItem(0), 0)
        assert activated == [asset.id]

        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(basic_clip.path))])
        drop = QDropEvent(QPointF(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
        with qtbot.waitSignal(media_bin.import_requested) as dropped:
            media_bin.dropEvent(drop)
        assert dropped.args == [[str(basic_clip.path)]]
        document.undo_stack.undo()
        assert media_bin.topLevelItemCount() == 0
    finally:
        provider.shutdown()
