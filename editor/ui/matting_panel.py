"""The matting panel: click the subject in the player, preview the mask, propagate, export.

Left click on the video adds a point on the subject, right click a point that is not the
subject, on the frame shown. Each click computes a preview mask for that frame in the
background (SAM when a checkpoint is installed, else GrabCut) and tints it over the video.
Run propagates through the shot; running again after clicking another frame corrects the
matte from there (only what changed is recomputed). Flagged frames (subject lost or
jumping) are listed: double-click one to look at it and click to correct it. The matte
shows as a tint, or composited over a checkerboard or a solid green; "Put on timeline"
exports it (ProRes 4444 with alpha) and lays it over the shot on a "Matte" track.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
)

from editor.jobs import JobState
from editor.ui.engine_panel import EnginePanel

TINT = QColor(40, 200, 255, 110)
POSITIVE, NEGATIVE = QColor(60, 220, 90), QColor(240, 60, 60)
VIEWS = ("tint", "checkerboard", "green")
OVERLAY_TRACK = "Matte"


def _premultiplied(bgr: np.ndarray, alpha: np.ndarray) -> QImage:
    """A premultiplied ARGB32 image (BGRA in memory) from colours and a uint8 alpha."""
    h, w = alpha.shape
    argb = np.empty((h, w, 4), np.uint8)
    argb[..., :3] = (bgr.astype(np.uint16) * alpha[..., None] // 255).astype(np.uint8)
    argb[..., 3] = alpha
    return QImage(argb.data, w, h, 4 * w, QImage.Format_ARGB32_Premultiplied).copy()


def _mask_image(mask: np.ndarray, color: QColor) -> QImage:
    """A transparent ARGB image with ``color`` where ``mask`` (bool or uint8 alpha) is set."""
    scale = color.alpha() if mask.dtype == bool else color.alpha() / 255.0
    alpha = (mask.astype(np.float32) * scale).astype(np.uint8)
    bgr = np.array([color.blue(), color.green(), color.red()], np.uint8)
    return _premultiplied(np.broadcast_to(bgr, (*mask.shape, 3)), alpha)


def _backdrop_image(alpha: np.ndarray, view: str) -> QImage:
    """What covers the picture outside the subject in a composite preview: a checkerboard
    or solid green, opaque where ``alpha`` (bool or uint8) is 0, clear where it is full."""
    h, w = alpha.shape
    cover = 255 - (alpha.astype(np.uint8) * 255 if alpha.dtype == bool else alpha)
    if view == "green":
        bgr = np.broadcast_to(np.array([64, 177, 0], np.uint8), (h, w, 3))
    else:
        cell = max(4, min(w, h) // 24)
        ys, xs = np.indices((h, w))
        light = ((ys // cell + xs // cell) % 2).astype(bool)
        bgr = np.where(light[..., None], np.uint8(204), np.uint8(153)).repeat(3, 2)
    return _premultiplied(bgr, cover)


def _overlay_image(alpha: np.ndarray, view: str) -> QImage:
    return _mask_image(alpha, TINT) if view == "tint" else _backdrop_image(alpha, view)


class MattingPanel(EnginePanel):
    """The generic engine panel plus prompts on the player, a preview, flags and export."""

    def __init__(self, engine, document, runner, bridge, provider, parent=None):
        self._player_panel = None
        self.prompts: dict[int, list[tuple[float, float, int]]] = {}
        self.preview: tuple[int, np.ndarray] | None = None
        self._preview_job = None
        self._preview_image: tuple[np.ndarray, str, QImage] | None = None  # drawn once
        self._export_job = None
        self._overlay_job = None
        self._alpha_cache: tuple[str, int, QImage | None] | None = None
        super().__init__(engine, document, runner, bridge, provider, parent)
        self.hint = QLabel("Left-click the subject in the player; right-click what is not it.")
        self.hint.setWordWrap(True)
        clear = QPushButton("Clear clicks")
        clear.setToolTip("Forget the points of the frame shown (or all when none there)")
        clear.clicked.connect(self.clear_prompts)
        self.flags = QListWidget()
        self.flags.setToolTip("Frames where the subject was lost or jumped: double-click to "
                              "look, then click the subject there and run again")
        self.flags.itemDoubleClicked.connect(self._seek_flag)
        self.format = QComboBox()
        self.format.addItems(["prores", "png", "webm", "matte"])
        self.format.setToolTip("ProRes 4444 .mov with alpha, PNG RGBA sequence (a folder), "
                               "WebM VP9 with alpha, or a grayscale matte video")
        export = QPushButton("Export…")
        export.clicked.connect(self.export)
        self.view = QComboBox()
        self.view.addItems(VIEWS)
        self.view.setToolTip("How the matte shows in the player: a tint over the subject, or "
                             "the subject composited over a checkerboard or green")
        self.view.currentTextChanged.connect(self._view_changed)
        self.overlay_button = QPushButton("Put on timeline")
        self.overlay_button.setToolTip("Export the matte (ProRes 4444 with alpha) and lay it "
                                       f"over the shot on the '{OVERLAY_TRACK}' track")
        self.overlay_button.clicked.connect(self.put_on_timeline)
        view_row = QHBoxLayout()
        view_row.addWidget(QLabel("Show"))
        view_row.addWidget(self.view, 1)
        row = QHBoxLayout()
        row.addWidget(self.format, 1)
        row.addWidget(export)
        layout = self.layout()
        layout.insertWidget(1, self.hint)
        layout.insertWidget(2, clear)
        layout.insertLayout(3, view_row)
        layout.addWidget(QLabel("Frames to check"))
        layout.addWidget(self.flags)
        layout.addLayout(row)
        layout.addWidget(self.overlay_button)
        bridge.event.connect(self._on_side_job)
        self.refresh_flags()

    # --- the player ---------------------------------------------------------------------
    @property
    def player_panel(self):
        return self._player_panel

    @player_panel.setter
    def player_panel(self, panel) -> None:
        if self._player_panel is not None:
            self._player_panel.remove_overlay(self.paint_overlay)
            self._player_panel.video.mouse_pressed_on_video.disconnect(self.on_video_click)
        self._player_panel = panel
        if panel is not None:
            panel.add_overlay(self.paint_overlay)
            panel.video.mouse_pressed_on_video.connect(self.on_video_click)

    def _shown_asset(self):
        """The selected media, if the player shows it (as a source, not the timeline)."""
        asset_id = self.selected_asset_id()
        player = self._player_panel.player if self._player_panel is not None else None
        if asset_id is None or player is None:
            return None, 0
        asset = self.document.project.asset(asset_id)
        if not player.shows_source(asset.path):
            return None, 0
        return asset, player.frame

    def on_video_click(self, pixel: QPointF, button) -> None:
        if not self.in_front():  # the click belongs to the panel in front
            return
        asset, frame = self._shown_asset()
        if asset is None:
            self.status.setText("Open this media in the viewer (double-click it in the media "
                                "bin) to click the subject.")
            return
        label = 0 if button == Qt.RightButton else 1
        self.prompts.setdefault(frame, []).append((pixel.x(), pixel.y(), label))
        self._update_hint()
        self.request_preview(asset, frame)

    def clear_prompts(self) -> None:
        _, frame = self._shown_asset()
        if frame in self.prompts:
            del self.prompts[frame]
        else:
            self.prompts.clear()
        self.preview = None
        self._update_hint()
        self._repaint_player()

    def _update_hint(self) -> None:
        count = sum(len(p) for p in self.prompts.values())
        frames = ", ".join(str(f) for f in sorted(self.prompts))
        self.hint.setText(f"{count} click(s) on frame(s) {frames}." if count else
                          "Left-click the subject in the player; right-click what is not it.")

    # --- preview --------------------------------------------------------------------------
    def request_preview(self, asset, frame: int) -> None:
        points = list(self.prompts.get(frame, ()))
        if not any(lab == 1 for *_, lab in points):
            return
        self.status.setText("Previewing…")
        self._preview_job = self.runner.submit(compute_preview, asset.path, frame, points,
                                               self.params()["backend"],
                                               title="Matte preview")

    def _on_side_job(self, event) -> None:
        if not event.state.is_final:
            return
        if event.job is self._preview_job:
            self._preview_job = None
            if event.state is JobState.FINISHED:
                frame, mask, name = event.job.result()
                self.preview = (frame, mask)
                note = " (GrabCut fallback, lower quality)" if name == "grabcut" else ""
                self.status.setText(f"Preview of frame {frame} with {name}{note}. Run to "
                                    "propagate through the shot.")
                self._repaint_player()
            elif event.state is JobState.FAILED:
                self.status.setText(f"Preview failed: {event.job.error}")
        elif event.job is self._export_job:
            self._export_job = None
            if event.state is JobState.FINISHED:
                self.status.setText(f"Exported {event.job.result()}.")
            elif event.state is JobState.FAILED:
                self.status.setText(f"Export failed: {event.job.error}")
        elif event.job is self._overlay_job:
            self._overlay_job = None
            if event.state is JobState.FINISHED:
                self._place_overlay(*event.job.result())
            elif event.state is JobState.FAILED:
                self.status.setText(f"Could not put the matte on the timeline: {event.job.error}")

    def _view_changed(self, _view: str) -> None:
        self._alpha_cache = None
        self._repaint_player()

    def _repaint_player(self) -> None:
        if self._player_panel is not None:
            self._player_panel.video.update()

    def paint_overlay(self, painter, rect: QRectF, frame: int) -> None:
        if self._shown_asset()[0] is None:
            return
        if self.preview is not None and self.preview[0] == frame:
            image = self._preview_overlay()
        else:
            image = self._alpha_image(frame)
        if image is not None:
            painter.drawImage(rect, image)
        vw, vh = self._player_panel.player.video_size
        for x, y, label in self.prompts.get(frame, ()):
            centre = QPointF(rect.x() + x * rect.width() / vw, rect.y() + y * rect.height() / vh)
            painter.setPen(QPen(Qt.white, 1.5))
            painter.setBrush(POSITIVE if label else NEGATIVE)
            painter.drawEllipse(centre, 5, 5)

    def _preview_overlay(self) -> QImage:
        """The preview mask as drawn in the current view (made again only when either
        changes, not on every repaint)."""
        mask, view = self.preview[1], self.view.currentText()
        cached = self._preview_image
        if cached is None or cached[0] is not mask or cached[1] != view:
            self._preview_image = cached = (mask, view, _overlay_image(mask, view))
        return cached[2]

    def _alpha_image(self, frame: int) -> QImage | None:
        """The propagated matte of ``frame`` tinted, from the current suggestion's folder."""
        suggestion = self.current_matte()
        if suggestion is None or not suggestion.start <= frame <= suggestion.end:
            return None
        folder = suggestion.data.get("matte", "")
        if self._alpha_cache is not None and self._alpha_cache[:2] == (folder, frame):
            return self._alpha_cache[2]
        import cv2

        alpha = cv2.imread(f"{folder}/{frame:06d}.png", cv2.IMREAD_GRAYSCALE)
        image = None if alpha is None else _overlay_image(alpha, self.view.currentText())
        self._alpha_cache = (folder, frame, image)
        return image

    # --- running and results ----------------------------------------------------------------
    def current_matte(self):
        mattes = [s for s in self.lane_suggestions() if s.kind == "mask"]
        return mattes[-1] if mattes else None

    def run_params(self) -> dict:
        params = self.params()
        params["prompts"] = [{"frame": f, "points": [list(p) for p in pts], "box": None}
                             for f, pts in sorted(self.prompts.items())
                             if any(lab == 1 for *_, lab in pts)]
        current = self.current_matte()
        if current is not None and current.data.get("folder"):
            params["session"] = current.data["folder"]
        return params

    def run(self) -> None:
        if not self.run_params()["prompts"]:
            self.status.setText("Click the subject in the player first.")
            return
        self.preview = None
        super().run()

    def refresh_results(self) -> None:
        super().refresh_results()
        self._alpha_cache = None
        if hasattr(self, "flags"):
            self.refresh_flags()

    def refresh_flags(self) -> None:
        self.flags.clear()
        current = self.current_matte()
        if current is None:
            return
        for frame, why in current.data.get("flagged", []):
            item = QListWidgetItem(f"frame {frame}: subject {'lost' if why == 'lost' else 'jumped'}")
            item.setData(Qt.UserRole, frame)
            self.flags.addItem(item)
        for note in current.data.get("notes", []):
            self.status.setText(note)

    def _seek_flag(self, item: QListWidgetItem) -> None:
        current = self.current_matte()
        if current is not None:
            self.jump_requested.emit(current.asset_id, int(item.data(Qt.UserRole)))

    # --- export ---------------------------------------------------------------------------
    def ask_export_path(self, fmt: str) -> str:
        if fmt == "png":
            return QFileDialog.getExistingDirectory(self, "Folder for the PNG sequence")
        suffix = {"prores": "mov", "webm": "webm", "matte": "mp4"}[fmt]
        path, _ = QFileDialog.getSaveFileName(self, "Export matte", f"matte.{suffix}",
                                              f"{fmt} (*.{suffix})")
        return path

    def export(self) -> None:
        current = self.current_matte()
        if current is None:
            self.status.setText("Run the matte first.")
            return
        fmt = self.format.currentText()
        out = self.ask_export_path(fmt)
        if not out:
            return
        asset = self.document.project.asset(current.asset_id)
        self.status.setText(f"Exporting {fmt}…")
        self._export_job = self.runner.submit(export_matte, current.data["folder"], fmt, out,
                                              asset.frame_rate, (asset.width, asset.height),
                                              float(self.params()["smoothing"]),
                                              title=f"Export matte ({fmt})")

    def put_on_timeline(self) -> None:
        current = self.current_matte()
        if current is None:
            self.status.setText("Run the matte first.")
            return
        asset = self.document.project.asset(current.asset_id)
        self.status.setText("Exporting the matte for the timeline…")
        self._overlay_job = self.runner.submit(
            overlay_media, current.data["folder"], asset.frame_rate,
            (asset.width, asset.height), float(self.params()["smoothing"]), current.id,
            title="Matte to timeline")

    def _place_overlay(self, matte, suggestion_id: str) -> None:
        from editor.core import commands as cmd
        from editor.core.model import ModelError

        project = self.document.project
        suggestion = next((s for s in project.suggestions if s.id == suggestion_id), None)
        if suggestion is None:
            self.status.setText("That matte is gone (undone?): nothing was placed.")
            return
        view = getattr(self.window(), "timeline", None)
        timeline_id = getattr(view, "timeline_id", None) or project.timeline.id
        try:
            self.document.push(cmd.overlay_asset(timeline_id, suggestion.asset_id,
                                                 suggestion.start, matte, OVERLAY_TRACK))
        except ModelError as exc:
            self.status.setText(str(exc))
            return
        self.status.setText(f"The matte is on the '{OVERLAY_TRACK}' track, over the shot.")


def overlay_media(folder: str, rate, size, smooth: float, suggestion_id: str, *, progress,
                  cancel):
    """Worker: export the matte as ProRes 4444 into its session folder and describe it as
    media (a new file per export: a placed older version stays valid)."""
    import time
    from pathlib import Path

    from editor.media.assets import asset_from_info
    from editor.media.probe import probe

    out = Path(folder) / f"matte-{time.strftime('%Y%m%d-%H%M%S')}.mov"
    export_matte(folder, "prores", str(out), rate, size, smooth, progress=progress,
                 cancel=cancel)
    matte = asset_from_info(probe(out))
    matte.name = f"Matte {out.stem[6:]}"
    return matte, suggestion_id


def compute_preview(path: str, frame: int, points, backend: str, *, progress, cancel):
    """Worker: the mask one frame's clicks give (for the overlay), off the GUI thread."""
    from editor.analysis.matting import Prompt, make_segmenter, preview
    from editor.analysis.matting.propagate import FrameSource
    from editor.media.probe import probe

    info = probe(path)
    segmenter = make_segmenter(backend)
    size = (info.video.display_width, info.video.display_height)
    scale = min(1.0, 640 / max(size)) if segmenter.name == "grabcut" else 1.0
    work = (max(2, round(size[0] * scale)), max(2, round(size[1] * scale)))
    source = FrameSource(path, work, cancel)
    image = source.frame(frame)
    neighbours = source.neighbours(frame, 0, len(source.times) - 1) \
        if segmenter.uses_motion else []
    prompt = Prompt(frame, list(points)).scaled(work[0] / size[0], work[1] / size[1])
    mask = preview(image, prompt, segmenter, neighbours=neighbours)
    return frame, mask, segmenter.name


def export_matte(folder: str, fmt: str, out: str, rate, size, smooth: float, *, progress, cancel):
    """Worker: render a matte session to ``out`` in ``fmt``."""
    from editor.analysis.matting import MatteSession, make_writer, render

    session = MatteSession.load(folder)
    render(session, [make_writer(fmt, out, rate, size)], smooth=smooth, progress=progress,
           cancel=cancel)
    return out
