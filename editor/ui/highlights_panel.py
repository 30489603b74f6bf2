"""The highlights panel: duration, mood and weights, a plot of the score over the source
with the chosen segments, "Create sequence", a preview and "Render…" (H.264 + AAC, with
short audio crossfades at the joins, as ``cutwise highlights -o``).

Run analyses the media once (a background job; cached on disk). After that every change
of duration, mood or weight re-selects at once on the GUI thread (milliseconds) and
redraws the plot; Run (instant then) puts the edit into the ``highlights`` lane.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QGridLayout, QHBoxLayout, QInputDialog, QLabel, QPushButton,
    QSizePolicy, QSlider, QWidget,
)

from editor.core import commands as cmd
from editor.core.errors import CutwiseError
from editor.core.model import REJECTED, sequence_from_pieces
from editor.ui.engine_panel import EnginePanel

DURATIONS = (("15 s", 15.0), ("30 s", 30.0), ("1 min", 60.0), ("3 min", 180.0),
             ("5 min", 300.0))
SLIDER_SCALE = 50  # slider steps per unit of weight; weights run -2..2


class ScorePlot(QWidget):
    """The mood's score over the whole source, the chosen segments shaded and numbered."""

    clicked = Signal(float)  # seconds

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.times = None
        self.score = None
        self.duration = 0.0
        self.segments: list[tuple[float, float]] = []
        self.setMinimumHeight(110)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.setToolTip("Score of the mood over the source; shaded: the chosen segments. "
                        "Click to show that moment in the player.")

    def set_data(self, times, score, duration: float, segments) -> None:
        self.times, self.score, self.duration = times, score, duration
        self.segments = list(segments)
        self.update()

    def _x(self, seconds: float, rect: QRectF) -> float:
        return rect.left() + rect.width() * seconds / max(self.duration, 1e-6)

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.fillRect(self.rect(), QColor("#1e1f22"))
        rect = QRectF(self.rect()).adjusted(6, 6, -6, -18)
        font = QFont(self.font())
        font.setPointSizeF(7.5)
        painter.setFont(font)
        if self.score is None or not len(self.score):
            painter.setPen(QColor("#8a8a8a"))
            painter.drawText(self.rect(), Qt.AlignCenter, "Run to see the score over the source")
            return
        painter.setPen(QPen(QColor("#3a3c40"), 1))
        for frac in (0.25, 0.5, 0.75):
            y = rect.bottom() - frac * rect.height()
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
        for number, (a, b) in enumerate(self.segments, 1):
            band = QRectF(QPointF(self._x(a, rect), rect.top()),
                          QPointF(max(self._x(b, rect), self._x(a, rect) + 1.5), rect.bottom()))
            painter.fillRect(band, QColor(245, 166, 35, 90))
            painter.setPen(QColor("#f5a623"))
            painter.drawText(band.adjusted(1, 1, 20, 0), Qt.AlignLeft | Qt.AlignTop, str(number))
        low, high = float(self.score.min()), float(self.score.max())
        span = max(high - low, 1e-6)
        path = QPainterPath()
        step = max(1, len(self.score) // max(1, int(rect.width()) * 2))
        for i in range(0, len(self.score), step):
            point = QPointF(self._x(float(self.times[i]), rect),
                            rect.bottom() - (float(self.score[i]) - low) / span * rect.height())
            path.lineTo(point) if i else path.moveTo(point)
        painter.setPen(QPen(QColor("#4fc3f7"), 1.4))
        painter.drawPath(path)
        painter.setPen(QColor("#9a9a9a"))
        for k in range(5):
            seconds = self.duration * k / 4
            x = self._x(seconds, rect)
            text = f"{int(seconds // 60)}:{int(seconds % 60):02d}"
            align = Qt.AlignLeft if k == 0 else Qt.AlignRight if k == 4 else Qt.AlignHCenter
            box = QRectF(x - (0 if k == 0 else 60 if k == 4 else 30), rect.bottom() + 2, 60, 14)
            painter.drawText(box, align | Qt.AlignTop, text)

    def mousePressEvent(self, event) -> None:
        if self.duration > 0:
            rect = QRectF(self.rect()).adjusted(6, 6, -6, -18)
            share = (event.position().x() - rect.left()) / max(rect.width(), 1.0)
            self.clicked.emit(min(max(share, 0.0), 1.0) * self.duration)


class HighlightsPanel(EnginePanel):
    """The engine panel plus presets, weight sliders, the score plot, sequence and preview."""

    def __init__(self, engine, document, runner, bridge, provider, parent=None):
        from editor.analysis.highlights import MOODS, SIGNALS

        self._signals: dict[str, object] = {}  # asset id -> Signals
        self._edit = None
        self._preview: list[tuple[int, int]] = []
        self._setting_weights = False
        super().__init__(engine, document, runner, bridge, provider, parent)
        layout = self.layout()
        insert_at = 2  # after the description and the form

        quick = QHBoxLayout()
        for text, seconds in DURATIONS:
            button = QPushButton(text)
            button.setToolTip(f"An edit of {text}")
            button.clicked.connect(lambda _=False, s=seconds: self.fields["duration"].setValue(s))
            quick.addWidget(button)
        layout.insertLayout(insert_at, quick)

        grid = QGridLayout()
        self.sliders: dict[str, QSlider] = {}
        self._values: dict[str, QLabel] = {}
        for row, name in enumerate(SIGNALS):
            slider = QSlider(Qt.Horizontal)
            slider.setRange(-2 * SLIDER_SCALE, 2 * SLIDER_SCALE)
            slider.setToolTip(f"Weight of {name}: right wants more of it, left less; 0 ignores it")
            slider.valueChanged.connect(self._on_weight)
            value = QLabel("0.00")
            value.setMinimumWidth(34)
            grid.addWidget(QLabel(name), row // 2, 3 * (row % 2))
            grid.addWidget(slider, row // 2, 3 * (row % 2) + 1)
            grid.addWidget(value, row // 2, 3 * (row % 2) + 2)
            self.sliders[name], self._values[name] = slider, value
        layout.insertLayout(insert_at + 1, grid)

        presets = QHBoxLayout()
        self.presets = QComboBox()
        self.presets.setToolTip("Saved moods and weights")
        self.presets.activated.connect(self._apply_preset)
        save = QPushButton("Save preset…")
        save.setToolTip("Save this mood and these weights under a name")
        save.clicked.connect(self.save_preset)
        reset = QPushButton("Reset weights")
        reset.clicked.connect(self._reset_weights)
        presets.addWidget(self.presets, 1)
        presets.addWidget(save)
        presets.addWidget(reset)
        layout.insertLayout(insert_at + 2, presets)

        self.plot = ScorePlot()
        self.plot.clicked.connect(self._jump_to_seconds)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        layout.insertWidget(insert_at + 3, self.plot)
        layout.insertWidget(insert_at + 4, self.summary)

        actions = QHBoxLayout()
        self.sequence_button = QPushButton("Create sequence")
        self.sequence_button.setToolTip("Put the edit on a new timeline of its own, in one "
                                        "undoable step (rejected segments are left out)")
        self.sequence_button.clicked.connect(self.create_sequence)
        self.preview_button = QPushButton("Preview")
        self.preview_button.setToolTip("Play the chosen segments one after the other")
        self.preview_button.clicked.connect(self.toggle_preview)
        self.render_button = QPushButton("Render…")
        self.render_button.setToolTip("Write the edit (segments not rejected) to an MP4 file")
        self.render_button.clicked.connect(self.render_edit)
        actions.addWidget(self.sequence_button)
        actions.addWidget(self.preview_button)
        actions.addWidget(self.render_button)
        layout.addLayout(actions)

        self.fields["mood"].currentTextChanged.connect(self._on_mood)
        self.fields["duration"].valueChanged.connect(self.reselect)
        self.fields["order"].currentTextChanged.connect(self.reselect)
        self._moods = MOODS
        self._reset_weights()
        self._refresh_presets()

    # --- weights and presets -----------------------------------------------------------
    def weights(self) -> dict[str, float]:
        return {name: s.value() / SLIDER_SCALE for name, s in self.sliders.items()}

    def set_weights(self, weights: dict[str, float]) -> None:
        self._setting_weights = True
        for name, slider in self.sliders.items():
            slider.setValue(round(weights.get(name, 0.0) * SLIDER_SCALE))
            self._values[name].setText(f"{slider.value() / SLIDER_SCALE:+.2f}")
        self._setting_weights = False
        self.reselect()

    def _reset_weights(self) -> None:
        self.set_weights(self._moods[self.fields["mood"].currentText()])

    def _on_mood(self, _mood: str) -> None:
        self._reset_weights()

    def _on_weight(self, _value: int) -> None:
        for name, slider in self.sliders.items():
            self._values[name].setText(f"{slider.value() / SLIDER_SCALE:+.2f}")
        if not self._setting_weights:
            self.reselect()

    def _refresh_presets(self) -> None:
        from editor.analysis.highlights import load_presets

        self.presets.clear()
        self.presets.addItem("Presets…")
        try:
            for name in sorted(load_presets()):
                self.presets.addItem(name)
        except CutwiseError as exc:
            self.status.setText(exc.message)

    def _apply_preset(self, index: int) -> None:
        from editor.analysis.highlights import preset

        if index <= 0:
            return
        try:
            mood, weights = preset(self.presets.itemText(index))
        except CutwiseError as exc:
            self.status.setText(exc.message)
            return
        self.fields["mood"].blockSignals(True)
        self.fields["mood"].setCurrentText(mood)
        self.fields["mood"].blockSignals(False)
        self.set_weights(weights)

    def save_preset(self, name: str | None = None) -> None:
        from editor.analysis.highlights import save_preset

        if not name:
            name, ok = QInputDialog.getText(self, "Save preset", "Preset name:")
            if not ok:
                return
        try:
            save_preset(name, self.fields["mood"].currentText(), self.weights())
        except CutwiseError as exc:
            self.status.setText(exc.message)
            return
        self._refresh_presets()
        self.status.setText(f"Saved preset '{name.strip()}'.")

    # --- running and selecting ---------------------------------------------------------
    def run_params(self) -> dict:
        return dict(self.params(), weights=self.weights())

    def run(self) -> None:
        """With the media analysed already, select and land at once; else analyse first."""
        asset_id = self.selected_asset_id()
        if asset_id is None or self.job is not None:
            return
        if asset_id in self._signals:
            self.reselect()
            if self._edit is not None:
                self._job_asset = asset_id
                self._land_edit(self._edit)
            return
        asset = self.document.project.asset(asset_id)
        self._job_asset = asset_id
        self.job = self.runner.submit(_analyse_and_select, asset.path, self.run_params(),
                                      title=f"{self.engine.name}: {asset.name}")
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)
        self.status.setText("Analysing…")

    def _land(self, result) -> None:
        signals, edit = result
        self._signals[self._job_asset] = signals
        self._edit = edit
        self._land_edit(edit)
        self.reselect()

    def _land_edit(self, edit) -> None:
        from editor.analysis.highlights import to_suggestions

        super()._land(to_suggestions(edit, self._job_asset))

    def reselect(self, *_args) -> None:
        """Choose again from the analysed signals (no decoding) and redraw the plot."""
        from editor.analysis.highlights import score_curve, select, weights_for

        signals = self._signals.get(self.selected_asset_id())
        if signals is None or self._setting_weights:
            return
        params = self.params()
        try:
            self._edit = select(signals, params["duration"], params["mood"], self.weights(),
                                order=params["order"])
        except CutwiseError as exc:
            self.summary.setText(exc.message)
            return
        weights = weights_for(params["mood"], self.weights())
        self.plot.set_data(signals.times, score_curve(signals, weights), signals.duration_s,
                           [(s.start_s, s.end_s) for s in self._edit.segments])
        self.summary.setText(f"{len(self._edit.segments)} segments, "
                             f"{self._edit.duration_s:.2f} s ({self._edit.frames} frames). "
                             "Run to put this edit in the highlights lane.")

    def refresh_results(self) -> None:
        super().refresh_results()
        if getattr(self, "plot", None) is not None and \
                self.selected_asset_id() not in self._signals:
            self.plot.set_data(None, None, 0.0, [])

    # --- sequence and preview ----------------------------------------------------------
    def kept_segments(self) -> list[tuple[int, int]]:
        """(start, end exclusive) source frames of the lane's segments not rejected, in
        edit order."""
        kept = [s for s in self.lane_suggestions() if s.status != REJECTED]
        kept.sort(key=lambda s: (s.data.get("order", 0), s.start))
        return [(s.start, s.end + 1) for s in kept]

    def _chosen_edit(self, purpose: str):
        """(asset, kept segments) of the edit shown, or None after saying there is none."""
        asset_id = self.selected_asset_id()
        pieces = self.kept_segments()
        if asset_id is None or not pieces:
            self.status.setText(f"Run first: there is no edit to {purpose}.")
            return None
        return self.document.project.asset(asset_id), pieces

    def create_sequence(self) -> None:
        edit = self._chosen_edit("put on a timeline")
        if edit is None:
            return
        asset, pieces = edit
        mood = self.fields["mood"].currentText()
        seconds = sum(b - a for a, b in pieces) / float(asset.frame_rate)
        timeline = sequence_from_pieces(asset, pieces,
                                        f"{asset.name or 'Highlights'} – {mood} {seconds:.0f} s")
        try:
            self.document.push(cmd.add_timeline(timeline))
        except CutwiseError as exc:
            self.status.setText(exc.message)
            return
        view = getattr(self.window(), "timeline", None)
        if view is not None and hasattr(view, "set_timeline"):
            view.set_timeline(timeline.id)  # the timeline viewer follows
        self.status.setText(f"New sequence '{timeline.name}': {len(pieces)} clips.")

    def ask_render_path(self) -> str:
        path, _ = QFileDialog.getSaveFileName(self, "Render the edit", "highlights.mp4",
                                              "MP4 video (*.mp4)")
        return path

    def render_edit(self) -> None:
        edit = self._chosen_edit("render")
        if edit is None:
            return
        out = self.ask_render_path()
        if not out:
            return
        from editor.media.render import render_segments

        asset, pieces = edit
        rate = asset.frame_rate
        spans = [(float(rate.seconds(a)), float(rate.seconds(b))) for a, b in pieces]
        self.start_render(render_segments, asset.path, spans, out, title=f"Render {out}")

    def toggle_preview(self) -> None:
        player = getattr(self.player_panel, "player", None)
        if self._preview:
            self._stop_preview()
            return
        pieces = self.kept_segments()
        asset_id = self.selected_asset_id()
        if player is None or not pieces or asset_id is None:
            self.status.setText("Nothing to preview (run first; the player needs libmpv).")
            return
        asset = self.document.project.asset(asset_id)
        self._preview = list(pieces)
        player.position_changed.connect(self._preview_tick)
        if not player.shows_source(asset.path):
            # a seek asked for before the file is open would be lost: start once it is
            player.file_loaded.connect(self._start_preview)
            self.player_panel.load(asset.path, asset.frame_rate, frame_count=asset.frame_count,
                                   variable_frame_rate=asset.variable_frame_rate)
        else:
            self._start_preview()
        self.preview_button.setText("Stop preview")

    def _start_preview(self, *_args) -> None:
        player = self.player_panel.player
        self._disconnect_start(player)
        if self._preview:
            player.seek_frame(self._preview[0][0])
            player.play()

    def _disconnect_start(self, player) -> None:
        try:
            player.file_loaded.disconnect(self._start_preview)
        except (RuntimeError, TypeError):
            pass

    def _preview_tick(self, frame: int) -> None:
        if not self._preview:
            return
        _start, end = self._preview[0]
        if frame >= end - 1:
            self._preview.pop(0)
            if not self._preview:
                self._stop_preview()
                return
            self.player_panel.player.seek_frame(self._preview[0][0])

    def _stop_preview(self) -> None:
        player = getattr(self.player_panel, "player", None)
        self._preview = []
        if player is not None:
            self._disconnect_start(player)
            try:
                player.position_changed.disconnect(self._preview_tick)
            except (RuntimeError, TypeError):
                pass
            player.pause()
        self.preview_button.setText("Preview")

    def _jump_to_seconds(self, seconds: float) -> None:
        asset_id = self.selected_asset_id()
        signals = self._signals.get(asset_id)
        if signals is not None:
            frame = int(min(signals.frame_count - 1, round(seconds * signals.fps)))
            self.jump_requested.emit(asset_id, frame)


def _analyse_and_select(path: str, params: dict, *, progress, cancel):
    """The background job: analyse (cached) and select; returns (signals, edit)."""
    from editor.analysis.highlights import analyse, select
    from editor.core.cache import AnalysisCache

    signals = analyse(path, cache=AnalysisCache(), progress=progress, cancel=cancel)
    return signals, select(signals, params["duration"], params["mood"], params["weights"],
                           order=params["order"])
