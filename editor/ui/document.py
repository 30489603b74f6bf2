"""The open project as the UI sees it: model, undo stack, file path, unsaved state.

Every edit goes through :meth:`Document.push` with a core command: the command runs
first (a refused edit raises :class:`CutwiseError` and changes nothing), then a
QUndoCommand wrapper records it so Edit ▸ Undo, the undo view and the clean state are
Qt's. Model change events become the :attr:`Document.changed` signal.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from editor.core import commands as cmd
from editor.core import project_file
from editor.core.model import Project


class _UndoEntry(QUndoCommand):
    """A core command already applied once; Qt's first redo call is skipped."""

    def __init__(self, document: "Document", command: cmd.Command):
        super().__init__(command.text)
        self._document = document
        self._command = command
        self._applied = True

    def redo(self):
        if self._applied:
            self._applied = False
            return
        self._command.redo(self._document.project)

    def undo(self):
        self._command.undo(self._document.project)


class Document(QObject):
    """Holds the project being edited and announces its changes on the GUI thread."""

    changed = Signal(object)        # a scope: "assets", "suggestions", "timelines", ("timeline", id)
    project_replaced = Signal()     # new/open/recover: views re-read everything
    title_changed = Signal(str)

    AUTOSAVE_MS = 60_000

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._announce_title)
        self.project = Project()
        self.path: Path | None = None
        self._attach(self.project)

    # --- state ----------------------------------------------------------------------
    @property
    def is_modified(self) -> bool:
        return not self.undo_stack.isClean()

    @property
    def title(self) -> str:
        name = self.path.name if self.path else self.project.name
        return f"{'● ' if self.is_modified else ''}{name} — Cutwise"

    def _announce_title(self, *_args) -> None:
        self.title_changed.emit(self.title)

    # --- editing --------------------------------------------------------------------
    def push(self, command: cmd.Command) -> None:
        """Apply ``command`` and record it for undo; raises CutwiseError if refused."""
        command.redo(self.project)
        self.undo_stack.push(_UndoEntry(self, command))

    # --- files ----------------------------------------------------------------------
    def new(self) -> None:
        self.load_project(Project(), None)

    def open(self, path: str | os.PathLike) -> None:
        """Load a project file; on error the current project stays open."""
        self.load_project(project_file.load(path), Path(path))

    def save(self, path: str | os.PathLike | None = None) -> Path:
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("an untitled project needs a path to save to")
        project_file.save(self.project, target)
        if self.path != target:
            project_file.discard_autosave(self.path)
        self.path = target
        project_file.discard_autosave(target)
        project_file.discard_autosave(None)
        self.undo_stack.setClean()
        self._announce_title()
        return target

    def autosave(self) -> Path | None:
        """Write a recovery copy if there are unsaved changes."""
        if not self.is_modified:
            return None
        return project_file.write_autosave(self.project, self.path)

    def recover(self, recovery: project_file.Recovery) -> None:
        """Open an autosave left by a crash; it stays unsaved until the user saves."""
        project = recovery.load()
        self.load_project(project, Path(recovery.project_path) if recovery.project_path else None)
        recovery.discard()
        self.undo_stack.resetClean()
        self._announce_title()

    def close(self) -> None:
        """Forget this session's autosave on a clean exit."""
        project_file.discard_autosave(self.path)
        project_file.discard_autosave(None)

    def load_project(self, project: Project, path: Path | None = None) -> None:
        """Make ``project`` the open one (from a file, a recovery or the demo)."""
        self.project.events.disconnect(self.changed.emit)
        self.undo_stack.clear()
        self.project, self.path = project, path
        self._attach(project)
        self.project_replaced.emit()
        self._announce_title()

    def _attach(self, project: Project) -> None:
        project.events.connect(self.changed.emit)
