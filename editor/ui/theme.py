"""The dark theme: Fusion style with an editor's palette (Resolve/Kdenlive-like greys)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

ACCENT = QColor("#3d8ee8")

_COLORS = {
    QPalette.Window: "#2b2b2e",
    QPalette.WindowText: "#dcdcdc",
    QPalette.Base: "#1f1f22",
    QPalette.AlternateBase: "#26262a",
    QPalette.ToolTipBase: "#1f1f22",
    QPalette.ToolTipText: "#dcdcdc",
    QPalette.PlaceholderText: "#808080",
    QPalette.Text: "#dcdcdc",
    QPalette.Button: "#35353a",
    QPalette.ButtonText: "#dcdcdc",
    QPalette.BrightText: "#ff5555",
    QPalette.Link: ACCENT.name(),
    QPalette.Highlight: ACCENT.name(),
    QPalette.HighlightedText: "#ffffff",
}

STYLE_SHEET = """
QDockWidget::title { background: #232326; padding: 4px 6px; }
QToolTip { border: 1px solid #444; }
QProgressBar { border: 1px solid #444; border-radius: 3px; text-align: center; height: 14px; }
QProgressBar::chunk { background: #3d8ee8; }
"""


def apply_dark_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    for role, color in _COLORS.items():
        palette.setColor(role, QColor(color))
    for role in (QPalette.Text, QPalette.ButtonText, QPalette.WindowText):
        palette.setColor(QPalette.Disabled, role, QColor("#6a6a6a"))
    app.setPalette(palette)
    app.setStyleSheet(STYLE_SHEET)
