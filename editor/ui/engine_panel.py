"""The AI panel framework: one dock panel per registered engine, built from its declaration.

A panel shows the engine's parameters (with tooltips and a help line each), a media
chooser, Run with a progress bar and Cancel, and the suggestions of its lane for that
media with accept / reject / jump-to. Runs go through the job runner; results land in
the project through one undoable command, so a cancelled or failed run changes nothing.
"""

from __future__ import annotations

import functools

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QListWidget,
    QListWidgetItem, QProgressBar, QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from editor.core import commands as cmd
from editor.core.errors import CutwiseError
from editor.core.model import ACCEPTED, LANE_SHOTS, PENDING, REJECTED
from editor.jobs import JobEvent, JobRunner, JobState
from editor.plugins.api import Engine, Parameter, accepts
from editor.ui.document import Document
from editor.ui.media_provider import MediaProvider

STATUS_COLORS = {PENDING: "#dcdcdc", ACCEPTED: "#6fcf6f", REJECTED: "#7a7a7a"}
THUMB_HEIGHT = 36


def _field(param: Parameter) -> QWidget:
    if param.kind == "bool":
        widget = QCheckBox()
        widget.setChecked(bool(param.default))
    elif param.kind == "choice":
        widget = QComboBox()
        widget.addItems(list(param.choices))
        widget.setCurrentText(str(param.default))
    elif param.kind == "int":
        widget = QSpinBox()
        widget.setRange(int(param.minimum if param.minimum is not None else -10**9),
                        int(param.maximum if param.maximum is not None else 10**9))
        widget.setSingleStep(int(param.step or 1))
        widget.setValue(int(param.default))
    else:
        widget = QDoubleSpinBox()
        widget.setDecimals(3)
        widget.setRange(param.minimum if param.minimum is not None else -1e9,
                        param.maximum if param.maximum is not None else 1e9)
        widget.setSingleStep(param.step or 0.05)
        widget.setValue(float(param.default))
    widget.setToolTip(param.help)
    return widget


def _side_by_side(images: list[QImage]) -> QImage:
    """Thumbnails in a row with a 2 px gap (before | after a cut)."""
    width = sum(image.width() for image in images) + 2 * (len(images) - 1)
    row = QImage(width, max(image.height() for image in images), QImage.Format_RGB888)
    row.fill(QColor("#1f1f22"))
    painter = QPainter(row)
    x = 0
    for image in images:
        painter.drawImage(x, 0, image)
        x += image.width() + 2
    painter.end()
    return row


def _value(widget: QWidget):
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QComboBox):
        return widget.currentText()
    return widget.value()


class EnginePanel(QWidget):
    """The panel of one engine."""

    jump_requested = Signal(str, int)    # asset id, source frame
    #: a running job's note (run number, message): sent from its worker thread, so Qt
    #: delivers it on the GUI thread
    noted = Signal(int, str)

    def __init__(self, engine: Engine, document: Document, runner: JobRunner, bridge,
                 provider: MediaProvider, parent: QWidget | None = None):
        super().__init__(parent)
        self.engine = engine
        self.document = document
        self.runner = runner
        self.provider = provider
        self.job = None
        self._job_asset: str | None = None
        self._runs = 0  # run number: a late note of an earlier run is not shown
        self._notes: list[str] = []
        self.noted.connect(self._on_note)
        #: The window's PlayerPanel (set by the main window): subclasses draw overlays on it.
        self.player_panel = None

        about = QLabel(engine.description)
        about.setWordWrap(True)
        self.media = QComboBox()
        self.media.setToolTip("The media to analyse")
        self.media.currentIndexChanged.connect(self.refresh_results)
        form = QFormLayout()
        form.addRow("Media", self.media)
        self.fields: dict[str, QWidget] = {}
        for param in engine.parameters:
            widget = self.fields[param.name] = _field(param)
            form.addRow(param.label, widget)
            if param.help:
                hint = QLabel(param.help)
                hint.setWordWrap(True)
                hint.setStyleSheet("color: #9a9a9a; font-size: 11px;")
                form.addRow("", hint)

        self.run_button = QPushButton(f"Run {engine.name}")
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        run_row = QHBoxLayout()
        run_row.addWidget(self.run_button, 1)
        run_row.addWidget(self.cancel_button)

        self.results = QListWidget()
        pictures = 2 if engine.lane == LANE_SHOTS else 1
        self.results.setIconSize(QPixmap(pictures * (THUMB_HEIGHT * 16 // 9 + 2), THUMB_HEIGHT).size())
        self.results.setSelectionMode(QListWidget.ExtendedSelection)
        self.results.itemDoubleClicked.connect(self._jump_to_item)
        buttons = QHBoxLayout()
        for text, handler, tip in (
                ("Accept", lambda: self.set_status(ACCEPTED), "Accept the selected suggestions"),
                ("Reject", lambda: self.set_status(REJECTED), "Reject the selected suggestions"),
                ("Accept all", self.accept_all, "Accept every pending suggestion"),
                ("Jump", self.jump_to_selected, "Show the selected suggestion in the player")):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.clicked.connect(handler)
            buttons.addWidget(button)

        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addLayout(form)
        layout.addLayout(run_row)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.results, 1)
        layout.addLayout(buttons)
        if engine.lane == LANE_SHOTS:
            split = QPushButton("Split clips at accepted cuts")
            split.setToolTip("Cut this media's clips on the timeline at every accepted "
                             "boundary, in one undoable step")
            split.clicked.connect(self.split_at_accepted)
            layout.addWidget(split)

        bridge.event.connect(self._on_job_event)
        bridge.event.connect(self._on_render_event)
        document.changed.connect(self._on_changed)
        document.project_replaced.connect(self._refresh_media)
        provider.updated.connect(self._refresh_icons)
        self._refresh_media()

    # --- parameters and media -----------------------------------------------------------
    def params(self) -> dict:
        return self.engine.resolve({name: _value(w) for name, w in self.fields.items()})

    def selected_asset_id(self) -> str | None:
        return self.media.currentData()

    def in_front(self) -> bool:
        """Whether the user sees this panel (its tab in front, the window shown): clicks
        on the player belong to the panel in front."""
        return not self.visibleRegion().isEmpty()

    def select_asset(self, asset_id: str) -> None:
        index = self.media.findData(asset_id)
        if index >= 0:
            self.media.setCurrentIndex(index)

    def _refresh_media(self) -> None:
        current = self.selected_asset_id()
        self.media.blockSignals(True)
        self.media.clear()
        for asset in self.document.project.assets:
            if asset.width > 0 or self.engine.lane not in ("shots", "reframe", "matting"):
                self.media.addItem(asset.name or asset.path, asset.id)
        self.media.blockSignals(False)
        if current is not None:
            self.select_asset(current)
        self.run_button.setEnabled(self.media.count() > 0 and self.job is None)
        self.refresh_results()

    def _on_changed(self, scope) -> None:
        if scope == "assets":
            self._refresh_media()
        elif scope == "suggestions":
            self.refresh_results()

    # --- running ------------------------------------------------------------------------
    def run_params(self) -> dict:
        """What the engine's ``run`` gets: the form's values; subclasses add prompts etc."""
        return self.params()

    def run(self) -> None:
        asset_id = self.selected_asset_id()
        if asset_id is None or self.job is not None:
            return
        asset = self.document.project.asset(asset_id)
        self._job_asset = asset_id
        self._runs += 1
        self._notes = []
        notes = {"on_warning": functools.partial(self.noted.emit, self._runs)} \
            if accepts(self.engine.run, "on_warning") else {}
        self.job = self.runner.submit(self.engine.run, asset, self.run_params(),
                                      title=f"{self.engine.name}: {asset.name}",
                                      gpu=self.engine.gpu, **notes)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)
        self.status.setText("Running…")

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.status.setText("Cancelling…")
        if self.render_job is not None:
            self.render_job.cancel()

    # --- rendering (panels that make a file set ``render_button``) ----------------------
    render_job = None
    render_button = None

    def start_render(self, work, *args, title: str) -> None:
        """Run ``work(*args)`` as the panel's render job (one at a time, cancellable)."""
        self.render_job = self.runner.submit(work, *args, title=title)
        self.render_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText("Rendering…")

    def _on_render_event(self, event: JobEvent) -> None:
        if self.render_job is None or event.job is not self.render_job \
                or not self.show_progress(event):
            return
        self.render_job = None
        self.render_button.setEnabled(True)
        self.cancel_button.setEnabled(self.job is not None)
        if event.state is JobState.FINISHED:
            self.status.setText(f"Rendered {event.job.result()}")
        elif event.state is JobState.CANCELLED:
            self.status.setText("Render cancelled: nothing was written.")
        else:
            self.status.setText(f"Render failed: {event.job.error}")

    def show_progress(self, event: JobEvent) -> bool:
        """Show a running job's progress in the panel; True once the job has ended."""
        if event.state.is_final:
            return True
        progress = event.progress
        if progress.total > 0:
            self.progress.setRange(0, progress.total)
            self.progress.setValue(progress.done)
        if progress.message:
            notes = self._notes if event.job is self.job else []
            self.status.setText(" ".join([progress.message, *notes]))
        return False

    def _on_note(self, run: int, message: str) -> None:
        """A note of the running engine job (how it works around something): shown with
        its progress, and again with its results."""
        if run == self._runs and self.job is not None and message not in self._notes:
            self._notes.append(message)
            self.status.setText(" ".join([self.status.text(), message]))

    def _on_job_event(self, event: JobEvent) -> None:
        if event.job is not self.job or not self.show_progress(event):
            return
        self.job = None
        self.run_button.setEnabled(self.media.count() > 0)
        self.cancel_button.setEnabled(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(1 if event.state is JobState.FINISHED else 0)
        if event.state is JobState.CANCELLED:
            self.status.setText("Cancelled: nothing was changed.")
        elif event.state is JobState.FAILED:
            self.status.setText(f"Failed: {event.job.error}")
        else:
            self._land(event.job.result())
        self._notes = []

    def _land(self, suggestions) -> None:
        try:
            self.document.push(cmd.replace_suggestions(self.engine.lane, self._job_asset, suggestions))
        except CutwiseError as exc:  # e.g. the media was removed while the job ran
            self.status.setText(exc.message)
            return
        self.select_asset(self._job_asset)
        notes = dict.fromkeys([*self._notes,
                               *(n for s in suggestions for n in s.data.get("notes", []))])
        self.status.setText(" ".join([f"{len(suggestions)} suggestion(s).", *notes]))

    # --- results ------------------------------------------------------------------------
    def lane_suggestions(self, asset_id: str | None = None):
        """This engine's suggestions on a media (the selected one by default), in order."""
        asset_id = asset_id or self.selected_asset_id()
        if asset_id is None:
            return []
        return sorted(self.document.project.suggestions_in(self.engine.lane, asset_id),
                      key=lambda s: (s.start, s.end))

    def refresh_results(self) -> None:
        selected = {item.data(Qt.UserRole) for item in self.results.selectedItems()}
        self.results.clear()
        asset_id = self.selected_asset_id()
        if asset_id is None:
            return
        rate = self.document.project.asset(asset_id).frame_rate
        for s in self.lane_suggestions():
            span = rate.timecode(s.start) + ("" if s.end == s.start else f" – {rate.timecode(s.end)}")
            text = f"{span}  {s.kind or s.lane}  {s.confidence:.2f}"
            if s.label:
                text += f"  {s.label}"
            if s.status != PENDING:
                text += f"  [{s.status}]"
            item = QListWidgetItem(text)
            item.setData(Qt.UserRole, s.id)
            item.setForeground(QBrush(QColor(STATUS_COLORS[s.status])))
            self.results.addItem(item)
            item.setSelected(s.id in selected)
        self._refresh_icons()

    def _refresh_icons(self) -> None:
        asset_id = self.selected_asset_id()
        by_id = {s.id: s for s in self.lane_suggestions()}
        for i in range(self.results.count()):
            item = self.results.item(i)
            s = by_id.get(item.data(Qt.UserRole))
            if s is None or not item.icon().isNull():
                continue
            images = [self.provider.thumbnail(asset_id, frame, THUMB_HEIGHT, exact=True)
                      for frame in self.icon_frames(s)]
            if all(image is not None for image in images):
                item.setIcon(QIcon(QPixmap.fromImage(_side_by_side(images))))

    def icon_frames(self, suggestion) -> list[int]:
        """The frames a result's thumbnail shows: before and after a shot boundary."""
        if self.engine.lane == LANE_SHOTS:
            return [max(suggestion.start - 1, 0), suggestion.end + (suggestion.kind != "cut")]
        return [suggestion.start]

    def selected_ids(self) -> list[str]:
        return [item.data(Qt.UserRole) for item in self.results.selectedItems()]

    def set_status(self, status: str, ids: list[str] | None = None) -> None:
        ids = self.selected_ids() if ids is None else ids
        if ids:
            self.document.push(cmd.set_suggestion_status(ids, status))

    def accept_all(self) -> None:
        self.set_status(ACCEPTED, [s.id for s in self.lane_suggestions() if s.status == PENDING])

    def split_at_accepted(self) -> None:
        asset_id = self.selected_asset_id()
        if asset_id is None:
            return
        timeline = self.document.project.timeline
        before = sum(len(t.clips) for t in timeline.tracks)
        self.document.push(cmd.split_at_accepted_shots(timeline.id, asset_id))
        after = sum(len(t.clips) for t in self.document.project.timeline.tracks)
        self.status.setText(f"Split into {after - before} more clip(s).")

    def jump_to_selected(self) -> None:
        items = self.results.selectedItems()
        if items:
            self._jump_to_item(items[0])

    def _jump_to_item(self, item: QListWidgetItem) -> None:
        by_id = {s.id: s for s in self.lane_suggestions()}
        s = by_id.get(item.data(Qt.UserRole))
        if s is not None:
            self.jump_requested.emit(s.asset_id, s.start)
