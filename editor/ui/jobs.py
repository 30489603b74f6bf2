"""Jobs in the UI: the bridge from the Qt-free runner to signals, and the jobs dock."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout, QHeaderView, QMessageBox, QProgressBar, QPushButton, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from editor.jobs import Job, JobEvent, JobRunner, JobState


class JobBridge(QObject):
    """Re-emits runner events (from worker threads) as a signal delivered on the GUI thread."""

    event = Signal(object)  # JobEvent

    def __init__(self, runner: JobRunner, parent: QObject | None = None):
        super().__init__(parent)
        self.runner = runner
        runner.add_listener(self.event.emit)

    def detach(self) -> None:
        self.runner.remove_listener(self.event.emit)


class JobsWidget(QWidget):
    """Running and finished jobs: progress, elapsed time, cancel, error details."""

    COLUMNS = ("Job", "Progress", "Time", "")

    def __init__(self, bridge: JobBridge, parent: QWidget | None = None):
        super().__init__(parent)
        self.table = QTableWidget(0, len(self.COLUMNS), self)
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeToContents)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectRows)
        self.table.cellDoubleClicked.connect(self._show_details)
        clear = QPushButton("Clear finished")
        clear.clicked.connect(self.clear_finished)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(clear)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self._rows: dict[int, Job] = {}
        self._ticker = QTimer(self, interval=500, timeout=self._refresh_times)
        bridge.event.connect(self.on_event)

    def row_of(self, job: Job) -> int:
        return list(self._rows).index(job.id)

    def on_event(self, event: JobEvent) -> None:
        job = event.job
        if job.id not in self._rows:
            self._rows[job.id] = job
            row = self.table.rowCount()
            self.table.insertRow(row)
            self.table.setItem(row, 0, QTableWidgetItem(job.title))
            bar = QProgressBar()
            bar.setTextVisible(True)
            self.table.setCellWidget(row, 1, bar)
            self.table.setItem(row, 2, QTableWidgetItem(""))
            cancel = QPushButton("Cancel")
            cancel.clicked.connect(job.cancel)
            self.table.setCellWidget(row, 3, cancel)
        row = self.row_of(job)
        bar: QProgressBar = self.table.cellWidget(row, 1)
        progress = event.progress
        if event.state is JobState.RUNNING and progress.total <= 0:
            bar.setRange(0, 0)  # busy indicator
        else:
            bar.setRange(0, max(progress.total, 1))
            bar.setValue(min(progress.done, max(progress.total, 1)))
        if event.state.is_final:
            bar.setRange(0, 1)
            bar.setValue(1 if event.state is JobState.FINISHED else 0)
            bar.setFormat(event.state.value if event.state is not JobState.FAILED else "failed — double-click")
            self.table.cellWidget(row, 3).setEnabled(False)
            if event.state is JobState.FAILED:
                self.table.item(row, 0).setToolTip(job.error or "")
        elif progress.message:
            bar.setFormat(f"%p% {progress.message}")
        self._refresh_times()
        if any(not j.state.is_final for j in self._rows.values()):
            self._ticker.start()
        else:
            self._ticker.stop()

    def _refresh_times(self) -> None:
        for row, job in enumerate(self._rows.values()):
            self.table.item(row, 2).setText(f"{job.elapsed:.1f} s")

    def clear_finished(self) -> None:
        for job_id, job in list(self._rows.items()):
            if job.state.is_final:
                self.table.removeRow(self.row_of(job))
                del self._rows[job_id]

    def _show_details(self, row: int, _column: int) -> None:
        job = list(self._rows.values())[row]
        if job.state is not JobState.FAILED:
            return
        box = QMessageBox(QMessageBox.Warning, job.title, job.error or "Failed.", parent=self)
        if job.details:
            box.setDetailedText(job.details)
        box.setTextInteractionFlags(Qt.TextSelectableByMouse)
        box.open()
