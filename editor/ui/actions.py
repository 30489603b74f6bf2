"""One registry for every menu command and shortcut of the main window."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu


@dataclass(frozen=True)
class ActionSpec:
    id: str
    text: str
    menu: str
    shortcut: str | QKeySequence.StandardKey | None = None
    tip: str = ""
    checkable: bool = False


class ActionRegistry:
    """Creates QActions from specs, puts them in menus (in order) and finds them by id."""

    MENUS = ("&File", "&Edit", "&View", "&Playback", "&Analysis", "&Help")

    def __init__(self, window: QMainWindow):
        self.window = window
        self.actions: dict[str, QAction] = {}
        self.menus: dict[str, QMenu] = {name: window.menuBar().addMenu(name) for name in self.MENUS}

    def add(self, spec: ActionSpec, handler: Callable | None = None) -> QAction:
        action = QAction(spec.text, self.window)
        if spec.shortcut is not None:
            action.setShortcut(QKeySequence(spec.shortcut))
        if spec.tip:
            action.setStatusTip(spec.tip)
            action.setToolTip(spec.tip)
        action.setCheckable(spec.checkable)
        if handler is not None:
            (action.toggled if spec.checkable else action.triggered).connect(handler)
        self.window.addAction(action)  # shortcuts work even when the menu bar is hidden
        self.menus[spec.menu].addAction(action)
        self.actions[spec.id] = action
        return action

    def separator(self, menu: str) -> None:
        self.menus[menu].addSeparator()

    def __getitem__(self, action_id: str) -> QAction:
        return self.actions[action_id]
