"""The media bin: the project's assets with posters, duration and format.

Files come in by the Import dialog or by dropping them on the bin; a double-click
loads an asset in the player; dragging one onto the timeline places it there.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QDrag, QIcon, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QTreeWidget, QTreeWidgetItem

from editor.ui.document import Document
from editor.ui.media_provider import MediaProvider
from editor.ui.timeline_view import asset_mime_data

POSTER_HEIGHT = 40


class MediaBin(QTreeWidget):
    """Lists ``document.project.assets``; emits what the user asks for."""

    asset_activated = Signal(str)        # asset id, on double-click
    import_requested = Signal(list)      # file paths dropped on the bin

    def __init__(self, document: Document, provider: MediaProvider, parent=None):
        super().__init__(parent)
        self.document = document
        self.provider = provider
        self.setColumnCount(3)
        self.setHeaderLabels(["Name", "Duration", "Format"])
        self.setRootIsDecorated(False)
        self.setIconSize(QSize(POSTER_HEIGHT * 16 // 9, POSTER_HEIGHT))
        self.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(False)
        self.setColumnWidth(0, 220)
        self.itemDoubleClicked.connect(lambda item, _c: self.asset_activated.emit(item.data(0, Qt.UserRole)))
        document.changed.connect(self._on_changed)
        document.project_replaced.connect(self.refresh)
        provider.updated.connect(self._refresh_posters)
        self.refresh()

    def _on_changed(self, scope) -> None:
        if scope == "assets":
            self.refresh()

    def refresh(self) -> None:
        self.clear()
        for asset in self.document.project.assets:
            rate = asset.frame_rate
            fmt = f"{asset.width}×{asset.height} · {float(rate):.3g} fps"
            if asset.variable_frame_rate:
                fmt += " VFR"
            if asset.has_audio:
                fmt += " · audio"
            item = QTreeWidgetItem([asset.name or asset.path, rate.timecode(asset.frame_count), fmt])
            item.setData(0, Qt.UserRole, asset.id)
            item.setToolTip(0, asset.path)
            self.addTopLevelItem(item)
        self._refresh_posters()

    def _refresh_posters(self) -> None:
        for i in range(self.topLevelItemCount()):
            item = self.topLevelItem(i)
            if not item.icon(0).isNull():
                continue
            asset_id = item.data(0, Qt.UserRole)
            asset = self.document.project.asset(asset_id)
            image = self.provider.thumbnail(asset_id, min(asset.frame_count // 3, 25 * 2), POSTER_HEIGHT)
            if image is not None:
                item.setIcon(0, QIcon(QPixmap.fromImage(image)))

    def selected_asset_ids(self) -> list[str]:
        return [item.data(0, Qt.UserRole) for item in self.selectedItems()]

    # --- drag out to the timeline, drop files in ----------------------------------------
    def startDrag(self, supported_actions) -> None:
        ids = self.selected_asset_ids()
        if not ids:
            return
        drag = QDrag(self)
        drag.setMimeData(asset_mime_data(ids[0]))
        icon = self.currentItem().icon(0) if self.currentItem() else QIcon()
        if not icon.isNull():
            drag.setPixmap(icon.pixmap(self.iconSize()))
        drag.exec(Qt.CopyAction)

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event) -> None:
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.import_requested.emit(paths)
        else:
            super().dropEvent(event)
