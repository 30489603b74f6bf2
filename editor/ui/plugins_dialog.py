"""Plugins in the window: Help ▸ Plugins… lists loaded and failed plugins, and a plugin
that fails (at startup, on import or while running) is disabled with a readable message
in its panel, the status bar and the log; the rest of the app and the project go on."""

from __future__ import annotations

import importlib

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout,
)

from editor.plugins.api import PluginFailure, Registry
from editor.ui.actions import ActionSpec

FAILED_COLOR = "#ff6b6b"


def panel_class_for(engine, registry: Registry, default):
    """The engine's own panel class, or ``default`` (with the plugin disabled) if it fails."""
    if not engine.panel:
        return default
    module, _, name = engine.panel.partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except Exception as exc:  # noqa: BLE001 - a plugin's panel must not stop the window
        registry.fail(PluginFailure(engine.id, f"The panel of '{engine.name}' ({engine.panel}) could "
                                    f"not be loaded: {type(exc).__name__}: {exc}. The engine is disabled.",
                                    engines=(engine.id,)))
        return default


class _FailureBridge(QObject):
    """Carries failures (reported from job threads) to the GUI thread."""

    failed = Signal(object)


def install_plugin_actions(window) -> None:
    """Help ▸ Plugins…, disabled panels for failed plugins, a status line for each failure."""
    registry: Registry = window.registry
    bridge = _FailureBridge(window)
    bridge.failed.connect(lambda failure: _show_failure(window, failure))

    def notify(failure: PluginFailure) -> None:  # any thread
        try:
            bridge.failed.emit(failure)
        except RuntimeError:  # the window is gone; the failure is still logged
            pass
    registry.failure_listeners.append(notify)
    window.actions.add(ActionSpec("plugins", "&Plugins…", "&Help",
                                  tip="Loaded plugins, and the ones that failed and why"),
                       lambda: PluginsDialog(registry, window).exec())
    for engine_id in registry.disabled:
        _disable_panel(window, engine_id, registry.disabled[engine_id])
    if registry.failures:
        count = len(registry.failures)
        window.show_message(f"{count} plugin{'s' if count > 1 else ''} could not be loaded: "
                            "see Help ▸ Plugins")


def _disable_panel(window, engine_id: str, message: str) -> None:
    panel = window.panels.get(engine_id)
    if panel is None:
        return
    panel.setEnabled(False)
    panel.setToolTip(message)
    panel.status.setText(message)
    dock = window.docks.get(f"engine-{engine_id}")
    if dock is not None and not dock.windowTitle().endswith("(disabled)"):
        dock.setWindowTitle(f"{dock.windowTitle()} (disabled)")
    action = window.actions.actions.get(f"run_{engine_id}")
    if action is not None:
        action.setEnabled(False)


def _show_failure(window, failure: PluginFailure) -> None:
    for engine_id in failure.engines:
        _disable_panel(window, engine_id, failure.message)
    window.show_message(failure.message)


class PluginsDialog(QDialog):
    """Every plugin: what it adds and where it came from; failed ones with the reason."""

    def __init__(self, registry: Registry, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Plugins")
        self.resize(760, 360)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Plugin", "Version", "Status", "Adds", "From"])
        self.tree.setRootIsDecorated(False)
        self.tree.setWordWrap(True)
        failed = {f.plugin for f in registry.failures}
        for info in registry.plugins:
            adds = [registry.engines[e].name for e in info.engines if e in registry.engines]
            adds += [registry.exporters[x].name for x in info.exporters if x in registry.exporters]
            status = "disabled" if info.name in failed else "loaded"
            item = QTreeWidgetItem([info.name, info.version, status, ", ".join(adds), info.source])
            item.setToolTip(0, info.description)
            self.tree.addTopLevelItem(item)
        for failure in registry.failures:
            item = QTreeWidgetItem([failure.plugin, "", "failed", failure.message, failure.source])
            item.setForeground(2, QColor(FAILED_COLOR))
            item.setToolTip(3, failure.message)
            self.tree.addTopLevelItem(item)
        for column, width in enumerate((140, 70, 70, 330)):
            self.tree.setColumnWidth(column, width)
        hint = QLabel("Install plugins with pip into Cutwise's environment, or put them in a "
                      "plugins folder; see docs/plugins.md.")
        hint.setWordWrap(True)
        hint.setTextInteractionFlags(Qt.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree, 1)
        layout.addWidget(hint)
        layout.addWidget(buttons)
