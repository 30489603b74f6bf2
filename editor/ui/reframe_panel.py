"""The auto-reframe panel: aspect, smoothness and subject controls, a live crop preview
drawn over the player (dimmed outside the crop), drag-to-correct keyframes, and render.

Dragging the crop window in the player on any frame pins the crop there (a user
keyframe) and re-plans the camera around it; the analysis is cached, so a re-plan does
not decode again. User keyframes travel in the suggestions' data, so they are saved with
the project and survive the next run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton)

from editor.analysis.reframe import (click_entry, parse_aspect, path_from_suggestions,
                                     subject_click)
from editor.core.errors import CutwiseError
from editor.ui.engine_panel import EnginePanel

DIM = QColor(0, 0, 0, 150)
CROP_PEN = QColor(255, 210, 60)
PADDED_PEN = QColor(255, 120, 60)


def _frames(clicks) -> str:
    """The frames of subject clicks, in order, for a label: "frame 4", "frames 4, 9"."""
    frames = sorted(c[2] for c in clicks)
    return ("frame " if len(frames) == 1 else "frames ") + ", ".join(map(str, frames))


def _render_job(source: str, out: str, path, background: str, *, progress, cancel):
    from editor.analysis.reframe.render import render

    xs, ys, padded, crop, size = path
    return str(render(source, out, xs, ys, crop, size, padded=padded, background=background,
                      progress=progress, cancel=cancel))


AUTOMATIC = "Subject: automatic (follows faces and what moves)"


class ReframePanel(EnginePanel):
    """The generic engine panel plus subject picking, the crop overlay and rendering."""

    def __init__(self, engine, document, runner, bridge, provider, parent=None):
        self._player_panel = None
        self._keys: dict[str, dict[int, tuple[float, float]]] = {}
        self._subjects: dict[str, list[tuple[float, float, int, int]]] = {}  # x, y, frame, rank
        self._paths: dict[str, tuple | None] = {}  # each media's crop path, as last read
        self._drag: tuple[QPointF, float, float, float, float] | None = None  # at, x, y, bounds
        self._drag_pos: tuple[float, float] | None = None
        super().__init__(engine, document, runner, bridge, provider, parent)
        layout = self.layout()
        self.custom_aspect = QLineEdit("2:3")
        self.custom_aspect.setToolTip("Any width:height, used when Aspect is 'custom'")
        self.pick_button = QPushButton("Pick subject")
        self.pick_button.setCheckable(True)
        self.pick_button.setToolTip("Then click the subject in the player: the camera follows it "
                                    "through that shot (tracked by the matting engine: SAM "
                                    "on a GPU if installed, else GrabCut, about ten frames a "
                                    "second). "
                                    "Pick again for another shot, or where it was lost. "
                                    "Without a pick the camera follows people whose faces "
                                    "it sees move, else what moves: pick people who stand "
                                    "still or turn away")
        self.subject_rank = QComboBox()
        self.subject_rank.addItems(["main subject"] + [f"subject {n}" for n in range(2, 5)])
        self.subject_rank.setToolTip("Which subject the next pick is on: the main one is always "
                                     "kept in the crop; the others join it, in order, where "
                                     "they fit")
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Forget the subject clicks and the keyframes you dragged")
        self.clear_button.clicked.connect(self.clear_edits)
        self.subject_label = QLabel(AUTOMATIC)
        self.subject_label.setWordWrap(True)  # clicks and keyframes make it long
        self.show_crop = QCheckBox("Show crop in player")
        self.show_crop.setChecked(True)
        self.show_crop.toggled.connect(lambda *_: self._update_video())
        self.render_button = QPushButton("Render…")
        self.render_button.setToolTip("Write the reframed clip (H.264 + the original audio)")
        self.render_button.clicked.connect(self.choose_render_path)
        custom_row = QHBoxLayout()
        custom_row.addWidget(QLabel("Custom aspect"))
        custom_row.addWidget(self.custom_aspect)
        subject_row = QHBoxLayout()
        subject_row.addWidget(self.pick_button)
        subject_row.addWidget(self.subject_rank)
        subject_row.addWidget(self.clear_button)
        render_row = QHBoxLayout()
        render_row.addWidget(self.show_crop)
        render_row.addWidget(self.render_button)
        at = 2  # after the description and the form
        for i, row in enumerate((custom_row, subject_row)):
            layout.insertLayout(at + i, row)
        layout.insertWidget(at + 2, self.subject_label)
        layout.addLayout(render_row)
        self.media.currentIndexChanged.connect(self._asset_changed)
        self._asset_changed()

    # --- the player ---------------------------------------------------------------------
    @property
    def player_panel(self):
        return self._player_panel

    @player_panel.setter
    def player_panel(self, panel) -> None:
        old = getattr(self, "_player_panel", None)
        if old is not None and old.video is not None:
            old.remove_overlay(self.paint_overlay)
            old.video.removeEventFilter(self)
        self._player_panel = panel
        if panel is not None and panel.video is not None:
            panel.add_overlay(self.paint_overlay)
            panel.video.installEventFilter(self)
            panel.video.mouse_pressed_on_video.connect(self._clicked_on_video)

    def _player(self):
        panel = self._player_panel
        return panel.player if panel is not None else None

    def _shown(self, frame: int | None = None) -> tuple[str, int, float, float] | None:
        """What the player shows at ``frame`` (now by default): ``(media, its frame, kx,
        ky)`` with the scale from the player's picture pixels to that media's; the
        selected media in the source viewer, the clip under the playhead on the
        timeline (None in a gap, or for another media in the source viewer)."""
        player = self._player()
        if player is None:
            return None
        frame = player.frame if frame is None else frame
        if not player.is_timeline:
            asset_id = self.selected_asset_id()
            if asset_id is None or \
                    not player.shows_source(self.document.project.asset(asset_id).path):
                return None
            return asset_id, frame, 1.0, 1.0
        at = player.source_at(frame)
        if at is None or not all(player.video_size):
            return None
        try:
            asset = self.document.project.asset(at[0])
        except CutwiseError:
            return None
        if not (asset.width and asset.height):
            return None
        vw, vh = player.video_size
        return at[0], at[1], asset.width / vw, asset.height / vh

    def _update_video(self) -> None:
        if self._player_panel is not None and self._player_panel.video is not None:
            self._player_panel.video.update()

    # --- state --------------------------------------------------------------------------
    def _asset_changed(self, *_args) -> None:
        asset_id = self.selected_asset_id()
        if asset_id is not None and asset_id not in self._keys:  # from a saved project
            keys, clicks = {}, []
            for s in self.lane_suggestions():
                for f, x, y in s.data.get("user_keyframes", []):
                    keys[int(f)] = (float(x), float(y))
                for c in s.data.get("subjects", []):
                    try:
                        clicks.append(subject_click(c))
                    except CutwiseError:  # a hand-edited project: the other clicks still load
                        continue
            self._keys[asset_id] = keys
            self._subjects[asset_id] = clicks
        self._paths.clear()
        self._show_subject()
        self._update_video()

    def refresh_results(self) -> None:
        super().refresh_results()
        self._paths.clear()
        if hasattr(self, "subject_label"):
            self._update_video()

    def _show_subject(self) -> None:
        clicks = self._subjects.get(self.selected_asset_id(), [])
        keys = len(self._keys.get(self.selected_asset_id(), {}))
        ranks = sorted({c[3] for c in clicks})
        if not clicks:
            text = AUTOMATIC
        elif len(clicks) == 1 and ranks == [1]:
            text = f"Subject: ({clicks[0][0]:.0f}, {clicks[0][1]:.0f}) on frame {clicks[0][2]}"
        elif ranks == [1]:
            text = f"Subject: {len(clicks)} clicks, on " + _frames(clicks)
        else:
            text = "Subjects: " + "; ".join(
                f"{'main' if rank == 1 else f'subject {rank}'} on "
                + _frames([c for c in clicks if c[3] == rank]) for rank in ranks)
        if keys:
            text += f" · {keys} keyframe(s) you set"
        self.subject_label.setText(text)

    def clear_edits(self) -> None:
        asset_id = self.selected_asset_id()
        self._subjects.pop(asset_id, None)
        self._keys[asset_id] = {}
        self._show_subject()
        self._update_video()

    def user_keyframes(self) -> dict[int, tuple[float, float]]:
        return dict(self._keys.get(self.selected_asset_id(), {}))

    def run_params(self) -> dict:
        params = super().run_params()
        if params.get("aspect") == "custom":
            try:
                parse_aspect(self.custom_aspect.text())
            except CutwiseError as exc:
                self.status.setText(exc.message)
                raise
            params["custom_aspect"] = self.custom_aspect.text()
        clicks = self._subjects.get(self.selected_asset_id())
        if clicks:
            params["subjects"] = [click_entry(*c) for c in clicks]
        params["keyframes"] = {f: list(v) for f, v in self.user_keyframes().items()}
        return params

    def run(self) -> None:
        try:
            super().run()
        except CutwiseError:
            pass  # the status line says what is wrong with the form

    def crop_path(self, asset_id: str | None = None):
        """(xs, ys, padded, crop) of a media (the selected one by default) from its
        reframe lane, or None."""
        asset_id = asset_id or self.selected_asset_id()
        if asset_id is None:
            return None
        if asset_id not in self._paths:
            live = [s for s in self.lane_suggestions(asset_id) if s.status != "rejected"]
            self._paths[asset_id] = path_from_suggestions(
                live, self.document.project.asset(asset_id).frame_count)
        return self._paths[asset_id]

    def crop_at(self, frame: int, asset_id: str | None = None
                ) -> tuple[float, float, int, int, bool] | None:
        path = self.crop_path(asset_id)
        if path is None:
            return None
        xs, ys, padded, (cw, ch) = path
        frame = min(max(frame, 0), len(xs) - 1)
        return float(xs[frame]), float(ys[frame]), cw, ch, bool(padded[frame])

    # --- overlay and dragging -------------------------------------------------------------
    def paint_overlay(self, painter: QPainter, video_rect: QRectF, frame: int) -> None:
        """The crop (dimmed outside, a diamond on a frame you pinned) and the subject
        clicks on this frame, numbered by subject; on the timeline, those of the clip
        under the playhead."""
        shown = self._shown(frame)
        if not self.show_crop.isChecked() or shown is None or \
                not all(self._player().video_size):
            return
        asset_id, frame, kx, ky = shown
        vw, vh = self._player().video_size
        sx, sy = video_rect.width() / (vw * kx), video_rect.height() / (vh * ky)
        crop = self.crop_at(frame, asset_id)
        if crop is not None:
            if self._drag_pos is not None:
                crop = (*self._drag_pos, *crop[2:])
            self._paint_crop(painter, video_rect, crop, sx, sy,
                             frame in self._keys.get(asset_id, {}))
        painter.setBrush(Qt.NoBrush)
        for x, y, f, rank in self._subjects.get(asset_id, []):
            if f == frame:
                c = QPointF(video_rect.x() + x * sx, video_rect.y() + y * sy)
                for pen in (QPen(DIM, 4), QPen(CROP_PEN, 2)):  # a dark edge: seen on any picture
                    painter.setPen(pen)
                    painter.drawEllipse(c, 7, 7)
                painter.drawText(c + QPointF(10, -8), str(rank))

    @staticmethod
    def _paint_crop(painter: QPainter, video_rect: QRectF, crop, sx: float, sy: float,
                    pinned: bool) -> None:
        x, y, cw, ch, padded = crop
        rect = QRectF(video_rect.x() + x * sx, video_rect.y() + y * sy, cw * sx, ch * sy)
        for part in (QRectF(video_rect.left(), video_rect.top(), rect.left() - video_rect.left(),
                            video_rect.height()),
                     QRectF(rect.right(), video_rect.top(), video_rect.right() - rect.right(),
                            video_rect.height()),
                     QRectF(rect.left(), video_rect.top(), rect.width(),
                            rect.top() - video_rect.top()),
                     QRectF(rect.left(), rect.bottom(), rect.width(),
                            video_rect.bottom() - rect.bottom())):
            if part.width() > 0 and part.height() > 0:
                painter.fillRect(part, DIM)
        painter.setPen(QPen(PADDED_PEN if padded else CROP_PEN, 2))
        painter.drawRect(rect)
        if pinned:
            c = QPointF(rect.center().x(), rect.top() + 12)
            painter.setBrush(CROP_PEN)
            painter.drawPolygon(QPolygonF([c + QPointF(0, -7), c + QPointF(7, 0),
                                           c + QPointF(0, 7), c + QPointF(-7, 0)]))

    def _clicked_on_video(self, pixel: QPointF, button) -> None:
        shown = self._shown()
        if not self.pick_button.isChecked() or button != Qt.LeftButton or shown is None or \
                not self.in_front():
            return
        self.pick_button.setChecked(False)
        asset_id, frame, kx, ky = shown
        self.select_asset(asset_id)  # on the timeline: the clip's media
        pixel = QPointF(pixel.x() * kx, pixel.y() * ky)
        clicks = self._subjects.setdefault(asset_id, [])
        rank = self.subject_rank.currentIndex() + 1
        # a new pick of a subject on a frame replaces its old one there
        clicks[:] = [c for c in clicks if (c[2], c[3]) != (frame, rank)]
        clicks.append((pixel.x(), pixel.y(), frame, rank))
        self._show_subject()
        self._update_video()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in (QEvent.MouseButtonPress, QEvent.MouseMove, QEvent.MouseButtonRelease):
            return False
        shown = self._shown()
        if self.pick_button.isChecked() or not self.show_crop.isChecked() or shown is None or \
                not self.in_front():
            return False  # another panel in front: the click is its own
        asset_id, frame, kx, ky = shown
        pixel = watched.map_to_video(event.position())
        pixel = None if pixel is None else QPointF(pixel.x() * kx, pixel.y() * ky)
        if kind == QEvent.MouseButtonPress and event.button() == Qt.LeftButton and pixel is not None:
            crop = self.crop_at(frame, asset_id)
            if crop is not None:
                x, y, cw, ch, _ = crop
                if x <= pixel.x() <= x + cw and y <= pixel.y() <= y + ch:
                    self.select_asset(asset_id)  # on the timeline: the clip's media
                    asset = self.document.project.asset(asset_id)
                    self._drag = (pixel, x, y, asset.width - cw, asset.height - ch)
                    self._drag_pos = (x, y)
                    return True
        elif self._drag is not None and kind == QEvent.MouseMove:
            if pixel is not None:
                self._drag_pos = self._dragged_to(pixel)
                watched.update()
            return True
        elif self._drag is not None and kind == QEvent.MouseButtonRelease:
            if pixel is not None:
                self._drag_pos = self._dragged_to(pixel)
            self.pin(frame, *self._drag_pos)
            self._drag = self._drag_pos = None
            return True
        return False

    def _dragged_to(self, pixel: QPointF) -> tuple[float, float]:
        """Where the crop dragged to ``pixel`` (the media's pixels) goes: inside the
        picture."""
        start, x, y, x_max, y_max = self._drag
        return (float(np.clip(x + pixel.x() - start.x(), 0, x_max)),
                float(np.clip(y + pixel.y() - start.y(), 0, y_max)))

    def pin(self, frame: int, x: float, y: float) -> None:
        """Fix the crop's corner on ``frame`` (a user keyframe) and re-plan the camera."""
        asset_id = self.selected_asset_id()
        if asset_id is None:
            return
        self._keys.setdefault(asset_id, {})[int(frame)] = (round(x), round(y))
        self._show_subject()
        if self.job is None:
            self.run()

    # --- rendering ------------------------------------------------------------------------
    def choose_render_path(self) -> None:
        asset_id = self.selected_asset_id()
        if asset_id is None:
            return
        asset = self.document.project.asset(asset_id)
        suggested = str(Path(asset.path).with_name(Path(asset.path).stem + "-vertical.mp4"))
        out, _ = QFileDialog.getSaveFileName(self, "Render reframed clip", suggested,
                                             "MP4 video (*.mp4)")
        if out:
            self.render_to(out)

    def render_to(self, out: str, background: str = "blur") -> bool:
        """Start the render job for the selected media; False if there is nothing to render."""
        asset_id = self.selected_asset_id()
        path = self.crop_path()
        if asset_id is None or path is None or self.render_job is not None:
            self.status.setText("Run the reframe first: there is no crop to render.")
            return False
        asset = self.document.project.asset(asset_id)
        xs, ys, padded, crop = path
        sizes = [s.data.get("output") for s in self.lane_suggestions() if s.data.get("output")]
        size = tuple(sizes[0]) if sizes else (1080, 1920)
        self.start_render(_render_job, asset.path, out, (xs, ys, padded, crop, size),
                          background, title=f"Render {Path(out).name}")
        return True
