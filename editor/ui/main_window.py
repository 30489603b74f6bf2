"""The main window: a thin composition of docks around the preview player.

It owns no editing logic: the document applies commands, the views edit through it,
the registry holds every menu command and shortcut, and jobs run on the runner.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDockWidget, QFileDialog, QMainWindow, QMessageBox, QScrollArea, QUndoView, QWidget,
)

from editor import __version__
from editor.core import commands as cmd
from editor.core import project_file
from editor.core.cache import AnalysisCache
from editor.core.errors import CutwiseError
from editor.jobs import JobEvent, JobRunner, JobState
from editor.media.assets import import_files
from editor.plugins.api import Registry
from editor.ui.actions import ActionRegistry, ActionSpec
from editor.ui.document import Document
from editor.ui.engine_panel import EnginePanel
from editor.ui.interchange import install_interchange_actions
from editor.ui.jobs import JobBridge, JobsWidget
from editor.ui.media_bin import MediaBin
from editor.ui.media_provider import MediaProvider
from editor.ui.player import PlayerPanel
from editor.ui.plugins_dialog import install_plugin_actions, panel_class_for
from editor.ui.timeline_view import TimelineView

MEDIA_FILTER = "Media (*.mp4 *.mov *.mkv *.webm *.avi *.m4v *.mts *.wav *.m4a *.mp3 *.flac);;All files (*)"
PROJECT_FILTER = f"Cutwise projects (*{project_file.EXTENSION})"
MAX_RECENT = 8


class MainWindow(QMainWindow):
    def __init__(self, registry: Registry, settings: QSettings, *,
                 cache: AnalysisCache | None = None, player_options: dict | None = None):
        super().__init__()
        self.setObjectName("MainWindow")
        self.settings = settings
        self.registry = registry
        self.document = Document(self)
        self.runner = JobRunner(max_workers=2)
        self.bridge = JobBridge(self.runner, self)
        self.provider = MediaProvider(self.document, cache, self)
        self._import_jobs: set[int] = set()

        self.player = PlayerPanel(self, **(player_options or {}))
        self.setCentralWidget(self.player)
        self.media_bin = MediaBin(self.document, self.provider)
        self.timeline = TimelineView(self.document)
        self.timeline.set_media_provider(self.provider)
        self.jobs = JobsWidget(self.bridge)
        self.history = QUndoView(self.document.undo_stack)
        self.history.setEmptyLabel("<original>")

        self.docks: dict[str, QDockWidget] = {}
        self._dock("media", "Media", self.media_bin, Qt.LeftDockWidgetArea)
        self._dock("timeline", "Timeline", self.timeline, Qt.BottomDockWidgetArea)
        self._dock("jobs", "Jobs", self.jobs, Qt.RightDockWidgetArea)
        self._dock("history", "History", self.history, Qt.LeftDockWidgetArea)
        self.tabifyDockWidget(self.docks["media"], self.docks["history"])
        self.docks["media"].raise_()
        self.panels: dict[str, EnginePanel] = {}
        for engine in registry.engines.values():
            self.add_engine_panel(engine)
        registry.listeners.append(self.add_engine_panel)

        self.actions = ActionRegistry(self)
        self._create_actions()
        self._connect()
        self.statusBar().showMessage("Ready")
        self.setWindowTitle(self.document.title)
        self.resize(1440, 900)
        geometry, state = settings.value("window/geometry"), settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        self._default_layout_pending = state is None or not self.restoreState(state)
        self.autosave_timer = QTimer(self, interval=Document.AUTOSAVE_MS, timeout=self.autosave)
        self.autosave_timer.start()
        install_interchange_actions(self)
        install_plugin_actions(self)

    # --- construction -----------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._default_layout_pending:  # first run: sizes need the real window geometry
            self._default_layout_pending = False
            engine_docks = [d for k, d in self.docks.items() if k.startswith("engine-")]
            # wide enough for the widest panel's rows (narrower, a panel scrolls across)
            wide = max([380] + [d.widget().widget().minimumSizeHint().width()
                                + d.widget().verticalScrollBar().sizeHint().width()
                                for d in engine_docks])
            self.resizeDocks([self.docks["media"], *engine_docks[:1]], [340, wide], Qt.Horizontal)
            self.resizeDocks([self.docks["timeline"]], [300], Qt.Vertical)
            if engine_docks:
                self.resizeDocks([engine_docks[0], self.docks["jobs"]], [520, 160], Qt.Vertical)
                engine_docks[0].raise_()  # the shots panel in front, not the last one added

    def _dock(self, key: str, title: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{key}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[key] = dock
        return dock

    def add_engine_panel(self, engine) -> None:
        panel_class = panel_class_for(engine, self.registry, EnginePanel)  # a failing plugin panel: generic one
        panel = panel_class(engine, self.document, self.runner, self.bridge, self.provider)
        panel.player_panel = self.player
        panel.jump_requested.connect(self.show_source_frame)
        self.panels[engine.id] = panel
        scroll = QScrollArea()
        scroll.setWidget(panel)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        first = next((d for k, d in self.docks.items() if k.startswith("engine-")), None)
        dock = self._dock(f"engine-{engine.id}", engine.name, scroll, Qt.RightDockWidgetArea)
        if first is not None:
            self.tabifyDockWidget(first, dock)
        else:
            self.splitDockWidget(dock, self.docks["jobs"], Qt.Vertical)

    def _create_actions(self) -> None:
        a, F, E, V, P, H = self.actions, "&File", "&Edit", "&View", "&Playback", "&Help"
        a.add(ActionSpec("new", "&New project", F, QKeySequence.New), self.new_project)
        a.add(ActionSpec("open", "&Open project…", F, QKeySequence.Open), self.open_project_dialog)
        self.recent_menu = a.menus[F].addMenu("Open &recent")
        a.add(ActionSpec("save", "&Save", F, QKeySequence.Save), self.save)
        a.add(ActionSpec("save_as", "Save &as…", F, QKeySequence.SaveAs), self.save_as)
        a.separator(F)
        a.add(ActionSpec("import", "&Import media…", F, "Ctrl+I", "Add video or audio files to the bin"),
              self.import_dialog)
        a.separator(F)
        a.add(ActionSpec("quit", "&Quit", F, QKeySequence.Quit), self.close)

        undo = self.document.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.Undo)
        redo = self.document.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence.Redo])
        for action in (undo, redo):
            self.addAction(action)
            a.menus[E].addAction(action)
        a.actions["undo"], a.actions["redo"] = undo, redo
        a.separator(E)
        a.add(ActionSpec("split", "&Split at playhead", E, "S"), self.timeline.split_at_playhead)
        a.add(ActionSpec("delete", "&Delete", E, QKeySequence.Delete),
              lambda: self.timeline.delete_selected(ripple=False))
        a.add(ActionSpec("ripple_delete", "&Ripple delete", E, "Shift+Delete"),
              lambda: self.timeline.delete_selected(ripple=True))
        a.add(ActionSpec("marker", "Add &marker", E, "M"), self.timeline.add_marker_at_playhead)
        a.add(ActionSpec("snapping", "S&napping", E, "N", checkable=True), self._set_snapping)
        a["snapping"].setChecked(True)

        a.add(ActionSpec("zoom_in", "Zoom &in", V, "Ctrl+="), self.timeline.zoom_in)
        a.add(ActionSpec("zoom_out", "Zoom &out", V, "Ctrl+-"), self.timeline.zoom_out)
        a.add(ActionSpec("zoom_fit", "Zoom to &fit", V, "Ctrl+0"), self.timeline.zoom_to_fit)
        a.add(ActionSpec("timeline_viewer", "&Timeline viewer", V, "Ctrl+T",
                         "Play the timeline (double-click in the bin plays a source)"),
              lambda: self.show_timeline_frame(self.timeline.playhead))
        a.separator(V)
        for dock in self.docks.values():
            a.menus[V].addAction(dock.toggleViewAction())

        p = self.player
        for spec, slot in (
                (ActionSpec("play", "&Play / pause", P, "Space"), p.toggle_play),
                (ActionSpec("shuttle_back", "Shuttle &backward", P, "J"), p.shuttle_left),
                (ActionSpec("shuttle_stop", "Shuttle &stop", P, "K"), p.shuttle_stop),
                (ActionSpec("shuttle_forward", "Shuttle &forward", P, "L"), p.shuttle_right),
                (ActionSpec("step_back", "Step &back one frame", P, "Left"), p.step_back),
                (ActionSpec("step_forward", "Step f&orward one frame", P, "Right"), p.step_forward),
                (ActionSpec("previous_cut", "Previous cut or marker", P, "Up"), p.jump_previous),
                (ActionSpec("next_cut", "Next cut or marker", P, "Down"), p.jump_next),
                (ActionSpec("mark_in", "Mark &in", P, "I"), p.mark_in),
                (ActionSpec("mark_out", "Mark &out", P, "O"), p.mark_out),
                (ActionSpec("mute", "&Mute", P, "Ctrl+M"), p.toggle_mute)):
            a.add(spec, slot)
        for engine_id, panel in self.panels.items():
            a.add(ActionSpec(f"run_{engine_id}", f"Run {panel.engine.name}", "&Analysis"), panel.run)
        a.add(ActionSpec("about", "&About Cutwise", H), self.about)
        self._refresh_recent()

    def _connect(self) -> None:
        self.document.title_changed.connect(self.setWindowTitle)
        self.document.changed.connect(self._on_document_changed)
        self.document.project_replaced.connect(self._on_project_replaced)
        self.media_bin.asset_activated.connect(lambda asset_id: self.show_source_frame(asset_id, 0))
        self.media_bin.import_requested.connect(self.import_files)
        self.timeline.playhead_moved.connect(self.show_timeline_frame)
        self.timeline.timeline_switched.connect(self._timeline_switched)
        self.timeline.message.connect(self.show_message)
        if self.player.player is not None:
            self.player.player.position_changed.connect(self._player_moved)
        self.bridge.event.connect(self._on_job_event)

    # --- project files ----------------------------------------------------------------
    def confirm_discard(self) -> bool:
        """Ask before losing unsaved changes; True when it is fine to go on."""
        if not self.document.is_modified:
            return True
        answer = QMessageBox.question(
            self, "Unsaved changes", f"Save the changes to {self.document.title.lstrip('● ')}?",
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)
        if answer == QMessageBox.Save:
            return self.save()
        return answer == QMessageBox.Discard

    def new_project(self) -> None:
        if self.confirm_discard():
            self.document.close()
            self.document.new()

    def open_project_dialog(self) -> None:
        if not self.confirm_discard():
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open project", self._last_folder(), PROJECT_FILTER)
        if path:
            self.open_project(path)

    def open_project(self, path: str) -> bool:
        try:
            self.document.open(path)
        except CutwiseError as exc:
            QMessageBox.warning(self, "Cannot open project", exc.message)
            return False
        self._remember_recent(path)
        return True

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self, "Save project", self._last_folder(), PROJECT_FILTER)
        if not path:
            return False
        if not path.endswith(project_file.EXTENSION):
            path += project_file.EXTENSION
        return self._save_to(Path(path))

    def _save_to(self, path: Path) -> bool:
        try:
            self.document.save(path)
        except CutwiseError as exc:
            QMessageBox.warning(self, "Cannot save project", exc.message)
            return False
        self._remember_recent(str(path))
        self.show_message(f"Saved {path}")
        return True

    def autosave(self) -> None:
        try:
            if self.document.autosave() is not None:
                self.show_message("Autosaved a recovery copy")
        except CutwiseError as exc:
            self.show_message(exc.message)

    def offer_recovery(self) -> None:
        """After a crash, offer the newest autosave the crashed session left."""
        for recovery in project_file.find_recoveries():
            answer = QMessageBox.question(
                self, "Recover unsaved work?",
                f"Cutwise did not close properly. Recover “{recovery.name}” autosaved at "
                f"{recovery.saved_at}?", QMessageBox.Yes | QMessageBox.No | QMessageBox.Discard,
                QMessageBox.Yes)
            if answer == QMessageBox.Yes:
                try:
                    self.document.recover(recovery)
                except CutwiseError as exc:
                    QMessageBox.warning(self, "Cannot recover", exc.message)
                return
            if answer == QMessageBox.Discard:
                recovery.discard()

    def _remember_recent(self, path: str) -> None:
        recent = [p for p in self.settings.value("recent", [], list) if p != path]
        self.settings.setValue("recent", [path, *recent][:MAX_RECENT])
        self._refresh_recent()

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.settings.value("recent", [], list):
            self.recent_menu.addAction(path, lambda p=path: self.confirm_discard() and self.open_project(p))
        self.recent_menu.setEnabled(not self.recent_menu.isEmpty())

    def _last_folder(self) -> str:
        return str(self.document.path.parent) if self.document.path else str(Path.home())

    # --- media ------------------------------------------------------------------------
    def import_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Import media", self._last_folder(), MEDIA_FILTER)
        if paths:
            self.import_files(paths)

    def import_files(self, paths: list[str]) -> None:
        """Probe the files in a job; the assets land in one undoable step when it ends."""
        job = self.runner.submit(import_files, list(paths), cache=self.provider.cache,
                                 title=f"Import {len(paths)} file(s)")
        self._import_jobs.add(job.id)

    def _on_job_event(self, event: JobEvent) -> None:
        if event.job.id not in self._import_jobs or not event.state.is_final:
            return
        self._import_jobs.discard(event.job.id)
        if event.state is not JobState.FINISHED:
            self.show_message(event.job.error or "Import cancelled")
            return
        assets, problems = event.job.result()
        known = {a.path for a in self.document.project.assets}
        fresh = [a for a in assets if a.path not in known]
        if fresh:
            self.document.push(cmd.compound(f"Import {len(fresh)} file(s)", [cmd.add_asset(a) for a in fresh]))
        if problems:
            QMessageBox.warning(self, "Some files were not imported", "\n".join(problems))
        self.show_message(f"Imported {len(fresh)} file(s)")

    # --- player ↔ timeline ------------------------------------------------------------
    def show_source_frame(self, asset_id: str, frame: int) -> None:
        """The source viewer: an asset in the player at one of its frames."""
        player = self.player.player
        try:
            asset = self.document.project.asset(asset_id)
        except CutwiseError:
            return
        if player is None:
            return
        if not player.shows_source(asset.path):
            self.player.load(asset.path, asset.frame_rate, frame_count=asset.frame_count,
                             variable_frame_rate=asset.variable_frame_rate)
        player.seek_frame(frame)
        cuts = {s.start for s in self.document.project.suggestions_in("shots", asset_id)}
        self.player.set_jump_points(sorted(cuts))

    def show_timeline_frame(self, frame: int) -> None:
        """The timeline viewer at a timeline frame (the playhead is shared)."""
        player = self.player.player
        if player is None:
            return
        if not player.is_timeline:
            self.player.load_timeline(self.document.project, self.timeline.timeline)
        player.seek_frame(frame)

    def _player_moved(self, frame: int) -> None:
        if self.player.player is not None and self.player.player.is_timeline:
            self.timeline.set_playhead(frame)

    def _on_document_changed(self, scope) -> None:
        """Keep the timeline viewer playing what the timeline now holds."""
        player = self.player.player
        if isinstance(scope, tuple) and player is not None and player.is_timeline:
            frame = player.frame
            self.player.load_timeline(self.document.project, self.timeline.timeline)
            player.seek_frame(frame)

    def _timeline_switched(self, _timeline_id: str) -> None:
        """The timeline viewer follows the sequence the timeline shows."""
        player = self.player.player
        if player is not None and player.is_timeline:
            self.player.load_timeline(self.document.project, self.timeline.timeline)
            player.seek_frame(0)

    def _on_project_replaced(self) -> None:
        """Show the new project's timeline in the viewer, at its start."""
        self.timeline.zoom_to_fit()
        if self.player.player is None:
            return
        if self.document.project.timeline.duration > 0:
            self.player.load_timeline(self.document.project, self.document.project.timeline)
            self.player.player.seek_frame(0)
        else:
            self.player.player.unload()

    def _set_snapping(self, on: bool) -> None:
        self.timeline.snapping = on

    # --- misc -------------------------------------------------------------------------
    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def about(self) -> None:
        QMessageBox.about(self, "About Cutwise",
                          f"<b>Cutwise {__version__}</b><br>An open-source assistant for video editing.")

    def closeEvent(self, event) -> None:
        if not self.confirm_discard():
            event.ignore()
            return
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.autosave_timer.stop()
        self.runner.shutdown()
        self.provider.shutdown()
        self.bridge.detach()
        self.player.shutdown()
        self.document.close()
        event.accept()
